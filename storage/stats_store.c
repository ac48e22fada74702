/* SPDX-License-Identifier: Apache-2.0
 * stats_store.c - the figures of stats_store.h in the "stats" database. Key kinds:
 *   'd' community NUL day(4)              -> u64[GM_STAT_COUNT] of that day
 *   'l' community NUL                     -> u64[GM_STAT_COUNT]: current gauge levels
 *   's' community NUL kind actor          -> day(4) the person was last counted (distinct
 *                                            posters/repliers of a day)
 *   'r' / 'q' community NUL day(4)        -> sorted u32 samples (seconds)
 *   'o' community NUL object id           -> at(8) flags(1) author_len(2) author root
 *   'u' community NUL at(8) object id     -> JSON entry (unanswered posts)
 *   'c' community NUL actor               -> u32[5] contributor
 *   'h' community NUL host                -> u64 members
 *   'n' NUL host                          -> u64[3] delivery outcomes (node-wide)
 * All integers big-endian. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "gemeinde/stats_store.h"
#include "store_internal.h"

#define KEY_MAX 511
#define NAME_MAX_LEN 64

static const char *const stat_names[GM_STAT_COUNT] = {
    "members_gained", "members_lost", "requests", "posts", "replies", "posters", "repliers",
    "likes", "reports_opened", "reports_resolved", "mod_actions", "answered", "questions",
    "closed", "members", "pending"};

const char *gm_stat_name(enum gm_stat s)
{
    return (unsigned)s < GM_STAT_COUNT ? stat_names[s] : "?";
}

int gm_stat_is_gauge(enum gm_stat s)
{
    return s == GM_STAT_MEMBERS || s == GM_STAT_PENDING;
}

uint32_t gm_stats_day(int64_t t)
{
    return t < 0 ? 0 : (uint32_t)(t / 86400);
}

static void put_u32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24), p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8), p[3] = (unsigned char)v;
}

static uint32_t get_u32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* kind community NUL into buf; its length, or 0 for an unusable community. */
static size_t prefix(char kind, const char *community, unsigned char *buf)
{
    size_t c = community ? strlen(community) : 0;
    if (c > NAME_MAX_LEN || (!c && kind != 'n'))
        return 0;
    buf[0] = (unsigned char)kind;
    memcpy(buf + 1, community ? community : "", c + 1);
    return c + 2;
}

/* prefix + day(4) + [extra bytes] */
static size_t day_key(char kind, const char *community, uint32_t day, unsigned char *buf)
{
    size_t p = prefix(kind, community, buf);
    if (!p)
        return 0;
    put_u32(buf + p, day);
    return p + 4;
}

/* prefix + string */
static size_t str_key(char kind, const char *community, const char *s, unsigned char *buf)
{
    size_t p = prefix(kind, community, buf), n = s ? strlen(s) : 0;
    if (!p || !n || p + n > KEY_MAX)
        return 0;
    memcpy(buf + p, s, n);
    return p + n;
}

static MDB_dbi dbi(struct gm_txn *txn)
{
    return txn->st->dbi[DBI_STATS];
}

static gm_err get(struct gm_txn *txn, unsigned char *k, size_t klen, MDB_val *v)
{
    MDB_val key = {klen, k};
    int rc = mdb_get(txn->txn, dbi(txn), &key, v);
    return rc == MDB_NOTFOUND ? GM_ENOTFOUND : gm_store_map_err(rc, "stats get");
}

static gm_err put(struct gm_txn *txn, unsigned char *k, size_t klen, const void *val,
                  size_t vlen)
{
    MDB_val key = {klen, k}, v = {vlen, (void *)val};
    return gm_store_map_err(mdb_put(txn->txn, dbi(txn), &key, &v, 0), "stats put");
}

static gm_err del(struct gm_txn *txn, unsigned char *k, size_t klen)
{
    MDB_val key = {klen, k};
    int rc = mdb_del(txn->txn, dbi(txn), &key, NULL);
    return rc == MDB_NOTFOUND ? GM_ENOTFOUND : gm_store_map_err(rc, "stats del");
}

/* u64 counters of a value (shorter values: the missing ones are 0). */
static void read_counters(const MDB_val *v, uint64_t *out, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = (i + 1) * 8 <= v->mv_size
                     ? gm_store_from_be64((const unsigned char *)v->mv_data + i * 8)
                     : 0;
}

static gm_err write_counters(struct gm_txn *txn, unsigned char *k, size_t klen,
                             const uint64_t *c, size_t n)
{
    unsigned char val[GM_STAT_COUNT * 8];
    for (size_t i = 0; i < n; i++)
        gm_store_be64(c[i], val + i * 8);
    return put(txn, k, klen, val, n * 8);
}

gm_err gm_stats_levels(struct gm_txn *txn, const char *community, uint64_t out[GM_STAT_COUNT])
{
    unsigned char k[KEY_MAX + 1];
    size_t klen = prefix('l', community, k);
    MDB_val v;
    if (!klen)
        return GM_EINVAL;
    gm_err e = get(txn, k, klen, &v);
    if (e == GM_ENOTFOUND) {
        memset(out, 0, GM_STAT_COUNT * sizeof *out);
        return GM_OK;
    }
    if (e == GM_OK)
        read_counters(&v, out, GM_STAT_COUNT);
    return e;
}

gm_err gm_stats_add(struct gm_txn *txn, const char *community, int64_t at, enum gm_stat s,
                    int64_t delta)
{
    unsigned char k[KEY_MAX + 1], lk[KEY_MAX + 1];
    uint64_t day[GM_STAT_COUNT], level[GM_STAT_COUNT];
    size_t klen = day_key('d', community, gm_stats_day(at), k), lklen = prefix('l', community, lk);
    MDB_val v;
    if (!klen || (unsigned)s >= GM_STAT_COUNT)
        return GM_EINVAL;
    gm_err e = gm_stats_levels(txn, community, level);
    if (e != GM_OK)
        return e;
    if ((e = get(txn, k, klen, &v)) == GM_OK) {
        read_counters(&v, day, GM_STAT_COUNT);
    } else if (e == GM_ENOTFOUND) { /* a new day starts at the current levels, no events */
        for (int i = 0; i < GM_STAT_COUNT; i++)
            day[i] = gm_stat_is_gauge(i) ? level[i] : 0;
    } else {
        return e;
    }
    level[s] = delta < 0 && (uint64_t)-delta > level[s] ? 0 : level[s] + (uint64_t)delta;
    if (gm_stat_is_gauge(s))
        day[s] = level[s];
    else
        day[s] = delta < 0 && (uint64_t)-delta > day[s] ? 0 : day[s] + (uint64_t)delta;
    if ((e = write_counters(txn, lk, lklen, level, GM_STAT_COUNT)) != GM_OK)
        return e;
    return write_counters(txn, k, klen, day, GM_STAT_COUNT);
}

gm_err gm_stats_range(struct gm_txn *txn, const char *community, uint32_t from, uint32_t to,
                      uint64_t *out)
{
    unsigned char k[KEY_MAX + 1];
    size_t plen = prefix('d', community, k), klen = day_key('d', community, from, k);
    uint64_t carry[GM_STAT_COUNT] = {0};
    MDB_cursor *cur;
    if (!klen || to < from || to - from >= 4000)
        return GM_EINVAL;
    size_t ndays = (size_t)(to - from) + 1;
    memset(out, 0, ndays * GM_STAT_COUNT * sizeof *out);
    int rc = mdb_cursor_open(txn->txn, dbi(txn), &cur);
    if (rc)
        return gm_store_map_err(rc, "stats cursor");
    MDB_val key = {klen, k}, v;
    rc = mdb_cursor_get(cur, &key, &v, MDB_SET_RANGE);
    /* the gauges before the range: the last day record before `from` */
    int prc = rc == 0 ? mdb_cursor_get(cur, &key, &v, MDB_PREV) : mdb_cursor_get(cur, &key, &v, MDB_LAST);
    if (prc == 0 && key.mv_size == plen + 4 && !memcmp(key.mv_data, k, plen))
        read_counters(&v, carry, GM_STAT_COUNT);
    key = (MDB_val){klen, k};
    rc = mdb_cursor_get(cur, &key, &v, MDB_SET_RANGE);
    uint32_t next = from; /* the first day not filled yet */
    for (; rc == 0; rc = mdb_cursor_get(cur, &key, &v, MDB_NEXT)) {
        if (key.mv_size != plen + 4 || memcmp(key.mv_data, k, plen))
            break;
        uint32_t day = get_u32((const unsigned char *)key.mv_data + plen);
        if (day > to)
            break;
        for (; next < day; next++) /* days without a record carry the gauges */
            for (int s = 0; s < GM_STAT_COUNT; s++)
                if (gm_stat_is_gauge(s))
                    out[(next - from) * GM_STAT_COUNT + s] = carry[s];
        read_counters(&v, out + (size_t)(day - from) * GM_STAT_COUNT, GM_STAT_COUNT);
        memcpy(carry, out + (size_t)(day - from) * GM_STAT_COUNT, sizeof carry);
        next = day + 1;
    }
    mdb_cursor_close(cur);
    for (; next <= to && next >= from; next++) {
        for (int s = 0; s < GM_STAT_COUNT; s++)
            if (gm_stat_is_gauge(s))
                out[(next - from) * GM_STAT_COUNT + s] = carry[s];
        if (next == UINT32_MAX)
            break;
    }
    return rc == 0 || rc == MDB_NOTFOUND ? GM_OK : gm_store_map_err(rc, "stats range");
}

gm_err gm_stats_mark(struct gm_txn *txn, const char *community, uint32_t day, char kind,
                     const char *actor)
{
    unsigned char k[KEY_MAX + 1], val[4];
    size_t p = prefix('s', community, k), n = actor ? strlen(actor) : 0;
    MDB_val v;
    if (!p || !n || p + 1 + n > KEY_MAX)
        return GM_EINVAL;
    k[p] = (unsigned char)kind;
    memcpy(k + p + 1, actor, n);
    gm_err e = get(txn, k, p + 1 + n, &v);
    if (e == GM_OK && v.mv_size == 4) {
        uint32_t last = get_u32(v.mv_data);
        if (last == day)
            return GM_EEXISTS;
        if (last > day) /* an earlier day, out of order: counted, the last day stays */
            return GM_OK;
    } else if (e != GM_OK && e != GM_ENOTFOUND) {
        return e;
    }
    put_u32(val, day);
    return put(txn, k, p + 1 + n, val, sizeof val);
}

gm_err gm_stats_sample_add(struct gm_txn *txn, const char *community, char kind, uint32_t day,
                           uint32_t seconds)
{
    unsigned char k[KEY_MAX + 1];
    size_t klen = (kind == 'r' || kind == 'q') ? day_key(kind, community, day, k) : 0;
    MDB_val v = {0, NULL};
    if (!klen)
        return GM_EINVAL;
    gm_err e = get(txn, k, klen, &v);
    if (e != GM_OK && e != GM_ENOTFOUND)
        return e;
    size_t n = e == GM_OK ? v.mv_size / 4 : 0, lo = 0, hi = n;
    if (n >= GM_STATS_SAMPLES_MAX)
        return GM_OK;
    const unsigned char *old = v.mv_data;
    while (lo < hi) { /* the first sample greater than `seconds` */
        size_t mid = (lo + hi) / 2;
        if (get_u32(old + mid * 4) <= seconds)
            lo = mid + 1;
        else
            hi = mid;
    }
    unsigned char *val = malloc((n + 1) * 4);
    if (!val)
        return GM_ENOMEM;
    if (lo)
        memcpy(val, old, lo * 4);
    put_u32(val + lo * 4, seconds);
    if (n > lo)
        memcpy(val + (lo + 1) * 4, old + lo * 4, (n - lo) * 4);
    e = put(txn, k, klen, val, (n + 1) * 4);
    free(val);
    return e;
}

gm_err gm_stats_samples(struct gm_txn *txn, const char *community, char kind, uint32_t from,
                        uint32_t to, uint32_t **vals, size_t *n, size_t *per_day)
{
    unsigned char k[KEY_MAX + 1];
    size_t plen = prefix(kind, community, k), klen = day_key(kind, community, from, k);
    uint32_t *out = NULL;
    size_t count = 0, cap = 0;
    MDB_cursor *cur;
    if (!klen || (kind != 'r' && kind != 'q') || to < from)
        return GM_EINVAL;
    if (per_day)
        memset(per_day, 0, ((size_t)(to - from) + 1) * sizeof *per_day);
    int rc = mdb_cursor_open(txn->txn, dbi(txn), &cur);
    if (rc)
        return gm_store_map_err(rc, "stats cursor");
    MDB_val key = {klen, k}, v;
    gm_err e = GM_OK;
    for (rc = mdb_cursor_get(cur, &key, &v, MDB_SET_RANGE); rc == 0;
         rc = mdb_cursor_get(cur, &key, &v, MDB_NEXT)) {
        if (key.mv_size != plen + 4 || memcmp(key.mv_data, k, plen) ||
            get_u32((const unsigned char *)key.mv_data + plen) > to)
            break;
        size_t m = v.mv_size / 4;
        if (per_day)
            per_day[get_u32((const unsigned char *)key.mv_data + plen) - from] = m;
        if (count + m > cap) {
            size_t ncap = cap ? cap * 2 : 1024;
            while (ncap < count + m)
                ncap *= 2;
            uint32_t *grown = realloc(out, ncap * sizeof *out);
            if (!grown) {
                e = GM_ENOMEM;
                break;
            }
            out = grown, cap = ncap;
        }
        for (size_t i = 0; i < m; i++)
            out[count++] = get_u32((const unsigned char *)v.mv_data + i * 4);
    }
    mdb_cursor_close(cur);
    if (e == GM_OK && rc != 0 && rc != MDB_NOTFOUND)
        e = gm_store_map_err(rc, "stats samples");
    if (e != GM_OK) {
        free(out);
        return e;
    }
    *vals = out;
    *n = count;
    return GM_OK;
}

void gm_stats_obj_clear(struct gm_stats_obj *o)
{
    if (!o)
        return;
    free(o->author);
    free(o->root);
    o->author = o->root = NULL;
}

gm_err gm_stats_obj_put(struct gm_txn *txn, const char *community, const char *id,
                        const struct gm_stats_obj *o)
{
    unsigned char k[KEY_MAX + 1];
    size_t klen = str_key('o', community, id, k);
    size_t alen = o->author ? strlen(o->author) : 0, rlen = o->root ? strlen(o->root) : 0;
    if (!klen || alen > 0xffff || rlen > 4096)
        return GM_EINVAL;
    unsigned char *val = malloc(11 + alen + rlen);
    if (!val)
        return GM_ENOMEM;
    gm_store_be64((uint64_t)o->at, val);
    val[8] = (unsigned char)o->flags;
    val[9] = (unsigned char)(alen >> 8), val[10] = (unsigned char)alen;
    memcpy(val + 11, o->author ? o->author : "", alen);
    memcpy(val + 11 + alen, o->root ? o->root : "", rlen);
    gm_err e = put(txn, k, klen, val, 11 + alen + rlen);
    free(val);
    return e;
}

gm_err gm_stats_obj_get(struct gm_txn *txn, const char *community, const char *id,
                        struct gm_stats_obj *o)
{
    unsigned char k[KEY_MAX + 1];
    size_t klen = str_key('o', community, id, k);
    MDB_val v;
    if (!klen)
        return GM_ENOTFOUND;
    gm_err e = get(txn, k, klen, &v);
    if (e != GM_OK)
        return e;
    const unsigned char *p = v.mv_data;
    size_t alen = v.mv_size >= 11 ? (size_t)p[9] << 8 | p[10] : 0;
    if (v.mv_size < 11 + alen)
        return GM_ESTORE;
    size_t rlen = v.mv_size - 11 - alen;
    struct gm_stats_obj r = {.at = (int64_t)gm_store_from_be64(p), .flags = p[8]};
    if (!(r.author = strndup((const char *)p + 11, alen)) ||
        (rlen && !(r.root = strndup((const char *)p + 11 + alen, rlen)))) {
        gm_stats_obj_clear(&r);
        return GM_ENOMEM;
    }
    *o = r;
    return GM_OK;
}

static size_t unanswered_key(const char *community, int64_t at, const char *id,
                             unsigned char *k)
{
    size_t p = prefix('u', community, k), n = id ? strlen(id) : 0;
    if (!p || !n || p + 8 + n > KEY_MAX)
        return 0;
    gm_store_be64((uint64_t)at, k + p);
    memcpy(k + p + 8, id, n);
    return p + 8 + n;
}

gm_err gm_stats_unanswered_put(struct gm_txn *txn, const char *community, int64_t at,
                               const char *id, json_t *entry)
{
    unsigned char k[KEY_MAX + 1];
    size_t klen = unanswered_key(community, at, id, k);
    if (!klen || !json_is_object(entry))
        return GM_EINVAL;
    char *s = json_dumps(entry, JSON_COMPACT);
    if (!s)
        return GM_ENOMEM;
    gm_err e = put(txn, k, klen, s, strlen(s));
    free(s);
    return e;
}

gm_err gm_stats_unanswered_del(struct gm_txn *txn, const char *community, int64_t at,
                               const char *id)
{
    unsigned char k[KEY_MAX + 1];
    size_t klen = unanswered_key(community, at, id, k);
    return klen ? del(txn, k, klen) : GM_ENOTFOUND;
}

gm_err gm_stats_unanswered_page(struct gm_txn *txn, const char *community, int64_t from,
                                int64_t to, size_t max, json_t **page, size_t *total)
{
    unsigned char k[KEY_MAX + 1];
    size_t plen = prefix('u', community, k), count = 0;
    MDB_cursor *cur;
    if (!plen)
        return GM_EINVAL;
    gm_store_be64((uint64_t)(from < 0 ? 0 : from), k + plen);
    json_t *out = json_array();
    int rc = out ? mdb_cursor_open(txn->txn, dbi(txn), &cur) : ENOMEM;
    if (rc) {
        json_decref(out);
        return rc == ENOMEM ? GM_ENOMEM : gm_store_map_err(rc, "stats cursor");
    }
    MDB_val key = {plen + 8, k}, v;
    gm_err e = GM_OK;
    for (rc = mdb_cursor_get(cur, &key, &v, MDB_SET_RANGE); rc == 0;
         rc = mdb_cursor_get(cur, &key, &v, MDB_NEXT)) {
        if (key.mv_size <= plen + 8 || memcmp(key.mv_data, k, plen))
            break;
        int64_t at = (int64_t)gm_store_from_be64((const unsigned char *)key.mv_data + plen);
        if (at >= to)
            break;
        count++;
        if (json_array_size(out) >= max) {
            if (!total)
                break;
            continue;
        }
        json_t *entry = json_loadb(v.mv_data, v.mv_size, 0, NULL);
        if (!json_is_object(entry) || json_object_set_new(entry, "at", json_integer(at)) ||
            json_array_append_new(out, entry)) {
            json_decref(entry);
            e = GM_ESTORE;
            break;
        }
    }
    mdb_cursor_close(cur);
    if (e == GM_OK && rc != 0 && rc != MDB_NOTFOUND)
        e = gm_store_map_err(rc, "stats unanswered");
    if (e != GM_OK) {
        json_decref(out);
        return e;
    }
    *page = out;
    if (total)
        *total = count;
    return GM_OK;
}

static void decode_who(const unsigned char *p, struct gm_stats_who *w)
{
    w->last_post_day = get_u32(p), w->last_reply_day = get_u32(p + 4);
    w->posts = get_u32(p + 8), w->replies = get_u32(p + 12), w->answered = get_u32(p + 16);
}

gm_err gm_stats_who_get(struct gm_txn *txn, const char *community, const char *actor,
                        struct gm_stats_who *w)
{
    unsigned char k[KEY_MAX + 1];
    size_t klen = str_key('c', community, actor, k);
    MDB_val v;
    if (!klen)
        return GM_ENOTFOUND;
    gm_err e = get(txn, k, klen, &v);
    if (e == GM_OK && v.mv_size < 20)
        e = GM_ESTORE;
    if (e == GM_OK)
        decode_who(v.mv_data, w);
    return e;
}

gm_err gm_stats_who_put(struct gm_txn *txn, const char *community, const char *actor,
                        const struct gm_stats_who *w)
{
    unsigned char k[KEY_MAX + 1], val[20];
    size_t klen = str_key('c', community, actor, k);
    if (!klen)
        return GM_EINVAL;
    put_u32(val, w->last_post_day), put_u32(val + 4, w->last_reply_day);
    put_u32(val + 8, w->posts), put_u32(val + 12, w->replies), put_u32(val + 16, w->answered);
    return put(txn, k, klen, val, sizeof val);
}

/* Call fn(key suffix, value) for every record of (kind, community). */
typedef void (*each_fn)(const char *rest, size_t rest_len, const MDB_val *v, void *arg);

static gm_err each(struct gm_txn *txn, char kind, const char *community, each_fn fn, void *arg)
{
    unsigned char k[KEY_MAX + 1];
    size_t plen = prefix(kind, community, k);
    MDB_cursor *cur;
    if (!plen)
        return GM_EINVAL;
    int rc = mdb_cursor_open(txn->txn, dbi(txn), &cur);
    if (rc)
        return gm_store_map_err(rc, "stats cursor");
    MDB_val key = {plen, k}, v;
    for (rc = mdb_cursor_get(cur, &key, &v, MDB_SET_RANGE); rc == 0;
         rc = mdb_cursor_get(cur, &key, &v, MDB_NEXT)) {
        if (key.mv_size < plen || memcmp(key.mv_data, k, plen))
            break;
        fn((const char *)key.mv_data + plen, key.mv_size - plen, &v, arg);
    }
    mdb_cursor_close(cur);
    return rc == 0 || rc == MDB_NOTFOUND ? GM_OK : gm_store_map_err(rc, "stats walk");
}

struct who_arg {
    gm_stats_who_fn fn;
    void *arg;
};

static void who_one(const char *rest, size_t len, const MDB_val *v, void *arg)
{
    struct who_arg *wa = arg;
    struct gm_stats_who w;
    if (v->mv_size < 20)
        return;
    decode_who(v->mv_data, &w);
    wa->fn(rest, len, &w, wa->arg);
}

gm_err gm_stats_who_each(struct gm_txn *txn, const char *community, gm_stats_who_fn fn,
                         void *arg)
{
    struct who_arg wa = {fn, arg};
    return each(txn, 'c', community, who_one, &wa);
}

/* The host of an actor URL (lowercase, without user info), into buf. */
static int actor_host(const char *actor, char *buf, size_t size)
{
    const char *p = actor ? strstr(actor, "://") : NULL;
    if (!p)
        return 0;
    p += 3;
    size_t n = strcspn(p, "/?#");
    const char *at = memchr(p, '@', n);
    if (at)
        n -= (size_t)(at + 1 - p), p = at + 1;
    if (!n || n >= size)
        return 0;
    for (size_t i = 0; i < n; i++)
        buf[i] = (char)(p[i] >= 'A' && p[i] <= 'Z' ? p[i] + 32 : p[i]);
    buf[n] = '\0';
    return 1;
}

gm_err gm_stats_host_add(struct gm_txn *txn, const char *community, const char *actor,
                         int64_t delta)
{
    unsigned char k[KEY_MAX + 1];
    char host[256];
    MDB_val v;
    if (!actor_host(actor, host, sizeof host))
        return GM_OK; /* not a URL: nothing to count */
    size_t klen = str_key('h', community, host, k);
    if (!klen)
        return GM_EINVAL;
    uint64_t n = 0;
    gm_err e = get(txn, k, klen, &v);
    if (e == GM_OK)
        read_counters(&v, &n, 1);
    else if (e != GM_ENOTFOUND)
        return e;
    n = delta < 0 && (uint64_t)-delta >= n ? 0 : n + (uint64_t)delta;
    if (!n)
        return e == GM_OK ? del(txn, k, klen) : GM_OK;
    return write_counters(txn, k, klen, &n, 1);
}

struct host_list {
    json_t *all;
};

static void host_one(const char *rest, size_t len, const MDB_val *v, void *arg)
{
    struct host_list *hl = arg;
    uint64_t n;
    read_counters(v, &n, 1);
    json_array_append_new(hl->all, json_pack("{s:s%, s:I}", "host", rest, len, "members",
                                             (json_int_t)n));
}

static int by_members(const void *a, const void *b)
{
    json_int_t x = json_integer_value(json_object_get(*(json_t *const *)a, "members"));
    json_int_t y = json_integer_value(json_object_get(*(json_t *const *)b, "members"));
    if (x != y)
        return x < y ? 1 : -1;
    return strcmp(json_string_value(json_object_get(*(json_t *const *)a, "host")),
                  json_string_value(json_object_get(*(json_t *const *)b, "host")));
}

gm_err gm_stats_hosts(struct gm_txn *txn, const char *community, size_t max, json_t **hosts,
                      size_t *total_hosts)
{
    struct host_list hl = {json_array()};
    if (!hl.all)
        return GM_ENOMEM;
    gm_err e = each(txn, 'h', community, host_one, &hl);
    size_t n = json_array_size(hl.all);
    json_t **items = n ? malloc(n * sizeof *items) : NULL;
    json_t *out = json_array();
    if (e == GM_OK && (!out || (n && !items)))
        e = GM_ENOMEM;
    if (e == GM_OK) {
        for (size_t i = 0; i < n; i++)
            items[i] = json_array_get(hl.all, i);
        if (n)
            qsort(items, n, sizeof *items, by_members);
        for (size_t i = 0; i < n && i < max; i++)
            json_array_append(out, items[i]);
        *hosts = out, out = NULL;
        if (total_hosts)
            *total_hosts = n;
    }
    free(items);
    json_decref(out);
    json_decref(hl.all);
    return e;
}

gm_err gm_stats_delivery_add(struct gm_txn *txn, const char *host, enum gm_stats_delivery kind)
{
    unsigned char k[KEY_MAX + 1];
    size_t klen = str_key('n', "", host, k);
    uint64_t c[GM_DELIVERY_KINDS] = {0};
    MDB_val v;
    if (!klen || (unsigned)kind >= GM_DELIVERY_KINDS)
        return GM_EINVAL;
    gm_err e = get(txn, k, klen, &v);
    if (e == GM_OK)
        read_counters(&v, c, GM_DELIVERY_KINDS);
    else if (e != GM_ENOTFOUND)
        return e;
    c[kind]++;
    return write_counters(txn, k, klen, c, GM_DELIVERY_KINDS);
}

struct host_fn_arg {
    gm_stats_host_fn fn;
    void *arg;
};

static void delivery_one(const char *rest, size_t len, const MDB_val *v, void *arg)
{
    struct host_fn_arg *ha = arg;
    uint64_t c[GM_DELIVERY_KINDS];
    read_counters(v, c, GM_DELIVERY_KINDS);
    ha->fn(rest, len, c, ha->arg);
}

gm_err gm_stats_delivery_each(struct gm_txn *txn, gm_stats_host_fn fn, void *arg)
{
    struct host_fn_arg ha = {fn, arg};
    return each(txn, 'n', "", delivery_one, &ha);
}

gm_err gm_stats_kind_usage(struct gm_txn *txn, char kind, uint64_t *entries, uint64_t *bytes)
{
    unsigned char p = (unsigned char)kind;
    uint64_t n = 0, sum = 0;
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn->txn, dbi(txn), &cur);
    if (rc)
        return gm_store_map_err(rc, "stats cursor");
    MDB_val k = {1, &p}, v;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
         rc == 0 && k.mv_size >= 1 && *(const unsigned char *)k.mv_data == p;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        n++;
        sum += k.mv_size + v.mv_size;
    }
    mdb_cursor_close(cur);
    if (rc != 0 && rc != MDB_NOTFOUND)
        return gm_store_map_err(rc, "stats usage");
    *entries = n;
    *bytes = sum;
    return GM_OK;
}

gm_err gm_stats_drop_community(struct gm_txn *txn, const char *community)
{
    static const char kinds[] = "dlsrqouch";
    unsigned char k[KEY_MAX + 1];
    gm_err e = GM_OK;
    for (const char *kind = kinds; *kind && e == GM_OK; kind++) {
        size_t plen = prefix(*kind, community, k);
        e = plen ? gm_store_drop_prefix(txn, dbi(txn), k, plen) : GM_EINVAL;
    }
    return e;
}

/* Walk a table of "community NUL rest" keys (skipping `skip` leading bytes) and count into the
 * figures: members (with their server) or pending requests. */
static gm_err recount(struct gm_txn *txn, enum gm_dbi which, const unsigned char *pre,
                      size_t skip, enum gm_stat gauge)
{
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn->txn, txn->st->dbi[which], &cur);
    if (rc)
        return gm_store_map_err(rc, "stats cursor");
    MDB_val k = {skip, (void *)pre}, v;
    gm_err e = GM_OK;
    for (rc = skip ? mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE) : mdb_cursor_get(cur, &k, &v, MDB_FIRST);
         rc == 0 && e == GM_OK; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (k.mv_size <= skip || (skip && memcmp(k.mv_data, pre, skip)))
            break;
        const char *s = (const char *)k.mv_data + skip;
        size_t len = k.mv_size - skip, c = strnlen(s, len);
        char community[NAME_MAX_LEN + 1], *actor;
        if (c == len || c > NAME_MAX_LEN || !(actor = strndup(s + c + 1, len - c - 1)))
            continue;
        memcpy(community, s, c);
        community[c] = '\0';
        unsigned char lk[KEY_MAX + 1];
        uint64_t level[GM_STAT_COUNT];
        size_t lklen = prefix('l', community, lk);
        e = gm_stats_levels(txn, community, level);
        if (e == GM_OK) {
            level[gauge]++;
            e = write_counters(txn, lk, lklen, level, GM_STAT_COUNT);
        }
        if (e == GM_OK && gauge == GM_STAT_MEMBERS)
            e = gm_stats_host_add(txn, community, actor, 1);
        free(actor);
    }
    mdb_cursor_close(cur);
    if (e == GM_OK && rc != 0 && rc != MDB_NOTFOUND)
        e = gm_store_map_err(rc, "stats recount");
    return e;
}

static gm_err zero_gauges(struct gm_txn *txn, const unsigned char *p)
{
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn->txn, dbi(txn), &cur);
    if (rc)
        return gm_store_map_err(rc, "stats cursor");
    MDB_val k = {1, (void *)p}, v;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        uint64_t c[GM_STAT_COUNT];
        unsigned char val[GM_STAT_COUNT * 8];
        if (k.mv_size < 1 || memcmp(k.mv_data, p, 1))
            break;
        read_counters(&v, c, GM_STAT_COUNT);
        c[GM_STAT_MEMBERS] = c[GM_STAT_PENDING] = 0;
        for (int i = 0; i < GM_STAT_COUNT; i++)
            gm_store_be64(c[i], val + i * 8);
        v = (MDB_val){sizeof val, val};
        if ((rc = mdb_cursor_put(cur, &k, &v, MDB_CURRENT)) != 0)
            break;
    }
    mdb_cursor_close(cur);
    return rc == 0 || rc == MDB_NOTFOUND ? GM_OK : gm_store_map_err(rc, "stats gauges");
}

gm_err gm_stats_rebuild_levels(struct gm_txn *txn)
{
    /* forget the gauges (not the totals) and the hosts of every community */
    unsigned char lp[1] = {'l'}, hp[1] = {'h'};
    gm_err e = zero_gauges(txn, lp);
    if (e == GM_OK)
        e = gm_store_drop_prefix(txn, dbi(txn), hp, 1);
    if (e != GM_OK)
        return e;
    unsigned char pending[1] = {0}; /* ckv table byte of GM_CKV_PENDING */
    e = recount(txn, DBI_MEMBERS, NULL, 0, GM_STAT_MEMBERS);
    return e == GM_OK ? recount(txn, DBI_CKV, pending, 1, GM_STAT_PENDING) : e;
}
