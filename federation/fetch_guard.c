/* SPDX-License-Identifier: Apache-2.0
 * fetch_guard.c - where a fetch may go. URL shape rules on curl's URL API (http(s) only, no
 * userinfo, normalised ASCII host), origins for comparisons, the private-address classifier,
 * resolution of a host with every address checked, the CURLOPT_RESOLVE pin of those addresses,
 * and the check of the address curl actually connects to. No transfers here: fetch.c GETs. */
#include "fetch_int.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- the address classifier ---- */

static bool v4_private(uint32_t a)
{
    static const struct {
        uint32_t net;
        unsigned bits;
    } ranges[] = {
        {0x00000000u, 8},  /* 0.0.0.0/8 "this network" */
        {0x0a000000u, 8},  /* 10/8 */
        {0x64400000u, 10}, /* 100.64/10 shared (CGNAT) */
        {0x7f000000u, 8},  /* 127/8 loopback */
        {0xa9fe0000u, 16}, /* 169.254/16 link-local, cloud metadata */
        {0xac100000u, 12}, /* 172.16/12 */
        {0xc0000000u, 24}, /* 192.0.0/24 IETF protocol assignments */
        {0xc0000200u, 24}, /* 192.0.2/24 TEST-NET-1 */
        {0xc0a80000u, 16}, /* 192.168/16 */
        {0xc6120000u, 15}, /* 198.18/15 benchmarking */
        {0xc6336400u, 24}, /* 198.51.100/24 TEST-NET-2 */
        {0xcb007100u, 24}, /* 203.0.113/24 TEST-NET-3 */
        {0xe0000000u, 4},  /* 224/4 multicast */
        {0xf0000000u, 4},  /* 240/4 reserved, 255.255.255.255 broadcast */
    };
    for (size_t i = 0; i < sizeof ranges / sizeof ranges[0]; i++) {
        uint32_t mask = 0xffffffffu << (32 - ranges[i].bits);
        if ((a & mask) == ranges[i].net)
            return true;
    }
    return false;
}

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static bool all_zero(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return false;
    return true;
}

static bool v6_private(const unsigned char b[16])
{
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    static const unsigned char nat64[12] = {0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};
    static const unsigned char nat64_local[6] = {0, 0x64, 0xff, 0x9b, 0, 1};
    static const unsigned char doc[4] = {0x20, 0x01, 0x0d, 0xb8};
    static const unsigned char discard[8] = {0x01, 0, 0, 0, 0, 0, 0, 0};
    if (all_zero(b, 12)) /* ::/96: "::", "::1" and IPv4-compatible forms */
        return v4_private(be32(b + 12));
    if (memcmp(b, mapped, 12) == 0 || memcmp(b, nat64, 12) == 0)
        return v4_private(be32(b + 12));
    if (b[0] == 0x20 && b[1] == 0x02) /* 2002::/16 6to4 carries an IPv4 in bits 16..47 */
        return v4_private(be32(b + 2));
    if ((b[0] & 0xfe) == 0xfc) /* fc00::/7 unique local */
        return true;
    if (b[0] == 0xfe && (b[1] & 0x80) == 0x80) /* fe80::/10 link-local, fec0::/10 site-local */
        return true;
    if (b[0] == 0xff) /* ff00::/8 multicast */
        return true;
    return memcmp(b, nat64_local, 6) == 0 || memcmp(b, doc, 4) == 0 || memcmp(b, discard, 8) == 0;
}

bool gm_fetch_addr_is_private(const struct sockaddr *sa)
{
    if (!sa)
        return true;
    if (sa->sa_family == AF_INET) {
        struct sockaddr_in in;
        memcpy(&in, sa, sizeof in);
        return v4_private(ntohl(in.sin_addr.s_addr));
    }
    if (sa->sa_family == AF_INET6) {
        struct sockaddr_in6 in6;
        memcpy(&in6, sa, sizeof in6);
        return v6_private(in6.sin6_addr.s6_addr);
    }
    return true;
}

/* ---- hosts, URLs and origins ---- */

static gm_err normalize_ipv6(const char *in, size_t n, char *tmp, size_t tmp_size)
{
    char inner[INET6_ADDRSTRLEN + 1];
    struct in6_addr a;
    if (n < 4 || in[n - 1] != ']' || n - 2 >= sizeof inner)
        return GM_EINVAL;
    memcpy(inner, in + 1, n - 2);
    inner[n - 2] = '\0';
    if (inet_pton(AF_INET6, inner, &a) != 1 || !inet_ntop(AF_INET6, &a, inner, sizeof inner))
        return GM_EINVAL;
    if ((size_t)snprintf(tmp, tmp_size, "[%s]", inner) >= tmp_size)
        return GM_EINVAL;
    return GM_OK;
}

static gm_err normalize_name(const char *in, size_t n, char *tmp)
{
    size_t label = 0;
    if (n > 1 && in[n - 1] == '.')
        n--; /* one trailing dot: "example.com." is "example.com" */
    if (n == 0 || n > 253)
        return GM_EINVAL;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)in[i];
        if (c == '.') {
            if (label == 0)
                return GM_EINVAL; /* empty label */
            label = 0;
        } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_') {
            label++;
        } else if (c >= 'A' && c <= 'Z') {
            c = (unsigned char)(c + 32);
            label++;
        } else {
            return GM_EINVAL; /* non-ASCII (no IDNA here), '%', '@', spaces ... */
        }
        if (label > 63)
            return GM_EINVAL;
        tmp[i] = (char)c;
    }
    if (label == 0)
        return GM_EINVAL; /* ended in an empty label ("a..") */
    tmp[n] = '\0';
    return GM_OK;
}

gm_err gm_fetch_normalize_host(const char *in, char *out, size_t size)
{
    char tmp[GM_FETCH_MAX_HOST];
    size_t n;
    gm_err err;
    if (!in || !out)
        return GM_EINVAL;
    n = strnlen(in, sizeof tmp);
    if (n == 0 || n >= sizeof tmp)
        return GM_EINVAL;
    err = in[0] == '[' ? normalize_ipv6(in, n, tmp, sizeof tmp) : normalize_name(in, n, tmp);
    if (err != GM_OK)
        return err;
    if (strlen(tmp) >= size)
        return GM_ETOOBIG;
    memcpy(out, tmp, strlen(tmp) + 1);
    return GM_OK;
}

/* True when curl has the part (userinfo, zone ...) at all, even empty. */
static bool has_part(CURLU *h, CURLUPart what)
{
    char *v = NULL;
    CURLUcode rc = curl_url_get(h, what, &v, 0);
    curl_free(v);
    return rc == CURLUE_OK;
}

static gm_err why_inval(char *why, size_t why_size, const char *reason)
{
    snprintf(why, why_size, "%s", reason);
    return GM_EINVAL;
}

/* Scheme, userinfo, zone, host and port of the URL in h; fills u's fixed fields. */
static gm_err check_parts(CURLU *h, struct gm_fetch_url *u, char *why, size_t why_size)
{
    char *v = NULL;
    gm_err err = GM_EINVAL;
    unsigned long port;
    if (curl_url_get(h, CURLUPART_SCHEME, &v, 0) != CURLUE_OK || !v)
        return why_inval(why, why_size, "no scheme");
    if (strcasecmp(v, "https") != 0 && strcasecmp(v, "http") != 0) {
        snprintf(why, why_size, "scheme '%.16s' is not http(s)", v);
        goto out;
    }
    snprintf(u->scheme, sizeof u->scheme, "%s", v[4] ? "https" : "http");
    curl_free(v);
    v = NULL;
    if (has_part(h, CURLUPART_USER) || has_part(h, CURLUPART_PASSWORD) ||
        has_part(h, CURLUPART_OPTIONS))
        return why_inval(why, why_size, "userinfo in URL");
    if (has_part(h, CURLUPART_ZONEID))
        return why_inval(why, why_size, "IPv6 zone id in URL");
    if (curl_url_get(h, CURLUPART_HOST, &v, 0) != CURLUE_OK || !v || !v[0])
        err = why_inval(why, why_size, "empty host");
    else if (gm_fetch_normalize_host(v, u->host, sizeof u->host) != GM_OK)
        err = why_inval(why, why_size, "host is not a valid ASCII host name");
    else if (strcmp(v, u->host) != 0 && curl_url_set(h, CURLUPART_HOST, u->host, 0) != CURLUE_OK)
        err = why_inval(why, why_size, "host rejected by the URL parser");
    else
        err = GM_OK;
    curl_free(v);
    v = NULL;
    if (err != GM_OK)
        return err;
    if (curl_url_set(h, CURLUPART_SCHEME, u->scheme, 0) != CURLUE_OK ||
        curl_url_get(h, CURLUPART_PORT, &v, CURLU_DEFAULT_PORT) != CURLUE_OK || !v)
        return why_inval(why, why_size, "no port");
    port = strtoul(v, NULL, 10);
    if (port == 0 || port > 65535) {
        err = why_inval(why, why_size, "port out of range");
        goto out;
    }
    u->port = (unsigned)port;
    u->default_port = port == (strcmp(u->scheme, "https") == 0 ? 443u : 80u);
    err = GM_OK;
out:
    curl_free(v);
    return err;
}

/* URL without fragment and default port, and the request-target, both owned by u. */
static gm_err take_strings(CURLU *h, struct gm_fetch_url *u, char *why, size_t why_size)
{
    char *s = NULL, *path = NULL, *query = NULL;
    gm_err err = GM_EINVAL;
    size_t n;
    if (curl_url_set(h, CURLUPART_FRAGMENT, NULL, 0) != CURLUE_OK ||
        curl_url_get(h, CURLUPART_URL, &s, CURLU_NO_DEFAULT_PORT) != CURLUE_OK ||
        curl_url_get(h, CURLUPART_PATH, &path, 0) != CURLUE_OK) {
        snprintf(why, why_size, "URL cannot be rebuilt");
        goto out;
    }
    if (strlen(s) > GM_FETCH_MAX_URL) {
        snprintf(why, why_size, "URL over %d bytes", GM_FETCH_MAX_URL);
        goto out;
    }
    if (curl_url_get(h, CURLUPART_QUERY, &query, 0) != CURLUE_OK)
        query = NULL;
    n = strlen(path) + (query ? strlen(query) + 1 : 0) + 1;
    err = GM_ENOMEM;
    if (!(u->url = strdup(s)) || !(u->target = malloc(n)))
        goto out;
    snprintf(u->target, n, "%s%s%s", path, query ? "?" : "", query ? query : "");
    err = GM_OK;
out:
    curl_free(s);
    curl_free(path);
    curl_free(query);
    return err;
}

/* curl, like browsers, reads "https:///x" and "https:x" as host "x". We want the authority
 * spelled out: after "scheme:" (and in a scheme-relative reference) exactly "//" and a host. */
static bool authority_spelled_out(const char *url)
{
    size_t n = 0;
    if ((url[0] >= 'a' && url[0] <= 'z') || (url[0] >= 'A' && url[0] <= 'Z')) {
        n = 1 +
            strspn(url + 1, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-.");
        if (url[n] != ':')
            return true; /* a relative path */
        n++;
    } else if (url[0] != '/' || url[1] != '/') {
        return true; /* a relative path, absolute path or query */
    }
    return url[n] == '/' && url[n + 1] == '/' && url[n + 2] && !strchr("/\\?#", url[n + 2]);
}

gm_err gm_fetch_url_parse(const char *base, const char *url, struct gm_fetch_url *out, char *why,
                          size_t why_size)
{
    struct gm_fetch_url u;
    CURLU *h = NULL;
    gm_err err = GM_EINVAL;
    memset(&u, 0, sizeof u);
    if (!url || !out || strnlen(url, GM_FETCH_MAX_URL + 1) > GM_FETCH_MAX_URL ||
        (base && strnlen(base, GM_FETCH_MAX_URL + 1) > GM_FETCH_MAX_URL))
        return why_inval(why, why_size, "URL missing or too long");
    if (!authority_spelled_out(url))
        return why_inval(why, why_size, "URL has no authority after the scheme");
    if (!(h = curl_url()))
        return GM_ENOMEM;
    if (base && curl_url_set(h, CURLUPART_URL, base, 0) != CURLUE_OK) {
        snprintf(why, why_size, "base URL does not parse");
        goto out;
    }
    if (curl_url_set(h, CURLUPART_URL, url, 0) != CURLUE_OK) {
        snprintf(why, why_size, "URL does not parse");
        goto out;
    }
    if ((err = check_parts(h, &u, why, why_size)) != GM_OK)
        goto out;
    if ((err = take_strings(h, &u, why, why_size)) != GM_OK)
        goto out;
    *out = u;
    memset(&u, 0, sizeof u);
out:
    gm_fetch_url_free(&u);
    curl_url_cleanup(h);
    return err;
}

void gm_fetch_url_free(struct gm_fetch_url *u)
{
    if (!u)
        return;
    free(u->url);
    free(u->target);
    memset(u, 0, sizeof *u);
}

void gm_fetch_url_authority(const struct gm_fetch_url *u, char *out, size_t size)
{
    if (u->default_port)
        snprintf(out, size, "%s", u->host);
    else
        snprintf(out, size, "%s:%u", u->host, u->port);
}

/* The scheme and the authority ("host[:port]", default port dropped) of an http(s) URL. */
static gm_err url_parts(const char *url, char scheme[8], char auth[GM_FETCH_MAX_HOST + 8])
{
    struct gm_fetch_url u;
    char why[GM_FETCH_WHY];
    gm_err err = gm_fetch_url_parse(NULL, url, &u, why, sizeof why);
    if (err != GM_OK)
        return err;
    snprintf(scheme, 8, "%s", u.scheme);
    gm_fetch_url_authority(&u, auth, GM_FETCH_MAX_HOST + 8);
    gm_fetch_url_free(&u);
    return GM_OK;
}

/* Write `text` to out, or "" and GM_ETOOBIG when it does not fit. */
static gm_err put_out(char *out, size_t size, const char *a, const char *b, const char *c)
{
    if ((size_t)snprintf(out, size, "%s%s%s", a, b, c) < size)
        return GM_OK;
    if (size)
        out[0] = '\0';
    return GM_ETOOBIG;
}

gm_err gm_fetch_origin(const char *url, char *out, size_t size)
{
    char scheme[8], auth[GM_FETCH_MAX_HOST + 8];
    gm_err err = out ? url_parts(url, scheme, auth) : GM_EINVAL;
    return err == GM_OK ? put_out(out, size, scheme, "://", auth) : err;
}

gm_err gm_fetch_authority(const char *url, char *out, size_t size)
{
    char scheme[8], auth[GM_FETCH_MAX_HOST + 8];
    gm_err err = out ? url_parts(url, scheme, auth) : GM_EINVAL;
    return err == GM_OK ? put_out(out, size, auth, "", "") : err;
}

bool gm_fetch_same_origin(const char *a, const char *b)
{
    char oa[GM_FETCH_MAX_ORIGIN], ob[GM_FETCH_MAX_ORIGIN];
    return gm_fetch_origin(a, oa, sizeof oa) == GM_OK &&
           gm_fetch_origin(b, ob, sizeof ob) == GM_OK && strcmp(oa, ob) == 0;
}

/* ---- resolution, pinning and the connect-time guard ---- */

static void addr_text(const struct sockaddr *sa, char *out, size_t size)
{
    const void *p = sa->sa_family == AF_INET6
                        ? (const void *)&((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr
                        : (const void *)&((const struct sockaddr_in *)(const void *)sa)->sin_addr;
    if (!inet_ntop(sa->sa_family, p, out, (socklen_t)size))
        snprintf(out, size, "?");
}

gm_err gm_fetch_resolve(const struct gm_fetch_url *u, bool allow_private,
                        struct gm_fetch_addrs *out, char *why, size_t why_size)
{
    struct addrinfo hints, *res = NULL;
    char name[GM_FETCH_MAX_HOST], port[8], text[INET6_ADDRSTRLEN];
    unsigned char probe[sizeof(struct in6_addr)];
    struct gm_fetch_addrs a;
    gm_err err = GM_ETEMP;
    int rc;
    memset(&a, 0, sizeof a);
    memset(&hints, 0, sizeof hints);
    snprintf(name, sizeof name, "%s", u->host[0] == '[' ? u->host + 1 : u->host);
    if (u->host[0] == '[')
        name[strlen(name) - 1] = '\0';
    snprintf(port, sizeof port, "%u", u->port);
    a.literal = inet_pton(AF_INET, name, probe) == 1 || inet_pton(AF_INET6, name, probe) == 1;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    if ((rc = getaddrinfo(name, port, &hints, &res)) != 0) {
        snprintf(why, why_size, "cannot resolve %s: %s", name, gai_strerror(rc));
        return GM_ETEMP;
    }
    for (const struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        if (!allow_private && gm_fetch_addr_is_private(ai->ai_addr)) {
            if (ai->ai_family == AF_INET || ai->ai_family == AF_INET6)
                addr_text(ai->ai_addr, text, sizeof text);
            else
                snprintf(text, sizeof text, "family %d", ai->ai_family);
            snprintf(why, why_size, "%s resolves to private address %s", name, text);
            err = GM_EFORBID;
            goto out;
        }
        if ((ai->ai_family == AF_INET || ai->ai_family == AF_INET6) && a.n < GM_FETCH_MAX_ADDRS &&
            ai->ai_addrlen <= sizeof a.addr[0])
            memcpy(&a.addr[a.n++], ai->ai_addr, ai->ai_addrlen);
    }
    if (a.n == 0) {
        snprintf(why, why_size, "%s has no IPv4 or IPv6 address", name);
        goto out;
    }
    *out = a;
    err = GM_OK;
out:
    freeaddrinfo(res);
    return err;
}

gm_err gm_fetch_pin_list(const struct gm_fetch_url *u, const struct gm_fetch_addrs *a,
                         struct curl_slist **list)
{
    char entry[GM_FETCH_MAX_HOST + 16 + GM_FETCH_MAX_ADDRS * (INET6_ADDRSTRLEN + 3)];
    char text[INET6_ADDRSTRLEN];
    size_t n;
    struct curl_slist *l;
    if (a->literal) {
        *list = NULL;
        return GM_OK;
    }
    n = (size_t)snprintf(entry, sizeof entry, "%s:%u:", u->host, u->port);
    for (size_t i = 0; i < a->n && n < sizeof entry; i++) {
        const struct sockaddr *sa = (const struct sockaddr *)&a->addr[i];
        bool v6 = sa->sa_family == AF_INET6;
        addr_text(sa, text, sizeof text);
        n += (size_t)snprintf(entry + n, sizeof entry - n, "%s%s%s%s", i ? "," : "", v6 ? "[" : "",
                              text, v6 ? "]" : "");
    }
    if (n >= sizeof entry)
        return GM_EINTERNAL;
    if (!(l = curl_slist_append(NULL, entry)))
        return GM_ENOMEM;
    *list = l;
    return GM_OK;
}

static bool same_endpoint(const struct sockaddr_storage *x, const struct sockaddr_storage *y)
{
    if (x->ss_family != y->ss_family)
        return false;
    if (x->ss_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)(const void *)x;
        const struct sockaddr_in *b = (const struct sockaddr_in *)(const void *)y;
        return a->sin_port == b->sin_port && a->sin_addr.s_addr == b->sin_addr.s_addr;
    }
    if (x->ss_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)(const void *)x;
        const struct sockaddr_in6 *b = (const struct sockaddr_in6 *)(const void *)y;
        return a->sin6_port == b->sin6_port &&
               memcmp(&a->sin6_addr, &b->sin6_addr, sizeof a->sin6_addr) == 0;
    }
    return false;
}

bool gm_fetch_addrs_allow(const struct gm_fetch_addrs *a, const struct sockaddr *sa, size_t addrlen,
                          bool allow_private)
{
    struct sockaddr_storage ss;
    if (!a || !sa || addrlen < sizeof(struct sockaddr_in) || addrlen > sizeof ss)
        return false;
    memset(&ss, 0, sizeof ss);
    memcpy(&ss, sa, addrlen);
    if (ss.ss_family == AF_INET6 && addrlen < sizeof(struct sockaddr_in6))
        return false;
    if (!allow_private && gm_fetch_addr_is_private((const struct sockaddr *)&ss))
        return false;
    for (size_t i = 0; i < a->n; i++)
        if (same_endpoint(&a->addr[i], &ss))
            return true;
    return false;
}
