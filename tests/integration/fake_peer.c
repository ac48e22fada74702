/* SPDX-License-Identifier: Apache-2.0
 * fake_peer.c - a fake remote ActivityPub server (libmicrohttpd, one thread per connection so
 * a delayed answer holds up nothing else), key pairs and actor documents. The client side
 * (signed POSTs, the daemon's store, the world) is in fake_peer_client.c. Test scaffolding
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
