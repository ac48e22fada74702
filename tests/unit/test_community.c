/* SPDX-License-Identifier: Apache-2.0
 * test_community.c - the community record in memory: name rules, validation of title, summary
 * and rules (lengths, control characters, UTF-8), creation and setters. Storage is in
 * test_store.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "gemeinde/community.h"
#include "test_util.h"

static char *repeat(char ch, size_t n)
{
    char *s = malloc(n + 1);
    assert_non_null(s);
    memset(s, ch, n);
    s[n] = '\0';
    return s;
}

static void name_valid_table(void **state)
{
    static const struct {
        const char *name;
        bool ok;
    } cases[] = {
        {"a", true},        {"a_b", true},   {"0", true},    {"demo42", true}, {"_", true},
        {"__init__", true}, {"", false},     {"A", false},   {"Demo", false},  {"a-b", false},
        {"a.b", false},     {"ä", false},    {"a b", false}, {" a", false},    {"a\n", false},
        {"a/b", false},     {"../x", false}, {"a@b", false}, {"a%20", false},  {"\xc3", false},
    };
    for (size_t i = 0; i < TU_ARRAY_LEN(cases); i++)
        if (gm_community_name_valid(cases[i].name) != cases[i].ok)
            fail_msg("name '%s': expected %s", cases[i].name, cases[i].ok ? "valid" : "invalid");

    char *n64 = repeat('a', GM_NAME_MAX), *n65 = repeat('a', GM_NAME_MAX + 1);
    bool ok64 = gm_community_name_valid(n64), ok65 = gm_community_name_valid(n65);
    free(n64);
    free(n65);
    assert_true(ok64);
    assert_false(ok65);
}

static void new_record(void **state)
{
    struct gm_community *c = NULL;
    assert_int_equal(gm_community_new("demo", &c), GM_OK);
    assert_non_null(c);
    assert_string_equal(c->name, "demo");
    assert_string_equal(c->title, "demo");
    assert_string_equal(c->summary, "");
    assert_int_equal(c->n_rules, 0);
    assert_null(c->rules);
    assert_null(c->public_key_pem);
    assert_int_equal(c->created, 0);
    char err[128] = "";
    assert_int_equal(gm_community_validate(c, err, sizeof err), GM_OK);
    gm_community_free(c);
    gm_community_free(NULL);
}

static void new_invalid_name(void **state)
{
    static const char *const bad[] = {
        "",  "Demo", "a-b",
        "ä", "a b",  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"};
    for (size_t i = 0; i < TU_ARRAY_LEN(bad); i++) {
        struct gm_community *c = (struct gm_community *)(uintptr_t)0x1; /* sentinel */
        assert_int_equal(gm_community_new(bad[i], &c), GM_EINVAL);
        assert_ptr_equal(c, (struct gm_community *)(uintptr_t)0x1);
    }
}

/* Texts used to build validation cases (NULL = leave as is). */
#define NO_RULES                                                                                   \
    {                                                                                              \
        NULL                                                                                       \
    }
struct vcase {
    const char *title, *summary;
    const char *rules[4];
    gm_err err;
    const char *field; /* start of the message on failure */
};

static const struct vcase vcases[] = {
    {"Demo", "", NO_RULES, GM_OK, NULL},
    {"Grüße 🎉 日本", "Ein Ort für alle.\nZweite Zeile.\n", {"Sei nett", "Kein Spam"}, GM_OK, NULL},
    {"", NULL, NO_RULES, GM_EINVAL, "title"},
    {"a\tb", NULL, NO_RULES, GM_EINVAL, "title"},
    {"a\nb", NULL, NO_RULES, GM_EINVAL, "title"},
    {"a\rb", NULL, NO_RULES, GM_EINVAL, "title"},
    {"esc\x1b[31m", NULL, NO_RULES, GM_EINVAL, "title"},
    {"del\x7f", NULL, NO_RULES, GM_EINVAL, "title"},
    {NULL, "tab\there", NO_RULES, GM_EINVAL, "summary"},
    {NULL, "cr\r\nlf", NO_RULES, GM_EINVAL, "summary"},
    {NULL, "bell\a", NO_RULES, GM_EINVAL, "summary"},
    {NULL, "\n\n\n", NO_RULES, GM_OK, NULL},
    {NULL, NULL, {"ok", ""}, GM_EINVAL, "rule 2"},
    {NULL, NULL, {""}, GM_EINVAL, "rule 1"},
    {NULL, NULL, {"one\nline"}, GM_EINVAL, "rule 1"},
    {NULL, NULL, {"a", "b", "tab\t"}, GM_EINVAL, "rule 3"},
    {NULL, NULL, {"a", "b", "c", "<b>markup is text</b>"}, GM_OK, NULL},
};

static void apply(struct gm_community *c, const struct vcase *v)
{
    if (v->title)
        assert_int_equal(gm_community_set_title(c, v->title), GM_OK);
    if (v->summary)
        assert_int_equal(gm_community_set_summary(c, v->summary), GM_OK);
    for (size_t j = 0; j < 4 && v->rules[j]; j++)
        assert_int_equal(gm_community_add_rule(c, v->rules[j]), GM_OK);
}

static void check(const struct vcase *v, const char *label)
{
    struct gm_community *c;
    char err[256] = "";
    assert_int_equal(gm_community_new("demo", &c), GM_OK);
    apply(c, v);
    gm_err e = gm_community_validate(c, err, sizeof err);
    gm_community_free(c);
    if (e != v->err)
        fail_msg("%s: validate returned %d (%s), expected %d", label, e, err, v->err);
    if (e != GM_OK && strncmp(err, v->field, strlen(v->field)) != 0)
        fail_msg("%s: message '%s' does not start with '%s'", label, err, v->field);
}

static void validate_table(void **state)
{
    for (size_t i = 0; i < TU_ARRAY_LEN(vcases); i++) {
        char label[32];
        snprintf(label, sizeof label, "case %zu", i);
        check(&vcases[i], label);
    }
}

/* Byte sequences that are not UTF-8, refused in title, summary and rules alike. */
static const char *const bad_utf8[] = {
    "\xc0\x80",         /* overlong NUL */
    "\xc1\xbf",         /* overlong U+007F */
    "\xe0\x80\x80",     /* overlong 3-byte */
    "\xe0\x9f\xbf",     /* overlong U+07FF */
    "\xf0\x80\x80\x80", /* overlong 4-byte */
    "\xf0\x8f\xbf\xbf", /* overlong U+FFFF */
    "\xed\xa0\x80",     /* surrogate U+D800 */
    "\xed\xbf\xbf",     /* surrogate U+DFFF */
    "\xf4\x90\x80\x80", /* U+110000 */
    "\xf5\x80\x80\x80", /* lead byte F5 */
    "\xf8\x88\x80\x80\x80",
    "\xfe",
    "\xff",
    "\x80", /* lone continuation */
    "a\xbf",
    "\xc3",         /* truncated 2-byte at the end */
    "\xe2\x82",     /* truncated 3-byte */
    "\xf0\x9f\x8e", /* truncated 4-byte */
    "\xc3(",        /* bad continuation */
    "\xe2(\xac",
    "\xe2\x82(",
    "x\xf0\x9f\x8e",
};

/* Valid boundaries of the encoding. */
static const char *const good_utf8[] = {
    "\xc2\xa0",         /* U+00A0 */
    "\xdf\xbf",         /* U+07FF */
    "\xe0\xa0\x80",     /* U+0800 */
    "\xed\x9f\xbf",     /* U+D7FF */
    "\xee\x80\x80",     /* U+E000 */
    "\xef\xbf\xbd",     /* U+FFFD */
    "\xf0\x90\x80\x80", /* U+10000 */
    "\xf4\x8f\xbf\xbf", /* U+10FFFF */
};

static void validate_utf8(void **state)
{
    for (size_t i = 0; i < TU_ARRAY_LEN(bad_utf8); i++) {
        char label[48];
        const struct vcase in_title = {bad_utf8[i], NULL, NO_RULES, GM_EINVAL, "title"};
        const struct vcase in_summary = {NULL, bad_utf8[i], NO_RULES, GM_EINVAL, "summary"};
        const struct vcase in_rule = {NULL, NULL, {bad_utf8[i]}, GM_EINVAL, "rule 1"};
        snprintf(label, sizeof label, "bad utf8 %zu in title", i);
        check(&in_title, label);
        snprintf(label, sizeof label, "bad utf8 %zu in summary", i);
        check(&in_summary, label);
        snprintf(label, sizeof label, "bad utf8 %zu in rule", i);
        check(&in_rule, label);
    }
    for (size_t i = 0; i < TU_ARRAY_LEN(good_utf8); i++) {
        char label[48];
        const struct vcase in_title = {good_utf8[i], good_utf8[i], {good_utf8[i]}, GM_OK, NULL};
        snprintf(label, sizeof label, "good utf8 %zu", i);
        check(&in_title, label);
    }
}

/* Lengths are in bytes: at the limit ok, one more refused. */
static void validate_lengths(void **state)
{
    static const struct {
        const char *field;
        size_t max;
    } limits[] = {{"title", GM_TITLE_MAX}, {"summary", GM_SUMMARY_MAX}, {"rule 1", GM_RULE_MAX}};
    for (size_t i = 0; i < TU_ARRAY_LEN(limits); i++) {
        for (size_t extra = 0; extra <= 1; extra++) {
            char *text = repeat('x', limits[i].max + extra);
            struct gm_community *c;
            char err[256] = "";
            assert_int_equal(gm_community_new("demo", &c), GM_OK);
            if (i == 0)
                gm_community_set_title(c, text);
            else if (i == 1)
                gm_community_set_summary(c, text);
            else
                gm_community_add_rule(c, text);
            gm_err e = gm_community_validate(c, err, sizeof err);
            gm_community_free(c);
            free(text);
            if (e != (extra ? GM_EINVAL : GM_OK))
                fail_msg("%s of %zu bytes: %d (%s)", limits[i].field, limits[i].max + extra, e,
                         err);
            if (extra)
                assert_int_equal(strncmp(err, limits[i].field, strlen(limits[i].field)), 0);
        }
    }
    /* A title of 100 two-byte characters is 200 bytes: ok; 101 are 202 bytes: refused. */
    char title[300] = "";
    for (int i = 0; i < 100; i++)
        strcat(title, "\xc3\xa4");
    struct vcase v = {title, NULL, NO_RULES, GM_OK, NULL};
    check(&v, "100 x U+00E4");
    strcat(title, "\xc3\xa4");
    v.err = GM_EINVAL;
    v.field = "title";
    check(&v, "101 x U+00E4");
}

static void validate_rule_count(void **state)
{
    struct gm_community *c;
    char err[256] = "";
    assert_int_equal(gm_community_new("demo", &c), GM_OK);
    for (int i = 0; i < GM_RULES_MAX; i++) {
        char rule[32];
        snprintf(rule, sizeof rule, "rule number %d", i + 1);
        assert_int_equal(gm_community_add_rule(c, rule), GM_OK);
    }
    assert_int_equal(gm_community_validate(c, err, sizeof err), GM_OK);
    assert_int_equal(gm_community_add_rule(c, "one too many"), GM_OK);
    assert_int_equal(gm_community_validate(c, err, sizeof err), GM_EINVAL);
    assert_int_equal(strncmp(err, "rules", 5), 0);
    gm_community_free(c);
}

static void validate_bad_name_in_record(void **state)
{
    struct gm_community *c;
    char err[256] = "";
    assert_int_equal(gm_community_new("demo", &c), GM_OK);
    strcpy(c->name, "De-Mo");
    assert_int_equal(gm_community_validate(c, err, sizeof err), GM_EINVAL);
    assert_int_equal(strncmp(err, "name", 4), 0);
    gm_community_free(c);
}

/* Regression, fixed (was src/community.c:54): text_valid() refuses only C0 controls and DEL, but the header
 * promises "no control characters"; the C1 controls U+0080..U+009F pass (U+0085 NEL is a line
 * break to some renderers, so a "one line" rule can hold two). Proposed: also refuse code points
 * 0x80..0x9F after decoding (cp >= 0x80 && cp <= 0x9f). */
static void validate_c1_controls_regression(void **state)
{
    static const char *const c1[] = {"a\xc2\x80"
                                     "b",
                                     "next\xc2\x85line",
                                     "csi\xc2\x9b"
                                     "31m"};
    char failures[256] = "";
    for (size_t i = 0; i < TU_ARRAY_LEN(c1); i++) {
        struct gm_community *c;
        char err[256] = "";
        assert_int_equal(gm_community_new("demo", &c), GM_OK);
        assert_int_equal(gm_community_set_title(c, c1[i]), GM_OK);
        if (gm_community_validate(c, err, sizeof err) == GM_OK) {
            size_t n = strlen(failures);
            snprintf(failures + n, sizeof failures - n, " %zu", i);
        }
        gm_community_free(c);
    }
    if (failures[0])
        fail_msg("regression: titles with C1 control characters accepted (cases%s)", failures);
}

static void setters_copy(void **state)
{
    struct gm_community *c;
    char buf[32];
    assert_int_equal(gm_community_new("demo", &c), GM_OK);

    strcpy(buf, "First title");
    assert_int_equal(gm_community_set_title(c, buf), GM_OK);
    strcpy(buf, "changed");
    assert_string_equal(c->title, "First title");
    assert_int_equal(gm_community_set_title(c, "Second"), GM_OK); /* replaces without leak */
    assert_string_equal(c->title, "Second");

    strcpy(buf, "About us\nline two");
    assert_int_equal(gm_community_set_summary(c, buf), GM_OK);
    buf[0] = 'X';
    assert_string_equal(c->summary, "About us\nline two");
    assert_int_equal(gm_community_set_summary(c, ""), GM_OK);
    assert_string_equal(c->summary, "");

    static const char *const rules[] = {"Be kind", "No spam", "Stay on topic"};
    for (size_t i = 0; i < TU_ARRAY_LEN(rules); i++) {
        strcpy(buf, rules[i]);
        assert_int_equal(gm_community_add_rule(c, buf), GM_OK);
        buf[0] = '?';
    }
    assert_int_equal(c->n_rules, 3);
    for (size_t i = 0; i < TU_ARRAY_LEN(rules); i++)
        assert_string_equal(c->rules[i], rules[i]);

    gm_community_clear_rules(c);
    assert_int_equal(c->n_rules, 0);
    assert_null(c->rules);
    gm_community_clear_rules(c); /* twice is fine */
    assert_int_equal(gm_community_add_rule(c, "After clear"), GM_OK);
    assert_int_equal(c->n_rules, 1);
    assert_string_equal(c->rules[0], "After clear");
    gm_community_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(name_valid_table),
        cmocka_unit_test(new_record),
        cmocka_unit_test(new_invalid_name),
        cmocka_unit_test(validate_table),
        cmocka_unit_test(validate_utf8),
        cmocka_unit_test(validate_lengths),
        cmocka_unit_test(validate_rule_count),
        cmocka_unit_test(validate_bad_name_in_record),
        cmocka_unit_test(validate_c1_controls_regression),
        cmocka_unit_test(setters_copy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
