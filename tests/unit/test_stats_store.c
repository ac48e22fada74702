/* SPDX-License-Identifier: Apache-2.0
 * test_stats_store.c - the figures' store (stats_store.h): counters and gauges of a day (a
 * gauge never below 0, a new day record starting at the current levels), ranges of days
 * (gauges carried over days without a record and from before the range, counters 0 there,
 * bounds, other communities never mixed in), distinct sets, response-time samples per day,
 * object records, the unanswered list ([from, to) pages, oldest first, max and total),
 * contributors, members per server, node-wide delivery outcomes, dropping a community, the
 * schema upgrade that recounts the gauges from the members and request tables, the usage of a
 * kind of records (a measurement helper), and the percentile rule of stats_report.h against a sort-based reference. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "gemeinde/buf.h"
#include "gemeinde/ckv.h"
#include "gemeinde/members.h"
#include "gemeinde/stats_report.h"
#include "gemeinde/stats_store.h"
#include "test_util.h"

#define D0 19676u /* 2023-11-15 */
#define AT(d, s) ((int64_t)(D0 + (d)) * 86400 + (s))
#define NS GM_STAT_COUNT

static int setup(void **state)
{
    *state = tu_store_open(1);
    return 0;
}

static int teardown(void **state)
{
    tu_store_close(*state);
    return 0;
}

static void add(struct gm_txn *txn, const char *c, int64_t at, enum gm_stat s, int64_t d)
{
    gm_err e = gm_stats_add(txn, c, at, s, d);
    if (e != GM_OK)
        fail_msg("add %s %+lld at %lld: %s", gm_stat_name(s), (long long)d, (long long)at,
                 gm_strerror(e));
}

/* Counter `s` of day `day` (relative to D0) of `c`, read through a one-day range. */
static uint64_t day_value(struct gm_txn *txn, const char *c, int day, enum gm_stat s)
{
    uint64_t out[NS];
    assert_int_equal(gm_stats_range(txn, c, D0 + (uint32_t)day, D0 + (uint32_t)day, out), GM_OK);
    return out[s];
}

static void names_and_days(void **state)
{
    (void)state;
    for (int s = 0; s < NS; s++) /* the names: the CSV header in test_stats_report.c */
        assert_int_equal(gm_stat_is_gauge(s), s == GM_STAT_MEMBERS || s == GM_STAT_PENDING);
    assert_string_equal(gm_stat_name(GM_STAT_MEMBERS_GAINED), "members_gained");
    assert_string_equal(gm_stat_name(GM_STAT_PENDING), "pending");
    assert_string_equal(gm_stat_name(GM_STAT_COUNT), "?");
    /* clang-format off */
    static const struct { int64_t t; uint32_t day; } days[] = {
        {0, 0}, {86399, 0}, {86400, 1}, {-5, 0}, {1700006400, D0}, {1700006399, D0 - 1},
        {AT(2, 86399), D0 + 2},
    };
    /* clang-format on */
    for (size_t i = 0; i < TU_ARRAY_LEN(days); i++)
        if (gm_stats_day(days[i].t) != days[i].day)
            fail_msg("day of %lld: %u, want %u", (long long)days[i].t, gm_stats_day(days[i].t),
                     days[i].day);
}

/* A sequence of adds, then days D0-1 .. D0+5 as a table (members, pending, posts, likes). */
static void add_and_range(void **state)
{
    struct gm_txn *txn = ((struct tu_store *)*state)->txn;
    /* clang-format off */
    static const struct { int day; enum gm_stat s; int64_t delta; } ops[] = {
        {0, GM_STAT_POSTS, 1},    {0, GM_STAT_POSTS, 2},    {0, GM_STAT_MEMBERS, 3},
        {0, GM_STAT_MEMBERS, -1}, {0, GM_STAT_PENDING, 1},  {2, GM_STAT_LIKES, 1},
        {2, GM_STAT_MEMBERS, -5}, {2, GM_STAT_REPLIES, -4}, /* neither below 0 */
        {4, GM_STAT_MEMBERS, 2},  {4, GM_STAT_POSTS, 1},    {4, GM_STAT_POSTS, -1},
    };
    /* clang-format on */
    for (size_t i = 0; i < TU_ARRAY_LEN(ops); i++)
        add(txn, "demo", AT(ops[i].day, 3600 * (int64_t)i), ops[i].s, ops[i].delta);
    /* clang-format off */
    static const struct { uint64_t members, pending, posts, likes, replies; } want[] = {
        {0, 0, 0, 0, 0}, /* D0-1: before anything */
        {2, 1, 3, 0, 0}, /* D0 */
        {2, 1, 0, 0, 0}, /* D0+1: no record, gauges carried */
        {0, 1, 0, 1, 0}, /* D0+2: a new record starts at the levels */
        {0, 1, 0, 0, 0}, {2, 1, 0, 0, 0}, {2, 1, 0, 0, 0},
    };
    /* clang-format on */
    uint64_t out[7 * NS];
    memset(out, 0xab, sizeof out);
    assert_int_equal(gm_stats_range(txn, "demo", D0 - 1, D0 + 5, out), GM_OK);
    for (size_t d = 0; d < TU_ARRAY_LEN(want); d++) {
        const uint64_t *o = out + d * NS;
        if (o[GM_STAT_MEMBERS] != want[d].members || o[GM_STAT_PENDING] != want[d].pending ||
            o[GM_STAT_POSTS] != want[d].posts || o[GM_STAT_LIKES] != want[d].likes ||
            o[GM_STAT_REPLIES] != want[d].replies)
            fail_msg("day D0%+d: members %llu pending %llu posts %llu likes %llu replies %llu",
                     (int)d - 1, (unsigned long long)o[GM_STAT_MEMBERS],
                     (unsigned long long)o[GM_STAT_PENDING], (unsigned long long)o[GM_STAT_POSTS],
                     (unsigned long long)o[GM_STAT_LIKES], (unsigned long long)o[GM_STAT_REPLIES]);
        for (int s = 0; s < NS; s++)
            if (s != GM_STAT_MEMBERS && s != GM_STAT_PENDING && s != GM_STAT_POSTS &&
                s != GM_STAT_LIKES)
                assert_int_equal(o[s], 0);
    }
    /* a range starting after the last record, and one inside a gap: carried from before */
    assert_int_equal(day_value(txn, "demo", 3, GM_STAT_PENDING), 1);
    assert_int_equal(day_value(txn, "demo", 3, GM_STAT_MEMBERS), 0);
    assert_int_equal(day_value(txn, "demo", 100, GM_STAT_MEMBERS), 2);
    assert_int_equal(day_value(txn, "demo", 100, GM_STAT_POSTS), 0);
    uint64_t lv[NS];
    memset(lv, 0xab, sizeof lv);
    assert_int_equal(gm_stats_levels(txn, "demo", lv), GM_OK);
    for (int s = 0; s < NS; s++) /* gauges: the level; counters: the total since the start */
        assert_int_equal(lv[s], s == GM_STAT_MEMBERS ? 2 : s == GM_STAT_PENDING ? 1
                                : s == GM_STAT_POSTS ? 3 : s == GM_STAT_LIKES ? 1 : 0);
    assert_int_equal(gm_stats_levels(txn, "none", lv), GM_OK);
    assert_int_equal(lv[GM_STAT_MEMBERS], 0);
}

/* One community's gauges never carry into another's range, also when one name is a prefix
 * of the other. */
static void range_communities(void **state)
{
    struct gm_txn *txn = ((struct tu_store *)*state)->txn;
    add(txn, "a", AT(0, 0), GM_STAT_MEMBERS, 5);
    add(txn, "ab", AT(1, 0), GM_STAT_MEMBERS, 7);
    add(txn, "ab", AT(1, 0), GM_STAT_POSTS, 1);
    /* clang-format off */
    static const struct { const char *c; int day; uint64_t members, posts; } cases[] = {
        {"a", -1, 0, 0}, {"a", 0, 5, 0}, {"a", 1, 5, 0}, {"a", 9, 5, 0}, {"ab", 0, 0, 0},
        {"ab", 1, 7, 1}, {"ab", 2, 7, 0}, {"b", 1, 0, 0}, {"b", 9, 0, 0}, {"aa", 5, 0, 0},
    };
    /* clang-format on */
    for (size_t i = 0; i < TU_ARRAY_LEN(cases); i++) {
        uint64_t m = day_value(txn, cases[i].c, cases[i].day, GM_STAT_MEMBERS);
        uint64_t p = day_value(txn, cases[i].c, cases[i].day, GM_STAT_POSTS);
        if (m != cases[i].members || p != cases[i].posts)
            fail_msg("case %zu (%s day %d): members %llu posts %llu", i, cases[i].c, cases[i].day,
                     (unsigned long long)m, (unsigned long long)p);
    }
}

static void invalid(void **state)
{
    struct gm_txn *txn = ((struct tu_store *)*state)->txn;
    static uint64_t out[4000 * NS];
    char longname[80];
    memset(longname, 'x', 65);
    longname[65] = '\0';
    assert_int_equal(gm_stats_range(txn, "demo", D0, D0 - 1, out), GM_EINVAL);
    assert_int_equal(gm_stats_range(txn, "demo", 0, 4000, out), GM_EINVAL);
    assert_int_equal(gm_stats_range(txn, "demo", 0, 3999, out), GM_OK);
    assert_int_equal(gm_stats_range(txn, "", D0, D0, out), GM_EINVAL);
    assert_int_equal(gm_stats_range(txn, NULL, D0, D0, out), GM_EINVAL);
    assert_int_equal(gm_stats_range(txn, longname, D0, D0, out), GM_EINVAL);
    assert_int_equal(gm_stats_add(txn, "demo", AT(0, 0), GM_STAT_COUNT, 1), GM_EINVAL);
    assert_int_equal(gm_stats_add(txn, "", AT(0, 0), GM_STAT_POSTS, 1), GM_EINVAL);
    assert_int_equal(gm_stats_add(txn, longname, AT(0, 0), GM_STAT_POSTS, 1), GM_EINVAL);
    longname[64] = '\0'; /* 64 characters: allowed */
    assert_int_equal(gm_stats_add(txn, longname, AT(0, 0), GM_STAT_POSTS, 1), GM_OK);
    assert_int_equal(day_value(txn, longname, 0, GM_STAT_POSTS), 1);
    uint64_t lv[NS];
    assert_int_equal(gm_stats_levels(txn, "", lv), GM_EINVAL);
}

static void mark(void **state)
{
    struct gm_txn *txn = ((struct tu_store *)*state)->txn;
    /* clang-format off */
    static const struct { const char *c; uint32_t day; char kind; const char *actor; gm_err want; }
    cases[] = {
        {"demo", D0, 'p', "https://a/u/1", GM_OK}, {"demo", D0, 'p', "https://a/u/1", GM_EEXISTS},
        {"demo", D0, 'r', "https://a/u/1", GM_OK}, /* another set */
        {"demo", D0 + 1, 'p', "https://a/u/1", GM_OK}, {"other", D0, 'p', "https://a/u/1", GM_OK},
        {"demo", D0, 'p', "https://a/u/2", GM_OK}, {"demo", D0, 'p', "https://a/u/2", GM_EEXISTS},
        {"demo", D0, 'r', "https://a/u/1", GM_EEXISTS},
        {"demo", D0, 'p', "", GM_EINVAL}, {"", D0, 'p', "https://a/u/1", GM_EINVAL},
    };
    /* clang-format on */
    for (size_t i = 0; i < TU_ARRAY_LEN(cases); i++) {
        gm_err e = gm_stats_mark(txn, cases[i].c, cases[i].day, cases[i].kind, cases[i].actor);
        if (e != cases[i].want)
            fail_msg("case %zu: %s, want %s", i, gm_strerror(e), gm_strerror(cases[i].want));
    }
}

static void samples(void **state)
{
    struct gm_txn *txn = ((struct tu_store *)*state)->txn;
    /* clang-format off */
    static const struct { char kind; int day; uint32_t v; } in[] = {
        {'r', 0, 300}, {'r', 0, 100}, {'r', 2, 50}, {'r', 0, 200}, {'r', 0, 100},
        {'q', 0, 7},   {'r', 3, 9},   {'r', 3, 0},  {'r', 0, 4000000000u},
    };
    /* clang-format on */
    for (size_t i = 0; i < TU_ARRAY_LEN(in); i++)
        assert_int_equal(
            gm_stats_sample_add(txn, "demo", in[i].kind, D0 + (uint32_t)in[i].day, in[i].v), GM_OK);
    assert_int_equal(gm_stats_sample_add(txn, "other", 'r', D0, 1), GM_OK);
    static const struct {
        char kind;
        int from, to;
        size_t n;
        uint32_t vals[8];
        size_t per_day[5];
    } cases[] = {
        {'r', 0, 3, 8, {100, 100, 200, 300, 4000000000u, 50, 0, 9}, {5, 0, 1, 2}},
        {'r', 1, 2, 1, {50}, {0, 1}},
        {'r', -1, 0, 5, {100, 100, 200, 300, 4000000000u}, {0, 5}},
        {'r', 4, 8, 0, {0}, {0, 0, 0, 0, 0}},
        {'q', 0, 3, 1, {7}, {1, 0, 0, 0}},
    };
    for (size_t i = 0; i < TU_ARRAY_LEN(cases); i++) {
        uint32_t *vals = (uint32_t *)1;
        size_t n = 99, per_day[5];
        memset(per_day, 0xab, sizeof per_day);
        assert_int_equal(gm_stats_samples(txn, "demo", cases[i].kind, D0 + (uint32_t)cases[i].from,
                                          D0 + (uint32_t)cases[i].to, &vals, &n, per_day),
                         GM_OK);
        if (n != cases[i].n)
            fail_msg("case %zu: %zu samples, want %zu", i, n, cases[i].n);
        if (!n)
            assert_null(vals);
        for (size_t k = 0; k < n; k++)
            assert_int_equal(vals[k], cases[i].vals[k]);
        for (int d = 0; d <= cases[i].to - cases[i].from; d++)
            assert_int_equal(per_day[d], cases[i].per_day[d]);
        free(vals);
    }
    uint32_t *vals = NULL;
    size_t n = 0;
    assert_int_equal(gm_stats_samples(txn, "demo", 'r', D0 + 2, D0 + 2, &vals, &n, NULL), GM_OK);
    assert_int_equal(n, 1);
    assert_int_equal(vals[0], 50);
    free(vals);
    assert_int_equal(gm_stats_sample_add(txn, "demo", 'x', D0, 1), GM_EINVAL);
    assert_int_equal(gm_stats_samples(txn, "demo", 'x', D0, D0, &vals, &n, NULL), GM_EINVAL);
    assert_int_equal(gm_stats_samples(txn, "demo", 'r', D0 + 1, D0, &vals, &n, NULL), GM_EINVAL);
}

#define TOP GM_STATS_OBJ_TOP

static void objects(void **state)
{
    struct gm_txn *txn = ((struct tu_store *)*state)->txn;
    static const struct {
        const char *id;
        int64_t at;
        unsigned flags;
        const char *author, *root;
    } cases[] = {
        {"https://a/n/1", AT(0, 5), TOP | GM_STATS_OBJ_QUESTION, "https://a/u/1", NULL},
        {"https://a/n/2", AT(1, 0), 0, "https://a/u/1", "https://a/n/1"},
        {"https://a/n/3", 0, GM_STATS_OBJ_ANSWERED, "", NULL},
        /* replaced */
        {"https://a/n/1", AT(2, 9), TOP | GM_STATS_OBJ_ANSWERED, "https://b/u/ü", NULL},
    };
    for (size_t i = 0; i < TU_ARRAY_LEN(cases); i++) {
        struct gm_stats_obj o = {.at = cases[i].at,
                                 .flags = cases[i].flags,
                                 .author = (char *)cases[i].author,
                                 .root = (char *)cases[i].root};
        assert_int_equal(gm_stats_obj_put(txn, "demo", cases[i].id, &o), GM_OK);
        struct gm_stats_obj got = {0};
        assert_int_equal(gm_stats_obj_get(txn, "demo", cases[i].id, &got), GM_OK);
        assert_int_equal(got.at, cases[i].at);
        assert_int_equal(got.flags, cases[i].flags);
        assert_string_equal(got.author, cases[i].author);
        if (cases[i].root)
            assert_string_equal(got.root, cases[i].root);
        else
            assert_null(got.root);
        gm_stats_obj_clear(&got);
        assert_null(got.author);
    }
    struct gm_stats_obj got = {0};
    assert_int_equal(gm_stats_obj_get(txn, "demo", "https://a/n/2", &got), GM_OK);
    assert_string_equal(got.root, "https://a/n/1");
    gm_stats_obj_clear(&got);
    assert_int_equal(gm_stats_obj_get(txn, "other", "https://a/n/2", &got), GM_ENOTFOUND);
    assert_int_equal(gm_stats_obj_get(txn, "demo", "https://a/n/9", &got), GM_ENOTFOUND);
    assert_int_equal(gm_stats_obj_get(txn, "demo", "", &got), GM_ENOTFOUND);
    struct gm_stats_obj o = {.author = "x"};
    assert_int_equal(gm_stats_obj_put(txn, "demo", "", &o), GM_EINVAL);
}

static void entry(struct gm_txn *txn, const char *c, int64_t at, const char *id)
{
    json_t *e = json_pack("{s:s, s:s}", "id", id, "title", id);
    assert_int_equal(gm_stats_unanswered_put(txn, c, at, id, e), GM_OK);
    json_decref(e);
}

/* The ids of a page, joined by spaces. */
static void page_ids(json_t *page, char *out, size_t size)
{
    size_t i, len = 0;
    json_t *it;
    out[0] = '\0';
    json_array_foreach(page, i, it)
    {
        assert_int_equal(json_integer_value(json_object_get(it, "at")) % 100, 0);
        len += (size_t)snprintf(out + len, size - len, "%s%s", i ? " " : "", tu_jstr(it, "id"));
    }
}

static void unanswered(void **state)
{
    struct gm_txn *txn = ((struct tu_store *)*state)->txn;
    entry(txn, "demo", 300, "c");
    entry(txn, "demo", 100, "a");
    entry(txn, "demo", 200, "b2");
    entry(txn, "demo", 200, "b1");
    entry(txn, "demo", 500, "e");
    json_t *other = json_pack("{s:s}", "id", "x");
    assert_int_equal(gm_stats_unanswered_put(txn, "other", 100, "x", other), GM_OK);
    assert_int_equal(gm_stats_unanswered_put(txn, "demo", 100, "y", NULL), GM_EINVAL);
    json_decref(other);
    /* clang-format off */
    static const struct { int64_t from, to; size_t max; const char *ids; size_t total; } cases[] = {
        {0, 1000, 10, "a b1 b2 c e", 5}, {100, 300, 10, "a b1 b2", 3}, {101, 301, 10, "b1 b2 c", 3},
        {0, 1000, 2, "a b1", 5}, {-50, 100, 10, "", 0}, {500, 501, 10, "e", 1},
        {0, 1000, 0, "", 5}, {600, 9000, 10, "", 0},
    };
    /* clang-format on */
    char ids[200];
    for (size_t i = 0; i < TU_ARRAY_LEN(cases); i++) {
        json_t *page = NULL;
        size_t total = 99;
        assert_int_equal(gm_stats_unanswered_page(txn, "demo", cases[i].from, cases[i].to,
                                                  cases[i].max, &page, &total),
                         GM_OK);
        page_ids(page, ids, sizeof ids);
        if (strcmp(ids, cases[i].ids) != 0 || total != cases[i].total)
            fail_msg("case %zu: [%s] of %zu, want [%s] of %zu", i, ids, total, cases[i].ids,
                     cases[i].total);
        json_decref(page);
    }
    json_t *page = NULL;
    assert_int_equal(gm_stats_unanswered_page(txn, "demo", 0, 1000, 1, &page, NULL), GM_OK);
    assert_int_equal(json_array_size(page), 1);
    assert_string_equal(tu_jstr(json_array_get(page, 0), "title"), "a");
    assert_int_equal(json_integer_value(json_object_get(json_array_get(page, 0), "at")), 100);
    json_decref(page);
    assert_int_equal(gm_stats_unanswered_del(txn, "demo", 200, "b1"), GM_OK);
    assert_int_equal(gm_stats_unanswered_del(txn, "demo", 200, "b1"), GM_ENOTFOUND);
    assert_int_equal(gm_stats_unanswered_del(txn, "demo", 300, "a"), GM_ENOTFOUND); /* wrong at */
    assert_int_equal(gm_stats_unanswered_del(txn, "demo", 100, "a"), GM_OK);
    size_t total = 0;
    assert_int_equal(gm_stats_unanswered_page(txn, "demo", 0, 1000, 10, &page, &total), GM_OK);
    page_ids(page, ids, sizeof ids);
    assert_string_equal(ids, "b2 c e");
    assert_int_equal(total, 3);
    json_decref(page);
}

struct who_seen {
    char text[400];
    size_t len;
};

static void who_cb(const char *actor, size_t len, const struct gm_stats_who *w, void *arg)
{
    struct who_seen *s = arg;
    s->len += (size_t)snprintf(s->text + s->len, sizeof s->text - s->len, "%.*s:%u/%u/%u/%u/%u;",
                               (int)len, actor, w->last_post_day, w->last_reply_day, w->posts,
                               w->replies, w->answered);
}

static void contributors(void **state)
{
    struct gm_txn *txn = ((struct tu_store *)*state)->txn;
    struct gm_stats_who b = {D0, 0, 3, 0, 1}, a = {0, D0 + 1, 0, 2, 0}, c = {1, 2, 3, 4, 5};
    assert_int_equal(gm_stats_who_put(txn, "demo", "https://b/u/b", &b), GM_OK);
    assert_int_equal(gm_stats_who_put(txn, "demo", "https://a/u/a", &a), GM_OK);
    assert_int_equal(gm_stats_who_put(txn, "demo2", "https://c/u/c", &c), GM_OK);
    assert_int_equal(gm_stats_who_put(txn, "demo", "", &c), GM_EINVAL);
    struct gm_stats_who got;
    assert_int_equal(gm_stats_who_get(txn, "demo", "https://b/u/b", &got), GM_OK);
    assert_memory_equal(&got, &b, sizeof b);
    assert_int_equal(gm_stats_who_get(txn, "demo", "https://c/u/c", &got), GM_ENOTFOUND);
    b.answered = 7;
    assert_int_equal(gm_stats_who_put(txn, "demo", "https://b/u/b", &b), GM_OK);
    struct who_seen seen = {.len = 0};
    assert_int_equal(gm_stats_who_each(txn, "demo", who_cb, &seen), GM_OK);
    char want[200];
    snprintf(want, sizeof want, "https://a/u/a:0/%u/0/2/0;https://b/u/b:%u/0/3/0/7;", D0 + 1, D0);
    assert_string_equal(seen.text, want);
    seen.len = 0;
    seen.text[0] = '\0';
    assert_int_equal(gm_stats_who_each(txn, "nobody", who_cb, &seen), GM_OK);
    assert_string_equal(seen.text, "");
}

/* "host:n host:n" of gm_stats_hosts, and the total. */
static void hosts_text(struct gm_txn *txn, const char *c, size_t max, char *out, size_t size,
                       size_t *total)
{
    json_t *hosts = NULL, *it;
    size_t i, len = 0;
    assert_int_equal(gm_stats_hosts(txn, c, max, &hosts, total), GM_OK);
    out[0] = '\0';
    json_array_foreach(hosts, i, it) len +=
        (size_t)snprintf(out + len, size - len, "%s%s:%lld", i ? " " : "", tu_jstr(it, "host"),
                         (long long)json_integer_value(json_object_get(it, "members")));
    json_decref(hosts);
}

static void hosts(void **state)
{
    struct gm_txn *txn = ((struct tu_store *)*state)->txn;
    /* clang-format off */
    static const struct { const char *actor; int64_t delta; const char *want; } steps[] = {
        {"https://b.example/u/1", 1, "b.example:1"},
        {"https://B.Example/u/2", 1, "b.example:2"},
        {"https://a.example/u/1", 1, "b.example:2 a.example:1"},
        {"https://user@c.example:8443/u/1?x", 1, "b.example:2 a.example:1 c.example:8443:1"},
        {"not a url", 1, "b.example:2 a.example:1 c.example:8443:1"},
        {"https://c.example:8443/u/2", 1, "b.example:2 c.example:8443:2 a.example:1"},
        {"https://a.example/u/1", -1, "b.example:2 c.example:8443:2"},
        {"https://d.example/u/1", -1, "b.example:2 c.example:8443:2"},
        {"https://b.example/u/1", -5, "c.example:8443:2"},
        {"https://a.example/u/9", 3, "a.example:3 c.example:8443:2"},
    };
    /* clang-format on */
    char text[300]; /* all hosts after each step */
    size_t total = 0;
    for (size_t i = 0; i < TU_ARRAY_LEN(steps); i++) {
        assert_int_equal(gm_stats_host_add(txn, "demo", steps[i].actor, steps[i].delta), GM_OK);
        hosts_text(txn, "demo", 100, text, sizeof text, &total);
        if (strcmp(text, steps[i].want) != 0)
            fail_msg("step %zu (%s %+lld): [%s], want [%s]", i, steps[i].actor,
                     (long long)steps[i].delta, text, steps[i].want);
    }
    assert_int_equal(gm_stats_host_add(txn, "other", "https://z.example/u/1", 1), GM_OK);
    hosts_text(txn, "demo", 1, text, sizeof text, &total);
    assert_string_equal(text, "a.example:3");
    assert_int_equal(total, 2);
    hosts_text(txn, "demo", 0, text, sizeof text, NULL);
    assert_string_equal(text, "");
}

static void delivery_cb(const char *host, size_t len, const uint64_t c[GM_DELIVERY_KINDS],
                        void *arg)
{
    struct who_seen *s = arg;
    s->len += (size_t)snprintf(s->text + s->len, sizeof s->text - s->len, "%.*s:%llu/%llu/%llu;",
                               (int)len, host, (unsigned long long)c[0], (unsigned long long)c[1],
                               (unsigned long long)c[2]);
}

static void delivery(void **state)
{
    struct gm_txn *txn = ((struct tu_store *)*state)->txn;
    /* clang-format off */
    static const struct { const char *host; enum gm_stats_delivery k; } in[] = {
        {"y.example", GM_DELIVERY_FAILED}, {"x.example", GM_DELIVERY_DONE},
        {"x.example", GM_DELIVERY_DONE},   {"x.example", GM_DELIVERY_RETRY},
        {"y.example", GM_DELIVERY_FAILED}, {"a.example", GM_DELIVERY_RETRY},
    };
    /* clang-format on */
    for (size_t i = 0; i < TU_ARRAY_LEN(in); i++)
        assert_int_equal(gm_stats_delivery_add(txn, in[i].host, in[i].k), GM_OK);
    assert_int_equal(gm_stats_delivery_add(txn, "x.example", GM_DELIVERY_KINDS), GM_EINVAL);
    assert_int_equal(gm_stats_delivery_add(txn, "", GM_DELIVERY_DONE), GM_EINVAL);
    add(txn, "demo", AT(0, 0), GM_STAT_POSTS, 1); /* community figures are not hosts */
    struct who_seen seen = {.len = 0};
    assert_int_equal(gm_stats_delivery_each(txn, delivery_cb, &seen), GM_OK);
    assert_string_equal(seen.text, "a.example:0/1/0;x.example:2/1/0;y.example:0/0/2;");
}

/* Every kind of record of `c`; `v` tells the two communities apart. */
static void fill(struct gm_txn *txn, const char *c, uint32_t v)
{
    add(txn, c, AT(0, 0), GM_STAT_POSTS, v);
    add(txn, c, AT(0, 0), GM_STAT_MEMBERS, v);
    assert_int_equal(gm_stats_mark(txn, c, D0, 'p', "https://a/u/1"), GM_OK);
    assert_int_equal(gm_stats_sample_add(txn, c, 'r', D0, v), GM_OK);
    assert_int_equal(gm_stats_sample_add(txn, c, 'q', D0, v), GM_OK);
    struct gm_stats_obj o = {.at = v, .author = "https://a/u/1"};
    assert_int_equal(gm_stats_obj_put(txn, c, "https://a/n/1", &o), GM_OK);
    entry(txn, c, 100, "https://a/n/1");
    struct gm_stats_who w = {.posts = v};
    assert_int_equal(gm_stats_who_put(txn, c, "https://a/u/1", &w), GM_OK);
    assert_int_equal(gm_stats_host_add(txn, c, "https://a/u/1", v), GM_OK);
}

/* How many records of each kind `c` has, as "d l s r q o u c h" counts. */
static void census(struct gm_txn *txn, const char *c, char *out, size_t size)
{
    uint64_t day[NS], lv[NS];
    uint32_t *vals = NULL, *qv = NULL;
    size_t nr = 0, nq = 0, nu = 0, nh = 0;
    json_t *page = NULL, *hl = NULL;
    struct gm_stats_obj o = {0};
    struct gm_stats_who w;
    assert_int_equal(gm_stats_range(txn, c, D0, D0, day), GM_OK);
    assert_int_equal(gm_stats_levels(txn, c, lv), GM_OK);
    gm_err s = gm_stats_mark(txn, c, D0, 'p', "https://a/u/1"); /* set already? */
    assert_int_equal(gm_stats_samples(txn, c, 'r', D0, D0, &vals, &nr, NULL), GM_OK);
    assert_int_equal(gm_stats_samples(txn, c, 'q', D0, D0, &qv, &nq, NULL), GM_OK);
    gm_err eo = gm_stats_obj_get(txn, c, "https://a/n/1", &o);
    assert_int_equal(gm_stats_unanswered_page(txn, c, 0, 1000, 10, &page, &nu), GM_OK);
    gm_err ew = gm_stats_who_get(txn, c, "https://a/u/1", &w);
    assert_int_equal(gm_stats_hosts(txn, c, 10, &hl, &nh), GM_OK);
    snprintf(out, size, "posts %llu members %llu/%llu mark %s r %zu q %zu o %s u %zu c %s h %zu",
             (unsigned long long)day[GM_STAT_POSTS], (unsigned long long)day[GM_STAT_MEMBERS],
             (unsigned long long)lv[GM_STAT_MEMBERS], s == GM_EEXISTS ? "set" : "new", nr, nq,
             eo == GM_OK ? "yes" : "no", nu, ew == GM_OK ? "yes" : "no", nh);
    gm_stats_obj_clear(&o);
    free(vals);
    free(qv);
    json_decref(page);
    json_decref(hl);
}

static void drop_community(void **state)
{
    struct gm_txn *txn = ((struct tu_store *)*state)->txn;
    fill(txn, "demo", 2);
    fill(txn, "demo2", 3);
    assert_int_equal(gm_stats_delivery_add(txn, "x.example", GM_DELIVERY_DONE), GM_OK);
    char text[200];
    census(txn, "demo", text, sizeof text);
    assert_string_equal(text, "posts 2 members 2/2 mark set r 1 q 1 o yes u 1 c yes h 1");
    assert_int_equal(gm_stats_drop_community(txn, "demo"), GM_OK);
    census(txn, "demo", text, sizeof text);
    assert_string_equal(text, "posts 0 members 0/0 mark new r 0 q 0 o no u 0 c no h 0");
    census(txn, "demo2", text, sizeof text);
    assert_string_equal(text, "posts 3 members 3/3 mark set r 1 q 1 o yes u 1 c yes h 1");
    struct who_seen seen = {.len = 0};
    assert_int_equal(gm_stats_delivery_each(txn, delivery_cb, &seen), GM_OK);
    assert_string_equal(seen.text, "x.example:1/0/0;");
    assert_int_equal(gm_stats_drop_community(txn, ""), GM_EINVAL);
}

static void member(struct gm_txn *txn, const char *c, const char *actor)
{
    char inbox[300];
    snprintf(inbox, sizeof inbox, "%s/inbox", actor);
    struct gm_member m = {.actor = (char *)actor, .inbox = inbox, .since = 1};
    assert_int_equal(gm_member_put(txn, c, &m), GM_OK);
}

static void request(struct gm_txn *txn, const char *c, const char *actor)
{
    json_t *r = json_pack("{s:{s:s}, s:i}", "follow", "actor", actor, "at", 1);
    assert_int_equal(gm_ckv_put(txn, GM_CKV_PENDING, c, actor, r), GM_OK);
    json_decref(r);
}

/* Levels, hosts and the record of D0 of `c` as text. */
static void levels_text(struct gm_txn *txn, const char *c, char *out, size_t size)
{
    uint64_t lv[NS];
    char hl[200];
    assert_int_equal(gm_stats_levels(txn, c, lv), GM_OK);
    hosts_text(txn, c, 10, hl, sizeof hl, NULL);
    snprintf(out, size, "members %llu pending %llu gained %llu requests %llu; %s",
             (unsigned long long)lv[GM_STAT_MEMBERS], (unsigned long long)lv[GM_STAT_PENDING],
             (unsigned long long)day_value(txn, c, 0, GM_STAT_MEMBERS_GAINED),
             (unsigned long long)day_value(txn, c, 0, GM_STAT_REQUESTS), hl);
}

static void rebuild_levels(void **state)
{
    struct gm_txn *txn = ((struct tu_store *)*state)->txn;
    gm_txn_set_now(txn, AT(0, 100));
    member(txn, "demo", "https://a.example/u/1");
    member(txn, "demo", "https://a.example/u/2");
    member(txn, "demo", "https://b.example/u/1");
    member(txn, "demo", "https://b.example/u/1"); /* again: not new */
    member(txn, "demo2", "https://c.example/u/1");
    request(txn, "demo", "https://p.example/u/1");
    request(txn, "demo", "https://p.example/u/2");
    request(txn, "demo", "https://p.example/u/2"); /* again */
    request(txn, "demo2", "https://p.example/u/3");
    assert_int_equal(gm_ckv_del(txn, GM_CKV_PENDING, "demo2", "https://p.example/u/3"), GM_OK);
    json_t *ban = json_pack("{s:i}", "until", 0); /* other tables are not requests */
    assert_int_equal(gm_ckv_put(txn, GM_CKV_BANS, "demo", "https://x.example/u/1", ban), GM_OK);
    json_decref(ban);
    static const char *const want[] = {
        "members 3 pending 2 gained 3 requests 2; a.example:2 b.example:1",
        "members 1 pending 0 gained 1 requests 1; c.example:1"};
    static const char *const names[] = {"demo", "demo2"};
    char text[300];
    for (size_t i = 0; i < 2; i++) {
        levels_text(txn, names[i], text, sizeof text);
        assert_string_equal(text, want[i]);
    }
    /* wrong levels and hosts (as before the upgrade, or damaged): recounted */
    add(txn, "demo", AT(0, 200), GM_STAT_MEMBERS, 40);
    add(txn, "demo", AT(0, 200), GM_STAT_PENDING, -2);
    add(txn, "demo3", AT(0, 200), GM_STAT_MEMBERS, 4);
    assert_int_equal(gm_stats_host_add(txn, "demo", "https://z.example/u/1", 9), GM_OK);
    assert_int_equal(gm_stats_host_add(txn, "demo2", "https://c.example/u/1", -1), GM_OK);
    assert_int_equal(gm_stats_rebuild_levels(txn), GM_OK);
    for (size_t i = 0; i < 2; i++) {
        levels_text(txn, names[i], text, sizeof text);
        assert_string_equal(text, want[i]);
    }
    levels_text(txn, "demo3", text, sizeof text);
    assert_string_equal(text, "members 0 pending 0 gained 0 requests 0; ");
    /* twice is the same */
    assert_int_equal(gm_stats_rebuild_levels(txn), GM_OK);
    levels_text(txn, "demo", text, sizeof text);
    assert_string_equal(text, want[0]);
    /* the day's counters are history: kept */
    assert_int_equal(day_value(txn, "demo", 0, GM_STAT_MEMBERS_GAINED), 3);
}

/* ---- percentiles ------------------------------------------------------------------------ */

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static int64_t reference(const uint32_t *in, size_t n, double p)
{
    if (!n)
        return -1;
    uint32_t *a = malloc(n * sizeof *a);
    assert_non_null(a);
    memcpy(a, in, n * sizeof *a);
    qsort(a, n, sizeof *a, cmp_u32);
    double pos = p * (double)(n - 1), v = a[(size_t)pos];
    if ((size_t)pos + 1 < n)
        v += (pos - (double)(size_t)pos) * ((double)a[(size_t)pos + 1] - v);
    free(a);
    return (int64_t)llround(v);
}

/* gm_stats_kind_usage: entries and key + value bytes of one kind, over every community. */
static void kind_usage(void **state)
{
    struct gm_txn *txn = ((struct tu_store *)*state)->txn;
    uint64_t entries = 7, bytes = 7;
    add(txn, "a", AT(0, 10), GM_STAT_POSTS, 1);
    add(txn, "a", AT(1, 10), GM_STAT_LIKES, 2);
    add(txn, "bb", AT(1, 10), GM_STAT_LIKES, 1);
    assert_int_equal(gm_stats_mark(txn, "a", D0, 'p', "https://x.example/u/1"), GM_OK);
    /* clang-format off */
    static const struct { char kind; uint64_t entries, bytes; } want[] = {
        {'d', 3, (1 + 2 + 4 + NS * 8) * 2 + (1 + 3 + 4 + NS * 8)}, /* 'd' c NUL day -> u64[] */
        {'l', 2, (1 + 2 + NS * 8) + (1 + 3 + NS * 8)},
        {'s', 1, 1 + 2 + 4 + 1 + 21},                               /* ... kind actor -> "" */
        {'o', 0, 0},
    };
    /* clang-format on */
    for (size_t i = 0; i < TU_ARRAY_LEN(want); i++) {
        assert_int_equal(gm_stats_kind_usage(txn, want[i].kind, &entries, &bytes), GM_OK);
        if (entries != want[i].entries || bytes != want[i].bytes)
            fail_msg("kind '%c': %llu entries, %llu bytes; want %llu, %llu", want[i].kind,
                     (unsigned long long)entries, (unsigned long long)bytes,
                     (unsigned long long)want[i].entries, (unsigned long long)want[i].bytes);
    }
}

static void percentile_table(void **state)
{
    (void)state;
    /* clang-format off */
    static const struct { uint32_t vals[12]; size_t n; double p; int64_t want; } cases[] = {
        {{60, 120}, 2, 0.5, 90}, {{120, 60}, 2, 0.5, 90},
        {{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 10, 0.9, 9},   /* 9.1 */
        {{10, 9, 8, 7, 6, 5, 4, 3, 2, 1}, 10, 0.5, 6},   /* 5.5 rounds up */
        {{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 10, 0.95, 10}, /* 9.55 */
        {{42}, 1, 0.5, 42}, {{42}, 1, 0.9, 42}, {{7, 7, 7, 7}, 4, 0.9, 7},
        {{5, 1, 5, 1, 5}, 5, 0.5, 5}, {{5, 1, 5, 1, 5}, 5, 0.25, 1},
        {{600, 3600, 7200, 1800}, 4, 0.5, 2700},
        {{600, 3600, 7200, 1800}, 4, 0.9, 6120}, /* 3600 + 0.7 * 3600 */
        {{3, 1, 2}, 3, 0.0, 1}, {{3, 1, 2}, 3, 1.0, 3},
        {{0, 4294967295u}, 2, 0.5, 2147483648}, {{0}, 0, 0.5, -1},
    };
    /* clang-format on */
    for (size_t i = 0; i < TU_ARRAY_LEN(cases); i++) {
        uint32_t v[12];
        memcpy(v, cases[i].vals, sizeof v);
        int64_t got = gm_stats_percentile(v, cases[i].n, cases[i].p);
        if (got != cases[i].want)
            fail_msg("case %zu: %lld, want %lld", i, (long long)got, (long long)cases[i].want);
    }
}

static uint32_t next_rand(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return (uint32_t)(*s >> 11);
}

/* 1,001 random values, and every size up to 64 (every other round with few distinct values, so
 * many duplicates), against qsort and the same interpolation. */
static void percentile_random(void **state)
{
    (void)state;
    static const double ps[] = {0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 1.0};
    uint64_t seed = 0x9e3779b97f4a7c15u;
    uint32_t vals[1001], work[1001];
    for (size_t n = 1; n <= 65; n++) {
        for (int round = 0; round < (n == 65 ? 1 : 20); round++) {
            size_t len = n == 65 ? 1001 : n;
            for (size_t i = 0; i < len; i++)
                vals[i] = next_rand(&seed) % (round % 2 ? 4 : 100000);
            for (size_t k = 0; k < TU_ARRAY_LEN(ps); k++) {
                memcpy(work, vals, len * sizeof *vals);
                int64_t got = gm_stats_percentile(work, len, ps[k]);
                int64_t want = reference(vals, len, ps[k]);
                if (got != want)
                    fail_msg("n %zu round %d p %.2f: %lld, want %lld", len, round, ps[k],
                             (long long)got, (long long)want);
            }
        }
    }
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(names_and_days),
        T(add_and_range),
        T(range_communities),
        T(invalid),
        T(mark),
        T(samples),
        T(objects),
        T(unanswered),
        T(contributors),
        T(hosts),
        T(delivery),
        T(drop_community),
        T(rebuild_levels),
        T(kind_usage),
        cmocka_unit_test(percentile_table),
        cmocka_unit_test(percentile_random),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
