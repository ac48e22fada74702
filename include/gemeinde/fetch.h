/* SPDX-License-Identifier: Apache-2.0
 * fetch.h - the one way gemeinde GETs a remote ActivityPub document (actor, key, object).
 * Hardened against what other servers got wrong: the host is resolved here and every address
 * checked (no private, loopback or link-local targets: Lemmy GHSA-c482-7gjx-pp36, BookWyrm
 * #4174), the checked addresses are pinned (no DNS rebinding) and the socket curl opens is
 * checked again; redirects are followed here, one hop at a time, never to another origin
 * (Mastodon CVE-2023-42451); the body is capped in size, time and speed (CVE-2023-36461); the
 * answer must be 2xx, an ActivityStreams media type, a JSON object no deeper than
 * GM_FETCH_MAX_DEPTH whose `id` is the URL finally fetched (CVE-2024-25623); a caller-held
 * budget stops fetch recursion (CVE-2022-46405). Every refusal is logged at info level with
 * the URL and the reason.
 *
 * Call curl_global_init(CURL_GLOBAL_DEFAULT) once at start-up, before any thread calls
 * gm_fetch_json. All functions here are safe to call from several threads at once; a
 * struct gm_fetch_budget must not be shared between threads. */
#ifndef GEMEINDE_FETCH_H
#define GEMEINDE_FETCH_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include <jansson.h>
#include <openssl/types.h>

#include "gemeinde/err.h"

#define GM_FETCH_MAX_URL 2048                        /* longer URLs and Locations: GM_EINVAL */
#define GM_FETCH_MAX_HOST 256                        /* a normalised host with its NUL */
#define GM_FETCH_MAX_ORIGIN (GM_FETCH_MAX_HOST + 16) /* "https://" host ":65535" NUL */
#define GM_FETCH_MAX_DEPTH 32                        /* JSON nesting of a fetched document */

#define GM_FETCH_DEFAULT_CONNECT_MS 5000
#define GM_FETCH_DEFAULT_TOTAL_MS 10000       /* the whole fetch, redirects included */
#define GM_FETCH_DEFAULT_LOW_SPEED_LIMIT 1024 /* bytes per second ... */
#define GM_FETCH_DEFAULT_LOW_SPEED_TIME 5     /* ... for this many seconds: cut */
#define GM_FETCH_DEFAULT_MAX_BYTES (1024 * 1024)
#define GM_FETCH_DEFAULT_MAX_REDIRECTS 3

/* How many fetches a chain of work (one inbox activity, one lookup) may still make. Each
 * gm_fetch_json call with this budget takes one before doing anything; at 0 it refuses. */
struct gm_fetch_budget {
    unsigned remaining;
};

/* Who signs the request: draft-cavage rsa-sha256 over "(request-target) host date", what
 * servers in authorized-fetch mode require. Both borrowed for the duration of the call. */
struct gm_fetch_signer {
    const char *key_id; /* "https://our.node/c/name#main-key" */
    EVP_PKEY *key;      /* the private key (RSA, or Ed25519 for hs2019) */
};

/* Options. Zero-initialise and set what you need: a zero number means the default above.
 * Everything pointed to is borrowed for the duration of the call. */
struct gm_fetch_opts {
    const char *base_url;                 /* our node, for "User-Agent: gemeinde/V (+URL)";
                                             NULL: "gemeinde/V". Printable ASCII only. */
    const struct gm_fetch_signer *signer; /* NULL: unsigned GET */
    struct gm_fetch_budget *budget;       /* NULL: unlimited; else decremented per call */
    bool allow_http;                      /* plain http too (default: https only) */
    bool allow_private;                   /* private/loopback/link-local targets (tests) */
    long connect_timeout_ms;              /* per connection */
    long total_timeout_ms;                /* for the whole fetch, across redirects */
    long low_speed_limit;                 /* bytes/s below which ... */
    long low_speed_time;                  /* ... for this many seconds the transfer is cut */
    size_t max_bytes;                     /* body cap, whatever Content-Length says */
    int max_redirects;                    /* 0: default 3; negative: follow none */
    bool plain_json;                      /* a plain JSON document (NodeInfo): Accept
                                             application/json; no media-type or id check.
                                             Every address, size and time guard stays. */
};

/* A fetched document. */
struct gm_fetch_result {
    json_t *doc;     /* a JSON object, new reference */
    char *final_url; /* the URL finally fetched (normalised, no fragment); yours */
    int status;      /* its HTTP status (2xx) */
};

/* GET `url` as described at the top: Accept (activity+json, ld+json with the AS profile),
 * User-Agent, Date, Host, and Signature when opts->signer is set. opts may be NULL (all
 * defaults, unsigned, no budget).
 * GM_OK: *out is filled; release it with gm_fetch_result_free. On any other result *out is
 * untouched.
 * GM_ETOOBIG: budget exhausted, or the body is over max_bytes.
 * GM_EINVAL: the URL is malformed (no http(s) scheme, no "//" authority, userinfo, empty or
 *   non-ASCII host, IPv6 zone, over GM_FETCH_MAX_URL), or the body is not one JSON object
 *   within the depth cap and without duplicate keys.
 * GM_EFORBID: plain http without allow_http, or a private address without allow_private
 *   (nothing was sent).
 * GM_ENOTFOUND: 404 or 410.
 * GM_EPERM: another 4xx; a redirect to another origin, without Location, or past
 *   max_redirects; a wrong Content-Type; a document without an `id` equal to final_url
 *   (compared without fragment).
 * GM_ETEMP: DNS, connection, TLS, timeout, too slow, 5xx, 408, 429.
 * GM_ENOMEM, GM_EINTERNAL. */
gm_err gm_fetch_json(const struct gm_fetch_opts *opts, const char *url,
                     struct gm_fetch_result *out);

/* Release what *res holds and zero it; NULL and a zeroed result are allowed. */
void gm_fetch_result_free(struct gm_fetch_result *res);

/* Normalise a host as it appears in a URL: ASCII letters lowered, one trailing dot removed.
 * Accepts names of letters, digits, '-', '_' and '.' with no empty label, and bracketed IPv6
 * literals ("[::1]"). IDNA is out of scope: non-ASCII is refused.
 * GM_OK: out holds the host. GM_EINVAL: not such a host. GM_ETOOBIG: `size` too small. */
gm_err gm_fetch_normalize_host(const char *in, char *out, size_t size);

/* The origin of an http(s) URL for comparisons: "scheme://host[:port]" with the scheme and
 * host normalised and the default port (80, 443) dropped. URLs with userinfo are refused.
 * GM_OK: out holds it. GM_EINVAL: not such a URL. GM_ETOOBIG: `size` too small
 * (GM_FETCH_MAX_ORIGIN always suffices). */
gm_err gm_fetch_origin(const char *url, char *out, size_t size);

/* The authority of an http(s) URL as the per-host tables key it: "host[:port]", normalised, the
 * default port dropped (the same form delivery sends as Host). Same results as gm_fetch_origin. */
gm_err gm_fetch_authority(const char *url, char *out, size_t size);

/* True when both are valid http(s) URLs with the same origin. */
bool gm_fetch_same_origin(const char *a, const char *b);

/* True when a fetch must not connect to `sa`: IPv4 0/8 10/8 100.64/10 127/8 169.254/16
 * 172.16/12 192.0.0/24 192.0.2/24 192.168/16 198.18/15 198.51.100/24 203.0.113/24 224/4 240/4
 * (255.255.255.255 included); IPv6 :: ::1 fc00::/7 fe80::/10 fec0::/10 ff00::/8 100::/64
 * 2001:db8::/32 64:ff9b:1::/48, and IPv4 addresses embedded in ::ffff:0:0/96 (mapped),
 * ::/96 (compatible), 64:ff9b::/96 (NAT64) and 2002::/16 (6to4) classified as IPv4. Any other
 * family, and NULL, is private. `sa` must hold a whole sockaddr_in or sockaddr_in6. */
bool gm_fetch_addr_is_private(const struct sockaddr *sa);

/* True when `len` bytes of JSON text at `buf` never nest objects and arrays deeper than
 * `max_depth` (brackets inside strings do not count). A cheap scan to run before a parser. */
bool gm_fetch_json_depth_ok(const char *buf, size_t len, int max_depth);

#endif
