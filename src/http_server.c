/* SPDX-License-Identifier: Apache-2.0
 * http_server.c - libmicrohttpd glue. Each request gets a context on its first callback, and
 * the response is queued only on a later callback: queueing on the first one makes
 * libmicrohttpd 0.9.75 answer "Connection: close" and keep-alive throughput falls about
 * fivefold. Bodies are collected up to max_body; a declared or actual larger body gets 413
 * without reading the rest. */
#include "gemeinde/http_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gemeinde/http.h"
#include "gemeinde/log.h"
#include "gemeinde/router.h"

struct gm_http_server {
    struct MHD_Daemon *daemon;
    struct gm_app *app;
    size_t max_body;
};

struct request {
    char *body;
    size_t len, cap;
    int too_big;
    char remote[64];
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

static enum MHD_Result first_call(struct gm_http_server *srv, struct MHD_Connection *conn,
                                  void **con_cls)
{
    struct request *r = calloc(1, sizeof *r);
    if (!r)
        return MHD_NO;
    peer_address(conn, r->remote, sizeof r->remote);
    *con_cls = r;
    const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
    if (cl && strtoull(cl, NULL, 10) > srv->max_body) {
        r->too_big = 1;
        gm_info("request from %s refused: body of %s bytes over the cap", r->remote, cl);
        return reply_error(conn, 413, "request body too large");
    }
    return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    struct gm_http_server *srv = cls;
    struct request *r = *con_cls;
    if (!r)
        return first_call(srv, conn, con_cls);
    if (*upload_data_size) {
        if (append_body(r, upload_data, *upload_data_size, srv->max_body) < 0)
            return MHD_NO;
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (r->too_big) {
        gm_info("%s %s from %s refused: body over %zu bytes", method, url, r->remote,
                srv->max_body);
        return reply_error(conn, 413, "request body too large");
    }
    struct gm_http_req req = {.method = method, .path = url, .body = r->body,
                              .body_len = r->len, .remote = r->remote, .header = lookup_header,
                              .query = lookup_query, .ctx = conn};
    struct gm_http_resp resp = {0};
    gm_router_dispatch(srv->app, &req, &resp);
    gm_debug("%s %s from %s: %u", method, url, r->remote, resp.status);
    enum MHD_Result ret = queue(conn, &resp);
    gm_http_resp_clear(&resp);
    return ret;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct request *r = *con_cls;
    if (!r)
        return;
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
    srv->daemon = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG, 0, NULL, NULL,
        on_request, srv, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, srv, MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_THREAD_POOL_SIZE,
        (unsigned int)threads, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
        MHD_OPTION_CONNECTION_LIMIT, (unsigned int)4000, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned int)30, MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
        MHD_OPTION_END);
    if (!srv->daemon) {
        gm_error("http: cannot start the server");
        close(fd);
        free(srv);
        return GM_EINTERNAL;
    }
    *out = srv;
    return GM_OK;
}

void gm_http_server_stop(struct gm_http_server *srv)
{
    if (!srv)
        return;
    MHD_stop_daemon(srv->daemon); /* also closes the listening socket */
    free(srv);
}
