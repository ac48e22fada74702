/* SPDX-License-Identifier: Apache-2.0
 * http.h - the request and response that handlers see, independent of libmicrohttpd so that
 * handlers can be unit-tested with a fake request. Handlers return gm_err; src/router.c alone
 * turns an error into an HTTP status and a JSON error body. */
#ifndef GEMEINDE_HTTP_H
#define GEMEINDE_HTTP_H

#include <jansson.h>
#include <stddef.h>

#include "gemeinde/err.h"

struct gm_app;

struct gm_http_req {
    const char *method;  /* "GET", "POST", ... */
    const char *path;    /* decoded path without query, e.g. "/c/demo" */
    const char *target;  /* request-target exactly as sent (path and query, undecoded) */
    const char *body;    /* raw body bytes (not NUL-terminated), or NULL */
    size_t body_len;
    const char *remote;  /* peer address as text, for logs */
    /* Lookups return borrowed strings valid for the request, or NULL. Names are
     * case-insensitive for headers, exact for query arguments. */
    const char *(*header)(void *ctx, const char *name);
    const char *(*query)(void *ctx, const char *name);
    void *ctx;
    /* Path captures from the route pattern ("{name}", then a second "{...}"), borrowed. */
    const char *param;
    const char *param2;
    /* 1 when the handler runs on a deferral thread, where it may block on the network. */
    int deferred;
};

#define GM_HTTP_MAX_HEADERS 8

struct gm_http_resp {
    unsigned status;           /* 200 unless the handler sets another success status */
    const char *content_type;  /* static string */
    char *body;                /* owned; freed by gm_http_resp_clear */
    size_t body_len;
    const char *error;         /* static message for an error result, or NULL */
    const char *hdr_name[GM_HTTP_MAX_HEADERS]; /* extra headers: static names */
    char *hdr_value[GM_HTTP_MAX_HEADERS];      /* owned values */
    size_t n_headers;
    /* Set by a handler (with GM_OK) that must wait for the network: the server suspends the
     * connection and calls the handler again, with req->deferred = 1, on a thread of its own.
     * Only honoured when req->deferred is 0. */
    int defer;
};

typedef gm_err (*gm_http_handler)(struct gm_app *app, const struct gm_http_req *req,
                                  struct gm_http_resp *resp);

/* Set the body to the compact serialisation of `doc` (steals the reference). */
gm_err gm_http_resp_json(struct gm_http_resp *resp, json_t *doc, const char *content_type);
/* Set the body from a string (steals `body`, which must come from malloc). */
void gm_http_resp_take(struct gm_http_resp *resp, char *body, size_t len,
                       const char *content_type);
/* Add a header; the value is copied. */
gm_err gm_http_resp_header(struct gm_http_resp *resp, const char *name, const char *value);
void gm_http_resp_clear(struct gm_http_resp *resp);

/* Helpers on requests. */
const char *gm_http_req_header(const struct gm_http_req *req, const char *name);
const char *gm_http_req_query(const struct gm_http_req *req, const char *name);

/* True if the Accept header asks for ActivityPub JSON, false if it prefers HTML
 * (text/html without an ActivityPub type). No Accept or anything else -> true. */
int gm_http_wants_activity_json(const struct gm_http_req *req);

#endif
