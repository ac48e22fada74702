/* SPDX-License-Identifier: Apache-2.0
 * fetch_int.h - what fetch.c and fetch_guard.c share: a checked URL, the resolved and checked
 * addresses of its host, and the test that the socket curl opens is one of them. Not for
 * other modules (tests include it to reach the guard directly). */
#ifndef GEMEINDE_FETCH_INT_H
#define GEMEINDE_FETCH_INT_H

#include <curl/curl.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "gemeinde/err.h"
#include "gemeinde/fetch.h"

#define GM_FETCH_MAX_ADDRS 16
#define GM_FETCH_WHY 256 /* size of a refusal reason */

/* An http(s) URL that passed the shape rules, in normalised form. */
struct gm_fetch_url {
    char scheme[8];               /* "http" or "https" */
    char host[GM_FETCH_MAX_HOST]; /* normalised; IPv6 literals in brackets */
    unsigned port;                /* effective port */
    bool default_port;            /* port is the scheme's default */
    char *url;                    /* whole URL, no fragment, no default port; owned */
    char *target;                 /* request-target: path[?query]; owned */
};

/* Parse `url`, relative to `base` (a URL string, or NULL for an absolute `url`), and check its
 * shape: http(s) scheme, no userinfo, no zone, a valid ASCII host, a port 1..65535, at most
 * GM_FETCH_MAX_URL bytes. GM_OK: *out is filled (gm_fetch_url_free). GM_EINVAL with `why`
 * written. GM_ENOMEM. */
gm_err gm_fetch_url_parse(const char *base, const char *url, struct gm_fetch_url *out, char *why,
                          size_t why_size);
void gm_fetch_url_free(struct gm_fetch_url *u);

/* "host" or "host:port" as the Host header (and the signature) carries it. */
void gm_fetch_url_authority(const struct gm_fetch_url *u, char *out, size_t size);

/* The addresses a host resolved to, all of them checked. */
struct gm_fetch_addrs {
    size_t n;
    struct sockaddr_storage addr[GM_FETCH_MAX_ADDRS];
    bool literal; /* the host is an IP literal: curl does not resolve it */
};

/* Resolve u->host (getaddrinfo) and check every address. GM_OK: *out holds up to
 * GM_FETCH_MAX_ADDRS of them. GM_EFORBID: one is private and !allow_private. GM_ETEMP: the
 * name does not resolve. `why` is written on failure. */
gm_err gm_fetch_resolve(const struct gm_fetch_url *u, bool allow_private,
                        struct gm_fetch_addrs *out, char *why, size_t why_size);

/* The CURLOPT_RESOLVE entry pinning u's host to `a` ("host:port:addr,[v6addr]").
 * GM_OK: *list is a new slist (curl_slist_free_all), or NULL for an IP literal. */
gm_err gm_fetch_pin_list(const struct gm_fetch_url *u, const struct gm_fetch_addrs *a,
                         struct curl_slist **list);

/* The second guard, for the socket curl is about to open: `sa` (addrlen bytes) must be one of
 * the checked addresses (same family, address and port) and, unless allow_private, public. */
bool gm_fetch_addrs_allow(const struct gm_fetch_addrs *a, const struct sockaddr *sa, size_t addrlen,
                          bool allow_private);

#endif
