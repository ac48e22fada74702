/* SPDX-License-Identifier: Apache-2.0
 * stats_store.h - the figures of a community, recorded as events happen (never recomputed by
 * scanning the data): one record of counters per (community, UTC day), the gauges (members,
 * pending requests) kept current, the distinct posters/repliers of a day, response-time and
 * report-resolution samples per day, the relayed posts still waiting for an answer, per-object
 * and per-contributor records for "answered" and top contributors, members per server, and
 * node-wide delivery outcomes per host.
 *
 * All of it lives in one LMDB database whose keys are kind(1) community NUL rest, so a
 * community's records of one kind are one key range (days as 4-byte big-endian numbers).
 * Counters are binary (u64 big-endian), so a year of a community is 365 small reads.
 *
 * Times: the storage hooks (members, requests, reports, moderation log) count at the time of
 * the transaction (gm_txn_now), which the rules set to the activity's time. */
#ifndef GEMEINDE_STATS_STORE_H
#define GEMEINDE_STATS_STORE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "gemeinde/err.h"
#include "gemeinde/store.h"

/* Counters of one day. The order is the stored layout: append only. */
enum gm_stat {
    GM_STAT_MEMBERS_GAINED = 0,
    GM_STAT_MEMBERS_LOST,
    GM_STAT_REQUESTS,         /* follow requests waiting for approval, received */
    GM_STAT_POSTS,            /* top-level posts relayed */
    GM_STAT_REPLIES,          /* replies relayed */
    GM_STAT_POSTERS,          /* distinct authors of top-level posts */
    GM_STAT_REPLIERS,         /* distinct authors of replies */
    GM_STAT_LIKES,            /* likes of relayed posts, passed on */
    GM_STAT_REPORTS_OPENED,
    GM_STAT_REPORTS_RESOLVED, /* resolved or dismissed */
    GM_STAT_MOD_ACTIONS,      /* moderation log entries */
    GM_STAT_ANSWERED,         /* top-level posts OF THIS DAY answered by someone else (so far) */
    GM_STAT_QUESTIONS,        /* top-level posts of this day that ask something */
    GM_STAT_CLOSED,           /* top-level posts of this day deleted or removed unanswered */
    GM_STAT_MEMBERS,          /* gauge: members at the end of the day */
    GM_STAT_PENDING,          /* gauge: requests waiting at the end of the day */
    GM_STAT_COUNT
};

/* The short name of a counter ("members_gained" ...), static. */
const char *gm_stat_name(enum gm_stat s);
/* Is it a gauge (a level carried from day to day) rather than a count of events? */
int gm_stat_is_gauge(enum gm_stat s);

/* The UTC day of unix time `t` (days since 1970-01-01). */
uint32_t gm_stats_day(int64_t t);

/* Add `delta` to counter `s` of `community` on the day of `at`. For a gauge, `delta` changes
 * the current level (never below 0), and the day's record takes the new level. */
gm_err gm_stats_add(struct gm_txn *txn, const char *community, int64_t at, enum gm_stat s,
                    int64_t delta);
/* Counters of days from..to (inclusive; to - from < 4000) into out[(day-from)*GM_STAT_COUNT+s].
 * Days without a record are 0, except gauges, which carry the last level before them. */
gm_err gm_stats_range(struct gm_txn *txn, const char *community, uint32_t from, uint32_t to,
                      uint64_t *out);
/* The current gauge levels (members, pending) and, for the other counters, their totals
 * since the figures began (what /metrics publishes as counters), into out[GM_STAT_COUNT]. */
gm_err gm_stats_levels(struct gm_txn *txn, const char *community, uint64_t out[GM_STAT_COUNT]);

/* Distinct people of a day: GM_OK the first time (community, day, kind, actor) is marked,
 * GM_EEXISTS after. kind: 'p' posters, 'r' repliers. One record per person and kind (the last
 * day counted), so the cost does not grow with the days; exact when events come in time order
 * (an earlier day marked after a later one is counted, and may be again). */
gm_err gm_stats_mark(struct gm_txn *txn, const char *community, uint32_t day, char kind,
                     const char *actor);

/* Samples (seconds) of a day: 'r' response time of the day's top-level posts, 'q' resolution
 * time of reports closed that day. At most GM_STATS_SAMPLES_MAX per day and kind (more are
 * not kept: the percentiles then describe the first ones). */
#define GM_STATS_SAMPLES_MAX 65536
gm_err gm_stats_sample_add(struct gm_txn *txn, const char *community, char kind, uint32_t day,
                           uint32_t seconds);
/* All samples of days from..to, day after day, each day's sorted. GM_OK: *vals is a new array
 * of *n values (free; NULL if 0); per_day (may be NULL; to - from + 1 entries) receives how
 * many of them each day has. */
gm_err gm_stats_samples(struct gm_txn *txn, const char *community, char kind, uint32_t from,
                        uint32_t to, uint32_t **vals, size_t *n, size_t *per_day);

/* What the figures know of a relayed object (top-level post or reply). */
#define GM_STATS_OBJ_TOP 1u      /* a top-level post */
#define GM_STATS_OBJ_ANSWERED 2u /* someone other than its author replied */
#define GM_STATS_OBJ_QUESTION 4u
struct gm_stats_obj {
    int64_t at;     /* relayed at */
    unsigned flags; /* GM_STATS_OBJ_* */
    char *author;   /* actor id */
    char *root;     /* the thread's top-level post while it waits for an answer, or NULL */
};
void gm_stats_obj_clear(struct gm_stats_obj *o); /* frees the strings */
gm_err gm_stats_obj_put(struct gm_txn *txn, const char *community, const char *id,
                        const struct gm_stats_obj *o);
/* GM_OK: *o filled (gm_stats_obj_clear). GM_ENOTFOUND. */
gm_err gm_stats_obj_get(struct gm_txn *txn, const char *community, const char *id,
                        struct gm_stats_obj *o);

/* Unanswered top-level posts, in relay order. `entry` (borrowed) is a JSON object the
 * report shows ({id, url, author, title, question}). */
gm_err gm_stats_unanswered_put(struct gm_txn *txn, const char *community, int64_t at,
                               const char *id, json_t *entry);
gm_err gm_stats_unanswered_del(struct gm_txn *txn, const char *community, int64_t at,
                               const char *id);
/* Oldest first: up to `max` entries relayed in [from, to). GM_OK: *page is a new array of the
 * entries, each with "at" added. *total (may be NULL) counts all in [from, to). */
gm_err gm_stats_unanswered_page(struct gm_txn *txn, const char *community, int64_t from,
                                int64_t to, size_t max, json_t **page, size_t *total);

/* A contributor of a community. */
struct gm_stats_who {
    uint32_t last_post_day, last_reply_day; /* 0: never */
    uint32_t posts, replies, answered;      /* all time; answered: own posts/replies others
                                             * replied to */
};
/* GM_ENOTFOUND for someone who never posted. */
gm_err gm_stats_who_get(struct gm_txn *txn, const char *community, const char *actor,
                        struct gm_stats_who *w);
gm_err gm_stats_who_put(struct gm_txn *txn, const char *community, const char *actor,
                        const struct gm_stats_who *w);
typedef void (*gm_stats_who_fn)(const char *actor, size_t actor_len,
                                const struct gm_stats_who *w, void *arg);
/* Call fn for every contributor of `community` (actor not NUL-terminated). */
gm_err gm_stats_who_each(struct gm_txn *txn, const char *community, gm_stats_who_fn fn,
                         void *arg);

/* Members per server (host of the actor id), kept with the members table. */
gm_err gm_stats_host_add(struct gm_txn *txn, const char *community, const char *actor,
                         int64_t delta);
/* GM_OK: *hosts is a new array of {"host": h, "members": n}, most members first, at most
 * `max`; *total_hosts (may be NULL) counts all servers with members. */
gm_err gm_stats_hosts(struct gm_txn *txn, const char *community, size_t max, json_t **hosts,
                      size_t *total_hosts);

/* Node-wide delivery outcomes per destination host. */
enum gm_stats_delivery { GM_DELIVERY_DONE = 0, GM_DELIVERY_RETRY, GM_DELIVERY_FAILED,
                         GM_DELIVERY_KINDS };
gm_err gm_stats_delivery_add(struct gm_txn *txn, const char *host, enum gm_stats_delivery k);
typedef void (*gm_stats_host_fn)(const char *host, size_t host_len,
                                 const uint64_t counts[GM_DELIVERY_KINDS], void *arg);
gm_err gm_stats_delivery_each(struct gm_txn *txn, gm_stats_host_fn fn, void *arg);

/* For measurements: the records of key kind `kind` of every community ('d' days, 'l' levels,
 * 's' distinct people of a day, 'r'/'q' samples, 'o' relayed objects, 'u' unanswered posts,
 * 'c' contributors, 'h' members per server, 'n' deliveries: see stats_store.c): how many, and
 * the bytes of their keys and values (without LMDB's page overhead). A walk over all of them. */
gm_err gm_stats_kind_usage(struct gm_txn *txn, char kind, uint64_t *entries, uint64_t *bytes);

/* Forget every figure of `community` (on delete). */
gm_err gm_stats_drop_community(struct gm_txn *txn, const char *community);

/* Recount the gauges and members per server of every community from the members and request
 * tables (the schema upgrade that introduced the figures; also a repair). Totals are kept. */
gm_err gm_stats_rebuild_levels(struct gm_txn *txn);

#endif
