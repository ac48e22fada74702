/* SPDX-License-Identifier: Apache-2.0
 * test_svg_chart.c - dashboard SVG charts: the tick rule, bars per value, lines split at gaps,
 * lone points as circles, escaping, size of a year of data, bad arguments, the empty chart.
 * Every chart rendered here also passes a small XML well-formedness check (balanced tags,
 * quoted unique attributes, only the five XML entities and character references) and a safety
 * check (no script, no on* attribute, no href, no URL but the SVG namespace). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "gemeinde/svg_chart.h"
#include "test_util.h"

/* ---- a tiny XML well-formedness check ---- */

static int is_name_start(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
}

static int is_name_char(char c)
{
    return is_name_start(c) || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

static size_t name_len(const char *p)
{
    size_t n = 0;
    if (!is_name_start(p[0]))
        return 0;
    while (is_name_char(p[n]))
        n++;
    return n;
}

/* Length of a valid reference at p ("&amp;", "&#39;", "&#x2026;"), or 0. */
static size_t ref_len(const char *p)
{
    static const char *const named[] = {"&amp;", "&lt;", "&gt;", "&quot;", "&apos;"};
    for (size_t i = 0; i < TU_ARRAY_LEN(named); i++)
        if (strncmp(p, named[i], strlen(named[i])) == 0)
            return strlen(named[i]);
    if (strncmp(p, "&#", 2) != 0)
        return 0;
    size_t n = 2, digits = 0;
    int hex = p[2] == 'x';
    n += (size_t)hex;
    while ((hex ? strchr("0123456789abcdefABCDEF", p[n]) : strchr("0123456789", p[n])) && p[n])
        n++, digits++;
    return digits && p[n] == ';' ? n + 1 : 0;
}

/* Character data up to the next '<' (or the end): no raw '&' and no "]]>". */
static const char *skip_text(const char *p, const char **why)
{
    while (*p && *p != '<') {
        if (*p == '&') {
            size_t n = ref_len(p);
            if (!n) {
                *why = "raw & in text";
                return NULL;
            }
            p += n;
        } else if (!strncmp(p, "]]>", 3)) {
            *why = "]]> in text";
            return NULL;
        } else {
            p++;
        }
    }
    return p;
}

/* NULL if `xml` is one well-formed element (with whitespace around it allowed), else why not.
 * Also refuses on* attributes, comments, processing instructions and doctype declarations:
 * the charts need none of them. */
static const char *xml_check(const char *xml)
{
    const char *stack[64], *why = NULL, *p = xml;
    size_t stack_len[64], depth = 0, roots = 0;
    while (*p) {
        if (*p != '<') {
            const char *start = p;
            if (!(p = skip_text(p, &why)))
                return why;
            if (depth == 0)
                for (const char *q = start; q < p; q++)
                    if (!strchr(" \t\r\n", *q))
                        return "text outside the root element";
            continue;
        }
        if (p[1] == '/') {
            size_t n = name_len(p + 2);
            if (!n || depth == 0 || n != stack_len[depth - 1] ||
                strncmp(p + 2, stack[depth - 1], n) != 0)
                return "unbalanced end tag";
            p += 2 + n;
            while (*p == ' ')
                p++;
            if (*p++ != '>')
                return "bad end tag";
            depth--;
            continue;
        }
        size_t n = name_len(p + 1);
        if (!n)
            return "bad tag name (or <! / <?)";
        if (depth == 0 && roots++)
            return "more than one root element";
        const char *name = p + 1, *attrs[32];
        size_t attr_lens[32], n_attrs = 0;
        p += 1 + n;
        for (;;) {
            int space = 0;
            while (strchr(" \t\r\n", *p) && *p)
                p++, space = 1;
            if (*p == '>' || (p[0] == '/' && p[1] == '>'))
                break;
            size_t an = name_len(p);
            if (!space || !an || n_attrs == 32)
                return "bad attribute";
            if (strncmp(p, "on", 2) == 0)
                return "event attribute";
            for (size_t i = 0; i < n_attrs; i++)
                if (attr_lens[i] == an && !strncmp(attrs[i], p, an))
                    return "duplicate attribute";
            attrs[n_attrs] = p;
            attr_lens[n_attrs++] = an;
            p += an;
            if (p[0] != '=' || p[1] != '"')
                return "unquoted attribute";
            for (p += 2; *p != '"'; p++) {
                if (!*p || *p == '<')
                    return "bad attribute value";
                if (*p == '&') {
                    size_t rn = ref_len(p);
                    if (!rn)
                        return "raw & in attribute";
                    p += rn - 1;
                }
            }
            p++;
        }
        if (*p == '/') {
            p += 2;
            continue;
        }
        p++;
        if (depth == 64)
            return "too deep";
        stack[depth] = name;
        stack_len[depth++] = n;
    }
    if (depth)
        return "unclosed element";
    return roots == 1 ? NULL : "no root element";
}

/* ---- helpers ---- */

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + strlen(needle), needle))
        n++;
    return n;
}

/* Occurrences of `needle` inside the `nth` (0-based) element that starts with `open` and ends
 * at the first following `close`. */
static size_t count_in(const char *hay, const char *open, size_t nth, const char *close,
                       const char *needle)
{
    const char *p = strstr(hay, open);
    for (size_t i = 0; p && i < nth; i++)
        p = strstr(p + 1, open);
    assert_non_null(p);
    const char *end = strstr(p, close);
    assert_non_null(end);
    size_t n = 0;
    for (const char *q = strstr(p, needle); q && q < end; q = strstr(q + 1, needle))
        n++;
    return n;
}

/* The texts of the <text class="`cls`"> elements, joined with '|'. */
static void texts_of(const char *svg, const char *cls, char *out, size_t size)
{
    char open[64];
    snprintf(open, sizeof open, "<text class=\"%s\"", cls);
    out[0] = '\0';
    for (const char *p = strstr(svg, open); p; p = strstr(p + 1, open)) {
        const char *start = strchr(p, '>') + 1, *end = strstr(start, "</text>");
        assert_non_null(end);
        if (out[0])
            strncat(out, "|", size - strlen(out) - 1);
        strncat(out, start,
                (size_t)(end - start) < size - strlen(out) - 1 ? (size_t)(end - start)
                                                               : size - strlen(out) - 1);
    }
}

/* The value of the first attribute `name` (" x=") after `from`, as a number. */
static double attr_num(const char *from, const char *name)
{
    char key[32];
    snprintf(key, sizeof key, " %s=\"", name);
    const char *p = strstr(from, key);
    assert_non_null(p);
    return strtod(p + strlen(key), NULL);
}

/* Render `c`; it must succeed and pass the XML and safety checks. The caller frees. */
static char *render(const struct gm_svg_chart *c)
{
    struct gm_buf b;
    char *out;
    size_t len;
    gm_buf_init(&b, 4 << 20);
    gm_err e = gm_svg_chart(&b, c);
    if (e != GM_OK)
        fail_msg("gm_svg_chart: %s", gm_strerror(e));
    assert_int_equal(gm_buf_take(&b, &out, &len), GM_OK);
    assert_int_equal(strlen(out), len);
    const char *why = xml_check(out);
    if (why)
        fail_msg("not well-formed XML (%s): %.300s", why, out);
    static const char root[] = "<svg xmlns=\"http://www.w3.org/2000/svg\" ";
    assert_true(strncmp(out, root, strlen(root)) == 0);
    assert_int_equal(count(out, "<svg"), 1);
    assert_int_equal(count(out, "://"), 1); /* the namespace only */
    assert_false(tu_contains(out, "<script"));
    assert_false(tu_contains(out, "href=\"")); /* escaped text cannot hold a '"' */
    assert_false(tu_contains(out, "url("));
    assert_false(tu_contains(out, "style="));
    return out;
}

#define ONE(vals, kind_)                                                                           \
    (const struct gm_svg_series[])                                                                 \
    {                                                                                              \
        {                                                                                          \
            "s", (vals), (kind_), NULL                                                             \
        }                                                                                          \
    }

static const char *const days[] = {"d0", "d1", "d2", "d3", "d4", "d5", "d6", "d7", "d8", "d9"};

/* ---- cases ---- */

/* Tick rule: the smallest step 1/2/5 x 10^k (>= 1 for whole numbers, >= 0.01 otherwise) that
 * covers the maximum in at most 4 steps, never fewer than 2 steps. */
static const struct {
    double values[3];
    const char *unit;
    const char *ticks;
} tick_cases[] = {
    {{7, 3, 0}, "", "0|2|4|6|8"},
    {{10, 1, 2}, "", "0|5|10"},
    {{1, 0, 0}, "", "0|1|2"},
    {{4, 0, 0}, "", "0|1|2|3|4"},
    {{5, 0, 0}, "", "0|2|4|6"},
    {{8, 0, 0}, "", "0|2|4|6|8"},
    {{9, 0, 0}, "", "0|5|10"},
    {{99, 0, 0}, "", "0|50|100"},
    {{101, 0, 0}, "", "0|50|100|150"},
    {{0.3, 0, 0}, "", "0|0.1|0.2|0.3"},
    {{2.5, 0, 0}, "h", "0h|1h|2h|3h"},
    {{0.001, 0, 0}, "", "0|0.01|0.02"},
    {{45, NAN, -3}, "min", "0min|20min|40min|60min"},
    {{12000, 0, 0}, "", "0|5k|10k|15k"},
    {{3.5e7, 0, 0}, "", "0|10M|20M|30M|40M"},
};

static void nice_ticks_table(void **state)
{
    for (size_t i = 0; i < TU_ARRAY_LEN(tick_cases); i++) {
        struct gm_svg_chart c = {
            "t", "ticks", days, 3, ONE(tick_cases[i].values, GM_SVG_BARS), 1, tick_cases[i].unit};
        char *out = render(&c), ticks[256];
        texts_of(out, "gm-ytick", ticks, sizeof ticks);
        if (strcmp(ticks, tick_cases[i].ticks) != 0)
            fail_msg("case %zu: ticks %s, expected %s", i, ticks, tick_cases[i].ticks);
        free(out);
    }
}

static void bars_one_per_value(void **state)
{
    const double a[10] = {1, NAN, 3, 0, 5, NAN, 7, 8, INFINITY, 2};
    const double b[10] = {NAN, 2, 2, 2, NAN, NAN, NAN, NAN, NAN, 9};
    const struct gm_svg_series two[] = {{"gained", a, GM_SVG_BARS, "s1"},
                                        {"lost", b, GM_SVG_BARS, "s2"}};
    struct gm_svg_chart c = {"chart-bars", "Bars", days, 10, two, 2, ""};
    char *out = render(&c);
    assert_int_equal(count(out, "<g class=\"gm-bars "), 2);
    assert_int_equal(count_in(out, "<g class=\"gm-bars s1\"", 0, "</g>", "<rect"), 7);
    assert_int_equal(count_in(out, "<g class=\"gm-bars s2\"", 0, "</g>", "<rect"), 4);
    assert_int_equal(count_in(out, "<g class=\"gm-bars s1\"", 0, "</g>", "<title>"), 7);
    /* side by side: the second series' bar in slot 2 starts where the first one's ends */
    const char *a2 = strstr(strstr(out, "gm-bars s1"), "<title>d2: 3</title>");
    const char *b2 = strstr(strstr(out, "gm-bars s2"), "<title>d2: 2</title>");
    assert_non_null(a2);
    assert_non_null(b2);
    const char *ra = a2, *rb = b2;
    while (strncmp(ra, "<rect", 5))
        ra--;
    while (strncmp(rb, "<rect", 5))
        rb--;
    double xa = attr_num(ra, "x"), wa = attr_num(ra, "width"), xb = attr_num(rb, "x");
    assert_true(wa > 0);
    assert_true(fabs(xa + wa - xb) < 0.02);
    assert_true(fabs(attr_num(rb, "width") - wa) < 0.02);
    /* no polyline or circle in a bar chart; the legend names both series */
    assert_int_equal(count(out, "<polyline"), 0);
    assert_int_equal(count(out, "<circle"), 0);
    assert_true(tu_contains(out, ">gained</text>"));
    assert_true(tu_contains(out, ">lost</text>"));
    assert_int_equal(count(out, "class=\"gm-swatch\""), 2);
    free(out);
}

static void bar_heights(void **state)
{
    /* max 8 -> axis top 8: a value of 4 is half the plot height, 0 is a zero-height bar */
    const double v[3] = {8, 4, 0};
    struct gm_svg_chart c = {"h", "Heights", days, 3, ONE(v, GM_SVG_BARS), 1, ""};
    char *out = render(&c);
    const char *r0 = strstr(out, "<g class=\"gm-bars");
    const char *r1 = strstr(strstr(r0, "</rect>"), "<rect");
    const char *r2 = strstr(strstr(r1, "</rect>"), "<rect");
    double h0 = attr_num(r0, "height"), h1 = attr_num(r1, "height");
    assert_true(h0 > 100);
    assert_true(fabs(h0 - 2 * h1) < 0.03);
    assert_true(attr_num(r2, "height") == 0);
    assert_true(fabs(attr_num(r0, "y") + h0 - (attr_num(r1, "y") + h1)) < 0.02); /* same base */
    free(out);
}

static void gaps_split_polylines(void **state)
{
    const double v[10] = {1, 2, NAN, 3, 4, 5, NAN, NAN, 6, 7};
    struct gm_svg_chart c = {"lines", "Lines", days, 10, ONE(v, GM_SVG_LINE), 1, "h"};
    char *out = render(&c);
    assert_int_equal(count(out, "<polyline"), 3);
    /* points per polyline: 2, 3, 2 ("x y x y": spaces) */
    static const size_t points[] = {2, 3, 2};
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(count_in(out, "<polyline", i, "\"/>", " ") - 2, 2 * points[i] - 1);
    assert_int_equal(count(out, "<circle"), 7); /* a hover target per point */
    assert_int_equal(count(out, "class=\"gm-dot\""), 0);
    assert_true(tu_contains(out, "<title>d9: 7h</title>"));
    assert_int_equal(count(out, "<rect x="), 0);
    free(out);

    /* no gap: one polyline */
    const double full[4] = {1, 2, 3, 4};
    struct gm_svg_chart c2 = {"l2", "Lines", days, 4, ONE(full, GM_SVG_LINE), 1, ""};
    out = render(&c2);
    assert_int_equal(count(out, "<polyline"), 1);
    free(out);
}

static void single_points_are_circles(void **state)
{
    const double lone[4] = {NAN, NAN, 5, NAN};
    struct gm_svg_chart c = {"one", "One", days, 4, ONE(lone, GM_SVG_LINE), 1, ""};
    char *out = render(&c);
    assert_int_equal(count(out, "<polyline"), 0);
    assert_int_equal(count(out, "<circle"), 1);
    assert_int_equal(count(out, "<circle class=\"gm-dot\""), 1);
    assert_true(tu_contains(out, "<title>d2: 5</title></circle>"));
    free(out);

    /* isolated points among runs; n == 1 */
    const double mixed[7] = {1, 2, NAN, 3, NAN, 4, 5};
    struct gm_svg_chart c2 = {"mixed", "Mixed", days, 7, ONE(mixed, GM_SVG_LINE), 1, ""};
    out = render(&c2);
    assert_int_equal(count(out, "<polyline"), 2);
    assert_int_equal(count(out, "class=\"gm-dot\""), 1);
    assert_true(tu_contains(out, "<title>d3: 3</title></circle>"));
    free(out);

    const double single[1] = {3};
    struct gm_svg_chart c3 = {"single", "Single", days, 1, ONE(single, GM_SVG_LINE), 1, ""};
    out = render(&c3);
    assert_int_equal(count(out, "class=\"gm-dot\""), 1);
    char labels[64];
    texts_of(out, "gm-xlabel", labels, sizeof labels);
    assert_string_equal(labels, "d0");
    free(out);
}

static void text_is_escaped(void **state)
{
    const char *const labels[] = {"<a href=\"x\">", "Tom & Jerry's", "ok"};
    const double v[3] = {1, 2, 3};
    const struct gm_svg_series s[] = {{"<b>\"x\" & 'y'</b>", v, GM_SVG_BARS, "s1"},
                                      {"bad\x01\xff", v, GM_SVG_LINE, "s2"}};
    struct gm_svg_chart c = {"esc", "<script>alert('t&t')</script>", labels, 3, s, 2, "<u>"};
    char *out = render(&c);
    assert_true(tu_contains(out, "<title>&lt;script&gt;alert(&#39;t&amp;t&#39;)&lt;/script&gt;"
                                 "</title>"));
    assert_true(tu_contains(out, "aria-label=\"&lt;script&gt;alert(&#39;t&amp;t&#39;)"));
    assert_true(tu_contains(out, ">&lt;b&gt;&quot;x&quot; &amp; &#39;y&#39;&lt;/b&gt;</text>"));
    assert_true(tu_contains(out, "<title>&lt;a href=&quot;x&quot;&gt;: 1&lt;u&gt;</title>"));
    assert_true(tu_contains(out, "<title>Tom &amp; Jerry&#39;s: 2&lt;u&gt;</title>"));
    assert_true(tu_contains(out, ">bad\xef\xbf\xbd\xef\xbf\xbd</text>")); /* control, bad UTF-8 */
    assert_false(tu_contains(out, "<b>"));
    assert_false(tu_contains(out, "<u>"));
    free(out);
}

static void long_text_is_cut(void **state)
{
    const char *const labels[] = {"a-very-long-label-that-goes-on", "ü"};
    const double v[2] = {1, 2};
    struct gm_svg_series s = {"ääääääääääääääääääääääääääääääääääääääää", v, GM_SVG_BARS, NULL};
    struct gm_svg_chart c = {"cut", "Cut", labels, 2, &s, 1, ""};
    char *out = render(&c);
    /* names: 31 characters and an ellipsis; x labels: 15 and an ellipsis; tooltips in full */
    char want[128] = ">";
    for (int i = 0; i < 31; i++)
        strcat(want, "ä");
    strcat(want, "\xe2\x80\xa6</text>");
    assert_true(tu_contains(out, want));
    assert_true(tu_contains(out, ">a-very-long-lab\xe2\x80\xa6</text>"));
    assert_true(tu_contains(out, "<title>a-very-long-label-that-goes-on: 1</title>"));
    /* an invalid css_class falls back to the default, a valid one is used */
    assert_true(tu_contains(out, "<g class=\"gm-bars s1\">"));
    free(out);
    s.css_class = "Red; fill:red";
    out = render(&c);
    assert_true(tu_contains(out, "<g class=\"gm-bars s1\">"));
    assert_false(tu_contains(out, "Red"));
    free(out);
    s.css_class = "accent-2";
    out = render(&c);
    assert_true(tu_contains(out, "<g class=\"gm-bars accent-2\">"));
    free(out);
}

/* At most 2 decimals in every number: no digit run of 3 or more after a '.'. */
static void numbers_have_two_decimals(void **state)
{
    const double v[5] = {1.23456, 0.005, 2.999, 1e-9, 1.1};
    struct gm_svg_chart c = {"dec", "Decimals", days, 5, ONE(v, GM_SVG_LINE), 1, ""};
    char *out = render(&c);
    for (const char *p = strchr(out, '.'); p; p = strchr(p + 1, '.')) {
        size_t digits = strspn(p + 1, "0123456789");
        if (digits > 2 && p > out && p[-1] >= '0' && p[-1] <= '9')
            fail_msg("more than 2 decimals at: %.20s", p - 3);
    }
    for (const char *p = strchr(out, ','); p; p = strchr(p + 1, ','))
        if ((p[-1] >= '0' && p[-1] <= '9') || (p[1] >= '0' && p[1] <= '9'))
            fail_msg("a comma in a number at: %.20s", p - 5);
    assert_true(tu_contains(out, "<title>d0: 1.23</title>"));
    assert_true(tu_contains(out, "<title>d1: 0.01</title>"));
    assert_true(tu_contains(out, "<title>d2: 3</title>"));
    assert_true(tu_contains(out, "<title>d3: 0</title>"));
    assert_true(tu_contains(out, "<title>d4: 1.1</title>"));
    assert_false(tu_contains(out, "e-")); /* no exponents */
    assert_false(tu_contains(out, "nan"));
    free(out);
}

static void year_stays_small(void **state)
{
    static char label_store[365][16];
    static const char *labels[365];
    static double members[365], posts[365];
    for (int i = 0; i < 365; i++) {
        snprintf(label_store[i], sizeof label_store[i], "2026-%02d-%02d", 1 + i / 31 % 12,
                 1 + i % 28);
        labels[i] = label_store[i];
        members[i] = i % 50 == 7 ? NAN : (double)((i * 37) % 113);
        posts[i] = 1000.5 + (i * 7919) % 4001;
    }
    const struct gm_svg_series s[] = {{"members gained", members, GM_SVG_BARS, "s1"},
                                      {"posts", posts, GM_SVG_LINE, "s2"}};
    struct gm_svg_chart c = {"chart-year", "A year", labels, 365, s, 2, ""};
    char *out = render(&c);
    size_t len = strlen(out);
    if (len >= 120 * 1024)
        fail_msg("365-point chart is %zu bytes", len);
    assert_int_equal(count_in(out, "<g class=\"gm-bars", 0, "</g>", "<rect"), 365 - 8);
    assert_int_equal(count(out, "<polyline"), 1);
    char xl[512];
    texts_of(out, "gm-xlabel", xl, sizeof xl);
    size_t nx = count(xl, "|") + 1;
    assert_true(nx >= 2 && nx <= 6);
    assert_true(strncmp(xl, labels[0], strlen(labels[0])) == 0);
    assert_true(strcmp(xl + strlen(xl) - strlen(labels[364]), labels[364]) == 0);
    free(out);
}

static void bad_arguments(void **state)
{
    const double v[2] = {1, 2};
    const struct gm_svg_series ok = {"s", v, GM_SVG_BARS, NULL};
    const struct gm_svg_series five[5] = {ok, ok, ok, ok, ok};
    const struct gm_svg_series no_values = {"s", NULL, GM_SVG_BARS, NULL};
    const struct gm_svg_series bad_kind = {"s", v, (enum gm_svg_kind)7, NULL};
    const struct gm_svg_chart good = {"ok", "T", NULL, 2, &ok, 1, ""};
    struct gm_svg_chart cases[13];
    for (size_t i = 0; i < 13; i++)
        cases[i] = good;
    cases[0].id = NULL;
    cases[1].id = "";
    cases[2].id = "Chart";
    cases[3].id = "a b";
    cases[4].id = "x\"onload=\"y";
    cases[5].title = NULL;
    cases[6].series = NULL;
    cases[7].n_series = 0;
    cases[8].series = five, cases[8].n_series = 5;
    cases[9].n = 3661;
    cases[10].series = &no_values;
    cases[11].series = &bad_kind;
    cases[12].id = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"; /* 65 */
    for (size_t i = 0; i < TU_ARRAY_LEN(cases); i++) {
        struct gm_buf b;
        gm_buf_init(&b, 1 << 20);
        gm_err e = gm_svg_chart(&b, &cases[i]);
        if (e != GM_EINVAL)
            fail_msg("case %zu: %s, expected GM_EINVAL", i, gm_strerror(e));
        assert_int_equal(b.len, 0); /* nothing appended */
        gm_buf_free(&b);
    }
    assert_int_equal(gm_svg_chart(NULL, &good), GM_EINVAL);
    struct gm_buf b;
    gm_buf_init(&b, 1 << 20);
    assert_int_equal(gm_svg_chart(&b, NULL), GM_EINVAL);
    /* the limits themselves are fine: 4 series, 3660 points, no values when n is 0 */
    const struct gm_svg_chart four = {"ok", "T", NULL, 2, five, 4, ""};
    assert_int_equal(gm_svg_chart(&b, &four), GM_OK);
    const struct gm_svg_chart none = {"ok", "T", NULL, 0, &no_values, 1, NULL};
    assert_int_equal(gm_svg_chart(&b, &none), GM_OK);
    gm_buf_free(&b);
}

static void biggest_chart_and_cap(void **state)
{
    static double v[3660];
    for (size_t i = 0; i < 3660; i++)
        v[i] = (double)(i % 97);
    const struct gm_svg_series s[4] = {{"a", v, GM_SVG_BARS, NULL},
                                       {"b", v, GM_SVG_BARS, NULL},
                                       {"c", v, GM_SVG_LINE, NULL},
                                       {"d", v, GM_SVG_LINE, NULL}};
    struct gm_svg_chart c = {"big", "Big", NULL, 3660, s, 4, ""};
    char *out = render(&c);
    assert_int_equal(count(out, "<rect x="), 2 * 3660);
    assert_int_equal(count(out, "<polyline"), 2);
    assert_int_equal(count(out, "class=\"gm-xlabel\""), 0); /* no labels given */
    assert_true(tu_contains(out, "<title>96</title>"));     /* tooltip without a label */
    free(out);

    /* a buffer too small: the buffer's error, not a truncated chart */
    struct gm_buf b;
    gm_buf_init(&b, 2000);
    assert_int_equal(gm_svg_chart(&b, &c), GM_ETOOBIG);
    gm_buf_free(&b);
}

static void empty_charts_say_no_data(void **state)
{
    const double zeros[3] = {0, 0, 0}, nans[3] = {NAN, NAN, NAN}, neg[3] = {-1, 0, NAN};
    const double *sets[] = {zeros, nans, neg};
    for (size_t i = 0; i < TU_ARRAY_LEN(sets); i++) {
        const struct gm_svg_series s[2] = {{"a", sets[i], GM_SVG_BARS, NULL},
                                           {"b", sets[i], GM_SVG_LINE, NULL}};
        struct gm_svg_chart c = {"empty", "Empty", days, 3, s, 2, "h"};
        char *out = render(&c);
        assert_int_equal(count(out, ">no data yet</text>"), 1);
        assert_int_equal(count(out, "gm-ytick"), 0);
        assert_int_equal(count(out, "<rect x="), 0);
        assert_int_equal(count(out, "<polyline"), 0);
        assert_int_equal(count(out, "<circle"), 0);
        assert_true(tu_contains(out, ">a</text>")); /* the legend stays */
        free(out);
    }
    struct gm_svg_chart c = {"zero", "Zero", NULL, 0, ONE(NULL, GM_SVG_LINE), 1, ""};
    char *out = render(&c);
    assert_true(tu_contains(out, ">no data yet</text>"));
    free(out);
}

static void root_element_and_css(void **state)
{
    const double v[2] = {1, 2};
    struct gm_svg_chart c = {"chart-members", "Members", days, 2, ONE(v, GM_SVG_BARS), 1, ""};
    char *out = render(&c);
    assert_true(tu_contains(out, " id=\"chart-members\""));
    assert_true(tu_contains(out, " viewBox=\"0 0 400 220\""));
    assert_true(tu_contains(out, " width=\"100%\""));
    assert_true(tu_contains(out, " role=\"img\""));
    assert_true(tu_contains(out, " aria-label=\"Members\""));
    assert_true(tu_contains(out, "><title>Members</title>"));
    assert_false(tu_contains(out, " height=\"220\" role")); /* height follows the width */
    assert_true(strcmp(out + strlen(out) - 6, "</svg>") == 0);
    free(out);
    /* the stylesheet colours the default classes, light and dark, and loads nothing */
    for (int i = 1; i <= 4; i++) {
        char cls[8];
        snprintf(cls, sizeof cls, ".s%d{", i);
        assert_int_equal(count(gm_svg_chart_css, cls), 2);
    }
    assert_true(tu_contains(gm_svg_chart_css, "@media (prefers-color-scheme:dark)"));
    assert_false(tu_contains(gm_svg_chart_css, "url("));
    assert_false(tu_contains(gm_svg_chart_css, "@import"));
    assert_false(tu_contains(gm_svg_chart_css, "@font-face"));
    assert_false(tu_contains(gm_svg_chart_css, "<"));
}

/* The checker itself must reject what it is meant to catch. */
static void xml_check_rejects(void **state)
{
    static const char *const bad[] = {
        "<svg><g></svg>",         "<svg x=1></svg>",     "<svg>a & b</svg>",
        "<svg>a < b</svg>",       "<svg x=\"<\"></svg>", "<svg onload=\"x\"></svg>",
        "<svg></svg><svg></svg>", "<svg><g></g>",        "<svg x=\"1\" x=\"2\"/>",
        "<svg>&nbsp;</svg>",      "text<svg/>",          "<svg><!-- c --></svg>",
    };
    for (size_t i = 0; i < TU_ARRAY_LEN(bad); i++)
        if (!xml_check(bad[i]))
            fail_msg("accepted: %s", bad[i]);
    assert_null(xml_check("<svg a=\"&amp;&#39;&#x2026;\"><g/><t>x &lt; y</t></svg>"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(xml_check_rejects),
        cmocka_unit_test(nice_ticks_table),
        cmocka_unit_test(bars_one_per_value),
        cmocka_unit_test(bar_heights),
        cmocka_unit_test(gaps_split_polylines),
        cmocka_unit_test(single_points_are_circles),
        cmocka_unit_test(text_is_escaped),
        cmocka_unit_test(long_text_is_cut),
        cmocka_unit_test(numbers_have_two_decimals),
        cmocka_unit_test(year_stays_small),
        cmocka_unit_test(bad_arguments),
        cmocka_unit_test(biggest_chart_and_cap),
        cmocka_unit_test(empty_charts_say_no_data),
        cmocka_unit_test(root_element_and_css),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
