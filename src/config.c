/* SPDX-License-Identifier: Apache-2.0
 * config.c - parse and validate the configuration. One table lists every key with its parser,
 * so the file and the command line accept exactly the same keys and values. */
#include "gemeinde/config.h"

#include <ctype.h>
#include <errno.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LINE 4096

typedef gm_err (*setter)(struct gm_config *cfg, const char *value, char *err, size_t errlen);

struct key_def {
    const char *key;
    setter set;
    const char *help;
};

static gm_err set_string(char **slot, const char *value)
{
    char *copy = strdup(value);
    if (!copy)
        return GM_ENOMEM;
    free(*slot);
    *slot = copy;
    return GM_OK;
}

static gm_err parse_uint(const char *value, unsigned long max, unsigned long *out)
{
    if (!*value || !isdigit((unsigned char)*value))
        return GM_EINVAL;
    errno = 0;
    char *end;
    unsigned long v = strtoul(value, &end, 10);
    if (errno || *end || v > max)
        return GM_EINVAL;
    *out = v;
    return GM_OK;
}

/* Accepts http(s)://host[:port] with an optional trailing '/', no path, query or userinfo. */
static gm_err set_base_url(struct gm_config *cfg, const char *v, char *err, size_t errlen)
{
    size_t skip = strncmp(v, "https://", 8) == 0 ? 8 : strncmp(v, "http://", 7) == 0 ? 7 : 0;
    const char *host = v + skip;
    size_t hlen = strlen(host);
    if (hlen && host[hlen - 1] == '/')
        hlen--;
    bool ok = skip && hlen > 0 && hlen < 256;
    size_t i = 0;
    if (ok && host[0] == '[') { /* [v6] */
        for (i = 1; i < hlen && (isxdigit((unsigned char)host[i]) || host[i] == ':' || host[i] == '.'); i++)
            ;
        ok = i > 1 && i < hlen && host[i] == ']';
        i++;
    } else if (ok) { /* name or v4 */
        for (; i < hlen && (isalnum((unsigned char)host[i]) || host[i] == '.' || host[i] == '-'); i++)
            ;
        ok = i > 0;
    }
    if (ok && i < hlen) { /* :port */
        unsigned long port = 0;
        size_t digits = 0;
        ok = host[i++] == ':';
        for (; ok && i < hlen && isdigit((unsigned char)host[i]) && digits < 6; i++, digits++)
            port = port * 10 + (unsigned long)(host[i] - '0');
        ok = ok && i == hlen && digits > 0 && port >= 1 && port <= 65535;
    }
    if (!ok) {
        snprintf(err, errlen,
                 "base_url: '%s' is not http(s)://host[:port] (no path, query or user)", v);
        return GM_EINVAL;
    }
    char *copy = strndup(v, skip + hlen);
    if (!copy)
        return GM_ENOMEM;
    for (char *p = copy + skip; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    free(cfg->base_url);
    cfg->base_url = copy;
    return GM_OK;
}

static gm_err set_listen(struct gm_config *cfg, const char *v, char *err, size_t errlen)
{
    const char *colon = strrchr(v, ':');
    char host[64];
    unsigned long port;
    size_t hlen = colon ? (size_t)(colon - v) : 0;
    if (!colon || hlen == 0 || hlen >= sizeof host || parse_uint(colon + 1, 65535, &port))
        goto bad;
    memcpy(host, v, hlen);
    host[hlen] = '\0';
    if (host[0] == '[') {
        if (hlen < 3 || host[hlen - 1] != ']')
            goto bad;
        memmove(host, host + 1, hlen - 2);
        host[hlen - 2] = '\0';
        if (!strchr(host, ':'))
            goto bad;
    } else if (strchr(host, ':')) {
        goto bad;
    }
    gm_err e = set_string(&cfg->listen_host, host);
    if (e == GM_OK)
        cfg->listen_port = (unsigned)port;
    return e;
bad:
    snprintf(err, errlen, "listen: '%s' is not HOST:PORT (e.g. 127.0.0.1:8080 or [::1]:8080)", v);
    return GM_EINVAL;
}

static gm_err set_data_dir(struct gm_config *cfg, const char *v, char *err, size_t errlen)
{
    if (!*v || strlen(v) > 1024) {
        snprintf(err, errlen, "data_dir: must be a path of 1 to 1024 characters");
        return GM_EINVAL;
    }
    return set_string(&cfg->data_dir, v);
}

static gm_err parse_bool(const char *key, const char *v, bool *out, char *err, size_t errlen)
{
    if (!strcmp(v, "true") || !strcmp(v, "yes") || !strcmp(v, "on") || !strcmp(v, "1"))
        *out = true;
    else if (!strcmp(v, "false") || !strcmp(v, "no") || !strcmp(v, "off") || !strcmp(v, "0"))
        *out = false;
    else {
        snprintf(err, errlen, "%s: '%s' is not true or false", key, v);
        return GM_EINVAL;
    }
    return GM_OK;
}

static gm_err set_allow_private(struct gm_config *cfg, const char *v, char *err, size_t errlen)
{
    return parse_bool("allow_private_addresses", v, &cfg->allow_private_addresses, err, errlen);
}

static gm_err set_allow_http(struct gm_config *cfg, const char *v, char *err, size_t errlen)
{
    return parse_bool("allow_http_fetch", v, &cfg->allow_http_fetch, err, errlen);
}

static gm_err set_metrics(struct gm_config *cfg, const char *v, char *err, size_t errlen)
{
    return parse_bool("metrics", v, &cfg->metrics, err, errlen);
}

static gm_err set_log_level(struct gm_config *cfg, const char *v, char *err, size_t errlen)
{
    if (gm_log_level_parse(v, &cfg->log_level) != 0) {
        snprintf(err, errlen, "log_level: '%s' is not error, warn, info or debug", v);
        return GM_EINVAL;
    }
    return GM_OK;
}

static gm_err set_max_body(struct gm_config *cfg, const char *v, char *err, size_t errlen)
{
    unsigned long n;
    if (parse_uint(v, 64UL * 1024 * 1024, &n) || n < 1024) {
        snprintf(err, errlen, "max_body: '%s' is not a byte count from 1024 to 67108864", v);
        return GM_EINVAL;
    }
    cfg->max_body = n;
    return GM_OK;
}

static gm_err set_threads(struct gm_config *cfg, const char *v, char *err, size_t errlen)
{
    unsigned long n;
    if (parse_uint(v, 256, &n) || n < 1) {
        snprintf(err, errlen, "threads: '%s' is not a number from 1 to 256", v);
        return GM_EINVAL;
    }
    cfg->threads = (unsigned)n;
    return GM_OK;
}

static gm_err set_map_size(struct gm_config *cfg, const char *v, char *err, size_t errlen)
{
    unsigned long n;
    if (parse_uint(v, 1024UL * 1024, &n) || n < 16) {
        snprintf(err, errlen, "map_size_mb: '%s' is not a number from 16 to 1048576", v);
        return GM_EINVAL;
    }
    cfg->map_size_mb = n;
    return GM_OK;
}

/* 24-256 printable ASCII characters without spaces (it travels in an Authorization header);
 * empty turns the API off. Messages never repeat the value: it is a secret. */
static gm_err set_admin_token(struct gm_config *cfg, const char *v, char *err, size_t errlen)
{
    size_t n = strlen(v);
    for (size_t i = 0; i < n; i++) {
        if (v[i] <= ' ' || v[i] > '~') {
            snprintf(err, errlen, "admin_token: only printable ASCII characters without spaces");
            return GM_EINVAL;
        }
    }
    if (n && (n < GM_ADMIN_TOKEN_MIN || n > GM_ADMIN_TOKEN_MAX)) {
        snprintf(err, errlen,
                 "admin_token: %d to %d characters (e.g. the output of `openssl rand -hex 32`), "
                 "or empty to turn the admin API off",
                 GM_ADMIN_TOKEN_MIN, GM_ADMIN_TOKEN_MAX);
        return GM_EINVAL;
    }
    char *copy = n ? strdup(v) : NULL;
    if (n && !copy)
        return GM_ENOMEM;
    if (cfg->admin_token)
        OPENSSL_cleanse(cfg->admin_token, strlen(cfg->admin_token));
    free(cfg->admin_token);
    cfg->admin_token = copy;
    return GM_OK;
}

static const struct key_def keys[] = {
    {"base_url", set_base_url, "public URL, e.g. https://groups.example.org (default: from listen)"},
    {"listen", set_listen, "address to serve on, HOST:PORT (default 127.0.0.1:8080; port 0 = any)"},
    {"data_dir", set_data_dir, "folder of the LMDB data (default ./data)"},
    {"allow_private_addresses", set_allow_private,
     "let remote fetches reach private/loopback addresses (default false)"},
    {"allow_http_fetch", set_allow_http, "let remote fetches use plain http (default false)"},
    {"log_level", set_log_level, "error, warn, info or debug (default info)"},
    {"max_body", set_max_body, "largest request body in bytes (default 1048576)"},
    {"threads", set_threads, "HTTP worker threads (default 8)"},
    {"map_size_mb", set_map_size, "LMDB map size in MiB (default 1024)"},
    {"metrics", set_metrics,
     "serve GET /metrics (Prometheus) to loopback or the admin token (default false)"},
    {"admin_token", set_admin_token,
     "bearer token of the admin API /api/v1/, 24+ characters (default empty: API off)"},
};

static const struct key_def *find_key(const char *key)
{
    char norm[64];
    size_t n = strlen(key);
    if (n >= sizeof norm)
        return NULL;
    for (size_t i = 0; i <= n; i++)
        norm[i] = key[i] == '-' ? '_' : key[i];
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (strcmp(keys[i].key, norm) == 0)
            return &keys[i];
    return NULL;
}

bool gm_config_is_key(const char *key) { return find_key(key) != NULL; }

gm_err gm_config_init(struct gm_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->listen_host = strdup("127.0.0.1");
    cfg->data_dir = strdup("data");
    if (!cfg->listen_host || !cfg->data_dir) {
        gm_config_clear(cfg);
        return GM_ENOMEM;
    }
    cfg->listen_port = 8080;
    cfg->log_level = GM_LOG_INFO;
    cfg->max_body = 1024 * 1024;
    cfg->threads = 8;
    cfg->map_size_mb = 1024;
    return GM_OK;
}

void gm_config_clear(struct gm_config *cfg)
{
    free(cfg->base_url);
    free(cfg->listen_host);
    free(cfg->data_dir);
    if (cfg->admin_token)
        OPENSSL_cleanse(cfg->admin_token, strlen(cfg->admin_token));
    free(cfg->admin_token);
    memset(cfg, 0, sizeof *cfg);
}

gm_err gm_config_set(struct gm_config *cfg, const char *key, const char *value, char *err,
                     size_t errlen)
{
    const struct key_def *def = find_key(key);
    if (!def) {
        snprintf(err, errlen, "unknown configuration key '%s'", key);
        return GM_EINVAL;
    }
    gm_err e = def->set(cfg, value, err, errlen);
    if (e == GM_ENOMEM)
        snprintf(err, errlen, "%s: out of memory", def->key);
    return e;
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    return s;
}

static gm_err load_line(struct gm_config *cfg, char *line, const char *path, unsigned lineno,
                        char *err, size_t errlen)
{
    char *s = trim(line);
    if (!*s || *s == '#')
        return GM_OK;
    char *eq = strchr(s, '=');
    if (!eq) {
        snprintf(err, errlen, "%s:%u: expected 'key = value'", path, lineno);
        return GM_EINVAL;
    }
    *eq = '\0';
    char *key = trim(s), *value = trim(eq + 1);
    char inner[GM_CONFIG_ERRLEN];
    gm_err e = gm_config_set(cfg, key, value, inner, sizeof inner);
    if (e != GM_OK)
        snprintf(err, errlen, "%s:%u: %s", path, lineno, inner);
    return e;
}

gm_err gm_config_load_file(struct gm_config *cfg, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "cannot read config file '%s': %s", path, strerror(errno));
        return GM_ENOTFOUND;
    }
    char line[MAX_LINE + 2];
    unsigned lineno = 0;
    gm_err e = GM_OK;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        if (strlen(line) > MAX_LINE && line[MAX_LINE] != '\n') {
            snprintf(err, errlen, "%s:%u: line longer than %d bytes", path, lineno, MAX_LINE);
            e = GM_EINVAL;
            break;
        }
        if ((e = load_line(cfg, line, path, lineno, err, errlen)) != GM_OK)
            break;
    }
    if (e == GM_OK && ferror(f)) {
        snprintf(err, errlen, "cannot read config file '%s': %s", path, strerror(errno));
        e = GM_ENOTFOUND;
    }
    fclose(f);
    return e;
}

char *gm_config_base_url(const struct gm_config *cfg, unsigned port)
{
    if (cfg->base_url)
        return strdup(cfg->base_url);
    char buf[320];
    bool v6 = strchr(cfg->listen_host, ':') != NULL;
    snprintf(buf, sizeof buf, "http://%s%s%s:%u", v6 ? "[" : "", cfg->listen_host, v6 ? "]" : "",
             port);
    return strdup(buf);
}

const char *gm_config_help(void)
{
    static char text[2048];
    if (!text[0]) {
        size_t n = 0;
        for (size_t i = 0; i < sizeof keys / sizeof keys[0] && n < sizeof text; i++)
            n += (size_t)snprintf(text + n, sizeof text - n, "  %-24s %s\n", keys[i].key,
                                  keys[i].help);
    }
    return text;
}
