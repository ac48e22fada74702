/* SPDX-License-Identifier: Apache-2.0
 * fetch.c - signed GET of a remote ActivityPub document with caps on everything. One curl easy
 * handle per hop: the host is resolved and checked by fetch_guard.c, pinned with
 * CURLOPT_RESOLVE, and the socket curl opens is checked again. Redirects are ours to follow
 * (same origin only), the body is capped in the write callback, and the answer must be a 2xx
 * ActivityStreams JSON object whose id is the URL fetched. CURLcode and HTTP statuses become
 * gm_err here and nowhere else. */
#include "fetch_int.h"

#include <openssl/evp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "gemeinde/buf.h"
#include "gemeinde/httpsig.h"
#include "gemeinde/log.h"

#define AS_PROFILE "https://www.w3.org/ns/activitystreams"
#define ACCEPT_HEADER                                                                              \
    "Accept: application/activity+json, application/ld+json; profile=\"" AS_PROFILE "\""
#define MAX_CONTENT_TYPE 512

/* One fetch: options with defaults filled in, the deadline and the refusal reason. */
struct fetch {
    struct gm_fetch_opts o;
    bool rfc9421; /* sign this attempt with RFC 9421 (after a 401 to draft-cavage) */
    bool knocked; /* the other scheme was tried already */
    char user_agent[512];
    int64_t deadline_ms;
    char why[GM_FETCH_WHY];
};

/* One request/response. */
struct hop {
    const struct fetch *f;
    struct gm_fetch_addrs addrs;
    struct gm_buf body;
    bool guard_refused;
    long status;
    char content_type[MAX_CONTENT_TYPE];
    char *location; /* Location of a 3xx, owned */
};

static gm_err refuse(struct fetch *f, gm_err err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static gm_err refuse(struct fetch *f, gm_err err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(f->why, sizeof f->why, fmt, ap);
    va_end(ap);
    return err;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool printable(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
            return false;
    return true;
}

static gm_err setup(struct fetch *f, const struct gm_fetch_opts *opts)
{
    memset(f, 0, sizeof *f);
    if (opts)
        f->o = *opts;
    struct gm_fetch_opts *o = &f->o;
    if (o->connect_timeout_ms <= 0)
        o->connect_timeout_ms = GM_FETCH_DEFAULT_CONNECT_MS;
    if (o->total_timeout_ms <= 0)
        o->total_timeout_ms = GM_FETCH_DEFAULT_TOTAL_MS;
    if (o->low_speed_limit <= 0)
        o->low_speed_limit = GM_FETCH_DEFAULT_LOW_SPEED_LIMIT;
    if (o->low_speed_time <= 0)
        o->low_speed_time = GM_FETCH_DEFAULT_LOW_SPEED_TIME;
    if (o->max_bytes == 0)
        o->max_bytes = GM_FETCH_DEFAULT_MAX_BYTES;
    if (o->max_redirects == 0)
        o->max_redirects = GM_FETCH_DEFAULT_MAX_REDIRECTS;
    else if (o->max_redirects < 0)
        o->max_redirects = 0;
    f->deadline_ms = now_ms() + o->total_timeout_ms;
    if (o->base_url && (!printable(o->base_url) || strlen(o->base_url) > 400))
        return refuse(f, GM_EINVAL, "base_url is not printable or too long");
    if (o->signer && (!o->signer->key_id || !o->signer->key))
        return refuse(f, GM_EINVAL, "signer without key id or key");
    if (o->base_url)
        snprintf(f->user_agent, sizeof f->user_agent, "gemeinde/%s (+%s)", GM_VERSION, o->base_url);
    else
        snprintf(f->user_agent, sizeof f->user_agent, "gemeinde/%s", GM_VERSION);
    return GM_OK;
}

/* ---- request headers ---- */

static void http_date(char *out, size_t size)
{
    static const char days[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    snprintf(out, size, "%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday % 7], tm.tm_mday,
             months[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

struct sign_view {
    const char *host, *date;
};

static const char *sign_header(void *ctx, const char *name)
{
    const struct sign_view *v = ctx;
    if (strcmp(name, "host") == 0)
        return v->host;
    if (strcmp(name, "date") == 0)
        return v->date;
    return NULL;
}

static gm_err append_header(struct curl_slist **list, const char *line)
{
    struct curl_slist *l = curl_slist_append(*list, line);
    if (!l)
        return GM_ENOMEM;
    *list = l;
    return GM_OK;
}

/* Accept, Date, Host and, with a signer, Signature over (request-target) host date. */
static gm_err build_headers(struct fetch *f, const struct gm_fetch_url *u, struct curl_slist **out)
{
    static const char *const covered[] = {"(request-target)", "host", "date"};
    char host[GM_FETCH_MAX_HOST + 8], date[64], line[GM_HTTPSIG_MAX_HEADER + 16];
    struct curl_slist *list = NULL;
    char *sig = NULL;
    gm_err err;
    gm_fetch_url_authority(u, host, sizeof host);
    http_date(date, sizeof date);
    if ((err = append_header(&list, f->o.plain_json ? "Accept: application/json"
                                                    : ACCEPT_HEADER)) != GM_OK)
        goto out;
    snprintf(line, sizeof line, "Date: %s", date);
    if ((err = append_header(&list, line)) != GM_OK)
        goto out;
    snprintf(line, sizeof line, "Host: %s", host);
    if ((err = append_header(&list, line)) != GM_OK)
        goto out;
    if (f->o.signer) {
        struct sign_view view = {host, date};
        struct gm_httpsig_msg msg = {.method = "GET",
                                     .target = u->target,
                                     .authority = host,
                                     .scheme = u->scheme,
                                     .get_header = sign_header,
                                     .ctx = &view};
        char *input = NULL;
        if (f->rfc9421) {
            static const char *const components[] = {"@method", "@target-uri", "@authority",
                                                     "date"};
            struct gm_httpsig_sign_opts so = {.components = components, .ncomponents = 4,
                                              .key_id = f->o.signer->key_id, .write_alg = true,
                                              .created = (int64_t)time(NULL)};
            err = gm_httpsig_sign_rfc9421(&msg, &so, f->o.signer->key, &input, &sig);
        } else {
            err = gm_httpsig_sign_cavage(&msg, covered, 3, f->o.signer->key_id, f->o.signer->key,
                                         &sig);
        }
        if (err != GM_OK) {
            err = refuse(f, err == GM_ENOMEM ? err : GM_EINVAL, "cannot sign the request: %s",
                         gm_strerror(err));
            goto out;
        }
        if (input) {
            int n = snprintf(line, sizeof line, "Signature-Input: %s", input);
            free(input);
            if ((size_t)n >= sizeof line) {
                err = refuse(f, GM_EINVAL, "signature header too long");
                goto out;
            }
            if ((err = append_header(&list, line)) != GM_OK)
                goto out;
        }
        if ((size_t)snprintf(line, sizeof line, "Signature: %s", sig) >= sizeof line) {
            err = refuse(f, GM_EINVAL, "signature header too long");
            goto out;
        }
        if ((err = append_header(&list, line)) != GM_OK)
            goto out;
    }
    *out = list;
    list = NULL;
out:
    free(sig);
    curl_slist_free_all(list);
    return err;
}

/* ---- one transfer ---- */

static size_t on_body(char *data, size_t size, size_t nmemb, void *userdata)
{
    struct hop *h = userdata;
    size_t n = size * nmemb;
    gm_buf_append(&h->body, data, n);
    return h->body.err == GM_OK ? n : 0; /* 0 aborts with CURLE_WRITE_ERROR */
}

/* The second guard: the address curl is about to connect to must be one we checked. */
static curl_socket_t open_socket(void *clientp, curlsocktype purpose, struct curl_sockaddr *a)
{
    struct hop *h = clientp;
    if (purpose != CURLSOCKTYPE_IPCXN ||
        !gm_fetch_addrs_allow(&h->addrs, &a->addr, a->addrlen, h->f->o.allow_private)) {
        h->guard_refused = true;
        return CURL_SOCKET_BAD;
    }
    return socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
}

static gm_err set_options(CURL *c, struct fetch *f, struct hop *h, const struct gm_fetch_url *u,
                          struct curl_slist *headers, struct curl_slist *pin, long left_ms)
{
    CURLcode rc = CURLE_OK;
#define SET(opt, val)                                                                              \
    if (rc == CURLE_OK)                                                                            \
    rc = curl_easy_setopt(c, opt, val)
    SET(CURLOPT_URL, u->url);
    SET(CURLOPT_PROTOCOLS_STR, "http,https");
    SET(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    SET(CURLOPT_FOLLOWLOCATION, 0L);
    SET(CURLOPT_PROXY, ""); /* ignore *_proxy variables: we connect where we checked */
    SET(CURLOPT_NOSIGNAL, 1L);
    SET(CURLOPT_HTTPGET, 1L);
    SET(CURLOPT_SSL_VERIFYPEER, 1L);
    SET(CURLOPT_SSL_VERIFYHOST, 2L);
    SET(CURLOPT_CONNECTTIMEOUT_MS,
        f->o.connect_timeout_ms < left_ms ? f->o.connect_timeout_ms : left_ms);
    SET(CURLOPT_TIMEOUT_MS, left_ms);
    SET(CURLOPT_LOW_SPEED_LIMIT, f->o.low_speed_limit);
    SET(CURLOPT_LOW_SPEED_TIME, f->o.low_speed_time);
    SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)f->o.max_bytes);
    SET(CURLOPT_USERAGENT, f->user_agent);
    SET(CURLOPT_HTTPHEADER, headers);
    SET(CURLOPT_RESOLVE, pin);
    SET(CURLOPT_OPENSOCKETFUNCTION, open_socket);
    SET(CURLOPT_OPENSOCKETDATA, h);
    SET(CURLOPT_WRITEFUNCTION, on_body);
    SET(CURLOPT_WRITEDATA, h);
#undef SET
    return rc == CURLE_OK ? GM_OK
                          : refuse(f, GM_EINTERNAL, "curl option: %s", curl_easy_strerror(rc));
}

static gm_err map_curl(struct fetch *f, const struct hop *h, CURLcode rc)
{
    switch (rc) {
    case CURLE_OK: return GM_OK;
    case CURLE_OUT_OF_MEMORY: return refuse(f, GM_ENOMEM, "out of memory");
    case CURLE_FILESIZE_EXCEEDED:
        return refuse(f, GM_ETOOBIG, "Content-Length over %zu bytes", f->o.max_bytes);
    case CURLE_WRITE_ERROR:
        if (h->body.err == GM_ETOOBIG)
            return refuse(f, GM_ETOOBIG, "body over %zu bytes", f->o.max_bytes);
        return refuse(f, h->body.err ? h->body.err : GM_EINTERNAL, "body: %s",
                      gm_strerror(h->body.err));
    default:
        if (h->guard_refused)
            return refuse(f, GM_EFORBID, "connect-time guard refused the address");
        return refuse(f, GM_ETEMP, "transfer failed: %s", curl_easy_strerror(rc));
    }
}

/* Copy out status, Content-Type and Location. */
static gm_err read_response(CURL *c, struct fetch *f, struct hop *h)
{
    char *ct = NULL;
    struct curl_header *loc = NULL;
    if (curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &h->status) != CURLE_OK)
        return refuse(f, GM_EINTERNAL, "no response code");
    if (curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK && ct)
        snprintf(h->content_type, sizeof h->content_type, "%s", ct);
    if (h->status >= 300 && h->status < 400 &&
        curl_easy_header(c, "Location", 0, CURLH_HEADER, -1, &loc) == CURLHE_OK && loc->value) {
        if (strlen(loc->value) > GM_FETCH_MAX_URL)
            return refuse(f, GM_EPERM, "Location over %d bytes", GM_FETCH_MAX_URL);
        if (!(h->location = strdup(loc->value)))
            return GM_ENOMEM;
    }
    return GM_OK;
}

/* Check the URL's scheme and addresses, then send one GET. */
static gm_err fetch_once(struct fetch *f, const struct gm_fetch_url *u, struct hop *h)
{
    struct curl_slist *headers = NULL, *pin = NULL;
    CURL *c = NULL;
    int64_t left = f->deadline_ms - now_ms();
    gm_err err;
    h->f = f;
    gm_buf_init(&h->body, f->o.max_bytes);
    if (strcmp(u->scheme, "https") != 0 && !f->o.allow_http)
        return refuse(f, GM_EFORBID, "plain http is not allowed");
    if ((err = gm_fetch_resolve(u, f->o.allow_private, &h->addrs, f->why, sizeof f->why)) != GM_OK)
        return err;
    if (left <= 0)
        return refuse(f, GM_ETEMP, "total timeout reached");
    if ((err = gm_fetch_pin_list(u, &h->addrs, &pin)) != GM_OK ||
        (err = build_headers(f, u, &headers)) != GM_OK)
        goto out;
    if (!(c = curl_easy_init())) {
        err = refuse(f, GM_ENOMEM, "curl_easy_init failed");
        goto out;
    }
    if ((err = set_options(c, f, h, u, headers, pin, (long)left)) != GM_OK)
        goto out;
    if ((err = map_curl(f, h, curl_easy_perform(c))) != GM_OK)
        goto out;
    err = read_response(c, f, h);
out:
    curl_easy_cleanup(c);
    curl_slist_free_all(headers);
    curl_slist_free_all(pin);
    return err;
}

static void hop_free(struct hop *h)
{
    gm_buf_free(&h->body);
    free(h->location);
    memset(h, 0, sizeof *h);
}

/* ---- response rules ---- */

static gm_err map_status(struct fetch *f, long status)
{
    if (status >= 200 && status < 300)
        return GM_OK;
    if (status == 404 || status == 410)
        return refuse(f, GM_ENOTFOUND, "status %ld", status);
    if (status == 408 || status == 429 || (status >= 500 && status < 600))
        return refuse(f, GM_ETEMP, "status %ld", status);
    return refuse(f, GM_EPERM, "status %ld", status);
}

static bool is_token_char(char c)
{
    return c > 0x20 && c < 0x7f && !strchr("()<>@,;:\\\"/[]?={}", c);
}

/* Read one parameter value (token or quoted-string) at *p into out. */
static bool read_param_value(const char **p, char *out, size_t size)
{
    const char *s = *p;
    size_t n = 0;
    if (*s == '"') {
        for (s++; *s && *s != '"'; s++) {
            if (*s == '\\' && s[1])
                s++;
            if (n + 1 >= size)
                return false;
            out[n++] = *s;
        }
        if (*s != '"')
            return false;
        s++;
    } else {
        for (; is_token_char(*s); s++) {
            if (n + 1 >= size)
                return false;
            out[n++] = *s;
        }
    }
    out[n] = '\0';
    *p = s;
    return true;
}

/* True when a space-separated profile list names the ActivityStreams profile. */
static bool profile_has_as(const char *v)
{
    size_t want = strlen(AS_PROFILE);
    while (*v) {
        size_t n = strcspn(v, " \t");
        if (n == want && strncasecmp(v, AS_PROFILE, n) == 0)
            return true;
        v += n;
        v += strspn(v, " \t");
    }
    return false;
}

/* application/activity+json (any parameters), or application/ld+json with the AS profile. */
static bool content_type_ok(const char *ct)
{
    static const char ap[] = "application/activity+json", ld[] = "application/ld+json";
    char name[64], value[MAX_CONTENT_TYPE];
    size_t n;
    ct += strspn(ct, " \t");
    n = strcspn(ct, "; \t");
    if (n == sizeof ap - 1 && strncasecmp(ct, ap, n) == 0)
        return true;
    if (n != sizeof ld - 1 || strncasecmp(ct, ld, n) != 0)
        return false;
    for (ct += n;;) {
        ct += strspn(ct, " \t");
        if (*ct++ != ';')
            return false;
        ct += strspn(ct, " \t");
        for (n = 0; is_token_char(*ct) && n + 1 < sizeof name; ct++)
            name[n++] = *ct;
        name[n] = '\0';
        ct += strspn(ct, " \t");
        if (n == 0 || *ct++ != '=')
            return false;
        ct += strspn(ct, " \t");
        if (!read_param_value(&ct, value, sizeof value))
            return false;
        if (strcasecmp(name, "profile") == 0 && profile_has_as(value))
            return true;
    }
}

bool gm_fetch_json_depth_ok(const char *buf, size_t len, int max_depth)
{
    int depth = 0;
    bool in_string = false;
    if (!buf)
        return len == 0;
    for (size_t i = 0; i < len; i++) {
        char c = buf[i];
        if (in_string) {
            if (c == '\\')
                i++; /* skip the escaped character */
            else if (c == '"')
                in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == '{' || c == '[') {
            if (++depth > max_depth)
                return false;
        } else if ((c == '}' || c == ']') && depth > 0) {
            depth--;
        }
    }
    return true;
}

/* The document's id must be the URL fetched; both normalised, fragments dropped. */
static gm_err check_id(struct fetch *f, const json_t *doc, const struct gm_fetch_url *u)
{
    const char *id = json_string_value(json_object_get(doc, "id"));
    struct gm_fetch_url idu;
    char why[GM_FETCH_WHY];
    gm_err err;
    if (!id)
        return refuse(f, GM_EPERM, "document has no string id");
    err = gm_fetch_url_parse(NULL, id, &idu, why, sizeof why);
    if (err == GM_ENOMEM)
        return err;
    if (err != GM_OK)
        return refuse(f, GM_EPERM, "document id is not a valid URL: %s", why);
    if (strcmp(idu.url, u->url) != 0)
        err = refuse(f, GM_EPERM, "document id %.100s is not the URL fetched", idu.url);
    gm_fetch_url_free(&idu);
    return err;
}

static gm_err check_document(struct fetch *f, const struct hop *h, const struct gm_fetch_url *u,
                             json_t **out)
{
    json_error_t jerr;
    json_t *doc = NULL;
    gm_err err;
    if ((err = map_status(f, h->status)) != GM_OK)
        return err;
    if (!f->o.plain_json && !content_type_ok(h->content_type))
        return refuse(f, GM_EPERM, "Content-Type '%.100s' is not ActivityStreams",
                      h->content_type[0] ? h->content_type : "(none)");
    if (!gm_fetch_json_depth_ok(h->body.data, h->body.len, GM_FETCH_MAX_DEPTH))
        return refuse(f, GM_EINVAL, "JSON nested deeper than %d", GM_FETCH_MAX_DEPTH);
    doc = json_loadb(h->body.data ? h->body.data : "", h->body.len, JSON_REJECT_DUPLICATES, &jerr);
    if (!doc)
        return refuse(f, GM_EINVAL, "JSON does not parse: %s", jerr.text);
    if (!json_is_object(doc)) {
        json_decref(doc);
        return refuse(f, GM_EINVAL, "JSON is not an object");
    }
    if (!f->o.plain_json && (err = check_id(f, doc, u)) != GM_OK) {
        json_decref(doc);
        return err;
    }
    *out = doc;
    return GM_OK;
}

/* ---- the fetch ---- */

static bool is_redirect(long status)
{
    return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

/* Parse h's Location against u and require the same origin. GM_OK: *next is filled. */
static gm_err next_hop(struct fetch *f, const struct gm_fetch_url *u, const struct hop *h, int hops,
                       struct gm_fetch_url *next)
{
    char why[GM_FETCH_WHY];
    gm_err err;
    if (hops >= f->o.max_redirects)
        return refuse(f, GM_EPERM, "more than %d redirects", f->o.max_redirects);
    if (!h->location)
        return refuse(f, GM_EPERM, "redirect (%ld) without Location", h->status);
    err = gm_fetch_url_parse(u->url, h->location, next, why, sizeof why);
    if (err == GM_ENOMEM)
        return err;
    if (err != GM_OK)
        return refuse(f, GM_EPERM, "bad redirect Location: %s", why);
    if (strcmp(next->scheme, u->scheme) != 0 || strcmp(next->host, u->host) != 0 ||
        next->port != u->port) {
        err = refuse(f, GM_EPERM, "redirect to another origin: %.200s", next->url);
        gm_fetch_url_free(next);
        return err;
    }
    gm_debug("fetch: %s redirects to %s", u->url, next->url);
    return GM_OK;
}

static gm_err fetch_chain(struct fetch *f, const char *url, struct gm_fetch_result *out)
{
    struct gm_fetch_url u, next;
    struct hop h;
    json_t *doc = NULL;
    gm_err err;
    memset(&u, 0, sizeof u);
    memset(&h, 0, sizeof h);
    if ((err = gm_fetch_url_parse(NULL, url, &u, f->why, sizeof f->why)) != GM_OK)
        return err;
    for (int hops = 0;; hops++) {
        if ((err = fetch_once(f, &u, &h)) != GM_OK)
            goto out;
        if (h.status == 401 && f->o.signer && !f->knocked) { /* double knocking */
            f->knocked = true;
            f->rfc9421 = !f->rfc9421;
            gm_info("fetch: %.300s: 401, retrying with %s", u.url,
                    f->rfc9421 ? "RFC 9421" : "draft-cavage");
            hop_free(&h);
            memset(&h, 0, sizeof h);
            hops--;
            continue;
        }
        if (!is_redirect(h.status))
            break;
        if ((err = next_hop(f, &u, &h, hops, &next)) != GM_OK)
            goto out;
        gm_fetch_url_free(&u);
        u = next;
        hop_free(&h);
    }
    if ((err = check_document(f, &h, &u, &doc)) != GM_OK)
        goto out;
    if (!(out->final_url = strdup(u.url))) {
        json_decref(doc);
        err = GM_ENOMEM;
        goto out;
    }
    out->doc = doc;
    out->status = (int)h.status;
out:
    hop_free(&h);
    gm_fetch_url_free(&u);
    return err;
}

gm_err gm_fetch_json(const struct gm_fetch_opts *opts, const char *url, struct gm_fetch_result *out)
{
    struct fetch *f = NULL;
    struct gm_fetch_result res = {0};
    gm_err err = GM_EINVAL;
    if (!url || !out)
        return GM_EINVAL;
    if (!(f = calloc(1, sizeof *f)))
        return GM_ENOMEM;
    if ((err = setup(f, opts)) != GM_OK)
        goto out;
    if (f->o.budget) {
        if (f->o.budget->remaining == 0) {
            err = refuse(f, GM_ETOOBIG, "fetch budget exhausted");
            goto out;
        }
        f->o.budget->remaining--;
    }
    if ((err = fetch_chain(f, url, &res)) != GM_OK)
        goto out;
    gm_debug("fetch: %s -> %s (%d)", url, res.final_url, res.status);
    *out = res;
out:
    if (err != GM_OK)
        gm_info("fetch: refused %.300s: %s (%s)", url, f->why[0] ? f->why : "error",
                gm_strerror(err));
    free(f);
    return err;
}

void gm_fetch_result_free(struct gm_fetch_result *res)
{
    if (!res)
        return;
    json_decref(res->doc);
    free(res->final_url);
    memset(res, 0, sizeof *res);
}
