/* SPDX-License-Identifier: Apache-2.0
 * delivery.c - the delivery worker: one thread keeping up to GM_DELIVERY_MAX_INFLIGHT
 * transfers in flight on one curl multi handle. Due jobs are leased from the queue as slots free
 * up (a lease moves a job to now + GM_DELIVERY_LEASE, so a crash only delays it); each outcome
 * is recorded as soon as its transfer ends, commits grouped every ~100 ms - a slow destination
 * holds up nobody else. The multi handle lives as long as the worker, so its connection cache
 * keeps connections to each destination open between jobs. Fan-out jobs of the relay are
 * expanded here into one delivery job per destination inbox. */
#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "delivery_int.h"
#include "gemeinde/app.h"
#include "gemeinde/log.h"
#include "gemeinde/relay.h"
#include "gemeinde/stats_store.h"
#include "gemeinde/weekly.h"

#define WEEKLY_EVERY_MS (5 * 60 * 1000)

#define RECORD_EVERY_MS 100
#define RECORD_BATCH 64

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int stopping(struct gm_delivery *d)
{
    pthread_mutex_lock(&d->mu);
    int s = d->stopping;
    pthread_mutex_unlock(&d->mu);
    return s;
}

static void free_transfer(struct transfer *t)
{
    gm_delivery_reset(t);
    gm_job_free(t->job);
    free(t);
}

static gm_err record_host(struct gm_txn *txn, const struct transfer *t, int64_t now)
{
    struct gm_host h;
    if (!t->host[0] || t->outcome == OUT_ABORTED)
        return GM_OK;
    gm_err e = gm_host_get(txn, t->host, &h);
    if (e != GM_OK && e != GM_ENOTFOUND)
        return e;
    struct gm_host was = h;
    if (t->outcome == OUT_RETRY && t->status == 0 && !t->easy) /* never sent: nothing learnt */
        return GM_OK;
    if (t->outcome == OUT_RETRY) {
        if (!h.failing_since)
            h.failing_since = now;
    } else if (t->status) { /* it answered: alive */
        h.failing_since = 0;
        h.last_probe = 0;
    }
    if (t->outcome == OUT_DONE)
        h.scheme = t->scheme;
    if (t->probe && t->outcome == OUT_RETRY)
        h.last_probe = now;
    if (!memcmp(&was, &h, sizeof h))
        return GM_OK;
    return gm_host_put(txn, t->host, &h);
}

/* Node-wide outcomes per host (stats_store.h), in the same transaction. */
static gm_err count(struct gm_txn *txn, const struct transfer *t, enum gm_stats_delivery k)
{
    gm_err e = t->host[0] ? gm_stats_delivery_add(txn, t->host, k) : GM_OK;
    return e == GM_EINVAL ? GM_OK : e;
}

static gm_err record_job(struct gm_txn *txn, struct transfer *t, int64_t now)
{
    const struct gm_job *j = t->job;
    int64_t delay = gm_delivery_backoff(j->attempts + 1);
    gm_err e = record_host(txn, t, now);
    if (e != GM_OK)
        return e;
    if (t->retry_after > delay)
        delay = t->retry_after > GM_DELIVERY_MAX_DELAY ? GM_DELIVERY_MAX_DELAY : t->retry_after;
    switch (t->outcome) {
    case OUT_EXPANDED:
        return GM_OK; /* removed with its expansion */
    case OUT_ABORTED:
        return gm_queue_retry(txn, j, now);
    case OUT_RETRY:
        if (now - j->created <= GM_DELIVERY_MAX_AGE) {
            e = count(txn, t, GM_DELIVERY_RETRY);
            return e == GM_OK ? gm_queue_retry(txn, j, now + delay) : e;
        }
        gm_warn("delivery to %s: given up after %u attempts", j->inbox, j->attempts + 1);
        e = count(txn, t, GM_DELIVERY_FAILED);
        return e == GM_OK ? gm_queue_done(txn, j) : e;
    case OUT_DONE:
    case OUT_DROP:
        e = count(txn, t, t->outcome == OUT_DONE ? GM_DELIVERY_DONE : GM_DELIVERY_FAILED);
        return e == GM_OK ? gm_queue_done(txn, j) : e;
    }
    return GM_EINTERNAL;
}

/* A job that is no longer under its leased key (another process rescheduled or removed it)
 * is skipped: it must not cost the other outcomes of the group their commit. */
static gm_err record(struct gm_txn *txn, struct transfer *t, int64_t now)
{
    gm_err e = record_job(txn, t, now);
    if (e == GM_ENOTFOUND) {
        gm_debug("delivery to %s: job moved meanwhile, outcome not recorded", t->job->inbox);
        return GM_OK;
    }
    return e;
}

/* A fan-out job: its deliveries are queued and the job removed in one transaction. On failure
 * it stays leased and comes back after the lease. */
static void expand(struct gm_delivery *d, struct transfer *t)
{
    struct gm_txn *txn;
    size_t queued = 0;
    t->outcome = OUT_EXPANDED;
    if (gm_txn_begin(d->app->st, true, &txn) != GM_OK)
        return;
    char *next = NULL;
    gm_err e = gm_relay_expand(txn, d->app->base_url, t->job->community, t->job->activity,
                               &queued, &next);
    if (e == GM_OK)
        e = gm_queue_done(txn, t->job);
    if (e == GM_OK && next) /* the next batch, due at once */
        e = gm_queue_push(txn, t->job->community, GM_RELAY_FANOUT, next, (int64_t)time(NULL));
    free(next);
    if (e == GM_OK)
        gm_txn_commit(txn);
    else
        gm_txn_abort(txn);
    if (e != GM_OK)
        gm_warn("relay: fan-out of %s %s failed: %s", t->job->community, t->job->activity,
                gm_strerror(e));
    else
        gm_delivery_kick(d); /* deliveries, or the next batch, are due */
}

/* An outcome to record with the next group of commits. */
static void push_done(struct gm_delivery *d, struct transfer *t)
{
    if (d->n_done == 0)
        d->first_done_ms = now_ms();
    d->done[d->n_done++] = t;
}

/* Write every pending outcome in one transaction; on failure the jobs stay leased and come
 * back after the lease. */
static void record_done(struct gm_delivery *d)
{
    struct gm_txn *txn;
    int64_t now = (int64_t)time(NULL);
    if (d->n_done == 0)
        return;
    if (gm_txn_begin(d->app->st, true, &txn) == GM_OK) {
        gm_err e = GM_OK;
        for (size_t i = 0; i < d->n_done && e == GM_OK; i++)
            e = record(txn, d->done[i], now);
        if (e == GM_OK)
            e = gm_txn_commit(txn);
        else
            gm_txn_abort(txn);
        if (e != GM_OK)
            gm_warn("delivery: recording %zu outcomes failed: %s", d->n_done, gm_strerror(e));
    }
    for (size_t i = 0; i < d->n_done; i++)
        free_transfer(d->done[i]);
    d->n_done = 0;
}

static void start_transfer(struct gm_delivery *d, struct transfer *t)
{
    if (gm_delivery_prepare(d, t) == GM_OK &&
        curl_multi_add_handle(d->multi, t->easy) == CURLM_OK)
        d->inflight[d->n_inflight++] = t;
    else
        push_done(d, t); /* prepare set the outcome (retry or drop) */
}

static void remove_inflight(struct gm_delivery *d, struct transfer *t)
{
    for (size_t i = 0; i < d->n_inflight; i++) {
        if (d->inflight[i] == t) {
            d->inflight[i] = d->inflight[--d->n_inflight];
            return;
        }
    }
}

/* A transfer ended: a first 401 is retried at once in the other signature scheme ("double
 * knocking"); anything else is an outcome to record. */
static void on_complete(struct gm_delivery *d, struct transfer *t, CURLcode rc)
{
    gm_delivery_classify(t, rc);
    curl_multi_remove_handle(d->multi, t->easy);
    remove_inflight(d, t);
    if (t->status == 401 && !t->knocked && t->outcome == OUT_DROP) {
        t->knocked = 1;
        t->scheme = t->scheme == GM_SIG_RFC9421 ? GM_SIG_CAVAGE : GM_SIG_RFC9421;
        gm_info("delivery to %s: 401, retrying with %s", t->job->inbox,
                t->scheme == GM_SIG_RFC9421 ? "RFC 9421" : "draft-cavage");
        gm_delivery_reset(t);
        start_transfer(d, t);
        return;
    }
    push_done(d, t);
}

/* Lease due jobs into free slots. Returns how many were taken. */
static size_t take_jobs(struct gm_delivery *d)
{
    struct gm_txn *txn;
    struct gm_job **jobs = NULL;
    size_t n = 0, room = GM_DELIVERY_MAX_INFLIGHT - d->n_inflight - d->n_done;
    int64_t now = (int64_t)time(NULL), next_due = 0;
    if (room > GM_DELIVERY_BATCH)
        room = GM_DELIVERY_BATCH;
    if (room == 0 || gm_txn_begin(d->app->st, false, &txn) != GM_OK)
        return 0;
    gm_err e = gm_queue_stat(txn, &n, &next_due); /* an idle node takes no write lock */
    gm_txn_abort(txn);
    if (e != GM_OK || n == 0 || next_due > now || gm_txn_begin(d->app->st, true, &txn) != GM_OK)
        return 0;
    n = 0;
    e = gm_queue_take_due(txn, now, now + GM_DELIVERY_LEASE, room, &jobs, &n);
    if (e == GM_OK)
        e = gm_txn_commit(txn);
    else
        gm_txn_abort(txn);
    if (e != GM_OK) {
        gm_jobs_free(jobs, n);
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        struct transfer *t = calloc(1, sizeof *t);
        if (!t) { /* stays leased: back after the lease */
            gm_job_free(jobs[i]);
            continue;
        }
        t->job = jobs[i];
        if (!strcmp(t->job->inbox, GM_RELAY_FANOUT)) {
            expand(d, t);
            free_transfer(t);
        } else {
            start_transfer(d, t);
        }
    }
    free(jobs);
    return n;
}

static void drive_transfers(struct gm_delivery *d)
{
    int still = 0, left = 0;
    CURLMsg *m;
    curl_multi_perform(d->multi, &still);
    while ((m = curl_multi_info_read(d->multi, &left))) {
        struct transfer *t = NULL;
        if (m->msg != CURLMSG_DONE)
            continue;
        CURL *easy = m->easy_handle;
        CURLcode rc = m->data.result;
        curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&t);
        on_complete(d, t, rc);
    }
}

/* Sleep until a socket is ready, a kick, or the next poll for due jobs. */
static void idle(struct gm_delivery *d)
{
    if (d->n_inflight) {
        curl_multi_poll(d->multi, NULL, 0, RECORD_EVERY_MS, NULL);
        return;
    }
    gm_delivery_keyring_clear(&d->ring); /* keys live only while there is work */
    pthread_mutex_lock(&d->mu);
    if (!d->kicked && !d->stopping) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += 1; /* retries whose time has come */
        pthread_cond_timedwait(&d->cv, &d->mu, &until);
    }
    d->kicked = 0;
    pthread_mutex_unlock(&d->mu);
}

/* Queue the weekly digests that are due (weekly.h); the DMs go out with the next jobs. */
static void weekly(struct gm_delivery *d)
{
    struct gm_txn *txn;
    size_t sent = 0;
    d->weekly_ms = now_ms();
    if (gm_txn_begin(d->app->st, true, &txn) != GM_OK)
        return;
    struct gm_rules_ctx ctx = {.base_url = d->app->base_url, .now = (int64_t)time(NULL)};
    gm_err e = gm_weekly_run(txn, &ctx, &sent);
    if (e == GM_OK) /* also the weeks marked done for communities without moderators */
        e = gm_txn_commit(txn);
    else
        gm_txn_abort(txn);
    if (e != GM_OK)
        gm_warn("weekly: digests not queued: %s", gm_strerror(e));
    else if (sent)
        gm_info("weekly: %zu digests queued", sent);
}

static void *worker_main(void *arg)
{
    struct gm_delivery *d = arg;
    while (!stopping(d)) {
        if (now_ms() - d->weekly_ms >= WEEKLY_EVERY_MS)
            weekly(d);
        size_t took = take_jobs(d);
        if (d->n_inflight)
            drive_transfers(d);
        if (d->n_done && (d->n_done >= RECORD_BATCH || d->n_inflight == 0 ||
                          now_ms() - d->first_done_ms >= RECORD_EVERY_MS))
            record_done(d);
        if (took < GM_DELIVERY_BATCH || d->n_inflight + d->n_done >= GM_DELIVERY_MAX_INFLIGHT)
            idle(d);
    }
    /* Stopped: transfers in flight go back to the queue as due now. */
    while (d->n_inflight) {
        struct transfer *t = d->inflight[0];
        curl_multi_remove_handle(d->multi, t->easy);
        remove_inflight(d, t);
        t->outcome = OUT_ABORTED;
        push_done(d, t);
    }
    record_done(d);
    gm_delivery_keyring_clear(&d->ring);
    return NULL;
}

gm_err gm_delivery_start(struct gm_app *app, struct gm_delivery **out)
{
    struct gm_delivery *d = calloc(1, sizeof *d);
    if (!d)
        return GM_ENOMEM;
    d->app = app;
    d->multi = curl_multi_init();
    if (!d->multi) {
        free(d);
        return GM_ENOMEM;
    }
    curl_multi_setopt(d->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)GM_DELIVERY_PER_HOST);
    curl_multi_setopt(d->multi, CURLMOPT_MAXCONNECTS, (long)(4 * GM_DELIVERY_BATCH));
    curl_multi_setopt(d->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
    pthread_mutex_init(&d->mu, NULL);
    pthread_cond_init(&d->cv, NULL);
    if (pthread_create(&d->thread, NULL, worker_main, d) != 0) {
        curl_multi_cleanup(d->multi);
        pthread_mutex_destroy(&d->mu);
        pthread_cond_destroy(&d->cv);
        free(d);
        return GM_EINTERNAL;
    }
    *out = d;
    return GM_OK;
}

void gm_delivery_kick(struct gm_delivery *d)
{
    pthread_mutex_lock(&d->mu);
    d->kicked = 1;
    pthread_cond_signal(&d->cv);
    pthread_mutex_unlock(&d->mu);
    curl_multi_wakeup(d->multi); /* if it is waiting on sockets */
}

void gm_delivery_stop(struct gm_delivery *d)
{
    if (!d)
        return;
    pthread_mutex_lock(&d->mu);
    d->stopping = 1;
    pthread_cond_signal(&d->cv);
    pthread_mutex_unlock(&d->mu);
    curl_multi_wakeup(d->multi);
    pthread_join(d->thread, NULL);
    curl_multi_cleanup(d->multi);
    pthread_mutex_destroy(&d->mu);
    pthread_cond_destroy(&d->cv);
    free(d);
}
