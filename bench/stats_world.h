/* SPDX-License-Identifier: Apache-2.0
 * stats_world.h - the synthetic year of bench_stats.c, and how it gets into a store. Seeded, so
 * every run makes the same year (ending at the run's `now`): members join on hosts drawn
 * Zipf-like (a few big servers), one in 20 more joins and leaves; 30% of the posts are top-level
 * (a quarter ask something, one in ten is never answered by anyone else), 70% replies, the first
 * answer after a log-normal delay (median 1 h: minutes to days), later replies to the thread's
 * post or its latest reply; posting is Zipf-like over the members; likes, deletions, reports
 * opened and closed, moderation entries, follow requests and held posts. populate() records
 * every event in time order through the calls the node makes (gm_member_put, gm_stats_on_post,
 * gm_clog_append, gm_report_resolve ...), each at its own time (gm_txn_set_now), TXN_OPS per
 * write transaction. The relay itself (outbox, fan-out, delivery) does not run. Header-only
 * because bench/CMakeLists.txt builds each bench_*.c on its own. */
#ifndef GEMEINDE_BENCH_STATS_WORLD_H
#define GEMEINDE_BENCH_STATS_WORLD_H

#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include "gemeinde/ckv.h"
#include "gemeinde/community.h"
#include "gemeinde/keygen.h"
#include "gemeinde/members.h"
#include "gemeinde/modlog.h"
#include "gemeinde/reports.h"
#include "gemeinde/rules.h"
#include "gemeinde/stats_events.h"
#include "gemeinde/store.h"

#define COMMUNITY "bench"
#define BASE "https://gemeinde.example"
#define DAY 86400
#define YEAR_DAYS 365
#define TXN_OPS 10000  /* events per write transaction while filling the store */
#define TOP UINT32_MAX /* parent of a top-level post */

/* ---- seeded randomness ------------------------------------------------------------------- */

static uint64_t rng_state = 0x5eed2025u;

static inline uint64_t rnd64(void) /* splitmix64 */
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static inline double unif(void) /* [0, 1) */
{
    return (double)(rnd64() >> 11) / 9007199254740992.0;
}

static inline size_t below(size_t n)
{
    return (size_t)(unif() * (double)n);
}

/* Log-normal seconds with this median; sigma 1.6 spreads a median of 1 h from minutes to days. */
static inline int64_t lognormal(double median_s, double sigma)
{
    double z = sqrt(-2.0 * log(1.0 - unif())) * cos(6.283185307179586 * unif());
    return 1 + (int64_t)(median_s * exp(sigma * z));
}

/* Zipf-like ranks 0..n-1: rank k is drawn with weight (k+1)^-s. */
struct zipf {
    double *cdf;
    size_t n;
};

static inline int zipf_init(struct zipf *z, size_t n, double s)
{
    double sum = 0;
    z->n = n;
    if (!(z->cdf = malloc(n * sizeof *z->cdf)))
        return -1;
    for (size_t k = 0; k < n; k++)
        z->cdf[k] = (sum += pow((double)(k + 1), -s));
    for (size_t k = 0; k < n; k++)
        z->cdf[k] /= sum;
    return 0;
}

static inline size_t zipf_draw(const struct zipf *z)
{
    double u = unif();
    size_t lo = 0, hi = z->n - 1;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (z->cdf[mid] < u)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* ---- the synthetic year ------------------------------------------------------------------ */

enum ev_kind {
    EV_JOIN,
    EV_LEAVE,
    EV_REQUEST,
    EV_HANDLED,
    EV_POST,
    EV_LIKE,
    EV_GONE,
    EV_REPORT,
    EV_CLOSE,
    EV_MODLOG,
    EV_HELD,
    EV_KINDS
};
static const char *const ev_names[EV_KINDS] = {
    "member joined", "member left",   "follow request", "request handled",  "post relayed", "like",
    "post deleted",  "report opened", "report closed",  "moderation entry", "post held"};

struct event {
    int64_t t;
    uint32_t ref; /* member, post, report ... by kind */
    uint8_t kind;
};

#define F_QUESTION 1u
#define F_URL 2u   /* a link with a query string: a '?' that asks nothing */
#define F_NEVER 4u /* a top-level post nobody else answers */

struct post {
    int64_t t;
    uint32_t author, parent; /* parent: TOP for a top-level post */
    uint8_t flags;
};

struct report_rec {
    uint32_t post, reporter;
    uint64_t seq; /* set when opened */
};

struct world {
    int64_t start, now; /* the first second of the first day of the year, the last one */
    size_t members, all_members, hosts;
    uint32_t *host; /* of each member (the ones who stay, then the ones who leave) */
    struct post *posts;
    size_t nposts, cap_posts, ntop, nreplies, nquestions, nnever, nself;
    struct report_rec *reports;
    size_t nreports;
    struct event *ev;
    size_t nev, cap, count[EV_KINDS];
    struct zipf who; /* how much each member posts */
};

static inline int ev_add(struct world *w, int64_t t, enum ev_kind kind, size_t ref)
{
    if (w->nev == w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 1u << 20;
        struct event *grown = realloc(w->ev, cap * sizeof *grown);
        if (!grown)
            return -1;
        w->ev = grown, w->cap = cap;
    }
    w->ev[w->nev++] = (struct event){t, (uint32_t)ref, (uint8_t)kind};
    w->count[kind]++;
    return 0;
}

static inline int64_t in_year(const struct world *w)
{
    return w->start + (int64_t)(unif() * (double)(w->now - w->start));
}

/* Members join over the year; one in 20 more joins and leaves again. */
static inline int make_members(struct world *w)
{
    struct zipf hz;
    w->all_members = w->members + w->members / 20;
    if (!(w->host = malloc(w->all_members * sizeof *w->host)) || zipf_init(&hz, w->hosts, 1.1))
        return -1;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < w->all_members; i++) {
        int64_t t = in_year(w);
        w->host[i] = (uint32_t)zipf_draw(&hz);
        rc = ev_add(w, t, EV_JOIN, i);
        if (rc == 0 && i >= w->members)
            rc = ev_add(w, t + 1 + (int64_t)(unif() * (double)(w->now - t - 1)), EV_LEAVE, i);
    }
    free(hz.cdf);
    return rc;
}

static inline uint32_t other_than(const struct world *w, uint32_t author)
{
    uint32_t a;
    while ((a = (uint32_t)zipf_draw(&w->who)) == author)
        ;
    return a;
}

/* A reply to `parent` at t by author: 0 when added, 1 when it would come after now or the
 * replies are all made, -1 when out of memory. */
static inline int reply(struct world *w, uint32_t parent, int64_t t, uint32_t author)
{
    if (t > w->now || w->nposts == w->cap_posts)
        return 1;
    size_t i = w->nposts++;
    w->posts[i] = (struct post){t, author, parent, 0};
    w->nreplies++;
    return ev_add(w, t, EV_POST, i) ? -1 : 0;
}

/* Top-level posts (30%): a quarter ask something, one in ten is never answered by anyone else.
 * The others get a first answer after a log-normal delay (median 1 h), some after a reply of
 * their author; the rest of the replies go to a thread's post or its latest reply. */
static inline int make_posts(struct world *w, size_t want)
{
    size_t budget;
    uint32_t *last;
    w->ntop = want * 3 / 10;
    budget = want - w->ntop;
    if (!(w->posts = malloc(want * sizeof *w->posts)) || !(last = malloc(w->ntop * sizeof *last)))
        return -1;
    w->cap_posts = want;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < w->ntop; i++) {
        double u = unif();
        uint8_t flags = u < 0.25 ? F_QUESTION : u < 0.30 ? F_URL : 0;
        flags |= unif() < 0.10 ? F_NEVER : 0;
        w->posts[i] = (struct post){in_year(w), (uint32_t)zipf_draw(&w->who), TOP, flags};
        w->nquestions += (flags & F_QUESTION) != 0;
        w->nnever += (flags & F_NEVER) != 0;
        last[i] = TOP;
        rc = ev_add(w, w->posts[i].t, EV_POST, i);
    }
    w->nposts = w->ntop;
    for (size_t i = 0; rc == 0 && i < w->ntop && w->nreplies < budget; i++) {
        const struct post p = w->posts[i];
        int64_t answer = p.t + lognormal(3600, 1.6);
        uint32_t parent = (uint32_t)i;
        if ((p.flags & F_NEVER) ? unif() < 0.2 : unif() < 0.15) { /* the author adds something */
            int64_t t = p.t + 1 + (int64_t)(unif() * (double)(answer - p.t - 1));
            if ((rc = reply(w, (uint32_t)i, t, p.author)) < 0)
                break;
            w->nself += rc == 0;
            if (rc == 0 && unif() < 0.3)
                parent = (uint32_t)(w->nposts - 1); /* the answer goes to the author's reply */
            last[i] = rc == 0 ? (uint32_t)(w->nposts - 1) : TOP;
            rc = 0;
        }
        if (!(p.flags & F_NEVER) && w->nreplies < budget &&
            (rc = reply(w, parent, answer, other_than(w, p.author))) == 0)
            last[i] = (uint32_t)(w->nposts - 1);
        rc = rc < 0 ? -1 : 0;
    }
    for (size_t tries = 0; rc == 0 && w->nreplies < budget && tries < budget * 20; tries++) {
        size_t i = below(w->ntop);
        if ((w->posts[i].flags & F_NEVER) || last[i] == TOP)
            continue;
        uint32_t parent = unif() < 0.5 ? (uint32_t)i : last[i];
        uint32_t author =
            unif() < 0.2 ? w->posts[i].author : other_than(w, w->posts[parent].author);
        if ((rc = reply(w, parent, w->posts[parent].t + lognormal(1800, 1.8), author)) == 0)
            last[i] = (uint32_t)(w->nposts - 1);
        rc = rc < 0 ? -1 : 0;
    }
    free(last);
    return rc;
}

/* Likes (1.5 per post), deletions, reports, moderation, follow requests, held posts. */
static inline int make_rest(struct world *w)
{
    int rc = 0;
    for (size_t k = 0; rc == 0 && k < w->nposts * 3 / 2; k++) {
        int64_t t = w->posts[below(w->nposts)].t + lognormal(3600, 1.5);
        rc = t <= w->now ? ev_add(w, t, EV_LIKE, 0) : 0;
    }
    for (size_t i = 0; rc == 0 && i < w->ntop; i++) {
        int64_t t = w->posts[i].t + lognormal(7200, 1.5);
        rc = unif() < 0.005 && t <= w->now ? ev_add(w, t, EV_GONE, i) : 0;
    }
    w->nreports = w->nposts / 700 + 1;
    if (!(w->reports = calloc(w->nreports, sizeof *w->reports)))
        return -1;
    for (size_t r = 0; rc == 0 && r < w->nreports; r++) {
        struct report_rec *rr = &w->reports[r];
        rr->post = (uint32_t)below(w->nposts);
        rr->reporter = (uint32_t)below(w->members);
        int64_t opened = w->posts[rr->post].t + lognormal(3 * 3600, 1.5);
        int64_t closed = opened + lognormal(4 * 3600, 1.2);
        opened = opened > w->now ? w->now : opened;
        rc = ev_add(w, opened, EV_REPORT, r);
        if (rc == 0 && unif() < 0.9 && closed <= w->now)
            rc = ev_add(w, closed, EV_CLOSE, r);
    }
    for (size_t k = 0; rc == 0 && k < w->nposts * 3 / 1000; k++)
        rc = ev_add(w, in_year(w), EV_MODLOG, k);
    for (size_t k = 0; rc == 0 && k < w->nposts / 2000 + 1; k++) {
        int64_t t = in_year(w), done = t + lognormal(6 * 3600, 1.0);
        rc = ev_add(w, t, EV_REQUEST, k);
        if (rc == 0 && unif() < 0.95 && done <= w->now)
            rc = ev_add(w, done, EV_HANDLED, k);
    }
    for (size_t k = 0; rc == 0 && k < 20; k++) /* 20 distinct posts */
        rc = ev_add(w, w->now - (int64_t)below(3 * DAY), EV_HELD, k * (w->nposts / 20));
    return rc;
}

static inline int by_time(const void *a, const void *b)
{
    const struct event *x = a, *y = b;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    if (x->kind != y->kind) /* opened before closed, joined before left */
        return x->kind < y->kind ? -1 : 1;
    return x->ref < y->ref ? -1 : x->ref > y->ref;
}

/* A year up to `now`: members on hosts, posts and the rest, events sorted by time. */
static inline int world_make(struct world *w, size_t members, size_t hosts, size_t posts,
                             int64_t now)
{
    memset(w, 0, sizeof *w);
    w->now = now;
    w->start = ((int64_t)(now / DAY) - (YEAR_DAYS - 1)) * DAY; /* the report's first day */
    w->members = members, w->hosts = hosts;
    if (zipf_init(&w->who, w->members, 0.9) || make_members(w) || make_posts(w, posts) ||
        make_rest(w))
        return -1;
    qsort(w->ev, w->nev, sizeof *w->ev, by_time);
    return 0;
}

static inline void world_free(struct world *w)
{
    free(w->host);
    free(w->posts);
    free(w->reports);
    free(w->ev);
    free(w->who.cdf);
}

/* ---- the events as the node records them -------------------------------------------------- */

static inline void actor_of(const struct world *w, uint32_t m, char *buf, size_t size)
{
    snprintf(buf, size, "https://s%u.example/users/u%u", w->host[m], m);
}

static inline void post_id(const struct world *w, uint32_t p, char *buf, size_t size)
{
    const struct post *x = &w->posts[p];
    snprintf(buf, size, "https://s%u.example/users/u%u/statuses/%llu", w->host[x->author],
             x->author, 111000000000000000ull + (unsigned long long)p * 7919u);
}

/* Create{Note} of post p, as a member's server sends it (new reference, NULL: no memory). */
static inline json_t *create_of(const struct world *w, uint32_t p)
{
    const struct post *x = &w->posts[p];
    char id[160], actor[96], parent[160], content[400];
    post_id(w, p, id, sizeof id);
    actor_of(w, x->author, actor, sizeof actor);
    if (x->parent != TOP)
        snprintf(content, sizeof content,
                 "<p><span class=\"h-card\"><a href=\"https://s%u.example/@u%u\">@u%u</a></span> "
                 "Thanks, I saw the same on my server after the last update (%u).</p>",
                 w->host[w->posts[x->parent].author], w->posts[x->parent].author,
                 w->posts[x->parent].author, p);
    else
        snprintf(content, sizeof content,
                 "<p>Post %u: we moved the meeting notes to the wiki and changed the schedule "
                 "for next week%s</p>",
                 p,
                 x->flags & F_QUESTION ? ". Does anyone know whether the room is free on Thursday?"
                 : x->flags & F_URL    ? ", see https://wiki.example/search?q=notes&amp;week=12"
                                       : ".");
    json_t *obj = json_pack("{s:s, s:s, s:s, s:s, s:s}", "id", id, "type", "Note", "attributedTo",
                            actor, "content", content, "url", id);
    if (obj && x->parent != TOP) {
        post_id(w, x->parent, parent, sizeof parent);
        json_object_set_new(obj, "inReplyTo", json_string(parent));
    }
    return obj ? json_pack("{s:s, s:s, s:o}", "type", "Create", "actor", actor, "object", obj)
               : NULL;
}

static inline gm_err member_event(struct world *w, struct gm_txn *txn, const struct event *ev)
{
    char actor[96], inbox[128], shared[64], follow[128];
    actor_of(w, ev->ref, actor, sizeof actor);
    if (ev->kind == EV_LEAVE)
        return gm_member_delete(txn, COMMUNITY, actor);
    snprintf(inbox, sizeof inbox, "%s/inbox", actor);
    snprintf(shared, sizeof shared, "https://s%u.example/inbox", w->host[ev->ref]);
    snprintf(follow, sizeof follow, "%s#follows/%u", actor, ev->ref);
    struct gm_member m = {.actor = actor,
                          .inbox = inbox,
                          .shared_inbox = shared,
                          .follow_id = follow,
                          .since = ev->t};
    return gm_member_put(txn, COMMUNITY, &m);
}

/* Follow requests come from accounts that are not among the members. */
static inline gm_err request_event(struct gm_txn *txn, const struct event *ev)
{
    char actor[96], follow[128], inbox[128];
    snprintf(actor, sizeof actor, "https://r%u.example/users/x%u", ev->ref % 97, ev->ref);
    if (ev->kind == EV_HANDLED)
        return gm_ckv_del(txn, GM_CKV_PENDING, COMMUNITY, actor);
    snprintf(follow, sizeof follow, "%s#follows/1", actor);
    snprintf(inbox, sizeof inbox, "%s/inbox", actor);
    json_t *v =
        json_pack("{s:s, s:s, s:I}", "follow", follow, "inbox", inbox, "at", (json_int_t)ev->t);
    gm_err e = v ? gm_ckv_put(txn, GM_CKV_PENDING, COMMUNITY, actor, v) : GM_ENOMEM;
    json_decref(v);
    return e;
}

static inline gm_err report_event(struct world *w, struct gm_txn *txn, const struct event *ev)
{
    struct report_rec *r = &w->reports[ev->ref];
    struct gm_rules_ctx ctx = {.base_url = BASE, .now = ev->t};
    char actor[96], id[160];
    if (ev->kind == EV_CLOSE)
        return ev->ref % 3 ? gm_report_resolve(txn, &ctx, COMMUNITY, r->seq, "cli:admin", "removed")
                           : gm_report_dismiss(txn, &ctx, COMMUNITY, r->seq, "cli:admin", "");
    actor_of(w, r->reporter, actor, sizeof actor);
    post_id(w, r->post, id, sizeof id);
    json_t *rec =
        json_pack("{s:s, s:s, s:[s], s:s, s:I, s:s}", "flag", "", "reporter", actor, "objects", id,
                  "comment", "Spam, please have a look", "at", (json_int_t)ev->t, "status", "open");
    gm_err e = rec ? gm_clog_append(txn, GM_CLOG_REPORTS, COMMUNITY, rec, &r->seq) : GM_ENOMEM;
    json_decref(rec);
    return e;
}

static inline gm_err apply_event(struct world *w, struct gm_txn *txn, const struct event *ev)
{
    static const char *const actions[] = {"approve", "remove", "ban", "hold", "pin"};
    char actor[96], id[160];
    gm_err e;
    gm_txn_set_now(txn, ev->t);
    switch (ev->kind) {
    case EV_JOIN:
    case EV_LEAVE: return member_event(w, txn, ev);
    case EV_REQUEST:
    case EV_HANDLED: return request_event(txn, ev);
    case EV_REPORT:
    case EV_CLOSE: return report_event(w, txn, ev);
    case EV_LIKE: return gm_stats_on_like(txn, COMMUNITY, ev->t);
    case EV_GONE: post_id(w, ev->ref, id, sizeof id); return gm_stats_on_gone(txn, COMMUNITY, id);
    case EV_MODLOG:
        post_id(w, ev->ref % (uint32_t)w->nposts, id, sizeof id);
        return gm_modlog_add(txn, ev->t, COMMUNITY, "cli:admin", actions[ev->ref % 5], id,
                             "rule 2: be kind", "");
    case EV_POST: {
        json_t *c = create_of(w, ev->ref);
        actor_of(w, w->posts[ev->ref].author, actor, sizeof actor);
        e = c ? gm_stats_on_post(txn, COMMUNITY, ev->t, actor, c) : GM_ENOMEM;
        json_decref(c);
        return e;
    }
    case EV_HELD: {
        post_id(w, ev->ref, id, sizeof id);
        actor_of(w, w->posts[ev->ref].author, actor, sizeof actor);
        json_t *v = json_pack("{s:o, s:s, s:s, s:I}", "activity", create_of(w, ev->ref), "actor",
                              actor, "rule", "links from new members", "at", (json_int_t)ev->t);
        e = v ? gm_ckv_put(txn, GM_CKV_HELD, COMMUNITY, id, v) : GM_ENOMEM;
        json_decref(v);
        return e;
    }
    }
    return GM_EINVAL;
}

struct population {
    double wall_s, commit_s, op_s[EV_KINDS];
    size_t txns;
};

/* Every event in time order, TXN_OPS per write transaction. */
static inline int populate(struct world *w, struct gm_store *st, struct population *pop)
{
    struct gm_txn *txn = NULL;
    double t0 = bu_now_s(), next_note = t0 + 30;
    memset(pop, 0, sizeof *pop);
    for (size_t i = 0; i < w->nev; i++) {
        const struct event *ev = &w->ev[i];
        if (!txn && gm_txn_begin(st, true, &txn) != GM_OK)
            return -1;
        double a = bu_now_s();
        gm_err e = apply_event(w, txn, ev);
        pop->op_s[ev->kind] += bu_now_s() - a;
        if (e != GM_OK) {
            fprintf(stderr, "bench_stats: %s (event %zu): %s\n", ev_names[ev->kind], i,
                    gm_strerror(e));
            gm_txn_abort(txn);
            return -1;
        }
        if ((i + 1) % TXN_OPS == 0 || i + 1 == w->nev) {
            a = bu_now_s();
            e = gm_txn_commit(txn);
            txn = NULL;
            pop->commit_s += bu_now_s() - a;
            pop->txns++;
            if (e != GM_OK)
                return -1;
        }
        if (bu_now_s() > next_note) {
            fprintf(stderr, "bench_stats: %zu of %zu events recorded\n", i + 1, w->nev);
            next_note += 30;
        }
    }
    pop->wall_s = bu_now_s() - t0;
    return 0;
}

static inline int create_community(struct gm_store *st, int64_t created)
{
    struct gm_community *c = NULL;
    struct gm_txn *txn = NULL;
    char *priv = NULL;
    gm_err e = gm_community_new(COMMUNITY, &c);
    if (e == GM_OK && (e = gm_community_set_title(c, "Bench community")) == GM_OK &&
        (e = gm_keygen_rsa(2048, &priv, &c->public_key_pem)) == GM_OK &&
        (e = gm_txn_begin(st, true, &txn)) == GM_OK) {
        c->created = created;
        gm_txn_set_now(txn, created);
        if ((e = gm_community_create(txn, c, priv)) == GM_OK)
            e = gm_txn_commit(txn);
        else
            gm_txn_abort(txn);
    }
    gm_keygen_wipe_free(priv);
    gm_community_free(c);
    if (e != GM_OK)
        fprintf(stderr, "bench_stats: cannot create the community: %s\n", gm_strerror(e));
    return e == GM_OK ? 0 : -1;
}

#endif
