/* SPDX-License-Identifier: Apache-2.0
 * test_buf.c - the capped buffer: appends, printf, HTML escaping, the cap and its sticky
 * failure, gm_buf_take's ownership, gm_html_escape. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "gemeinde/buf.h"
#include "test_util.h"

static const struct {
    const char *in, *out;
} html_cases[] = {
    {"", ""},
    {"plain text", "plain text"},
    {"&", "&amp;"},
    {"<", "&lt;"},
    {">", "&gt;"},
    {"\"", "&quot;"},
    {"'", "&#39;"},
    {"a&&b", "a&amp;&amp;b"},
    {"<script>alert('x')</script>", "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"},
    {"<a href=\"x\">'&'</a>", "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"},
    {"&amp;", "&amp;amp;"},
    {"Grüße € 🎉", "Grüße € 🎉"},
    {"line\nbreak\ttab", "line\nbreak\ttab"},
    {"trailing<", "trailing&lt;"},
    {">leading", "&gt;leading"},
};

static void html_escape_table(void **state)
{
    for (size_t i = 0; i < TU_ARRAY_LEN(html_cases); i++) {
        char *out = gm_html_escape(html_cases[i].in);
        assert_non_null(out);
        assert_string_equal(out, html_cases[i].out);
        free(out);
    }
}

static void put_html_table(void **state)
{
    for (size_t i = 0; i < TU_ARRAY_LEN(html_cases); i++) {
        struct gm_buf b;
        char *out;
        size_t len;
        gm_buf_init(&b, 1024);
        gm_buf_puts(&b, "[");
        gm_buf_put_html(&b, html_cases[i].in);
        gm_buf_puts(&b, "]");
        assert_int_equal(gm_buf_take(&b, &out, &len), GM_OK);
        char expected[256];
        snprintf(expected, sizeof expected, "[%s]", html_cases[i].out);
        assert_string_equal(out, expected);
        assert_int_equal(len, strlen(expected));
        free(out);
    }
}

static void append_printf_puts(void **state)
{
    struct gm_buf b;
    char *out = NULL;
    size_t len = 0;
    gm_buf_init(&b, 100);
    gm_buf_puts(&b, "abc");
    gm_buf_printf(&b, "%d-%s|%zu", 42, "x", (size_t)7);
    gm_buf_append(&b, "defgh", 3);
    gm_buf_append(&b, "", 0);
    assert_int_equal(b.err, GM_OK);
    assert_int_equal(gm_buf_take(&b, &out, &len), GM_OK);
    assert_string_equal(out, "abc42-x|7def");
    assert_int_equal(len, 12);
    free(out);
    /* The buffer was reset by take: nothing left to free, no data pointer kept. */
    assert_null(b.data);
    assert_int_equal(b.len, 0);
}

static void append_embedded_nul(void **state)
{
    struct gm_buf b;
    char *out;
    size_t len;
    gm_buf_init(&b, 16);
    gm_buf_append(&b, "a\0b", 3);
    assert_int_equal(gm_buf_take(&b, &out, &len), GM_OK);
    assert_int_equal(len, 3);
    assert_memory_equal(out, "a\0b", 4); /* NUL-terminated after the 3 bytes */
    free(out);
}

static void grows_past_initial_capacity(void **state)
{
    struct gm_buf b;
    char *out;
    size_t len;
    gm_buf_init(&b, 100000);
    for (int i = 0; i < 1000; i++)
        gm_buf_printf(&b, "%03d,", i % 1000);
    assert_int_equal(gm_buf_take(&b, &out, &len), GM_OK);
    assert_int_equal(len, 4000);
    assert_int_equal(strlen(out), 4000);
    assert_memory_equal(out, "000,001,002,", 12);
    assert_memory_equal(out + 3996, "999,", 4);
    free(out);
}

static void take_with_null_len(void **state)
{
    struct gm_buf b;
    char *out = NULL;
    gm_buf_init(&b, 10);
    gm_buf_puts(&b, "xy");
    assert_int_equal(gm_buf_take(&b, &out, NULL), GM_OK);
    assert_string_equal(out, "xy");
    free(out);

    size_t len = 99;
    gm_buf_init(&b, 10);
    gm_buf_puts(&b, ""); /* an empty append still yields a terminated "" */
    assert_int_equal(gm_buf_take(&b, &out, &len), GM_OK);
    assert_string_equal(out, "");
    assert_int_equal(len, 0);
    free(out);
}

/* Regression, fixed (was src/buf.c:97-98, gm_buf_take): on a buffer nothing was appended to, take allocates
 * with reserve(b, 0) but never writes the terminating NUL, so *out is 256 bytes of
 * uninitialised heap, not "" as the header promises. Reached by gm_actor_summary_html for a
 * community with an empty summary and no rules (every new community): its Group JSON then
 * fails or carries heap garbage. Only out[0] is read here, so the case fails without an ASan
 * abort (ASan fills new allocations with 0xbe). */
static void take_without_appends_regression(void **state)
{
    static const size_t maxes[] = {10, 0, 4096};
    for (size_t i = 0; i < TU_ARRAY_LEN(maxes); i++) {
        struct gm_buf b;
        char *out = NULL;
        size_t len = 99;
        gm_buf_init(&b, maxes[i]);
        assert_int_equal(gm_buf_take(&b, &out, &len), GM_OK);
        assert_non_null(out);
        assert_int_equal(len, 0);
        int terminated = out[0] == '\0';
        free(out);
        if (!terminated)
            fail_msg("regression: gm_buf_take without appends (max %zu) returned an unterminated "
                     "string",
                     maxes[i]);
    }
}

/* The cap: each case appends its pieces (as puts, or as put_html when html is set) into a
 * buffer of `max` bytes and expects `err` from gm_buf_take and, on GM_OK, `result`. */
static const struct {
    size_t max;
    int html;
    const char *pieces[4];
    gm_err err;
    const char *result;
} cap_cases[] = {
    {5, 0, {"12345"}, GM_OK, "12345"},         {5, 0, {"123456"}, GM_ETOOBIG, NULL},
    {5, 0, {"123", "45"}, GM_OK, "12345"},     {5, 0, {"123", "456"}, GM_ETOOBIG, NULL},
    {5, 0, {"123456", "1"}, GM_ETOOBIG, NULL}, /* sticky: a later small append does not clear */
    {0, 0, {"a"}, GM_ETOOBIG, NULL},           {8, 1, {"<<"}, GM_OK, "&lt;&lt;"},
    {7, 1, {"<<"}, GM_ETOOBIG, NULL}, /* escaping pushes it over the cap */
    {6, 1, {"\""}, GM_OK, "&quot;"},           {5, 1, {"\""}, GM_ETOOBIG, NULL},
    {300, 0, {"", "", ""}, GM_OK, ""},
};

static void cap_table(void **state)
{
    for (size_t i = 0; i < TU_ARRAY_LEN(cap_cases); i++) {
        struct gm_buf b;
        char *out = NULL;
        size_t len = 0;
        gm_buf_init(&b, cap_cases[i].max);
        for (size_t j = 0; j < 4 && cap_cases[i].pieces[j]; j++) {
            if (cap_cases[i].html)
                gm_buf_put_html(&b, cap_cases[i].pieces[j]);
            else
                gm_buf_puts(&b, cap_cases[i].pieces[j]);
            assert_true(b.len <= cap_cases[i].max);
        }
        gm_err e = gm_buf_take(&b, &out, &len);
        if (e != cap_cases[i].err)
            fail_msg("case %zu: take returned %d, expected %d", i, e, cap_cases[i].err);
        if (e == GM_OK) {
            assert_string_equal(out, cap_cases[i].result);
            assert_int_equal(len, strlen(cap_cases[i].result));
            free(out);
        } else {
            assert_null(out);    /* not written on failure */
            assert_null(b.data); /* freed by take */
        }
    }
}

static void failure_is_sticky(void **state)
{
    struct gm_buf b;
    char *out = NULL;
    gm_buf_init(&b, 4);
    gm_buf_puts(&b, "ab");
    gm_buf_printf(&b, "%s", "cdefgh");
    assert_int_equal(b.err, GM_ETOOBIG);
    assert_int_equal(b.len, 2);
    gm_buf_puts(&b, "c"); /* would fit, but the buffer has failed */
    gm_buf_put_html(&b, "d");
    assert_int_equal(b.len, 2);
    assert_int_equal(b.err, GM_ETOOBIG);
    assert_int_equal(gm_buf_take(&b, &out, NULL), GM_ETOOBIG);
    assert_null(out);
}

static void printf_exactly_at_cap(void **state)
{
    struct gm_buf b;
    char *out;
    gm_buf_init(&b, 10);
    gm_buf_printf(&b, "%010d", 7);
    assert_int_equal(gm_buf_take(&b, &out, NULL), GM_OK);
    assert_string_equal(out, "0000000007");
    free(out);

    gm_buf_init(&b, 10);
    gm_buf_printf(&b, "%011d", 7);
    assert_int_equal(b.err, GM_ETOOBIG);
    gm_buf_free(&b);
    assert_null(b.data);
}

static void free_without_take(void **state)
{
    struct gm_buf b;
    gm_buf_init(&b, 1 << 20);
    for (int i = 0; i < 100; i++)
        gm_buf_puts(&b, "0123456789");
    assert_int_equal(b.len, 1000);
    gm_buf_free(&b); /* LeakSanitizer checks this released the data */
    assert_null(b.data);
    assert_int_equal(b.len, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(html_escape_table),           cmocka_unit_test(put_html_table),
        cmocka_unit_test(append_printf_puts),          cmocka_unit_test(append_embedded_nul),
        cmocka_unit_test(grows_past_initial_capacity), cmocka_unit_test(take_with_null_len),
        cmocka_unit_test(take_without_appends_regression),    cmocka_unit_test(cap_table),
        cmocka_unit_test(failure_is_sticky),           cmocka_unit_test(printf_exactly_at_cap),
        cmocka_unit_test(free_without_take),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
