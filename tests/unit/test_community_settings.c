/* SPDX-License-Identifier: Apache-2.0
 * test_community_settings.c - community settings by name (community.h): defaults, the text
 * form (`community set`) and the JSON form (admin API) with their ranges and error messages,
 * filters (keywords, /regex/ checked at set time, duplicates, caps, replace-all from JSON that
 * changes nothing on error), the welcome template, and the round trip through JSON and the
 * stored record. Table-driven. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "gemeinde/community.h"
#include "test_util.h"

static struct gm_community *fresh(void)
{
    struct gm_community *c = NULL;
    assert_int_equal(gm_community_new("demo", &c), GM_OK);
    return c;
}

/* The setting `name` as JSON text, e.g. "\"approval\"", "true", "5". New string. */
static char *shown(const struct gm_community *c, const char *name)
{
    json_t *all = gm_community_settings(c);
    assert_non_null(all);
    json_t *v = json_object_get(all, name);
    assert_non_null(v);
    char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
    json_decref(all);
    return s;
}

static void defaults(void **state)
{
    (void)state;
    struct gm_community *c = fresh();
    json_t *all = gm_community_settings(c);
    json_t *want = json_pack("{s:s, s:s, s:b, s:i, s:i, s:i, s:i, s:s, s:[], s:s, s:b, s:b, s:b, "
                             "s:i, s:b}",
                             "join", "open", "posting", "members", "premoderation", 0,
                             "probation_posts", 0, "probation_days", 0, "max_mentions", 0,
                             "rate_limit", 0, "spam_action", "hold", "filters", "welcome", "",
                             "ban_notice", 1, "followers_visible", 0, "microblog_replies", 1,
                             "unanswered_minutes", 60, "weekly_digest", 0);
    if (!json_equal(all, want))
        fail_msg("defaults: %s", json_dumps(all, JSON_COMPACT));
    json_decref(want);
    json_decref(all);
    assert_null(gm_community_welcome_text(c)); /* no welcome DM by default */
    gm_community_free(c);
}

/* Text values: accepted ones and what they show as; refused ones and the error's start. */
static const struct text_case {
    const char *name, *value;
    gm_err want;
    const char *shows; /* JSON of the setting afterwards (ok), or the error's first words */
} text_cases[] = {
    {"join", "approval", GM_OK, "\"approval\""},
    {"join", "open", GM_OK, "\"open\""},
    {"join", "closed", GM_EINVAL, "join: one of open approval"},
    {"join", "Approval", GM_EINVAL, "join: one of"},
    {"posting", "anyone", GM_OK, "\"anyone\""},
    {"posting", "moderators", GM_OK, "\"moderators\""},
    {"posting", "admins", GM_EINVAL, "posting: one of members anyone moderators"},
    {"premoderation", "yes", GM_OK, "true"},
    {"premoderation", "on", GM_OK, "true"},
    {"premoderation", "true", GM_OK, "true"},
    {"premoderation", "off", GM_OK, "false"},
    {"premoderation", "no", GM_OK, "false"},
    {"premoderation", "maybe", GM_EINVAL, "premoderation: yes or no"},
    {"premoderation", "", GM_EINVAL, "premoderation: yes or no"},
    {"probation_posts", "3", GM_OK, "3"},
    {"probation_posts", "0", GM_OK, "0"},
    {"probation_posts", "1000", GM_OK, "1000"},
    {"probation_posts", "1001", GM_EINVAL, "probation_posts: a whole number 0-1000"},
    {"probation_posts", "-1", GM_EINVAL, "probation_posts: a whole number"},
    {"probation_posts", "", GM_EINVAL, "probation_posts: a whole number"},
    {"probation_posts", "3x", GM_EINVAL, "probation_posts: a whole number"},
    {"probation_posts", "99999999999999999999999", GM_EINVAL, "probation_posts: a whole"},
    {"probation_days", "3650", GM_OK, "3650"},
    {"probation_days", "3651", GM_EINVAL, "probation_days: a whole number 0-3650"},
    {"max_mentions", "5", GM_OK, "5"},
    {"max_mentions", "1001", GM_EINVAL, "max_mentions: a whole number 0-1000"},
    {"rate_limit", "10000", GM_OK, "10000"},
    {"rate_limit", "10001", GM_EINVAL, "rate_limit: a whole number 0-10000"},
    {"spam_action", "drop", GM_OK, "\"drop\""},
    {"spam_action", "hold", GM_OK, "\"hold\""},
    {"spam_action", "delete", GM_EINVAL, "spam_action: one of drop hold"},
    {"ban_notice", "no", GM_OK, "false"},
    {"followers_visible", "yes", GM_OK, "true"},
    {"microblog_replies", "no", GM_OK, "false"},
    {"welcome", "Hello {title}!", GM_OK, "\"Hello {title}!\""},
    {"welcome", "", GM_OK, "\"\""},
    {"filters", "casino", GM_OK, "[\"casino\"]"},
    {"filters", "/buy (now|today)/", GM_OK, "[\"/buy (now|today)/\"]"},
    {"filters", "/", GM_OK, "[\"/\"]"}, /* a lone slash is a keyword */
    {"filters", "/[unclosed/", GM_EINVAL, "filters: '/[unclosed/' is not a valid regular"},
    {"filters", "/(a/", GM_EINVAL, "filters: '/(a/' is not a valid regular"},
    {"filters", "/a{2,1}/", GM_EINVAL, "filters: '/a{2,1}/' is not a valid regular"},
    {"filters", "two\nlines", GM_EINVAL, "filters: each filter is 1-200 bytes"},
    {"filters", "", GM_OK, "[]"}, /* clears */
    {"nonsense", "1", GM_EINVAL, "no setting named 'nonsense'"},
    {"title", "x", GM_EINVAL, "no setting named 'title'"},
};

static void text_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < TU_ARRAY_LEN(text_cases); i++) {
        const struct text_case *t = &text_cases[i];
        struct gm_community *c = fresh();
        json_t *before = gm_community_settings(c);
        char err[256] = "";
        gm_err e = gm_community_setting_set(c, t->name, t->value, err, sizeof err);
        if (e != t->want)
            fail_msg("case %zu %s=%s: %s (%s)", i, t->name, t->value, gm_strerror(e), err);
        if (e == GM_OK) {
            char *s = shown(c, t->name);
            if (strcmp(s, t->shows) != 0)
                fail_msg("case %zu %s=%s shows %s, want %s", i, t->name, t->value, s, t->shows);
            free(s);
        } else {
            if (strncmp(err, t->shows, strlen(t->shows)) != 0)
                fail_msg("case %zu %s=%s: error '%s', want it to start '%s'", i, t->name, t->value,
                         err, t->shows);
            json_t *after = gm_community_settings(c); /* a refused value changes nothing */
            assert_true(json_equal(before, after));
            json_decref(after);
        }
        json_decref(before);
        gm_community_free(c);
    }
}

/* JSON values: native types, text for every kind, wrong types refused. */
static const struct json_case {
    const char *name, *json;
    gm_err want;
    const char *shows;
} json_cases[] = {
    {"premoderation", "true", GM_OK, "true"},
    {"premoderation", "\"yes\"", GM_OK, "true"},
    {"premoderation", "1", GM_EINVAL, NULL},
    {"premoderation", "null", GM_EINVAL, NULL},
    {"probation_posts", "7", GM_OK, "7"},
    {"probation_posts", "\"7\"", GM_OK, "7"},
    {"probation_posts", "-5", GM_EINVAL, NULL},
    {"probation_posts", "1099511627776", GM_EINVAL, NULL},
    {"probation_posts", "2.5", GM_EINVAL, NULL},
    {"probation_posts", "true", GM_EINVAL, NULL},
    {"rate_limit", "4294967297", GM_EINVAL, NULL}, /* 2^32 + 1 must not wrap to 1 */
    {"join", "\"approval\"", GM_OK, "\"approval\""},
    {"join", "1", GM_EINVAL, NULL},
    {"spam_action", "false", GM_EINVAL, NULL},
    {"welcome", "\"Hi\"", GM_OK, "\"Hi\""},
    {"welcome", "42", GM_EINVAL, NULL},
    {"filters", "[\"a\", \"/b+/\", \"a\"]", GM_OK, "[\"a\",\"/b+/\"]"},
    {"filters", "[]", GM_OK, "[]"},
    {"filters", "\"spam\"", GM_EINVAL, NULL},
    {"filters", "[\"ok\", 5]", GM_EINVAL, NULL},
    {"filters", "[\"ok\", \"/(bad/\"]", GM_EINVAL, NULL},
    {"filters", "[\"\"]", GM_EINVAL, NULL},
    {"unknown", "true", GM_EINVAL, NULL},
};

static void json_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < TU_ARRAY_LEN(json_cases); i++) {
        const struct json_case *t = &json_cases[i];
        struct gm_community *c = fresh();
        char err[256] = "";
        /* a filter list beforehand shows that a refused list replaces nothing */
        assert_int_equal(gm_community_setting_set(c, "filters", "old", err, sizeof err), GM_OK);
        json_t *v = json_loads(t->json, JSON_DECODE_ANY, NULL), *before = gm_community_settings(c);
        assert_non_null(v);
        gm_err e = gm_community_setting_json(c, t->name, v, err, sizeof err);
        if (e != t->want)
            fail_msg("case %zu %s=%s: %s (%s)", i, t->name, t->json, gm_strerror(e), err);
        if (e == GM_OK) {
            char *s = shown(c, t->name);
            if (strcmp(s, t->shows) != 0)
                fail_msg("case %zu %s=%s shows %s, want %s", i, t->name, t->json, s, t->shows);
            free(s);
        } else {
            assert_true(err[0] != '\0');
            json_t *after = gm_community_settings(c);
            if (!json_equal(before, after))
                fail_msg("case %zu %s=%s refused but changed the settings", i, t->name, t->json);
            json_decref(after);
        }
        json_decref(before);
        json_decref(v);
        gm_community_free(c);
    }
}

static void filter_limits(void **state)
{
    (void)state;
    struct gm_community *c = fresh();
    char err[256], f[GM_FILTER_MAX + 2];
    memset(f, 'x', GM_FILTER_MAX);
    f[GM_FILTER_MAX] = '\0';
    assert_int_equal(gm_community_setting_set(c, "filters", f, err, sizeof err), GM_OK);
    f[GM_FILTER_MAX] = 'x', f[GM_FILTER_MAX + 1] = '\0';
    assert_int_equal(gm_community_setting_set(c, "filters", f, err, sizeof err), GM_EINVAL);
    /* adding one again does nothing */
    assert_int_equal(gm_community_setting_set(c, "filters", "casino", err, sizeof err), GM_OK);
    assert_int_equal(gm_community_setting_set(c, "filters", "casino", err, sizeof err), GM_OK);
    assert_int_equal(c->n_filters, 2);
    for (int i = (int)c->n_filters; i < GM_FILTERS_MAX; i++) {
        snprintf(f, sizeof f, "word%d", i);
        assert_int_equal(gm_community_setting_set(c, "filters", f, err, sizeof err), GM_OK);
    }
    assert_int_equal(c->n_filters, GM_FILTERS_MAX);
    assert_int_equal(gm_community_setting_set(c, "filters", "one-too-many", err, sizeof err),
                     GM_EINVAL);
    assert_true(tu_contains(err, "at most 100"));
    assert_int_equal(c->n_filters, GM_FILTERS_MAX);
    /* "" clears them all */
    assert_int_equal(gm_community_setting_set(c, "filters", "", err, sizeof err), GM_OK);
    assert_int_equal(c->n_filters, 0);
    assert_null(c->filters);
    /* a long welcome: the cap, and one byte over */
    char *w = malloc(GM_WELCOME_MAX + 2);
    assert_non_null(w);
    memset(w, 'w', GM_WELCOME_MAX + 1);
    w[GM_WELCOME_MAX + 1] = '\0';
    assert_int_equal(gm_community_setting_set(c, "welcome", w, err, sizeof err), GM_EINVAL);
    w[GM_WELCOME_MAX] = '\0';
    assert_int_equal(gm_community_setting_set(c, "welcome", w, err, sizeof err), GM_OK);
    free(w);
    /* a tiny error buffer is never overrun (ASan watches) */
    char tiny[8];
    assert_int_equal(gm_community_setting_set(c, "join", "x", tiny, sizeof tiny), GM_EINVAL);
    assert_int_equal(strlen(tiny), sizeof tiny - 1);
    gm_community_free(c);
}

static void welcome_template(void **state)
{
    (void)state;
    static const struct {
        const char *tmpl, *want;
    } cases[] = {
        {"Welcome to {title} ({community})!", "Welcome to Gardening (demo)!"},
        {"Rules:\n{rules}", "Rules:\n1. Be kind\n2. No ads"},
        {"{title}{title}", "GardeningGardening"},
        {"{unknown} {rules", "{unknown} {rules"},
        {"{", "{"},
        {"plain", "plain"},
    };
    struct gm_community *c = fresh();
    char err[64];
    assert_int_equal(gm_community_set_title(c, "Gardening"), GM_OK);
    assert_int_equal(gm_community_add_rule(c, "Be kind"), GM_OK);
    assert_int_equal(gm_community_add_rule(c, "No ads"), GM_OK);
    for (size_t i = 0; i < TU_ARRAY_LEN(cases); i++) {
        assert_int_equal(gm_community_setting_set(c, "welcome", cases[i].tmpl, err, sizeof err),
                         GM_OK);
        char *text = gm_community_welcome_text(c);
        assert_non_null(text);
        assert_string_equal(text, cases[i].want);
        free(text);
    }
    gm_community_clear_rules(c);
    assert_int_equal(gm_community_setting_set(c, "welcome", "[{rules}]", err, sizeof err), GM_OK);
    char *text = gm_community_welcome_text(c);
    assert_string_equal(text, "[]");
    free(text);
    gm_community_free(c);
}

/* Every setting changed from its default survives JSON and the stored record. */
static void round_trips(void **state)
{
    (void)state;
    static const char *const set[][2] = {
        {"join", "approval"},
        {"posting", "moderators"},
        {"premoderation", "yes"},
        {"probation_posts", "4"},
        {"probation_days", "30"},
        {"max_mentions", "9"},
        {"rate_limit", "12"},
        {"spam_action", "drop"},
        {"filters", "casino"},
        {"filters", "/cheap (pills|meds)/"},
        {"welcome", "Hi {title}\n\n\"quoted\""},
        {"ban_notice", "no"},
        {"followers_visible", "yes"},
        {"microblog_replies", "no"},
    };
    struct gm_community *c = fresh();
    char err[256] = "";
    for (size_t i = 0; i < TU_ARRAY_LEN(set); i++)
        if (gm_community_setting_set(c, set[i][0], set[i][1], err, sizeof err) != GM_OK)
            fail_msg("%s=%s: %s", set[i][0], set[i][1], err);
    json_t *all = gm_community_settings(c);
    /* JSON -> a fresh community: equal; unknown keys ignored */
    struct gm_community *d = fresh();
    json_t *with_extra = json_deep_copy(all);
    json_object_set_new(with_extra, "from_the_future", json_string("ignored"));
    assert_int_equal(gm_community_settings_load(d, with_extra, err, sizeof err), GM_OK);
    json_t *again = gm_community_settings(d);
    assert_true(json_equal(all, again));
    json_decref(again);
    json_decref(with_extra);
    /* an empty object changes nothing; a bad value is refused */
    json_t *empty = json_object();
    assert_int_equal(gm_community_settings_load(d, empty, err, sizeof err), GM_OK);
    json_decref(empty);
    json_t *bad = json_pack("{s:s}", "join", "sometimes");
    assert_int_equal(gm_community_settings_load(d, bad, err, sizeof err), GM_EINVAL);
    assert_true(tu_contains(err, "join"));
    json_decref(bad);
    gm_community_free(d);

    /* the stored record */
    struct tu_store *f = tu_store_open(1);
    c->public_key_pem = strdup("PUB");
    assert_int_equal(gm_community_create(f->txn, c, "PRIV"), GM_OK);
    struct gm_community *got = NULL;
    assert_int_equal(gm_community_get(f->txn, "demo", &got), GM_OK);
    again = gm_community_settings(got);
    if (!json_equal(all, again))
        fail_msg("stored %s, read back %s", json_dumps(all, JSON_COMPACT),
                 json_dumps(again, JSON_COMPACT));
    json_decref(again);
    /* update: back to a default, stored too */
    assert_int_equal(gm_community_setting_set(got, "filters", "", err, sizeof err), GM_OK);
    assert_int_equal(gm_community_setting_set(got, "join", "open", err, sizeof err), GM_OK);
    assert_int_equal(gm_community_update(f->txn, got), GM_OK);
    gm_community_free(got);
    assert_int_equal(gm_community_get(f->txn, "demo", &got), GM_OK);
    assert_int_equal(got->join, GM_JOIN_OPEN);
    assert_int_equal(got->n_filters, 0);
    assert_int_equal(got->posting, GM_POST_MODERATORS);
    assert_false(got->spam_hold);
    gm_community_free(got);
    tu_store_close(f);
    json_decref(all);
    gm_community_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(defaults),         cmocka_unit_test(text_table),
        cmocka_unit_test(json_table),       cmocka_unit_test(filter_limits),
        cmocka_unit_test(welcome_template), cmocka_unit_test(round_trips),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
