/* SPDX-License-Identifier: Apache-2.0
 * fake_peer.c - a fake remote ActivityPub server (libmicrohttpd, one thread per connection so
 * a delayed answer holds up nothing else), key pairs and actor documents, a client that signs
 * and POSTs activities to the daemon, and a read-only look into the daemon's store. Test
 * scaffolding only: no assertions here, every failure is printed and returned. */
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

#define MAX_PATHS 64
#define MAX_HEADERS 48
#define MAX_PATH_LEN 512
#define MAX_SCRIPT 8
#define MAX_LOG 256            /* requests kept with their bodies */
#define MAX_BODY (1024 * 1024) /* a longer body is kept cut */

struct entry {
    char path[MAX_PATH_LEN];
    int served; /* 0: 404 */
    int status;
    char *content_type, *body, *location;
    unsigned delay_ms;
    unsigned hits;
    int script[MAX_SCRIPT]; /* statuses in turn (gm_fp_serve_statuses), the last repeated */
    size_t n_script;
    unsigned script_base; /* hits when the script was set */
};

/* One request as received: target, body and lower-cased headers. */
struct logged {
    char *method, *target, *body;
    size_t body_len;
    char *name[MAX_HEADERS], *value[MAX_HEADERS];
    size_t n;
};

/* A request being received: its body so far. */
struct req_ctx {
    char *body;
    size_t len;
};

struct gm_fp {
    struct MHD_Daemon *daemon;
    char origin[64];
    pthread_mutex_t mu;
    pthread_cond_t cv; /* signalled on each request and on stop */
    int stopping;
    struct entry entries[MAX_PATHS];
    size_t n_entries;
    unsigned total;
    /* the last request */
    char *last_method, *last_target;
    char *last_name[MAX_HEADERS], *last_value[MAX_HEADERS];
    size_t n_last;
    /* the first MAX_LOG requests, with their bodies */
    struct logged *log[MAX_LOG];
    size_t n_log;
};

/* ---- the server ------------------------------------------------------------------------- */

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

/* The entry for path, created (unserved) when absent. Under p->mu. */
static struct entry *entry_for(struct gm_fp *p, const char *path)
{
    for (size_t i = 0; i < p->n_entries; i++)
        if (!strcmp(p->entries[i].path, path))
            return &p->entries[i];
    if (p->n_entries == MAX_PATHS || strlen(path) >= MAX_PATH_LEN)
        return NULL;
    struct entry *e = &p->entries[p->n_entries++];
    memset(e, 0, sizeof *e);
    snprintf(e->path, sizeof e->path, "%s", path);
    return e;
}

static void clear_last(struct gm_fp *p)
{
    free(p->last_method);
    free(p->last_target);
    for (size_t i = 0; i < p->n_last; i++) {
        free(p->last_name[i]);
        free(p->last_value[i]);
    }
    p->last_method = p->last_target = NULL;
    p->n_last = 0;
}

static enum MHD_Result keep_header(void *cls, enum MHD_ValueKind kind, const char *name,
                                   const char *value)
{
    struct gm_fp *p = cls;
    (void)kind;
    if (p->n_last == MAX_HEADERS || !name)
        return MHD_YES;
    char *n = strdup(name), *v = strdup(value ? value : "");
    if (!n || !v) {
        free(n);
        free(v);
        return MHD_YES;
    }
    for (char *c = n; *c; c++)
        *c = (char)(*c >= 'A' && *c <= 'Z' ? *c - 'A' + 'a' : *c);
    p->last_name[p->n_last] = n;
    p->last_value[p->n_last++] = v;
    return MHD_YES;
}

static void logged_free(struct logged *l)
{
    if (!l)
        return;
    free(l->method);
    free(l->target);
    free(l->body);
    for (size_t i = 0; i < l->n; i++) {
        free(l->name[i]);
        free(l->value[i]);
    }
    free(l);
}

/* Keep the request just described by p->last_* with the body of rc. Under p->mu. */
static void log_last(struct gm_fp *p, const struct req_ctx *rc)
{
    struct logged *l = p->n_log < MAX_LOG ? calloc(1, sizeof *l) : NULL;
    if (!l)
        return;
    int ok = (l->method = strdup(p->last_method ? p->last_method : "")) &&
             (l->target = strdup(p->last_target ? p->last_target : "")) &&
             (l->body = rc->body ? strndup(rc->body, rc->len) : strdup(""));
    l->body_len = rc->body ? rc->len : 0;
    for (size_t i = 0; ok && i < p->n_last; i++) {
        ok = (l->name[i] = strdup(p->last_name[i])) && (l->value[i] = strdup(p->last_value[i]));
        l->n = i + 1;
    }
    if (!ok) {
        logged_free(l);
        return;
    }
    p->log[p->n_log++] = l;
}

static void request_done(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode code)
{
    struct req_ctx *rc = *con_cls;
    (void)cls, (void)conn, (void)code;
    if (rc) {
        free(rc->body);
        free(rc);
    }
    *con_cls = NULL;
}

/* Wait until `ms` passed or the peer stops. Under p->mu. */
static void delay_locked(struct gm_fp *p, unsigned ms)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += ms / 1000;
    until.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    while (!p->stopping && pthread_cond_timedwait(&p->cv, &p->mu, &until) != ETIMEDOUT)
        ;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    struct gm_fp *p = cls;
    struct req_ctx *rc = *con_cls;
    (void)version;
    if (!rc) {
        if (!(rc = calloc(1, sizeof *rc)))
            return MHD_NO;
        *con_cls = rc;
        return MHD_YES;
    }
    if (*upload_data_size) {
        size_t n = *upload_data_size;
        if (rc->len + n > MAX_BODY)
            n = MAX_BODY - rc->len; /* kept cut */
        char *grown = n ? realloc(rc->body, rc->len + n + 1) : NULL;
        if (grown) {
            memcpy(grown + rc->len, upload_data, n);
            rc->body = grown;
            rc->len += n;
            rc->body[rc->len] = '\0';
        }
        *upload_data_size = 0;
        return MHD_YES;
    }
    pthread_mutex_lock(&p->mu);
    p->total++;
    clear_last(p);
    p->last_method = strdup(method);
    p->last_target = strdup(url);
    MHD_get_connection_values(conn, MHD_HEADER_KIND, keep_header, p);
    log_last(p, rc);
    struct entry *e = entry_for(p, url);
    int status = 404;
    char *ct = NULL, *body = NULL, *location = NULL;
    if (e) {
        e->hits++;
        if (e->served) {
            status = e->status;
            if (e->n_script) {
                size_t i = e->hits - e->script_base - 1;
                status = e->script[i < e->n_script ? i : e->n_script - 1];
            }
            ct = dup_or_null(e->content_type);
            body = dup_or_null(e->body);
            location = dup_or_null(e->location);
            if (e->delay_ms)
                delay_locked(p, e->delay_ms);
        }
    }
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    if (status == 404 && !body)
        body = strdup("{\"error\":\"not found\"}");
    size_t len = body ? strlen(body) : 0;
    struct MHD_Response *r =
        MHD_create_response_from_buffer(len, body ? body : (void *)"", MHD_RESPMEM_MUST_COPY);
    enum MHD_Result ret = MHD_NO;
    if (r) {
        MHD_add_response_header(r, "Content-Type", ct ? ct : "application/json");
        if (location)
            MHD_add_response_header(r, "Location", location);
        ret = MHD_queue_response(conn, (unsigned)status, r);
        MHD_destroy_response(r);
    }
    free(ct);
    free(body);
    free(location);
    return ret;
}

int gm_fp_start(const char *addr, struct gm_fp **out)
{
    struct sockaddr_in sa = {.sin_family = AF_INET};
    socklen_t len = sizeof sa;
    struct gm_fp *p = calloc(1, sizeof *p);
    int s = -1, one = 1;
    if (!p || inet_pton(AF_INET, addr, &sa.sin_addr) != 1)
        goto fail;
    if ((s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
        setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        bind(s, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(s, 64) != 0 ||
        getsockname(s, (struct sockaddr *)&sa, &len) != 0) {
        fprintf(stderr, "fake_peer: cannot listen on %s: %s\n", addr, strerror(errno));
        goto fail;
    }
    snprintf(p->origin, sizeof p->origin, "http://%s:%u", addr, (unsigned)ntohs(sa.sin_port));
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    p->daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0,
                                 NULL, NULL, on_request, p, MHD_OPTION_LISTEN_SOCKET, s,
                                 MHD_OPTION_NOTIFY_COMPLETED, request_done, NULL,
                                 MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30, MHD_OPTION_END);
    if (!p->daemon) {
        fprintf(stderr, "fake_peer: cannot start the server on %s\n", p->origin);
        pthread_mutex_destroy(&p->mu);
        pthread_cond_destroy(&p->cv);
        goto fail;
    }
    *out = p;
    return 0;
fail:
    if (s >= 0)
        close(s);
    free(p);
    return -1;
}

void gm_fp_stop(struct gm_fp *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    p->stopping = 1;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    MHD_stop_daemon(p->daemon); /* joins the connection threads; closes the socket */
    clear_last(p);
    for (size_t i = 0; i < p->n_log; i++)
        logged_free(p->log[i]);
    for (size_t i = 0; i < p->n_entries; i++) {
        free(p->entries[i].content_type);
        free(p->entries[i].body);
        free(p->entries[i].location);
    }
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
    free(p);
}

const char *gm_fp_origin(const struct gm_fp *p)
{
    return p->origin;
}

const char *gm_fp_url(const struct gm_fp *p, const char *path)
{
    static _Thread_local char ring[16][640];
    static _Thread_local unsigned next;
    char *out = ring[next++ % 16];
    snprintf(out, sizeof ring[0], "%s%s", p->origin, path);
    return out;
}

int gm_fp_serve(struct gm_fp *p, const char *path, const struct gm_fp_doc *doc)
{
    pthread_mutex_lock(&p->mu);
    struct entry *e = entry_for(p, path);
    if (!e) {
        pthread_mutex_unlock(&p->mu);
        fprintf(stderr, "fake_peer: too many paths\n");
        return -1;
    }
    free(e->content_type);
    free(e->body);
    free(e->location);
    e->served = 1;
    e->status = doc->status ? doc->status : 200;
    e->content_type = strdup(doc->content_type ? doc->content_type : GM_FP_AP_TYPE);
    e->body = dup_or_null(doc->body);
    e->location = dup_or_null(doc->location);
    e->delay_ms = doc->delay_ms;
    e->n_script = 0;
    pthread_mutex_unlock(&p->mu);
    return 0;
}

int gm_fp_serve_statuses(struct gm_fp *p, const char *path, const int *statuses, size_t n)
{
    struct gm_fp_doc doc = {.status = n ? statuses[0] : 202, .body = "{}"};
    if (n > MAX_SCRIPT || gm_fp_serve(p, path, &doc) != 0)
        return -1;
    pthread_mutex_lock(&p->mu);
    struct entry *e = entry_for(p, path);
    memcpy(e->script, statuses, n * sizeof *statuses);
    e->n_script = n;
    e->script_base = e->hits;
    pthread_mutex_unlock(&p->mu);
    return 0;
}

static unsigned hits_locked(struct gm_fp *p, const char *path)
{
    if (!path)
        return p->total;
    for (size_t i = 0; i < p->n_entries; i++)
        if (!strcmp(p->entries[i].path, path))
            return p->entries[i].hits;
    return 0;
}

unsigned gm_fp_hits(struct gm_fp *p, const char *path)
{
    pthread_mutex_lock(&p->mu);
    unsigned n = hits_locked(p, path);
    pthread_mutex_unlock(&p->mu);
    return n;
}

int gm_fp_wait_hits(struct gm_fp *p, const char *path, unsigned n, int timeout_ms)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += timeout_ms / 1000;
    until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    int rc = 0;
    pthread_mutex_lock(&p->mu);
    while (hits_locked(p, path) < n && rc == 0)
        if (pthread_cond_timedwait(&p->cv, &p->mu, &until) == ETIMEDOUT)
            rc = hits_locked(p, path) >= n ? 0 : -1;
    pthread_mutex_unlock(&p->mu);
    return rc;
}

/* Under p->mu: the last request's header, borrowed. */
static const char *last_header_locked(struct gm_fp *p, const char *name)
{
    for (size_t i = 0; i < p->n_last; i++)
        if (!strcasecmp(p->last_name[i], name))
            return p->last_value[i];
    return NULL;
}

char *gm_fp_last_header(struct gm_fp *p, const char *name)
{
    pthread_mutex_lock(&p->mu);
    char *v = dup_or_null(last_header_locked(p, name));
    pthread_mutex_unlock(&p->mu);
    return v;
}

static const char *view_header(void *ctx, const char *name)
{
    return last_header_locked(ctx, name);
}

gm_err gm_fp_last_signature(struct gm_fp *p, struct gm_httpsig **sig)
{
    pthread_mutex_lock(&p->mu);
    gm_err e = GM_ENOTFOUND;
    if (p->last_method) {
        struct gm_httpsig_msg msg = {.method = p->last_method,
                                     .target = p->last_target,
                                     .authority = last_header_locked(p, "host"),
                                     .scheme = "http",
                                     .get_header = view_header,
                                     .ctx = p};
        e = gm_httpsig_parse(&msg, NULL, sig);
    }
    pthread_mutex_unlock(&p->mu);
    return e;
}

/* The n-th (0-based) logged request at `path`, or NULL. Entries are not changed or freed
 * before gm_fp_stop, so the pointer may be used after unlocking. */
static const struct logged *logged_at(struct gm_fp *p, const char *path, unsigned n)
{
    const struct logged *found = NULL;
    pthread_mutex_lock(&p->mu);
    for (size_t i = 0; i < p->n_log && !found; i++)
        if (!strcmp(p->log[i]->target, path) && n-- == 0)
            found = p->log[i];
    pthread_mutex_unlock(&p->mu);
    return found;
}

static const char *logged_header(void *ctx, const char *name)
{
    const struct logged *l = ctx;
    for (size_t i = 0; i < l->n; i++)
        if (!strcasecmp(l->name[i], name))
            return l->value[i];
    return NULL;
}

char *gm_fp_body(struct gm_fp *p, const char *path, unsigned n)
{
    const struct logged *l = logged_at(p, path, n);
    return l ? strdup(l->body) : NULL;
}

gm_err gm_fp_verify(struct gm_fp *p, const char *path, unsigned n, EVP_PKEY *key, char **key_id)
{
    const struct logged *l = logged_at(p, path, n);
    struct gm_httpsig *sig = NULL;
    if (!l)
        return GM_ENOTFOUND;
    struct gm_httpsig_msg msg = {.method = l->method,
                                 .target = l->target,
                                 .authority = logged_header((void *)l, "host"),
                                 .scheme = "http",
                                 .get_header = logged_header,
                                 .ctx = (void *)l};
    gm_err e = gm_digest_verify(l->body, l->body_len, logged_header((void *)l, "digest"),
                                logged_header((void *)l, "content-digest"));
    if (e == GM_OK)
        e = gm_httpsig_parse(&msg, NULL, &sig);
    if (e == GM_OK)
        e = gm_httpsig_verify(sig, key, NULL);
    if (e == GM_OK && key_id)
        *key_id = gm_httpsig_key_id(sig) ? strdup(gm_httpsig_key_id(sig)) : NULL;
    gm_httpsig_free(sig);
    return e;
}

/* ---- keys and documents ----------------------------------------------------------------- */

static int finish_key(struct gm_fp_key *k, EVP_PKEY *key)
{
    BIO *bio = BIO_new(BIO_s_mem());
    char *data = NULL;
    long n;
    memset(k, 0, sizeof *k);
    if (!key || !bio || PEM_write_bio_PUBKEY(bio, key) != 1 ||
        (n = BIO_get_mem_data(bio, &data)) <= 0 || !(k->pem = strndup(data, (size_t)n))) {
        fprintf(stderr, "fake_peer: key generation failed\n");
        BIO_free(bio);
        EVP_PKEY_free(key);
        return -1;
    }
    BIO_free(bio);
    k->key = key;
    return 0;
}

int gm_fp_key_rsa(struct gm_fp_key *k)
{
    return finish_key(k, EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048));
}

int gm_fp_key_ed25519(struct gm_fp_key *k)
{
    return finish_key(k, EVP_PKEY_Q_keygen(NULL, NULL, "ED25519"));
}

void gm_fp_key_clear(struct gm_fp_key *k)
{
    EVP_PKEY_free(k->key);
    free(k->pem);
    memset(k, 0, sizeof *k);
}

char *gm_fp_actor_json(const char *actor_id, const char *key_id, const char *pem)
{
    return gm_fp_actor_json_shared(actor_id, key_id, pem, NULL);
}

char *gm_fp_actor_json_shared(const char *actor_id, const char *key_id, const char *pem,
                              const char *shared_inbox)
{
    char inbox[700];
    snprintf(inbox, sizeof inbox, "%s/inbox", actor_id);
    json_t *doc =
        json_pack("{s:[s,s], s:s, s:s, s:s, s:s, s:{s:s, s:s, s:s}}", "@context",
                  "https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1", "id",
                  actor_id, "type", "Person", "preferredUsername", "someone", "inbox", inbox,
                  "publicKey", "id", key_id, "owner", actor_id, "publicKeyPem", pem);
    if (doc && shared_inbox &&
        json_object_set_new(doc, "endpoints", json_pack("{s:s}", "sharedInbox", shared_inbox)))
        json_decref(doc), doc = NULL;
    char *s = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    return s;
}

int gm_fp_serve_actor(struct gm_fp *p, const char *path, const char *pem)
{
    return gm_fp_serve_actor_shared(p, path, pem, NULL);
}

int gm_fp_serve_actor_shared(struct gm_fp *p, const char *path, const char *pem,
                             const char *shared_inbox)
{
    char id[640], key_id[700];
    snprintf(id, sizeof id, "%s%s", p->origin, path);
    snprintf(key_id, sizeof key_id, "%s#main-key", id);
    char *body = gm_fp_actor_json_shared(id, key_id, pem, shared_inbox);
    if (!body)
        return -1;
    struct gm_fp_doc doc = {.body = body};
    int rc = gm_fp_serve(p, path, &doc);
    free(body);
    return rc;
}

int gm_fp_serve_nodeinfo(struct gm_fp *p, const char *software)
{
    char links[800], info[400];
    snprintf(links, sizeof links,
             "{\"links\":[{\"rel\":\"http://nodeinfo.diaspora.software/ns/schema/2.1\","
             "\"href\":\"%s/nodeinfo/2.1\"}]}",
             p->origin);
    snprintf(info, sizeof info,
             "{\"version\":\"2.1\",\"software\":{\"name\":\"%s\",\"version\":\"1.0\"},"
             "\"protocols\":[\"activitypub\"],\"openRegistrations\":false,"
             "\"usage\":{\"users\":{}},\"metadata\":{}}",
             software);
    struct gm_fp_doc l = {.content_type = "application/json", .body = links};
    struct gm_fp_doc i = {.content_type = "application/json", .body = info};
    return gm_fp_serve(p, "/.well-known/nodeinfo", &l) | gm_fp_serve(p, "/nodeinfo/2.1", &i);
}

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
