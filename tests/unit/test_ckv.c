/* SPDX-License-Identifier: Apache-2.0
 * test_ckv.c - the per-community tables of ckv.h: keyed records (put/get/del, pages by key
 * with an `after` cursor, counts) and numbered logs (append from 1, get, update, pages newest
 * first with a `before` cursor). One community's records never show in another's range (also
 * when one name is a prefix of the other), nor one table's in another's; bad keys are
 * GM_EINVAL whatever the community name's length; dropping a community removes it from every
 * table and log and nothing else. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "gemeinde/ckv.h"
#include "gemeinde/community.h"
#include "test_util.h"

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

static json_t *rec(int v)
{
    json_t *o = json_pack("{s:i}", "v", v);
    assert_non_null(o);
    return o;
}

static void put(struct gm_txn *txn, enum gm_ckv_table t, const char *c, const char *k, int v)
{
    json_t *o = rec(v);
    assert_int_equal(gm_ckv_put(txn, t, c, k, o), GM_OK);
    json_decref(o);
}

/* The value "v" of (t, c, k), or -1 when absent. */
static int get(struct gm_txn *txn, enum gm_ckv_table t, const char *c, const char *k)
{
    json_t *o = NULL;
    gm_err e = gm_ckv_get(txn, t, c, k, &o);
    if (e == GM_ENOTFOUND)
        return -1;
    assert_int_equal(e, GM_OK);
    int v = (int)json_integer_value(json_object_get(o, "v"));
    json_decref(o);
    return v;
}

static size_t count(struct gm_txn *txn, enum gm_ckv_table t, const char *c)
{
    size_t n = 12345;
    assert_int_equal(gm_ckv_count(txn, t, c, &n), GM_OK);
    return n;
}

static char *repeat(char ch, size_t n)
{
    char *s = malloc(n + 1);
    assert_non_null(s);
    memset(s, ch, n);
    s[n] = '\0';
    return s;
}

static void put_get_del(void **state)
{
    struct tu_store *f = *state;
    put(f->txn, GM_CKV_BANS, "demo", "https://a.example/u/1", 1);
    assert_int_equal(get(f->txn, GM_CKV_BANS, "demo", "https://a.example/u/1"), 1);
    put(f->txn, GM_CKV_BANS, "demo", "https://a.example/u/1", 2); /* replaces */
    assert_int_equal(get(f->txn, GM_CKV_BANS, "demo", "https://a.example/u/1"), 2);
    assert_int_equal(count(f->txn, GM_CKV_BANS, "demo"), 1);
    /* same key, other tables and communities: separate records */
    assert_int_equal(get(f->txn, GM_CKV_PENDING, "demo", "https://a.example/u/1"), -1);
    assert_int_equal(get(f->txn, GM_CKV_BANS, "other", "https://a.example/u/1"), -1);
    assert_int_equal(gm_ckv_del(f->txn, GM_CKV_BANS, "demo", "https://a.example/u/1"), GM_OK);
    assert_int_equal(get(f->txn, GM_CKV_BANS, "demo", "https://a.example/u/1"), -1);
    assert_int_equal(gm_ckv_del(f->txn, GM_CKV_BANS, "demo", "https://a.example/u/1"),
                     GM_ENOTFOUND);
    assert_int_equal(count(f->txn, GM_CKV_BANS, "demo"), 0);
    /* every table holds records */
    for (int t = 0; t < GM_CKV_TABLES; t++)
        put(f->txn, (enum gm_ckv_table)t, "demo", "k", t + 10);
    for (int t = 0; t < GM_CKV_TABLES; t++) {
        assert_int_equal(get(f->txn, (enum gm_ckv_table)t, "demo", "k"), t + 10);
        assert_int_equal(count(f->txn, (enum gm_ckv_table)t, "demo"), 1);
    }
}

/* Keys and values the tables refuse, whatever the length of the community name. */
static void bad_arguments(void **state)
{
    struct tu_store *f = *state;
    json_t *o = rec(1), *arr = json_array(), *out = NULL;
    char *c64 = repeat('c', GM_NAME_MAX), *c65 = repeat('c', GM_NAME_MAX + 1);
    char *k_max = repeat('k', GM_CKV_KEY_MAX), *k_over = repeat('k', GM_CKV_KEY_MAX + 1);
    static const struct {
        const char *community, *key;
        gm_err put, get;
    } cases[] = {
        {"demo", "", GM_EINVAL, GM_ENOTFOUND},
        {"demo", NULL, GM_EINVAL, GM_ENOTFOUND},
        {"", "k", GM_EINVAL, GM_ENOTFOUND},
        {NULL, "k", GM_EINVAL, GM_ENOTFOUND},
    };
    for (size_t i = 0; i < TU_ARRAY_LEN(cases); i++) {
        assert_int_equal(gm_ckv_put(f->txn, GM_CKV_BANS, cases[i].community, cases[i].key, o),
                         cases[i].put);
        assert_int_equal(gm_ckv_get(f->txn, GM_CKV_BANS, cases[i].community, cases[i].key, &out),
                         cases[i].get);
        assert_int_equal(gm_ckv_del(f->txn, GM_CKV_BANS, cases[i].community, cases[i].key),
                         GM_ENOTFOUND);
    }
    assert_int_equal(gm_ckv_put(f->txn, GM_CKV_BANS, c65, "k", o), GM_EINVAL);
    assert_int_equal(gm_ckv_put(f->txn, GM_CKV_BANS, "demo", k_over, o), GM_EINVAL);
    assert_int_equal(gm_ckv_get(f->txn, GM_CKV_BANS, "demo", k_over, &out), GM_ENOTFOUND);
    assert_int_equal(gm_ckv_put(f->txn, GM_CKV_BANS, "demo", "k", arr), GM_EINVAL);
    assert_int_equal(gm_ckv_put(f->txn, GM_CKV_BANS, "demo", "k", NULL), GM_EINVAL);
    /* the longest key fits with a short community name ... */
    assert_int_equal(gm_ckv_put(f->txn, GM_CKV_BANS, "demo", k_max, o), GM_OK);
    assert_int_equal(get(f->txn, GM_CKV_BANS, "demo", k_max), 1);
    /* ... and with the longest name it is refused as too long (not a storage failure), and
     * the transaction stays usable */
    gm_err e = gm_ckv_put(f->txn, GM_CKV_BANS, c64, k_max, o);
    if (e != GM_EINVAL)
        fail_msg("a %d-byte key under a %d-character community: %s, want GM_EINVAL", GM_CKV_KEY_MAX,
                 GM_NAME_MAX, gm_strerror(e));
    assert_int_equal(gm_ckv_get(f->txn, GM_CKV_BANS, c64, k_max, &out), GM_ENOTFOUND);
    assert_int_equal(gm_ckv_del(f->txn, GM_CKV_BANS, c64, k_max), GM_ENOTFOUND);
    put(f->txn, GM_CKV_BANS, c64, "short", 7);
    assert_int_equal(get(f->txn, GM_CKV_BANS, c64, "short"), 7);
    /* pages and counts of an unusable community */
    size_t n;
    assert_int_equal(gm_ckv_count(f->txn, GM_CKV_BANS, "", &n), GM_EINVAL);
    assert_int_equal(gm_ckv_page(f->txn, GM_CKV_BANS, c65, NULL, 10, &out), GM_EINVAL);
    assert_int_equal(gm_clog_append(f->txn, GM_CLOG_REPORTS, "", o, NULL), GM_EINVAL);
    assert_int_equal(gm_clog_append(f->txn, GM_CLOG_REPORTS, "demo", arr, NULL), GM_EINVAL);
    free(c64);
    free(c65);
    free(k_max);
    free(k_over);
    json_decref(arr);
    json_decref(o);
}

/* Neighbouring ranges: "dem", "demo", "demo2" and the next table never leak into a page. */
static void pages_and_isolation(void **state)
{
    struct tu_store *f = *state;
    static const char *const keys[] = {"https://b.example/u/2", "https://a.example/u/1",
                                       "https://c.example/u/3", "https://a.example/u/10",
                                       "https://a.example/u/1x"};
    for (size_t i = 0; i < TU_ARRAY_LEN(keys); i++)
        put(f->txn, GM_CKV_MODERATORS, "demo", keys[i], (int)i);
    put(f->txn, GM_CKV_MODERATORS, "dem", "https://z.example/", 100);
    put(f->txn, GM_CKV_MODERATORS, "demo2", "https://a.example/", 101);
    put(f->txn, GM_CKV_HELD, "demo", "https://a.example/u/0", 102);
    put(f->txn, GM_CKV_PENDING, "demo", "https://zz.example/", 103);
    assert_int_equal(count(f->txn, GM_CKV_MODERATORS, "demo"), 5);
    assert_int_equal(count(f->txn, GM_CKV_MODERATORS, "dem"), 1);
    assert_int_equal(count(f->txn, GM_CKV_MODERATORS, "demo2"), 1);
    assert_int_equal(count(f->txn, GM_CKV_MODERATORS, "nobody"), 0);

    static const char *const order[] = {"https://a.example/u/1", "https://a.example/u/10",
                                        "https://a.example/u/1x", "https://b.example/u/2",
                                        "https://c.example/u/3"};
    /* pages of 2 following the cursor: every key once, in order */
    const char *after = NULL;
    char last[128] = "";
    size_t seen = 0;
    for (int round = 0; round < 10; round++) {
        json_t *page = NULL;
        assert_int_equal(gm_ckv_page(f->txn, GM_CKV_MODERATORS, "demo", after, 2, &page), GM_OK);
        size_t n = json_array_size(page);
        assert_true(n <= 2);
        for (size_t i = 0; i < n; i++) {
            json_t *item = json_array_get(page, i);
            const char *k = json_string_value(json_object_get(item, "key"));
            assert_non_null(k);
            assert_true(seen < TU_ARRAY_LEN(order));
            assert_string_equal(k, order[seen]);
            assert_true(json_is_object(json_object_get(item, "value")));
            seen++;
            snprintf(last, sizeof last, "%s", k);
        }
        json_decref(page);
        if (!n)
            break;
        after = last;
    }
    assert_int_equal(seen, TU_ARRAY_LEN(order));
    /* a cursor that is not a key itself starts at the next one */
    json_t *page = NULL;
    assert_int_equal(
        gm_ckv_page(f->txn, GM_CKV_MODERATORS, "demo", "https://a.example/u/2", 10, &page), GM_OK);
    assert_int_equal(json_array_size(page), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(page, 0), "key")),
                        "https://b.example/u/2");
    json_decref(page);
    /* max 0: an empty page; an empty cursor is the start */
    assert_int_equal(gm_ckv_page(f->txn, GM_CKV_MODERATORS, "demo", NULL, 0, &page), GM_OK);
    assert_int_equal(json_array_size(page), 0);
    json_decref(page);
    assert_int_equal(gm_ckv_page(f->txn, GM_CKV_MODERATORS, "demo", "", 100, &page), GM_OK);
    assert_int_equal(json_array_size(page), 5);
    json_decref(page);
}

static void logs(void **state)
{
    struct tu_store *f = *state;
    uint64_t seq = 0;
    for (int i = 1; i <= 25; i++) {
        json_t *o = rec(i);
        assert_int_equal(gm_clog_append(f->txn, GM_CLOG_MODINBOX, "demo", o, &seq), GM_OK);
        assert_int_equal(seq, (uint64_t)i);
        json_decref(o);
    }
    /* numbers are per community and per log */
    json_t *o = rec(500);
    assert_int_equal(gm_clog_append(f->txn, GM_CLOG_REPORTS, "demo", o, &seq), GM_OK);
    assert_int_equal(seq, 1);
    assert_int_equal(gm_clog_append(f->txn, GM_CLOG_MODINBOX, "demo2", o, &seq), GM_OK);
    assert_int_equal(seq, 1);
    assert_int_equal(gm_clog_append(f->txn, GM_CLOG_MODINBOX, "dem", o, NULL), GM_OK);
    json_decref(o);

    json_t *v = NULL;
    assert_int_equal(gm_clog_get(f->txn, GM_CLOG_MODINBOX, "demo", 7, &v), GM_OK);
    assert_int_equal(json_integer_value(json_object_get(v, "v")), 7);
    json_decref(v);
    assert_int_equal(gm_clog_get(f->txn, GM_CLOG_MODINBOX, "demo", 26, &v), GM_ENOTFOUND);
    assert_int_equal(gm_clog_get(f->txn, GM_CLOG_MODINBOX, "demo", 0, &v), GM_ENOTFOUND);
    assert_int_equal(gm_clog_get(f->txn, GM_CLOG_MODINBOX, "", 1, &v), GM_ENOTFOUND);
    /* update: only what exists */
    o = rec(70);
    assert_int_equal(gm_clog_update(f->txn, GM_CLOG_MODINBOX, "demo", 7, o), GM_OK);
    assert_int_equal(gm_clog_update(f->txn, GM_CLOG_MODINBOX, "demo", 99, o), GM_ENOTFOUND);
    assert_int_equal(gm_clog_update(f->txn, GM_CLOG_REPORTS, "demo2", 1, o), GM_ENOTFOUND);
    json_decref(o);
    assert_int_equal(gm_clog_get(f->txn, GM_CLOG_MODINBOX, "demo", 7, &v), GM_OK);
    assert_int_equal(json_integer_value(json_object_get(v, "v")), 70);
    json_decref(v);

    /* newest first, pages of 10 below the cursor */
    static const struct {
        uint64_t before;
        size_t max, n;
        uint64_t first, last;
    } pages[] = {
        {0, 10, 10, 25, 16},  {16, 10, 10, 15, 6},  {6, 10, 5, 5, 1}, {1, 10, 0, 0, 0},
        {1000, 3, 3, 25, 23}, {26, 100, 25, 25, 1}, {0, 0, 0, 0, 0},
    };
    for (size_t i = 0; i < TU_ARRAY_LEN(pages); i++) {
        json_t *page = NULL;
        assert_int_equal(
            gm_clog_page(f->txn, GM_CLOG_MODINBOX, "demo", pages[i].before, pages[i].max, &page),
            GM_OK);
        size_t n = json_array_size(page);
        if (n != pages[i].n)
            fail_msg("page %zu (before %llu): %zu entries, want %zu", i,
                     (unsigned long long)pages[i].before, n, pages[i].n);
        for (size_t j = 0; j < n; j++) {
            json_t *item = json_array_get(page, j);
            uint64_t s = (uint64_t)json_integer_value(json_object_get(item, "seq"));
            assert_int_equal(s, pages[i].first - j);
            int want = s == 7 ? 70 : (int)s;
            assert_int_equal(
                json_integer_value(json_object_get(json_object_get(item, "value"), "v")), want);
        }
        if (n)
            assert_int_equal(
                json_integer_value(json_object_get(json_array_get(page, n - 1), "seq")),
                pages[i].last);
        json_decref(page);
    }
    /* another community's log, and an empty one */
    json_t *page = NULL;
    assert_int_equal(gm_clog_page(f->txn, GM_CLOG_MODINBOX, "demo2", 0, 10, &page), GM_OK);
    assert_int_equal(json_array_size(page), 1);
    json_decref(page);
    assert_int_equal(gm_clog_page(f->txn, GM_CLOG_REPORTS, "nobody", 0, 10, &page), GM_OK);
    assert_int_equal(json_array_size(page), 0);
    json_decref(page);
}

static void drop_community(void **state)
{
    struct tu_store *f = *state;
    json_t *o = rec(1);
    for (int t = 0; t < GM_CKV_TABLES; t++) {
        put(f->txn, (enum gm_ckv_table)t, "demo", "a", 1);
        put(f->txn, (enum gm_ckv_table)t, "demo", "b", 2);
        put(f->txn, (enum gm_ckv_table)t, "demo2", "a", 3);
        put(f->txn, (enum gm_ckv_table)t, "dem", "a", 4);
    }
    for (int t = 0; t < GM_CLOG_TABLES; t++) {
        assert_int_equal(gm_clog_append(f->txn, (enum gm_clog_table)t, "demo", o, NULL), GM_OK);
        assert_int_equal(gm_clog_append(f->txn, (enum gm_clog_table)t, "demo2", o, NULL), GM_OK);
    }
    assert_int_equal(gm_ckv_drop_community(f->txn, "demo"), GM_OK);
    for (int t = 0; t < GM_CKV_TABLES; t++) {
        assert_int_equal(count(f->txn, (enum gm_ckv_table)t, "demo"), 0);
        assert_int_equal(get(f->txn, (enum gm_ckv_table)t, "demo2", "a"), 3);
        assert_int_equal(get(f->txn, (enum gm_ckv_table)t, "dem", "a"), 4);
    }
    for (int t = 0; t < GM_CLOG_TABLES; t++) {
        json_t *page = NULL;
        assert_int_equal(gm_clog_page(f->txn, (enum gm_clog_table)t, "demo", 0, 10, &page), GM_OK);
        assert_int_equal(json_array_size(page), 0);
        json_decref(page);
        assert_int_equal(gm_clog_page(f->txn, (enum gm_clog_table)t, "demo2", 0, 10, &page), GM_OK);
        assert_int_equal(json_array_size(page), 1);
        json_decref(page);
        /* a new log starts from 1 again */
        uint64_t seq = 0;
        assert_int_equal(gm_clog_append(f->txn, (enum gm_clog_table)t, "demo", o, &seq), GM_OK);
        assert_int_equal(seq, 1);
    }
    assert_int_equal(gm_ckv_drop_community(f->txn, "nobody"), GM_OK);
    assert_int_equal(gm_ckv_drop_community(f->txn, ""), GM_EINVAL);
    json_decref(o);
}

/* Deleting a community deletes its moderation state: a new community of the same name starts
 * without the old one's moderators, bans or requests. */
static void delete_drops_tables(void **state)
{
    struct tu_store *f = *state;
    tu_add_community(f->txn, "demo");
    put(f->txn, GM_CKV_MODERATORS, "demo", "https://old.example/u/mod", 1);
    put(f->txn, GM_CKV_BANS, "demo", "https://old.example/u/spam", 1);
    json_t *o = rec(1);
    assert_int_equal(gm_clog_append(f->txn, GM_CLOG_MODINBOX, "demo", o, NULL), GM_OK);
    json_decref(o);
    assert_int_equal(gm_community_delete(f->txn, "demo"), GM_OK);
    tu_add_community(f->txn, "demo");
    assert_int_equal(count(f->txn, GM_CKV_MODERATORS, "demo"), 0);
    assert_int_equal(count(f->txn, GM_CKV_BANS, "demo"), 0);
    json_t *page = NULL;
    assert_int_equal(gm_clog_page(f->txn, GM_CLOG_MODINBOX, "demo", 0, 10, &page), GM_OK);
    assert_int_equal(json_array_size(page), 0);
    json_decref(page);
}

/* Records survive a commit and are read from a fresh read transaction. */
static void durable(void **state)
{
    struct tu_store *f = *state;
    put(f->txn, GM_CKV_PINS, "demo", "https://a.example/n/1", 9);
    assert_int_equal(gm_txn_commit(f->txn), GM_OK);
    assert_int_equal(gm_txn_begin(f->st, false, &f->txn), GM_OK);
    assert_int_equal(get(f->txn, GM_CKV_PINS, "demo", "https://a.example/n/1"), 9);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(put_get_del, setup, teardown),
        cmocka_unit_test_setup_teardown(bad_arguments, setup, teardown),
        cmocka_unit_test_setup_teardown(pages_and_isolation, setup, teardown),
        cmocka_unit_test_setup_teardown(logs, setup, teardown),
        cmocka_unit_test_setup_teardown(drop_community, setup, teardown),
        cmocka_unit_test_setup_teardown(delete_drops_tables, setup, teardown),
        cmocka_unit_test_setup_teardown(durable, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
