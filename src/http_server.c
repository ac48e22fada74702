/* SPDX-License-Identifier: Apache-2.0
 * http_server.c - libmicrohttpd glue. Each request gets a context on its first callback, and
 * the response is queued only on a later callback: queueing on the first one makes
 * libmicrohttpd 0.9.75 answer "Connection: close" and keep-alive throughput falls about
 * fivefold. Bodies are collected up to max_body; a declared or actual larger body gets 413
 * without reading the rest. The context is made in the URI-log callback, which sees the
 * request-target exactly as sent (signatures cover it; the path MHD passes is decoded).
 *
 * Deferral: a handler that must wait for the network (a key fetch) sets resp->defer; the
 * connection is suspended and the handler runs again on one of a few deferral threads, so
 * server threads never block on a remote host. */
#include "gemeinde/http_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gemeinde/http.h"
#include "gemeinde/log.h"
#include "gemeinde/router.h"

#define DEFER_THREADS 4
#define URI_MAX 8192

struct request {
    char *uri; /* request-target as sent */
    char *body;
    size_t len, cap;
    int started, too_big, has_ready;
    char remote[64];
    struct gm_http_resp ready; /* made on a deferral thread */
    const char *method, *url;  /* borrowed from MHD while suspended */
    struct MHD_Connection *conn;
    struct request *next;
};

struct gm_http_server {
    struct MHD_Daemon *daemon;
    struct gm_app *app;
    size_t max_body;
    pthread_t workers[DEFER_THREADS];
    size_t n_workers;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct request *head, *tail;
    int stopping;
};

gm_err gm_http_listen(const char *host, unsigned port, int *fd, unsigned *bound_port)
{
    struct sockaddr_storage ss;
    socklen_t sslen;
    memset(&ss, 0, sizeof ss);
    struct sockaddr_in *v4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)port);
        sslen = sizeof *v4;
    } else if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)port);
        sslen = sizeof *v6;
    } else {
        gm_error("listen: '%s' is not an IPv4 or IPv6 address", host);
        return GM_EINVAL;
    }
    int s = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    if (s < 0 || setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        bind(s, (struct sockaddr *)&ss, sslen) != 0 || listen(s, 1024) != 0 ||
        getsockname(s, (struct sockaddr *)&ss, &sslen) != 0) {
        gm_error("listen: cannot listen on %s:%u: %s", host, port, strerror(errno));
        if (s >= 0)
            close(s);
        return GM_EINTERNAL;
    }
    *fd = s;
    *bound_port = ntohs(ss.ss_family == AF_INET ? v4->sin_port : v6->sin6_port);
    return GM_OK;
}

static const char *lookup_header(void *ctx, const char *name)
{
    return MHD_lookup_connection_value(ctx, MHD_HEADER_KIND, name);
}

static const char *lookup_query(void *ctx, const char *name)
{
    return MHD_lookup_connection_value(ctx, MHD_GET_ARGUMENT_KIND, name);
}

static void peer_address(struct MHD_Connection *conn, char *out, size_t size)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    snprintf(out, size, "?");
    if (!info || !info->client_addr)
        return;
    const struct sockaddr *sa = info->client_addr;
    if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out, (socklen_t)size);
    else if (sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, out, (socklen_t)size);
}

static enum MHD_Result queue(struct MHD_Connection *conn, struct gm_http_resp *resp)
{
    struct MHD_Response *r;
    if (resp->body) {
        r = MHD_create_response_from_buffer(resp->body_len, resp->body, MHD_RESPMEM_MUST_FREE);
        if (r)
            resp->body = NULL;
    } else {
        r = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    }
    if (!r)
        return MHD_NO;
    if (resp->content_type)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, resp->content_type);
    for (size_t i = 0; i < resp->n_headers; i++)
        MHD_add_response_header(r, resp->hdr_name[i], resp->hdr_value[i]);
    enum MHD_Result ret = MHD_queue_response(conn, resp->status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result reply_error(struct MHD_Connection *conn, unsigned status, const char *msg)
{
    struct gm_http_resp resp = {.status = status};
    char *body = malloc(strlen(msg) + 16);
    if (body) {
        int n = sprintf(body, "{\"error\":\"%s\"}", msg);
        gm_http_resp_take(&resp, body, (size_t)n, "application/json");
    }
    enum MHD_Result ret = queue(conn, &resp);
    gm_http_resp_clear(&resp);
    return ret;
}

static int append_body(struct request *r, const char *data, size_t n, size_t max)
{
    if (r->too_big || n > max - r->len) {
        r->too_big = 1;
        return 0;
    }
    if (r->len + n > r->cap) {
        size_t cap = r->cap ? r->cap : 4096;
        while (cap < r->len + n)
            cap *= 2;
        char *grown = realloc(r->body, cap);
        if (!grown)
            return -1;
        r->body = grown;
        r->cap = cap;
    }
    memcpy(r->body + r->len, data, n);
    r->len += n;
    return 0;
}

static void *uri_log(void *cls, const char *uri, struct MHD_Connection *conn)
{
    struct request *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->uri = strndup(uri ? uri : "", URI_MAX);
    if (!r->uri) {
        free(r);
        return NULL;
    }
    return r;
}

/* libmicrohttpd decodes %00 into a NUL, which would silently shorten the path. */
static int path_has_nul(const char *uri)
{
    size_t n = strcspn(uri, "?");
    for (size_t i = 0; i + 2 < n; i++)
        if (uri[i] == '%' && uri[i + 1] == '0' && uri[i + 2] == '0')
            return 1;
    return 0;
}

static enum MHD_Result first_call(struct gm_http_server *srv, struct MHD_Connection *conn,
                                  struct request *r)
{
    r->started = 1;
    peer_address(conn, r->remote, sizeof r->remote);
    if (path_has_nul(r->uri)) {
        gm_info("request from %s refused: NUL in the path", r->remote);
        return reply_error(conn, 400, "NUL in the request path");
    }
    const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
    if (cl && strtoull(cl, NULL, 10) > srv->max_body) {
        r->too_big = 1;
        gm_info("request from %s refused: body of %s bytes over the cap", r->remote, cl);
        return reply_error(conn, 413, "request body too large");
    }
    return MHD_YES;
}

static void fill_req(struct gm_http_req *req, struct request *r, struct MHD_Connection *conn,
                     const char *method, const char *url)
{
    *req = (struct gm_http_req){.method = method, .path = url, .target = r->uri,
                                .body = r->body, .body_len = r->len, .remote = r->remote,
                                .header = lookup_header, .query = lookup_query, .ctx = conn};
}

static void reply_ready_503(struct request *r)
{
    r->ready.status = 503;
    gm_http_resp_take(&r->ready, strdup("{\"error\":\"shutting down\"}"), 27,
                      "application/json");
    r->has_ready = 1;
}

/* Queue a suspended request for a deferral thread; once stopping, answer 503 instead. */
static void defer_request(struct gm_http_server *srv, struct request *r)
{
    pthread_mutex_lock(&srv->mu);
    if (srv->stopping) {
        pthread_mutex_unlock(&srv->mu);
        reply_ready_503(r);
        MHD_resume_connection(r->conn);
        return;
    }
    r->next = NULL;
    if (srv->tail)
        srv->tail->next = r;
    else
        srv->head = r;
    srv->tail = r;
    pthread_cond_signal(&srv->cv);
    pthread_mutex_unlock(&srv->mu);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    struct gm_http_server *srv = cls;
    struct request *r = *con_cls;
    if (!r)
        return MHD_NO; /* the URI-log callback could not allocate */
    if (!r->started)
        return first_call(srv, conn, r);
    if (*upload_data_size) {
        if (append_body(r, upload_data, *upload_data_size, srv->max_body) < 0)
            return MHD_NO;
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (r->has_ready) {
        r->has_ready = 0;
        enum MHD_Result ret = queue(conn, &r->ready);
        gm_http_resp_clear(&r->ready);
        return ret;
    }
    if (r->too_big) {
        gm_info("%s %s from %s refused: body over %zu bytes", method, url, r->remote,
                srv->max_body);
        return reply_error(conn, 413, "request body too large");
    }
    struct gm_http_req req;
    struct gm_http_resp resp = {0};
    fill_req(&req, r, conn, method, url);
    gm_router_dispatch(srv->app, &req, &resp);
    if (resp.defer && srv->n_workers) {
        gm_http_resp_clear(&resp);
        r->method = method;
        r->url = url;
        r->conn = conn;
        MHD_suspend_connection(conn);
        defer_request(srv, r);
        return MHD_YES;
    }
    if (resp.status < 400) /* the router logged refusals with their reason */
        gm_debug("%s %s from %s: %u", method, url, r->remote, resp.status);
    enum MHD_Result ret = queue(conn, &resp);
    gm_http_resp_clear(&resp);
    return ret;
}

/* Deferral thread: run deferred handlers until stopped; jobs still queued at stop get 503. */
static void *defer_worker(void *arg)
{
    struct gm_http_server *srv = arg;
    for (;;) {
        pthread_mutex_lock(&srv->mu);
        while (!srv->head && !srv->stopping)
            pthread_cond_wait(&srv->cv, &srv->mu);
        struct request *r = srv->head;
        if (r) {
            srv->head = r->next;
            if (!srv->head)
                srv->tail = NULL;
        }
        int stopping = srv->stopping;
        pthread_mutex_unlock(&srv->mu);
        if (!r)
            return NULL;
        struct gm_http_req req;
        fill_req(&req, r, r->conn, r->method, r->url);
        req.deferred = 1;
        if (stopping) {
            reply_ready_503(r);
        } else {
            gm_router_dispatch(srv->app, &req, &r->ready);
            gm_debug("%s %s from %s: %u (deferred)", r->method, r->url, r->remote,
                     r->ready.status);
        }
        r->has_ready = 1;
        MHD_resume_connection(r->conn);
    }
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct request *r = *con_cls;
    if (!r)
        return;
    gm_http_resp_clear(&r->ready);
    free(r->uri);
    free(r->body);
    free(r);
    *con_cls = NULL;
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    msg[strcspn(msg, "\n")] = '\0';
    gm_warn("http: %s", msg);
}

gm_err gm_http_server_start(struct gm_app *app, int fd, unsigned threads, size_t max_body,
                            struct gm_http_server **out)
{
    struct gm_http_server *srv = calloc(1, sizeof *srv);
    if (!srv) {
        close(fd);
        return GM_ENOMEM;
    }
    srv->app = app;
    srv->max_body = max_body;
    pthread_mutex_init(&srv->mu, NULL);
    pthread_cond_init(&srv->cv, NULL);
    srv->daemon = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG |
            MHD_ALLOW_SUSPEND_RESUME,
        0, NULL, NULL, on_request, srv, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, srv,
        MHD_OPTION_URI_LOG_CALLBACK, uri_log, srv, MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_THREAD_POOL_SIZE,
        (unsigned int)threads, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
        MHD_OPTION_CONNECTION_LIMIT, (unsigned int)4000, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned int)30, MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
        MHD_OPTION_END);
    if (!srv->daemon) {
        gm_error("http: cannot start the server");
        close(fd);
        pthread_mutex_destroy(&srv->mu);
        pthread_cond_destroy(&srv->cv);
        free(srv);
        return GM_EINTERNAL;
    }
    for (; srv->n_workers < DEFER_THREADS; srv->n_workers++)
        if (pthread_create(&srv->workers[srv->n_workers], NULL, defer_worker, srv) != 0)
            break;
    *out = srv;
    return GM_OK;
}

void gm_http_server_stop(struct gm_http_server *srv)
{
    if (!srv)
        return;
    pthread_mutex_lock(&srv->mu);
    srv->stopping = 1;
    pthread_cond_broadcast(&srv->cv);
    pthread_mutex_unlock(&srv->mu);
    for (size_t i = 0; i < srv->n_workers; i++)
        pthread_join(srv->workers[i], NULL);
    MHD_stop_daemon(srv->daemon); /* also closes the listening socket */
    pthread_mutex_destroy(&srv->mu);
    pthread_cond_destroy(&srv->cv);
    free(srv);
}
