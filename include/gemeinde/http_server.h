/* SPDX-License-Identifier: Apache-2.0
 * http_server.h - the libmicrohttpd daemon: a thread pool, caps on headers and bodies, one
 * request context per request, and the hand-off to the router. */
#ifndef GEMEINDE_HTTP_SERVER_H
#define GEMEINDE_HTTP_SERVER_H

#include <stddef.h>

#include "gemeinde/err.h"

struct gm_app;
struct gm_http_server;

/* Bind and listen on host:port (port 0 = any free port). GM_OK: *fd is the listening socket
 * (yours until passed to gm_http_server_start) and *bound_port the port it got.
 * GM_EINVAL: bad address; GM_EINTERNAL: bind/listen failed (logged with the reason). */
gm_err gm_http_listen(const char *host, unsigned port, int *fd, unsigned *bound_port);

/* Serve `app` on the listening socket `fd` (the server owns it from now on, also on failure).
 * Bodies larger than max_body get 413. GM_OK: *out is yours (gm_http_server_stop).
 * `app` is borrowed and must outlive the server. */
gm_err gm_http_server_start(struct gm_app *app, int fd, unsigned threads, size_t max_body,
                            struct gm_http_server **out);

/* Stop accepting, finish requests in progress, free everything; NULL is allowed. */
void gm_http_server_stop(struct gm_http_server *srv);

#endif
