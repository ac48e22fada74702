/* SPDX-License-Identifier: Apache-2.0
 * delivery.c - one worker thread sending queued activities. A batch is leased from the queue
 * in one transaction (so a crash only delays it), sent concurrently with curl multi, and its
 * outcomes written in one transaction. The multi handle lives as long as the worker, so its
 * connection cache keeps connections to each destination open between batches. Destinations
 * pass the same guard as fetches (resolved, private ranges refused, address pinned, socket
 * re-checked). Private keys are loaded per batch and freed after it. */
#include "gemeinde/delivery.h"

#include <curl/curl.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "fetch_int.h"
#include "gemeinde/app.h"
#include "gemeinde/community.h"
#include "gemeinde/digest.h"
#include "gemeinde/hosts.h"
#include "gemeinde/httpsig.h"
#include "gemeinde/keygen.h"
#include "gemeinde/log.h"
#include "gemeinde/queue.h"
#include "gemeinde/relay.h"

struct gm_delivery {
    struct gm_app *app;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int kicked, stopping;
    CURLM *multi;
};

enum outcome { OUT_DONE, OUT_RETRY, OUT_DROP, OUT_ABORTED, OUT_EXPANDED };

struct transfer {
    struct gm_job *job;
    char host[GM_FETCH_MAX_HOST + 8]; /* destination authority, for per-host state */
    struct gm_host state;             /* as read before sending */
    enum gm_sig_scheme scheme;        /* used for this attempt */
    int knocked;                      /* already retried with the other scheme */
    int probe;                        /* sent to an unavailable host as its daily probe */
    int pending;                      /* prepared, not yet sent */
    CURL *easy;
    struct curl_slist *headers, *pin;
    struct gm_fetch_addrs addrs;
    int allow_private;
    enum outcome outcome;
    long status;
    int64_t retry_after;
    int active;
};

/* Keys of the communities in this batch. */
struct keyring {
    char name[GM_DELIVERY_BATCH][GM_NAME_MAX + 1];
    EVP_PKEY *key[GM_DELIVERY_BATCH];
    size_t n;
};

int64_t gm_delivery_backoff(unsigned attempts)
{
    int64_t d = 60;
    for (unsigned i = 1; i < attempts && d < GM_DELIVERY_MAX_DELAY; i++)
        d *= 2;
    return d > GM_DELIVERY_MAX_DELAY ? GM_DELIVERY_MAX_DELAY : d;
}

static EVP_PKEY *community_key(struct gm_delivery *d, struct keyring *ring, const char *name)
{
    for (size_t i = 0; i < ring->n; i++)
        if (!strcmp(ring->name[i], name))
            return ring->key[i];
    if (ring->n >= GM_DELIVERY_BATCH || strlen(name) > GM_NAME_MAX)
        return NULL;
    struct gm_txn *txn;
    char *pem = NULL;
    EVP_PKEY *key = NULL;
    if (gm_txn_begin(d->app->st, false, &txn) != GM_OK)
        return NULL;
    if (gm_community_private_key(txn, name, &pem) == GM_OK)
        gm_httpsig_load_private_pem(pem, strlen(pem), &key);
    gm_txn_abort(txn);
    gm_keygen_wipe_free(pem);
    if (key) {
        strcpy(ring->name[ring->n], name);
        ring->key[ring->n++] = key;
    }
    return key;
}

static const char *slist_header(void *ctx, const char *name)
{
    size_t n = strlen(name);
    for (struct curl_slist *l = ctx; l; l = l->next)
        if (!strncasecmp(l->data, name, n) && l->data[n] == ':')
            return l->data + n + 2;
    return NULL;
}

static size_t discard(char *data, size_t size, size_t nmemb, void *userdata)
{
    (void)data, (void)userdata;
    return size * nmemb;
}

static curl_socket_t open_socket(void *clientp, curlsocktype purpose, struct curl_sockaddr *a)
{
    struct transfer *t = clientp;
    if (purpose != CURLSOCKTYPE_IPCXN ||
        !gm_fetch_addrs_allow(&t->addrs, &a->addr, a->addrlen, t->allow_private))
        return CURL_SOCKET_BAD;
    return socket(a->family, a->socktype, a->protocol);
}

static gm_err add_header(struct curl_slist **list, const char *name, const char *value)
{
    char line[4096];
    if (snprintf(line, sizeof line, "%s: %s", name, value) >= (int)sizeof line)
        return GM_ETOOBIG;
    struct curl_slist *l = curl_slist_append(*list, line);
    if (!l)
        return GM_ENOMEM;
    *list = l;
    return GM_OK;
}

/* Sign with RFC 9421 over @method @target-uri @authority content-digest (and date). */
static gm_err sign_rfc9421(struct transfer *t, const struct gm_fetch_url *u, const char *authority,
                           const char *key_id, EVP_PKEY *key)
{
    static const char *const covered[] = {"@method", "@target-uri", "@authority", "date",
                                          "content-digest"};
    char *cd = NULL, *input = NULL, *sig = NULL;
    gm_err e = gm_digest_format_content(t->job->activity, strlen(t->job->activity),
                                        GM_DIGEST_SHA256, &cd);
    if (e == GM_OK && (e = add_header(&t->headers, "Content-Digest", cd)) == GM_OK) {
        struct gm_httpsig_msg msg = {.method = "POST", .target = u->target,
                                     .authority = authority, .scheme = u->scheme,
                                     .get_header = slist_header, .ctx = t->headers};
        struct gm_httpsig_sign_opts opts = {.components = covered, .ncomponents = 5,
                                            .key_id = key_id, .write_alg = true,
                                            .created = (int64_t)time(NULL)};
        e = gm_httpsig_sign_rfc9421(&msg, &opts, key, &input, &sig);
        if (e == GM_OK && (e = add_header(&t->headers, "Signature-Input", input)) == GM_OK)
            e = add_header(&t->headers, "Signature", sig);
    }
    free(cd);
    free(input);
    free(sig);
    return e;
}

/* Sign the draft-cavage way over (request-target) host date digest. */
static gm_err sign_cavage(struct transfer *t, const struct gm_fetch_url *u, const char *authority,
                          const char *key_id, EVP_PKEY *key)
{
    static const char *const covered[] = {"(request-target)", "host", "date", "digest"};
    char *sig = NULL;
    struct gm_httpsig_msg msg = {.method = "POST", .target = u->target, .authority = authority,
                                 .get_header = slist_header, .ctx = t->headers};
    gm_err e = gm_httpsig_sign_cavage(&msg, covered, 4, key_id, key, &sig);
    if (e == GM_OK)
        e = add_header(&t->headers, "Signature", sig);
    free(sig);
    return e;
}

/* Host, Date, Digest, Content-Type, Accept, User-Agent, then the signature in t->scheme. */
static gm_err sign_headers(struct gm_delivery *d, struct transfer *t, const struct gm_fetch_url *u,
                           EVP_PKEY *key)
{
    char authority[GM_FETCH_MAX_HOST + 8], date[64], ua[700], key_id[700];
    char *digest = NULL;
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    gm_fetch_url_authority(u, authority, sizeof authority);
    snprintf(ua, sizeof ua, "gemeinde/%s (+%s)", GM_VERSION, d->app->base_url);
    snprintf(key_id, sizeof key_id, "%s/c/%s#main-key", d->app->base_url, t->job->community);
    gm_err e = gm_digest_format_legacy(t->job->activity, strlen(t->job->activity), &digest);
    if (e == GM_OK && (e = add_header(&t->headers, "Host", authority)) == GM_OK &&
        (e = add_header(&t->headers, "Date", date)) == GM_OK &&
        (e = add_header(&t->headers, "Digest", digest)) == GM_OK &&
        (e = add_header(&t->headers, "Content-Type", "application/activity+json")) == GM_OK &&
        (e = add_header(&t->headers, "Accept", "application/activity+json")) == GM_OK &&
        (e = add_header(&t->headers, "User-Agent", ua)) == GM_OK) {
        e = t->scheme == GM_SIG_RFC9421 ? sign_rfc9421(t, u, authority, key_id, key)
                                        : sign_cavage(t, u, authority, key_id, key);
        struct curl_slist *l = e == GM_OK ? curl_slist_append(t->headers, "Expect:") : NULL;
        if (e == GM_OK && !l)
            e = GM_ENOMEM;
        else if (l)
            t->headers = l;
    }
    free(digest);
    return e;
}

/* Check the destination and set up the transfer. GM_OK: ready to add to the multi handle.
 * Otherwise t->outcome says what to do with the job. */
/* Read what we know of the destination host; decide scheme and whether it is skipped. */
static gm_err consult_host(struct gm_delivery *d, struct transfer *t, char *why, size_t size)
{
    struct gm_txn *txn;
    int64_t now = (int64_t)time(NULL);
    if (gm_txn_begin(d->app->st, false, &txn) == GM_OK) {
        gm_host_get(txn, t->host, &t->state);
        gm_txn_abort(txn);
    }
    if (t->scheme == GM_SIG_UNKNOWN)
        t->scheme = t->state.scheme == GM_SIG_RFC9421 ? GM_SIG_RFC9421 : GM_SIG_CAVAGE;
    if (t->state.failing_since && now - t->state.failing_since > GM_HOST_UNAVAILABLE_AFTER) {
        if (now - t->state.last_probe < GM_HOST_PROBE_INTERVAL) {
            snprintf(why, size, "host unavailable (failing for over 7 days)");
            return GM_EPERM;
        }
        t->probe = 1;
    }
    return GM_OK;
}

static void reset_transfer(struct transfer *t)
{
    curl_easy_cleanup(t->easy);
    curl_slist_free_all(t->headers);
    curl_slist_free_all(t->pin);
    t->easy = NULL;
    t->headers = t->pin = NULL;
    t->pending = t->active = 0;
    t->status = 0;
    t->retry_after = 0;
}

static gm_err prepare(struct gm_delivery *d, struct keyring *ring, struct transfer *t)
{
    struct gm_fetch_url u = {0};
    char why[GM_FETCH_WHY] = "";
    const struct gm_config *cfg = d->app->cfg;
    EVP_PKEY *key = community_key(d, ring, t->job->community);
    t->allow_private = cfg && cfg->allow_private_addresses;
    t->outcome = OUT_DROP;
    gm_err e = key ? gm_fetch_url_parse(NULL, t->job->inbox, &u, why, sizeof why) : GM_ENOTFOUND;
    if (e == GM_OK) {
        gm_fetch_url_authority(&u, t->host, sizeof t->host);
        e = consult_host(d, t, why, sizeof why);
    }
    if (e == GM_OK && strcmp(u.scheme, "https") != 0 && !(cfg && cfg->allow_http_fetch))
        e = GM_EFORBID, snprintf(why, sizeof why, "plain http destination");
    if (e == GM_OK)
        e = gm_fetch_resolve(&u, t->allow_private, &t->addrs, why, sizeof why);
    if (e == GM_OK)
        e = gm_fetch_pin_list(&u, &t->addrs, &t->pin);
    if (e == GM_OK)
        e = sign_headers(d, t, &u, key);
    if (e == GM_OK && !(t->easy = curl_easy_init()))
        e = GM_ENOMEM;
    if (e != GM_OK) {
        t->outcome = e == GM_ETEMP || e == GM_ENOMEM ? OUT_RETRY : OUT_DROP;
        gm_info("delivery to %s: %s (%s)", t->job->inbox, why[0] ? why : gm_strerror(e),
                t->outcome == OUT_RETRY ? "will retry" : "dropped");
        gm_fetch_url_free(&u);
        return e;
    }
    CURL *c = t->easy;
    curl_easy_setopt(c, CURLOPT_URL, u.url);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, t->job->activity);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(t->job->activity));
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, t->headers);
    curl_easy_setopt(c, CURLOPT_RESOLVE, t->pin);
    curl_easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, open_socket);
    curl_easy_setopt(c, CURLOPT_OPENSOCKETDATA, t);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 30000L);
    curl_easy_setopt(c, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
    curl_easy_setopt(c, CURLOPT_PRIVATE, t);
    gm_fetch_url_free(&u);
    t->pending = 1;
    return GM_OK;
}

static void classify(struct transfer *t, CURLcode rc)
{
    curl_off_t retry_after = 0;
    if (rc != CURLE_OK) {
        t->outcome = OUT_RETRY;
        gm_info("delivery to %s failed: %s (will retry)", t->job->inbox, curl_easy_strerror(rc));
        return;
    }
    curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &t->status);
    curl_easy_getinfo(t->easy, CURLINFO_RETRY_AFTER, &retry_after);
    t->retry_after = (int64_t)retry_after;
    if (t->status >= 200 && t->status < 300)
        t->outcome = OUT_DONE;
    else if (t->status == 408 || t->status == 429 || t->status >= 500)
        t->outcome = OUT_RETRY;
    else
        t->outcome = OUT_DROP;
    if (t->outcome != OUT_DONE && !(t->status == 401 && !t->knocked)) /* knock_again logs */
        gm_info("delivery to %s: HTTP %ld (%s)", t->job->inbox, t->status,
                t->outcome == OUT_RETRY ? "will retry" : "dropped");
}

static int stopping(struct gm_delivery *d)
{
    pthread_mutex_lock(&d->mu);
    int s = d->stopping;
    pthread_mutex_unlock(&d->mu);
    return s;
}

/* Run every prepared transfer to completion (or until stop). */
static void send_all(struct gm_delivery *d, struct transfer *ts, size_t n)
{
    int running = 0;
    for (size_t i = 0; i < n; i++)
        if (ts[i].pending && curl_multi_add_handle(d->multi, ts[i].easy) == CURLM_OK)
            ts[i].active = 1, ts[i].pending = 0, running++;
    while (running > 0 && !stopping(d)) {
        int still = 0, numfds = 0, left = 0;
        curl_multi_perform(d->multi, &still);
        CURLMsg *m;
        while ((m = curl_multi_info_read(d->multi, &left))) {
            struct transfer *t = NULL;
            if (m->msg != CURLMSG_DONE)
                continue;
            curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&t);
            classify(t, m->data.result);
            curl_multi_remove_handle(d->multi, t->easy);
            t->active = 0;
            running--;
        }
        if (running > 0)
            curl_multi_poll(d->multi, NULL, 0, 500, &numfds);
    }
    for (size_t i = 0; i < n; i++) {
        if (ts[i].active) { /* stopped mid-send: put it back as due now */
            curl_multi_remove_handle(d->multi, ts[i].easy);
            ts[i].outcome = OUT_ABORTED;
        }
    }
}

/* Update what we know of the host after this transfer. */
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

static gm_err record(struct gm_txn *txn, struct transfer *t, int64_t now)
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
        if (now - j->created <= GM_DELIVERY_MAX_AGE)
            return gm_queue_retry(txn, j, now + delay);
        gm_warn("delivery to %s: given up after %u attempts", j->inbox, j->attempts + 1);
        return gm_queue_done(txn, j);
    case OUT_DONE:
    case OUT_DROP:
        return gm_queue_done(txn, j);
    }
    return GM_EINTERNAL;
}

/* Double-knocking: a 401 to one signature scheme is retried once with the other. */
static void knock_again(struct gm_delivery *d, struct keyring *ring, struct transfer *ts, size_t n)
{
    size_t again = 0;
    for (size_t i = 0; i < n; i++) {
        struct transfer *t = &ts[i];
        if (t->status != 401 || t->knocked || t->outcome != OUT_DROP)
            continue;
        t->knocked = 1;
        t->scheme = t->scheme == GM_SIG_RFC9421 ? GM_SIG_CAVAGE : GM_SIG_RFC9421;
        gm_info("delivery to %s: 401, retrying with %s", t->job->inbox,
                t->scheme == GM_SIG_RFC9421 ? "RFC 9421" : "draft-cavage");
        reset_transfer(t);
        if (prepare(d, ring, t) == GM_OK)
            again++;
    }
    if (again)
        send_all(d, ts, n);
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
    gm_err e = gm_relay_expand(txn, d->app->base_url, t->job->community, t->job->activity,
                               &queued);
    if (e == GM_OK)
        e = gm_queue_done(txn, t->job);
    if (e == GM_OK)
        gm_txn_commit(txn);
    else
        gm_txn_abort(txn);
    if (e != GM_OK)
        gm_warn("relay: fan-out of %s %s failed: %s", t->job->community, t->job->activity,
                gm_strerror(e));
    else if (queued)
        gm_delivery_kick(d);
}

/* Lease, send and record one batch. Returns the number of jobs handled. */
static size_t run_batch(struct gm_delivery *d)
{
    struct gm_txn *txn;
    struct gm_job **jobs = NULL;
    size_t n = 0;
    int64_t now = (int64_t)time(NULL), next_due = 0;
    /* Peek in a read transaction first: an idle node takes no write lock. */
    if (gm_txn_begin(d->app->st, false, &txn) != GM_OK)
        return 0;
    gm_err e = gm_queue_stat(txn, &n, &next_due);
    gm_txn_abort(txn);
    if (e != GM_OK || n == 0 || next_due > now)
        return 0;
    n = 0;
    if (gm_txn_begin(d->app->st, true, &txn) != GM_OK)
        return 0;
    if (gm_queue_take_due(txn, now, now + GM_DELIVERY_LEASE, GM_DELIVERY_BATCH, &jobs, &n) !=
            GM_OK ||
        gm_txn_commit(txn) != GM_OK || n == 0) {
        if (!jobs)
            gm_txn_abort(txn);
        gm_jobs_free(jobs, n);
        return 0;
    }
    struct transfer *ts = calloc(n, sizeof *ts);
    struct keyring ring = {.n = 0};
    if (!ts) {
        gm_jobs_free(jobs, n);
        return 0; /* leased: retried after the lease */
    }
    for (size_t i = 0; i < n; i++) {
        ts[i].job = jobs[i];
        if (!strcmp(jobs[i]->inbox, GM_RELAY_FANOUT))
            expand(d, &ts[i]);
        else
            prepare(d, &ring, &ts[i]);
    }
    send_all(d, ts, n);
    if (!stopping(d))
        knock_again(d, &ring, ts, n);
    now = (int64_t)time(NULL);
    if (gm_txn_begin(d->app->st, true, &txn) == GM_OK) {
        e = GM_OK;
        for (size_t i = 0; i < n && e == GM_OK; i++)
            e = record(txn, &ts[i], now);
        if (e == GM_OK)
            gm_txn_commit(txn);
        else
            gm_txn_abort(txn); /* jobs stay leased and come back after the lease */
    }
    for (size_t i = 0; i < n; i++)
        reset_transfer(&ts[i]);
    for (size_t i = 0; i < ring.n; i++)
        EVP_PKEY_free(ring.key[i]);
    free(ts);
    gm_jobs_free(jobs, n);
    return n;
}

static void *worker_main(void *arg)
{
    struct gm_delivery *d = arg;
    while (!stopping(d)) {
        if (run_batch(d) > 0)
            continue;
        pthread_mutex_lock(&d->mu);
        if (!d->kicked && !d->stopping) {
            struct timespec until;
            clock_gettime(CLOCK_REALTIME, &until);
            until.tv_sec += 1; /* poll for jobs whose retry time has come */
            pthread_cond_timedwait(&d->cv, &d->mu, &until);
        }
        d->kicked = 0;
        pthread_mutex_unlock(&d->mu);
    }
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
}

void gm_delivery_stop(struct gm_delivery *d)
{
    if (!d)
        return;
    pthread_mutex_lock(&d->mu);
    d->stopping = 1;
    pthread_cond_signal(&d->cv);
    pthread_mutex_unlock(&d->mu);
    pthread_join(d->thread, NULL);
    curl_multi_cleanup(d->multi);
    pthread_mutex_destroy(&d->mu);
    pthread_cond_destroy(&d->cv);
    free(d);
}
