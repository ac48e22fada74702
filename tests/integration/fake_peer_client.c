/* SPDX-License-Identifier: Apache-2.0
 * fake_peer_client.c - the test's side of a fake peer: sign and POST activities to the daemon
 * (with every kind of tampering the inbox tests need), look into the daemon's store and queue,
 * build activities, and start or stop a whole world (daemon plus two peers). Test scaffolding
 * only: no assertions here, every failure is printed and returned. */
#include "fake_peer.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "gemeinde/activity_store.h"
#include "gemeinde/digest.h"
#include "gemeinde/queue.h"
#include "gemeinde/remote.h"
#include "gemeinde/store.h"


/* ---- the client ------------------------------------------------------------------------- */

/* The headers of an outgoing request, by lower-case name. */
struct out_headers {
    const char *name[8];
    char *value[8];
    size_t n;
};

static const char *out_header(void *ctx, const char *name)
{
    struct out_headers *h = ctx;
    for (size_t i = 0; i < h->n; i++)
        if (!strcmp(h->name[i], name))
            return h->value[i];
    return NULL;
}

static int out_set(struct out_headers *h, const char *name, char *value)
{
    if (!value)
        return -1;
    for (size_t i = 0; i < h->n; i++) {
        if (!strcmp(h->name[i], name)) {
            free(h->value[i]);
            h->value[i] = value;
            return 0;
        }
    }
    if (h->n == 8) {
        free(value);
        return -1;
    }
    h->name[h->n] = name;
    h->value[h->n++] = value;
    return 0;
}

static void out_drop(struct out_headers *h, const char *name)
{
    for (size_t i = 0; i < h->n; i++) {
        if (!strcasecmp(h->name[i], name)) {
            free(h->value[i]);
            h->name[i] = h->name[h->n - 1];
            h->value[i] = h->value[h->n - 1];
            h->n--;
            return;
        }
    }
}

static char *http_date(long offset)
{
    static const char days[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    time_t t = time(NULL) + offset;
    struct tm tm;
    char out[64];
    gmtime_r(&t, &tm);
    snprintf(out, sizeof out, "%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday % 7],
             tm.tm_mday, months[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
             tm.tm_sec);
    return strdup(out);
}

static char *body_digest(enum gm_fp_scheme scheme, const char *body, size_t len)
{
    char *v = NULL;
    if (scheme == GM_FP_CAVAGE)
        gm_digest_format_legacy(body, len, &v);
    else
        gm_digest_format_content(body, len, GM_DIGEST_SHA256, &v);
    return v;
}

/* Sign into h: Signature (cavage) or Signature-Input + Signature (RFC 9421). */
static int sign(const struct gm_fp_sig *s, const char *path, struct out_headers *h)
{
    static const char *const cavage[] = {"(request-target)", "host", "date", "content-type",
                                         "digest"};
    static const char *const rfc[] = {"@method", "@target-uri", "@authority", "content-type",
                                      "content-digest"};
    int full = !(s->tamper & GM_FP_NO_DIGEST_COVER);
    struct gm_httpsig_msg msg = {.method = "POST",
                                 .target = path,
                                 .authority = out_header(h, "host"),
                                 .scheme = "http",
                                 .get_header = out_header,
                                 .ctx = h};
    char *value = NULL, *input = NULL;
    gm_err e;
    if (s->scheme == GM_FP_CAVAGE) {
        e = gm_httpsig_sign_cavage(&msg, cavage, full ? 5 : 4, s->key_id, s->key, &value);
        if (e == GM_OK)
            return out_set(h, "signature", value);
    } else {
        struct gm_httpsig_sign_opts o = {.components = rfc,
                                         .ncomponents = full ? 5 : 4,
                                         .key_id = s->key_id,
                                         .alg = s->alg,
                                         .write_alg = s->alg != NULL,
                                         .created = (int64_t)time(NULL) + s->clock_offset};
        e = gm_httpsig_sign_rfc9421(&msg, &o, s->key, &input, &value);
        if (e == GM_OK)
            return out_set(h, "signature-input", input) | out_set(h, "signature", value);
    }
    fprintf(stderr, "fake_peer: signing failed: %s\n", gm_strerror(e));
    return -1;
}

/* With GM_FP_TAMPER_BODY: the body with one more member, a new string. */
static char *tampered(const char *body)
{
    size_t len = strlen(body);
    const char *end = strrchr(body, '}');
    char *out = malloc(len + 32);
    if (!out || !end) {
        free(out);
        return NULL;
    }
    snprintf(out, len + 32, "%.*s,\"tampered\":true}", (int)(end - body), body);
    return out;
}

struct answer_buf {
    char *data;
    size_t len;
};

static size_t keep_body(char *ptr, size_t size, size_t n, void *ud)
{
    struct answer_buf *b = ud;
    char *grown = realloc(b->data, b->len + size * n + 1);
    if (!grown)
        return 0;
    memcpy(grown + b->len, ptr, size * n);
    b->data = grown;
    b->len += size * n;
    b->data[b->len] = '\0';
    return size * n;
}

static long send_post(const struct gm_h_daemon *d, const char *path, const char *body,
                      const struct out_headers *h, long timeout_ms, char **answer)
{
    struct curl_slist *list = NULL;
    struct answer_buf got = {NULL, 0};
    char url[700], line[GM_HTTPSIG_MAX_HEADER + 64];
    long status = -1;
    CURL *c = gm_h_curl_new();
    if (!c)
        return -1;
    snprintf(url, sizeof url, "%s%s", d->base_url, path);
    list = curl_slist_append(list, "Expect:");
    for (size_t i = 0; list && i < h->n; i++) {
        snprintf(line, sizeof line, "%s: %s", h->name[i], h->value[i]);
        list = curl_slist_append(list, line);
    }
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, keep_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &got);
    CURLcode cc = list ? curl_easy_perform(c) : CURLE_OUT_OF_MEMORY;
    if (cc == CURLE_OK) {
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        if (answer)
            *answer = got.data ? got.data : strdup("");
        else
            free(got.data);
        got.data = NULL;
    } else {
        fprintf(stderr, "fake_peer: POST %s: %s\n", url, curl_easy_strerror(cc));
    }
    free(got.data);
    curl_slist_free_all(list);
    curl_easy_cleanup(c);
    return status;
}

long gm_fp_post(const struct gm_h_daemon *d, const char *path, const char *body,
                const struct gm_fp_sig *s, char **answer)
{
    struct out_headers h = {.n = 0};
    char *sent = NULL;
    long status = -1;
    size_t len = strlen(body);
    if (out_set(&h, "host", strdup(s->host ? s->host : d->host)) != 0 ||
        out_set(&h, "date", http_date(s->clock_offset)) != 0 ||
        out_set(&h, "content-type", strdup(GM_FP_AP_TYPE)) != 0 ||
        out_set(&h, s->scheme == GM_FP_CAVAGE ? "digest" : "content-digest",
                body_digest(s->scheme, body, len)) != 0)
        goto out;
    if (s->raw_signature) {
        if (out_set(&h, "signature", strdup(s->raw_signature)) != 0)
            goto out;
    } else if (s->key && sign(s, path, &h) != 0) {
        goto out;
    }
    if (s->tamper & (GM_FP_TAMPER_BODY | GM_FP_TAMPER_REDIGEST)) {
        if (!(sent = tampered(body)))
            goto out;
        if ((s->tamper & GM_FP_TAMPER_REDIGEST) &&
            out_set(&h, s->scheme == GM_FP_CAVAGE ? "digest" : "content-digest",
                    body_digest(s->scheme, sent, strlen(sent))) != 0)
            goto out;
    }
    if (s->drop)
        out_drop(&h, s->drop);
    status = send_post(d, path, sent ? sent : body, &h,
                       s->timeout_ms ? s->timeout_ms : GM_H_HTTP_TIMEOUT_MS, answer);
out:
    for (size_t i = 0; i < h.n; i++)
        free(h.value[i]);
    free(sent);
    return status;
}

/* ---- the daemon's store ----------------------------------------------------------------- */

static struct gm_store *open_store(const char *data_dir, struct gm_txn **txn)
{
    struct gm_store *st = NULL;
    char err[256] = "";
    if (gm_store_open(data_dir, 1024, &st, err, sizeof err) != GM_OK) {
        fprintf(stderr, "fake_peer: cannot open the store in %s: %s\n", data_dir, err);
        return NULL;
    }
    if (gm_txn_begin(st, false, txn) != GM_OK) {
        fprintf(stderr, "fake_peer: cannot read the store in %s\n", data_dir);
        gm_store_close(st);
        return NULL;
    }
    return st;
}

long gm_fp_stored_count(const char *data_dir)
{
    struct gm_txn *txn = NULL;
    struct gm_store *st = open_store(data_dir, &txn);
    size_t n = 0;
    long rc = -1;
    if (st && gm_activity_count(txn, &n) == GM_OK)
        rc = (long)n;
    gm_txn_abort(txn);
    gm_store_close(st);
    return rc;
}

json_t *gm_fp_stored(const char *data_dir, unsigned long seq)
{
    struct gm_txn *txn = NULL;
    struct gm_store *st = open_store(data_dir, &txn);
    char *text = NULL;
    json_t *doc = NULL;
    if (st && gm_activity_get(txn, (uint64_t)seq, &text) == GM_OK)
        doc = json_loads(text, 0, NULL);
    free(text);
    gm_txn_abort(txn);
    gm_store_close(st);
    return doc;
}

int gm_fp_age_key(const char *data_dir, const char *key_id, long seconds)
{
    struct gm_store *st = NULL;
    struct gm_txn *txn = NULL;
    struct gm_remote_key *k = NULL;
    char err[256] = "";
    int rc = -1;
    if (gm_store_open(data_dir, 1024, &st, err, sizeof err) != GM_OK) {
        fprintf(stderr, "fake_peer: cannot open the store in %s: %s\n", data_dir, err);
        return -1;
    }
    if (gm_txn_begin(st, true, &txn) == GM_OK && gm_remote_key_get(txn, key_id, &k) == GM_OK) {
        k->fetched_at -= seconds;
        if (k->refetch_at)
            k->refetch_at -= seconds;
        if (gm_remote_key_put(txn, k) == GM_OK) {
            rc = gm_txn_commit(txn) == GM_OK ? 0 : -1;
            txn = NULL;
        }
    }
    if (rc != 0)
        fprintf(stderr, "fake_peer: cannot age the cached key %s\n", key_id);
    gm_txn_abort(txn);
    gm_remote_key_free(k);
    gm_store_close(st);
    return rc;
}

#define QUEUE_MAX 4096 /* jobs looked at by the queue helpers */

long gm_fp_queue_peek(const char *data_dir, const char *inbox, unsigned *attempts,
                      int64_t *next_due)
{
    struct gm_txn *txn = NULL;
    struct gm_store *st = open_store(data_dir, &txn);
    struct gm_job **jobs = NULL;
    size_t n = 0;
    long rc = -1;
    if (st && gm_queue_peek(txn, QUEUE_MAX, &jobs, &n) == GM_OK) {
        unsigned most = 0;
        rc = 0;
        for (size_t i = 0; i < n; i++) {
            if (inbox && strcmp(jobs[i]->inbox, inbox) != 0)
                continue;
            rc++;
            most = jobs[i]->attempts > most ? jobs[i]->attempts : most;
        }
        if (attempts)
            *attempts = most;
        if (next_due)
            *next_due = n ? jobs[0]->due : 0;
    }
    gm_txn_abort(txn);
    gm_jobs_free(jobs, n);
    gm_store_close(st);
    if (st && rc < 0)
        fprintf(stderr, "fake_peer: cannot read the queue in %s\n", data_dir);
    return rc;
}

long gm_fp_queue_due_now(const char *data_dir)
{
    struct gm_store *st = NULL;
    struct gm_txn *txn = NULL;
    struct gm_job **jobs = NULL;
    size_t n = 0;
    char err[256] = "";
    long rc = -1;
    if (gm_store_open(data_dir, 1024, &st, err, sizeof err) != GM_OK) {
        fprintf(stderr, "fake_peer: cannot open the store in %s: %s\n", data_dir, err);
        return -1;
    }
    int64_t now = (int64_t)time(NULL);
    if (gm_txn_begin(st, true, &txn) == GM_OK &&
        gm_queue_take_due(txn, now + 10L * 86400, now, QUEUE_MAX, &jobs, &n) == GM_OK) {
        rc = gm_txn_commit(txn) == GM_OK ? (long)n : -1;
        txn = NULL;
    }
    gm_txn_abort(txn);
    gm_jobs_free(jobs, n);
    gm_store_close(st);
    if (rc < 0)
        fprintf(stderr, "fake_peer: cannot fast-forward the queue in %s\n", data_dir);
    return rc;
}

/* ---- activities ------------------------------------------------------------------------- */

json_t *gm_fp_note(const char *id, const char *author, const char *content)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:[s]}", "id", id, "type", "Note", "attributedTo",
                     author, "content", content, "to", GM_FP_PUBLIC);
}

char *gm_fp_activity(const char *actor, const char *type, const char *tag, json_t *object)
{
    char id[400];
    snprintf(id, sizeof id, "%s/activities/%s", actor, tag);
    json_t *doc = json_pack("{s:s, s:s, s:s, s:s, s:[s]}", "@context",
                            "https://www.w3.org/ns/activitystreams", "id", id, "type", type,
                            "actor", actor, "to", GM_FP_PUBLIC);
    if (doc && object)
        json_object_set(doc, "object", object);
    json_decref(object);
    char *s = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    return s;
}

/* ---- the world -------------------------------------------------------------------------- */

static int add_actor(struct gm_fp *p, const char *path, const char *pem, char *id, size_t id_size,
                     char *key_id, size_t key_size)
{
    snprintf(id, id_size, "%s", gm_fp_url(p, path));
    snprintf(key_id, key_size, "%s#main-key", id);
    return gm_fp_serve_actor(p, path, pem);
}

int gm_fp_world_start(struct gm_fp_world *w, const char *binary, int private_fetch,
                      const char *alice_pem, const char *bob_pem)
{
    struct gm_h_run run;
    char extra[256];
    memset(w, 0, sizeof *w);
    snprintf(extra, sizeof extra,
             "allow_http_fetch = true\nallow_private_addresses = %s\n"
             "max_body = 65536\nthreads = 4\n",
             private_fetch ? "true" : "false");
    if (gm_h_env_init(&w->env, binary, extra) != 0)
        goto fail;
    int rc = gm_h_cli(&w->env, &run, "community", "create", "town", NULL);
    if (rc != 0)
        fprintf(stderr, "fake_peer: community create: exit %d: %s\n", rc, run.err ? run.err : "");
    gm_h_run_clear(&run);
    if (rc != 0 || gm_fp_start("127.0.0.2", &w->a) != 0 || gm_fp_start("127.0.0.3", &w->b) != 0)
        goto fail;
    if (add_actor(w->a, "/users/alice", alice_pem, w->alice, sizeof w->alice, w->alice_key,
                  sizeof w->alice_key) != 0 ||
        add_actor(w->b, "/users/bob", bob_pem, w->bob, sizeof w->bob, w->bob_key,
                  sizeof w->bob_key) != 0)
        goto fail;
    if (gm_h_serve_start(&w->env, &w->d) != 0)
        goto fail;
    return 0;
fail:
    w->finished = 1;
    gm_fp_world_stop(w);
    return -1;
}

int gm_fp_world_stop(struct gm_fp_world *w)
{
    int rc = 0;
    if (w->d.pid) {
        rc = gm_h_serve_stop(&w->d, SIGTERM) == 0 ? 0 : -1; /* prints the log if not 0 */
        if (rc == 0 && !w->finished)
            gm_h_serve_dump(&w->d);
    }
    gm_fp_stop(w->a);
    gm_fp_stop(w->b);
    w->a = w->b = NULL;
    gm_h_env_clear(&w->env);
    return rc;
}
