/* SPDX-License-Identifier: Apache-2.0
 * svg_chart.c - server-rendered SVG bar and line charts for the admin dashboard. Coordinates
 * are in a fixed 400x220 viewBox, so the chart scales with the page; text widths are estimated
 * (no font metrics), which is why long names and labels are cut. Numbers are formatted here
 * with integer arithmetic, never printf's %f, so no locale can put a comma in a coordinate. */
#include "gemeinde/svg_chart.h"

#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define VIEW_W 400.0
#define VIEW_H 220.0
#define PAD 8.0
#define CHAR_W 7.2 /* estimated advance of one character at font-size 12 (0.6 em) */
#define ROW_H 16.0 /* one legend row */
#define VALUE_MAX 1e12
enum { MAX_XLABELS = 6, MAX_ID = 64, MAX_CLASS = 32 };
enum { NAME_CP = 32, LABEL_CP = 16, TIP_CP = 64, UNIT_CP = 8, TITLE_CP = 200 }; /* text cuts */

const char gm_svg_chart_css[] =
    ".gm-chart{display:block;width:100%;height:auto;max-width:36rem}.gm-bg{fill:#fff}"
    ".gm-grid{stroke:#e3e5e8}.gm-base{stroke:#8b9098}.gm-chart text{fill:#4a4f57}"
    ".gm-chart .gm-empty{fill:#6b7079;font-size:13px}"
    ".gm-bars rect,.gm-swatch,.gm-dot,.gm-pts circle{fill:currentColor}"
    ".gm-bars rect:hover{fill-opacity:.75}.gm-pts circle{fill-opacity:0}"
    ".gm-pts circle:hover{fill-opacity:1}.gm-line polyline,.gm-swline{fill:none;"
    "stroke:currentColor;stroke-width:2;stroke-linejoin:round;stroke-linecap:round}"
    ".gm-chart .s1{color:#0072b2}.gm-chart .s2{color:#d55e00}.gm-chart .s3{color:#009e73}"
    ".gm-chart .s4{color:#cc79a7}@media (prefers-color-scheme:dark){.gm-bg{fill:#1b1e24}"
    ".gm-grid{stroke:#343a44}.gm-base{stroke:#6f7682}.gm-chart text{fill:#c5cad3}"
    ".gm-chart .gm-empty{fill:#9aa1ac}.gm-chart .s1{color:#56b4e9}.gm-chart .s2{color:#f0a040}"
    ".gm-chart .s3{color:#3fd0a0}.gm-chart .s4{color:#e8a3cc}}";

/* The plot area and the y scale. */
struct frame {
    double left, right, top, bottom, step, ymax; /* ymax = step * intervals: the axis top */
    int intervals;
};

/* `v` with at most 2 decimals, trailing zeros dropped, no locale; clamped to +-10^15. */
static const char *fmt_num(char out[32], double v)
{
    v = !isfinite(v) ? 0 : v > 1e15 ? 1e15 : v < -1e15 ? -1e15 : v;
    long long h = (long long)(v * 100 + (v < 0 ? -0.5 : 0.5));
    unsigned long long a = h < 0 ? 0ULL - (unsigned long long)h : (unsigned long long)h;
    int len = snprintf(out, 32, "%s%llu.%02llu", h < 0 ? "-" : "", a / 100, a % 100);
    while (out[len - 1] == '0')
        out[--len] = '\0';
    if (out[len - 1] == '.')
        out[len - 1] = '\0';
    return out;
}

/* Append `fmt` with %f = a double through fmt_num, %s = a trusted string; other % stay. */
static void put(struct gm_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    const char *run = fmt;
    for (const char *p = fmt; *p; p++) {
        if (*p != '%' || (p[1] != 'f' && p[1] != 's'))
            continue;
        gm_buf_append(b, run, (size_t)(p - run));
        char t[32];
        gm_buf_puts(b, *++p == 'f' ? fmt_num(t, va_arg(ap, double)) : va_arg(ap, const char *));
        run = p + 1;
    }
    gm_buf_puts(b, run);
    va_end(ap);
}

/* Length of the UTF-8 character at `p` (1-4), or 0 if XML 1.0 cannot carry the bytes there
 * (invalid UTF-8, a control character, U+FFFE, U+FFFF). Never reads past a NUL. */
static size_t char_len(const unsigned char *p)
{
    unsigned c = p[0];
    if (c < 0x80)
        return c >= 0x20 || c == '\t' || c == '\n' || c == '\r' ? 1 : 0;
    if (c < 0xc2 || c > 0xf4)
        return 0;
    size_t n = c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
    unsigned lo = c == 0xe0 ? 0xa0 : c == 0xf0 ? 0x90 : 0x80; /* no overlong forms, */
    unsigned hi = c == 0xed ? 0x9f : c == 0xf4 ? 0x8f : 0xbf; /* surrogates, > U+10FFFF */
    if (p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if ((p[i] & 0xc0) != 0x80)
            return 0;
    if (c == 0xef && p[1] == 0xbf && p[2] >= 0xbe)
        return 0;
    return n;
}

/* Characters in `s` (NULL = ""), at most `max`: what put_text writes, for width estimates. */
static size_t char_count(const char *s, size_t max)
{
    size_t total = 0;
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p && total < max; total++) {
        size_t n = char_len(p);
        p += n ? n : 1;
    }
    return total;
}

/* Append `s` (NULL = "") as XML text or attribute value: & < > " ' escaped, what XML cannot
 * carry as U+FFFD, and more than `max` characters cut to max - 1 and an ellipsis. */
static void put_text(struct gm_buf *b, const char *s, size_t max)
{
    static const char special[] = "&<>\"'",
                      *entity[] = {"&amp;", "&lt;", "&gt;", "&quot;", "&#39;"};
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    size_t total = char_count(s, max + 1), keep = total > max ? max - 1 : total;
    for (size_t i = 0; i < keep; i++) {
        size_t n = char_len(p);
        const char *hit = n == 1 ? strchr(special, *p) : NULL;
        if (!n || hit)
            gm_buf_puts(b, n ? entity[hit - special] : "\xef\xbf\xbd");
        else
            gm_buf_append(b, (const char *)p, n);
        p += n ? n : 1;
    }
    if (keep < total)
        gm_buf_puts(b, "\xe2\x80\xa6");
}

/* An id or class: 1 to `max` of [a-z0-9-]. */
static bool token_ok(const char *s, size_t max)
{
    size_t n = s ? strlen(s) : 0;
    return n >= 1 && n <= max && strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-") == n;
}

static gm_err check_args(const struct gm_buf *b, const struct gm_svg_chart *c)
{
    if (!b || !c || !c->title || !c->series || !token_ok(c->id, MAX_ID) || c->n_series < 1 ||
        c->n_series > GM_SVG_MAX_SERIES || c->n > GM_SVG_MAX_POINTS)
        return GM_EINVAL;
    for (size_t i = 0; i < c->n_series; i++) {
        const struct gm_svg_series *s = &c->series[i];
        if ((c->n > 0 && !s->values) || (s->kind != GM_SVG_BARS && s->kind != GM_SVG_LINE))
            return GM_EINVAL;
    }
    return GM_OK;
}

static const char *series_class(const struct gm_svg_series *s, size_t i, char out[40])
{
    if (token_ok(s->css_class, MAX_CLASS))
        return s->css_class;
    snprintf(out, 40, "s%zu", i + 1);
    return out;
}

/* A value as drawn: clamped to [0, VALUE_MAX]; callers skip non-finite ones. */
static double drawn(double v)
{
    return v < 0 ? 0 : v > VALUE_MAX ? VALUE_MAX : v;
}

/* The smallest step 1, 2 or 5 x 10^k, at least `min_step`, that covers `max` (> 0) in at most 4
 * intervals; at least 2 intervals, so the axis has 3 to 5 ticks. */
static void nice_scale(struct frame *f, double max, double min_step)
{
    static const double mant[3] = {1, 2, 5};
    for (double decade = min_step;; decade *= 10)
        for (int i = 0; i < 3; i++) {
            double step = mant[i] * decade, q = max / step - 1e-9;
            long long k = (long long)q;
            k += k < q;
            if (k <= 4) {
                f->step = step;
                f->intervals = k < 2 ? 2 : (int)k;
                f->ymax = step * f->intervals;
                return;
            }
        }
}

/* Draws the legend from the top left, wrapping rows; returns the number of rows. */
static int put_legend(struct gm_buf *b, const struct gm_svg_chart *c)
{
    double x = PAD;
    int row = 0;
    char cls[40];
    put(b, "<g class=\"gm-legend\">");
    for (size_t i = 0; i < c->n_series; i++) {
        const struct gm_svg_series *s = &c->series[i];
        double w = 28 + (double)char_count(s->name, NAME_CP) * CHAR_W;
        if (x > PAD && x + w > VIEW_W - PAD)
            row++, x = PAD;
        double y = PAD + row * ROW_H;
        put(b, "<g class=\"%s\">", series_class(s, i, cls));
        if (s->kind == GM_SVG_BARS)
            put(b, "<rect class=\"gm-swatch\" x=\"%f\" y=\"%f\" width=\"10\" height=\"10\"/>", x,
                y + 1);
        else
            put(b, "<path class=\"gm-swline\" d=\"M%f %fh10\"/>", x, y + 6);
        put(b, "<text x=\"%f\" y=\"%f\">", x + 14, y + 10);
        put_text(b, s->name, NAME_CP);
        put(b, "</text></g>");
        x += w;
    }
    put(b, "</g>");
    return row + 1;
}

static double y_of(const struct frame *f, double v)
{
    return f->bottom - drawn(v) / f->ymax * (f->bottom - f->top);
}

/* The x of the middle of slot `i` of `n`. */
static double x_of(const struct frame *f, size_t i, size_t n)
{
    return f->left + ((double)i + 0.5) * (f->right - f->left) / (double)n;
}

/* Indices of the x labels to draw: first, last and evenly between, as many as fit. */
static size_t pick_xlabels(const struct gm_svg_chart *c, size_t idx[MAX_XLABELS])
{
    if (!c->labels || c->n == 0)
        return 0;
    size_t longest = 1;
    for (size_t i = 0; i < c->n; i++) {
        size_t w = char_count(c->labels[i], LABEL_CP);
        longest = w > longest ? w : longest;
    }
    double room = (double)longest * CHAR_W + 12; /* the end labels are kept inside the box */
    size_t fit = 1 + (size_t)((VIEW_W - 2 * PAD - room) / room), count = c->n;
    count = fit < count ? fit : count;
    count = count > MAX_XLABELS ? MAX_XLABELS : count < 1 ? 1 : count;
    for (size_t j = 0; j < count; j++)
        idx[j] = count == 1 ? 0 : (j * (c->n - 1) + (count - 1) / 2) / (count - 1);
    return count;
}

static void put_axes(struct gm_buf *b, const struct gm_svg_chart *c, const struct frame *f,
                     char tick[][48])
{
    size_t idx[MAX_XLABELS], nx = pick_xlabels(c, idx);
    put(b, "<g class=\"gm-axis\"><path class=\"gm-grid\" d=\"");
    for (int i = 1; i <= f->intervals; i++)
        put(b, "M%f %fH%f", f->left, y_of(f, i * f->step), f->right);
    put(b, "\"/><path class=\"gm-base\" d=\"M%f %fH%f", f->left, f->bottom, f->right);
    for (size_t j = 0; j < nx; j++)
        put(b, "M%f %fv3", x_of(f, idx[j], c->n), f->bottom);
    put(b, "\"/>");
    for (int i = 0; i <= f->intervals; i++) {
        put(b, "<text class=\"gm-ytick\" x=\"%f\" y=\"%f\" text-anchor=\"end\">%s", f->left - 5,
            y_of(f, i * f->step) + 4, tick[i]);
        put_text(b, c->unit, UNIT_CP);
        put(b, "</text>");
    }
    for (size_t j = 0; j < nx; j++) {
        const char *label = c->labels[idx[j]];
        double half = (double)char_count(label, LABEL_CP) * CHAR_W / 2;
        double x = x_of(f, idx[j], c->n);
        x = x + half > VIEW_W - PAD ? VIEW_W - PAD - half : x;
        x = x - half < PAD ? PAD + half : x;
        put(b, "<text class=\"gm-xlabel\" x=\"%f\" y=\"%f\" text-anchor=\"middle\">", x,
            VIEW_H - 9);
        put_text(b, label, LABEL_CP);
        put(b, "</text>");
    }
    put(b, "</g>");
}

/* <title>label: value</title> for point `i`. */
static void put_tip(struct gm_buf *b, const struct gm_svg_chart *c, size_t i, double v)
{
    char num[32];
    put(b, "<title>");
    if (c->labels && c->labels[i] && c->labels[i][0]) {
        put_text(b, c->labels[i], TIP_CP);
        put(b, ": ");
    }
    put(b, "%s", fmt_num(num, v));
    put_text(b, c->unit, UNIT_CP);
    put(b, "</title>");
}

/* Bar series `s` as the `j`-th of `nb` bars in each slot. */
static void put_bars(struct gm_buf *b, const struct gm_svg_chart *c, const struct frame *f,
                     const struct gm_svg_series *s, const char *cls, size_t j, size_t nb)
{
    double slot = (f->right - f->left) / (double)c->n, widest = 28.0 * (double)nb;
    double group = slot * 0.8 < widest ? slot * 0.8 : widest, w = group / (double)nb;
    put(b, "<g class=\"gm-bars %s\">", cls);
    for (size_t i = 0; i < c->n; i++) {
        double v = s->values[i];
        if (!isfinite(v))
            continue;
        double h = f->bottom - y_of(f, v);
        h = v > 0 && h < 1 ? 1 : h;
        double x = f->left + (double)i * slot + (slot - group) / 2 + (double)j * w;
        put(b, "<rect x=\"%f\" y=\"%f\" width=\"%f\" height=\"%f\">", x, f->bottom - h, w, h);
        put_tip(b, c, i, v);
        put(b, "</rect>");
    }
    put(b, "</g>");
}

/* Point `k` of line series `s` as a circle with its tooltip; `attr` goes in the tag. */
static void put_point(struct gm_buf *b, const struct gm_svg_chart *c, const struct frame *f,
                      const struct gm_svg_series *s, size_t k, const char *attr)
{
    put(b, "<circle%s cx=\"%f\" cy=\"%f\" r=\"3\">", attr, x_of(f, k, c->n), y_of(f, s->values[k]));
    put_tip(b, c, k, s->values[k]);
    put(b, "</circle>");
}

/* Line series `s`: one polyline per run of values with (transparent until hovered) circles on
 * its points, and a visible dot for a point with no neighbours. */
static void put_line(struct gm_buf *b, const struct gm_svg_chart *c, const struct frame *f,
                     const struct gm_svg_series *s, const char *cls)
{
    put(b, "<g class=\"gm-line %s\">", cls);
    size_t i = 0;
    while (i < c->n) {
        size_t end = i;
        while (end < c->n && isfinite(s->values[end]))
            end++;
        if (end - i == 1)
            put_point(b, c, f, s, i, " class=\"gm-dot\"");
        if (end - i >= 2) {
            put(b, "<polyline fill=\"none\" points=\"");
            for (size_t k = i; k < end; k++)
                put(b, k == i ? "%f %f" : " %f %f", x_of(f, k, c->n), y_of(f, s->values[k]));
            put(b, "\"/><g class=\"gm-pts\">");
            for (size_t k = i; k < end; k++)
                put_point(b, c, f, s, k, "");
            put(b, "</g>");
        }
        i = end > i ? end : i + 1;
    }
    put(b, "</g>");
}

gm_err gm_svg_chart(struct gm_buf *b, const struct gm_svg_chart *c)
{
    gm_err err = check_args(b, c);
    if (err)
        return err;
    double max = 0;
    bool whole = true;
    size_t nb = 0, j = 0; /* bar series, the one being drawn */
    for (size_t i = 0; i < c->n_series; i++) {
        nb += c->series[i].kind == GM_SVG_BARS;
        for (size_t k = 0; k < c->n; k++) {
            double v = c->series[i].values[k];
            if (!isfinite(v))
                continue;
            v = drawn(v);
            max = v > max ? v : max;
            whole = whole && v == (double)(long long)v;
        }
    }
    put(b,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"%s\" class=\"gm-chart\" "
        "viewBox=\"0 0 400 220\" width=\"100%\" role=\"img\" aria-label=\"",
        c->id);
    put_text(b, c->title, TITLE_CP);
    put(b, "\" font-family=\"system-ui,sans-serif\" font-size=\"12\"><title>");
    put_text(b, c->title, TITLE_CP);
    put(b, "</title><rect class=\"gm-bg\" width=\"400\" height=\"220\" rx=\"6\"/>");
    struct frame f = {.right = VIEW_W - PAD - 2, .bottom = VIEW_H - 24};
    f.top = PAD + put_legend(b, c) * ROW_H + 8;
    if (max <= 0) {
        put(b,
            "<text class=\"gm-empty\" x=\"200\" y=\"%f\" text-anchor=\"middle\">"
            "no data yet</text></svg>",
            (f.top + f.bottom) / 2 + 4);
        return b->err;
    }
    nice_scale(&f, max, whole ? 1 : 0.01);
    char tick[5][48], num[32];
    double div = f.ymax >= 1e7 ? 1e6 : f.ymax >= 1e4 ? 1e3 : 1;
    const char *suffix = div == 1e6 ? "M" : div == 1e3 ? "k" : "";
    size_t widest = 0, unit_w = char_count(c->unit, UNIT_CP);
    for (int i = 0; i <= f.intervals; i++) {
        snprintf(tick[i], sizeof tick[i], "%s%s", fmt_num(num, i * f.step / div), i ? suffix : "");
        size_t w = strlen(tick[i]) + unit_w;
        widest = w > widest ? w : widest;
    }
    f.left = PAD + (double)widest * CHAR_W + 6;
    put_axes(b, c, &f, tick);
    char cls[40];
    for (size_t i = 0; i < c->n_series; i++)
        if (c->series[i].kind == GM_SVG_BARS)
            put_bars(b, c, &f, &c->series[i], series_class(&c->series[i], i, cls), j++, nb);
    for (size_t i = 0; i < c->n_series; i++)
        if (c->series[i].kind == GM_SVG_LINE)
            put_line(b, c, &f, &c->series[i], series_class(&c->series[i], i, cls));
    put(b, "</svg>");
    return b->err;
}
