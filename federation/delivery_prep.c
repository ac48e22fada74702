/* SPDX-License-Identifier: Apache-2.0
 * delivery_prep.c - one delivery: the destination passes the same guard as fetches (resolved,
 * private ranges refused, and the socket curl opens must be one of the checked addresses - no
 * CURLOPT_RESOLVE pin here: pins never leave the long-lived multi handle's DNS cache, which
 * libcurl scans after every transfer; the socket check refuses a rebound address all the
 * same), unavailable hosts are skipped
 * (one probe a day), the POST is signed by its community in the scheme the host accepted last
 * (draft-cavage by default), and the answer is classified: done, retry or drop. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include "delivery_int.h"
#include "gemeinde/app.h"
#include "gemeinde/blocks.h"
#include "gemeinde/digest.h"
#include "gemeinde/httpsig.h"
#include "gemeinde/keygen.h"
#include "gemeinde/log.h"

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
    if (strlen(name) > GM_NAME_MAX)
        return NULL;
    if (ring->n >= KEYRING_SIZE) /* signing needs a key only while preparing: start over */
        gm_delivery_keyring_clear(ring);
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

/* Is this job body a Reject of a Follow (a cheap look, no full parse needed)? */
static int reject_of_follow(const char *activity)
{
    json_t *doc = json_loads(activity, 0, NULL);
    const char *type = json_string_value(json_object_get(doc, "type"));
    const char *inner = json_string_value(json_object_get(json_object_get(doc, "object"), "type"));
    int yes = type && inner && !strcmp(type, "Reject") && !strcmp(inner, "Follow");
    json_decref(doc);
    return yes;
}

/* Check the destination and set up the transfer. GM_OK: ready to add to the multi handle.
 * Otherwise t->outcome says what to do with the job. */
/* Read what we know of the destination host; decide scheme and whether it is skipped. */
static gm_err consult_host(struct gm_delivery *d, struct transfer *t, char *why, size_t size)
{
    struct gm_txn *txn;
    int64_t now = (int64_t)time(NULL);
    int blocked = 0;
    if (gm_txn_begin(d->app->st, false, &txn) == GM_OK) {
        gm_host_get(txn, t->host, &t->state);
        blocked = gm_block_find(txn, t->host, NULL, 0) == GM_OK;
        gm_txn_abort(txn);
    }
    if (blocked && reject_of_follow(t->job->activity)) {
        blocked = 0; /* the one answer a suspended domain gets: its Follow is rejected */
    }
    if (blocked) { /* queued before the block: it never leaves the node */
        snprintf(why, size, "blocked domain");
        return GM_EPERM;
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

void gm_delivery_reset(struct transfer *t)
{
    curl_easy_cleanup(t->easy);
    curl_slist_free_all(t->headers);
    t->easy = NULL;
    t->headers = NULL;
    t->status = 0;
    t->retry_after = 0;
}

gm_err gm_delivery_prepare(struct gm_delivery *d, struct transfer *t)
{
    struct keyring *ring = &d->ring;
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
    return GM_OK;
}

void gm_delivery_classify(struct transfer *t, CURLcode rc)
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
    if (t->outcome != OUT_DONE && !(t->status == 401 && !t->knocked)) /* the knock logs */
        gm_info("delivery to %s: HTTP %ld (%s)", t->job->inbox, t->status,
                t->outcome == OUT_RETRY ? "will retry" : "dropped");
}


void gm_delivery_keyring_clear(struct keyring *ring)
{
    for (size_t i = 0; i < ring->n; i++)
        EVP_PKEY_free(ring->key[i]);
    ring->n = 0;
}
