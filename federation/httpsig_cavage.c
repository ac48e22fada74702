/* SPDX-License-Identifier: Apache-2.0
 * httpsig_cavage.c - draft-cavage-http-signatures-12 as the fediverse uses it. Parses the
 * `Signature` header (keyId, algorithm, headers, signature, created, expires), builds the
 * signing string ("name: value" lines, "(request-target): post /inbox", (created), (expires)),
 * verifies with the key's real type (hs2019 says nothing about it) and signs outgoing requests
 * with rsa-sha256 the way Mastodon does. */
#include "httpsig_int.h"

#include <stdlib.h>
#include <string.h>

enum { P_KEYID, P_ALGORITHM, P_HEADERS, P_SIGNATURE, P_CREATED, P_EXPIRES, P_COUNT };

static const char *const param_names[P_COUNT] = {"keyid",     "algorithm", "headers",
                                                 "signature", "created",   "expires"};

struct cavage_params {
    char *v[P_COUNT];
};

static void params_free(struct cavage_params *p)
{
    for (int i = 0; i < P_COUNT; i++)
        free(p->v[i]);
}

static bool is_ows(char c)
{
    return c == ' ' || c == '\t';
}

static bool is_name_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.';
}

/* One value at *pos: a quoted string (with \" and \\ escapes) or a bare token. */
static gm_err parse_value(const char *s, size_t *pos, struct gm_hs_buf *val)
{
    size_t i = *pos;
    if (s[i] == '"') {
        for (i++; s[i] != '"'; i++) {
            unsigned char c = (unsigned char)s[i];
            if (c == '\\' && (s[i + 1] == '"' || s[i + 1] == '\\'))
                c = (unsigned char)s[++i];
            else if (c < 0x20 || c > 0x7e)
                return GM_EINVAL; /* also the NUL of an unterminated string */
            gm_hs_buf_char(val, (char)c);
        }
        *pos = i + 1;
        return val->err;
    }
    while (s[i] && s[i] != ',' && !is_ows(s[i])) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x21 || c > 0x7e || c == '"')
            return GM_EINVAL;
        gm_hs_buf_char(val, (char)c);
        i++;
    }
    if (i == *pos)
        return GM_EINVAL;
    *pos = i;
    return val->err;
}

/* name=value pairs separated by commas. Known names (case-insensitive) are kept, once each. */
static gm_err parse_params(const char *s, struct cavage_params *p)
{
    size_t i = 0;
    gm_err err;
    for (;;) {
        struct gm_hs_buf val;
        size_t name = 0, namelen;
        int which = -1;
        while (is_ows(s[i]))
            i++;
        for (name = i; is_name_char((unsigned char)s[i]); i++)
            ;
        namelen = i - name;
        if (namelen == 0 || s[i] != '=')
            return GM_EINVAL;
        i++;
        for (int k = 0; k < P_COUNT; k++)
            if (strlen(param_names[k]) == namelen && gm_hs_ieq(param_names[k], s + name, namelen))
                which = k;
        gm_hs_buf_init(&val, GM_HTTPSIG_MAX_HEADER);
        err = parse_value(s, &i, &val);
        if (err == GM_OK && which >= 0 && p->v[which])
            err = GM_EINVAL; /* repeated parameter */
        if (err == GM_OK && which >= 0)
            err = gm_hs_buf_take(&val, &p->v[which], NULL);
        gm_hs_buf_free(&val);
        if (err != GM_OK)
            return err;
        while (is_ows(s[i]))
            i++;
        if (s[i] == '\0')
            return GM_OK;
        if (s[i++] != ',')
            return GM_EINVAL;
    }
}

/* Seconds since the epoch from "1402170695" (a fraction is dropped). */
static gm_err parse_time(const char *s, int64_t *out)
{
    int64_t v = 0;
    size_t i;
    for (i = 0; s[i] >= '0' && s[i] <= '9'; i++) {
        if (i >= 15)
            return GM_EINVAL;
        v = v * 10 + (s[i] - '0');
    }
    if (i == 0)
        return GM_EINVAL;
    if (s[i] == '.') {
        size_t j = i + 1;
        while (s[j] >= '0' && s[j] <= '9')
            j++;
        if (j == i + 1)
            return GM_EINVAL;
        i = j;
    }
    if (s[i] != '\0')
        return GM_EINVAL;
    *out = v;
    return GM_OK;
}

static int two_digits(const char *s)
{
    if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9')
        return -1;
    return (s[0] - '0') * 10 + (s[1] - '0');
}

/* IMF-fixdate, "Sun, 06 Nov 1994 08:49:37 GMT" (RFC 9110 section 5.6.7). */
static gm_err parse_http_date(const char *s, int64_t *out)
{
    static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    int day, mon = -1, year, hh, mm, ss;
    if (strlen(s) != 29 || s[3] != ',' || s[4] != ' ' || s[7] != ' ' || s[11] != ' ' ||
        s[16] != ' ' || s[19] != ':' || s[22] != ':' || strcmp(s + 25, " GMT") != 0)
        return GM_EINVAL;
    for (int m = 0; m < 12; m++)
        if (memcmp(s + 8, months + 3 * m, 3) == 0)
            mon = m + 1;
    day = two_digits(s + 5);
    year = two_digits(s + 12) * 100 + two_digits(s + 14);
    hh = two_digits(s + 17);
    mm = two_digits(s + 20);
    ss = two_digits(s + 23);
    if (mon < 0 || day < 1 || day > 31 || two_digits(s + 12) < 0 || two_digits(s + 14) < 0 ||
        hh < 0 || hh > 23 || mm < 0 || mm > 59 || ss < 0 || ss > 60)
        return GM_EINVAL;
    /* days from 1970-01-01 (H. Hinnant's days_from_civil) */
    int64_t y = year - (mon <= 2);
    int64_t era = y / 400, yoe = y - era * 400;
    int64_t doy = (153 * (mon + (mon > 2 ? -3 : 9)) + 2) / 5 + day - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    int64_t days = era * 146097 + doe - 719468;
    *out = days * 86400 + hh * 3600 + mm * 60 + ss;
    return GM_OK;
}

/* One line of the signing string for `name` (lower case). */
static gm_err add_line(const struct gm_httpsig_msg *msg, const char *name,
                       const struct gm_httpsig *sig, struct gm_hs_buf *b)
{
    gm_hs_buf_str(b, name);
    gm_hs_buf_str(b, ": ");
    if (strcmp(name, "(request-target)") == 0) {
        if (!msg->method || !msg->target || strlen(msg->target) > GM_HTTPSIG_MAX_HEADER)
            return GM_EINVAL;
        for (const char *m = msg->method; *m; m++)
            gm_hs_buf_char(b, (char)(*m >= 'A' && *m <= 'Z' ? *m + 32 : *m));
        gm_hs_buf_char(b, ' ');
        return gm_hs_canon_value(msg->target, b);
    }
    if (strcmp(name, "(created)") == 0 || strcmp(name, "(expires)") == 0) {
        bool created = name[1] == 'c';
        if (!sig || !(created ? sig->has_created : sig->has_expires))
            return GM_EINVAL;
        gm_hs_buf_int(b, created ? sig->created : sig->expires);
        return b->err;
    }
    const char *v = gm_hs_header(msg, name);
    if (!v && strcmp(name, "host") == 0)
        v = msg->authority; /* HTTP/2 carries :authority instead of Host */
    if (!v)
        return GM_EINVAL;
    return gm_hs_canon_value(v, b);
}

static gm_err build_signing_string(const struct gm_httpsig_msg *msg, const char *const *names,
                                   size_t n, struct gm_httpsig *sig, char **out, size_t *len)
{
    struct gm_hs_buf b;
    gm_err err = GM_OK;
    gm_hs_buf_init(&b, GM_HS_MAX_BASE);
    for (size_t i = 0; i < n && err == GM_OK; i++) {
        if (i > 0)
            gm_hs_buf_char(&b, '\n');
        err = add_line(msg, names[i], sig, &b);
    }
    if (err != GM_OK) {
        gm_hs_buf_free(&b);
        return err;
    }
    return gm_hs_buf_take(&b, out, len);
}

/* Split the headers parameter into lower-cased names in sig->components. */
static gm_err split_headers(const char *h, struct gm_httpsig *sig)
{
    size_t i = 0;
    gm_err err;
    while (h[i]) {
        char name[128];
        size_t n = 0;
        while (h[i] == ' ')
            i++;
        for (; h[i] && h[i] != ' '; i++) {
            unsigned char c = (unsigned char)h[i];
            if (n >= sizeof(name) - 1 || !(is_name_char(c) || c == '(' || c == ')'))
                return GM_EINVAL;
            name[n++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
        }
        if (n == 0)
            continue;
        name[n] = '\0';
        for (size_t k = 0; k < sig->ncomponents; k++)
            if (strcmp(sig->components[k], name) == 0)
                return GM_EINVAL; /* listed twice */
        if ((err = gm_hs_add_component(sig, name, n)) != GM_OK)
            return err;
    }
    return sig->ncomponents > 0 ? GM_OK : GM_EINVAL;
}

/* Section 2.3: (created)/(expires) with an rsa, hmac or ecdsa algorithm is an error. */
static bool algorithm_forbids_times(const char *alg)
{
    return alg && (strncmp(alg, "rsa", 3) == 0 || strncmp(alg, "hmac", 4) == 0 ||
                   strncmp(alg, "ecdsa", 5) == 0);
}

static gm_err fill_signature(struct gm_httpsig *sig, struct cavage_params *p,
                             const struct gm_httpsig_msg *msg)
{
    gm_err err;
    const char *date;
    if (!p->v[P_KEYID] || !p->v[P_KEYID][0] || !p->v[P_SIGNATURE])
        return GM_EINVAL;
    err = gm_hs_b64_decode(p->v[P_SIGNATURE], strlen(p->v[P_SIGNATURE]), false, sig->sig,
                           sizeof(sig->sig), &sig->sig_len);
    if (err != GM_OK || sig->sig_len == 0)
        return GM_EINVAL;
    if (p->v[P_CREATED] && (err = parse_time(p->v[P_CREATED], &sig->created)) != GM_OK)
        return err;
    if (p->v[P_EXPIRES] && (err = parse_time(p->v[P_EXPIRES], &sig->expires)) != GM_OK)
        return err;
    sig->has_created = p->v[P_CREATED] != NULL;
    sig->has_expires = p->v[P_EXPIRES] != NULL;
    err =
        p->v[P_HEADERS] ? split_headers(p->v[P_HEADERS], sig) : gm_hs_add_component(sig, "date", 4);
    if (err != GM_OK)
        return err;
    if (algorithm_forbids_times(p->v[P_ALGORITHM]) &&
        (gm_httpsig_covers(sig, "(created)") || gm_httpsig_covers(sig, "(expires)")))
        return GM_EINVAL;
    err = build_signing_string(msg, (const char *const *)sig->components, sig->ncomponents, sig,
                               &sig->base, &sig->base_len);
    if (err != GM_OK)
        return err == GM_ETOOBIG ? GM_EINVAL : err;
    if (!sig->has_created && (date = gm_hs_header(msg, "date")) != NULL &&
        parse_http_date(date, &sig->created) == GM_OK)
        sig->has_created = true;
    sig->key_id = p->v[P_KEYID];
    sig->algorithm = p->v[P_ALGORITHM];
    p->v[P_KEYID] = p->v[P_ALGORITHM] = NULL; /* now owned by sig */
    return GM_OK;
}

gm_err gm_httpsig_parse_cavage(const struct gm_httpsig_msg *msg, const char *value,
                               struct gm_httpsig **out)
{
    struct cavage_params p;
    struct gm_httpsig *sig = NULL;
    gm_err err;
    memset(&p, 0, sizeof(p));
    if (!msg || !value || !out || strlen(value) > GM_HTTPSIG_MAX_HEADER)
        return GM_EINVAL;
    if ((err = parse_params(value, &p)) != GM_OK)
        goto out;
    if (!(sig = gm_hs_new(GM_HTTPSIG_CAVAGE))) {
        err = GM_ENOMEM;
        goto out;
    }
    err = fill_signature(sig, &p, msg);
out:
    params_free(&p);
    if (err != GM_OK) {
        gm_httpsig_free(sig);
        return err;
    }
    *out = sig;
    return GM_OK;
}

gm_err gm_hs_cavage_verify(const struct gm_httpsig *sig, EVP_PKEY *key)
{
    const char *a = sig->algorithm;
    enum gm_hs_alg alg;
    if (!a || gm_hs_ieq("hs2019", a, strlen(a))) {
        alg = gm_hs_alg_for_key(key);
        if (alg == GM_HS_RSA_V15_SHA256) {
            if (gm_hs_verify(alg, key, sig->base, sig->base_len, sig->sig, sig->sig_len) == GM_OK)
                return GM_OK;
            alg = GM_HS_RSA_PSS_SHA512_ANY; /* what the draft means by hs2019 for RSA */
        } else if (alg != GM_HS_ED25519) {
            return GM_EAUTH;
        }
    } else if (gm_hs_ieq("rsa-sha256", a, strlen(a))) {
        alg = GM_HS_RSA_V15_SHA256;
    } else if (gm_hs_ieq("rsa-sha512", a, strlen(a))) {
        alg = GM_HS_RSA_V15_SHA512;
    } else if (gm_hs_ieq("ed25519", a, strlen(a))) {
        alg = GM_HS_ED25519;
    } else if (gm_hs_ieq("hmac-sha256", a, strlen(a))) {
        alg = GM_HS_HMAC_SHA256;
    } else {
        return GM_EINVAL;
    }
    return gm_hs_verify(alg, key, sig->base, sig->base_len, sig->sig, sig->sig_len);
}

static bool printable_unquoted(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e || *s == '"' || *s == '\\')
            return false;
    return true;
}

static gm_err check_sign_args(const char *const *headers, size_t n, const char *key_id)
{
    if (!key_id || !key_id[0] || !printable_unquoted(key_id) || n > GM_HTTPSIG_MAX_COMPONENTS ||
        (n > 0 && !headers))
        return GM_EINVAL;
    for (size_t i = 0; i < n; i++) {
        if (!headers[i] || !headers[i][0] || strlen(headers[i]) > 127)
            return GM_EINVAL;
        for (const char *c = headers[i]; *c; c++)
            if ((*c >= 'A' && *c <= 'Z') ||
                !(is_name_char((unsigned char)*c) || *c == '(' || *c == ')'))
                return GM_EINVAL;
        if (strcmp(headers[i], "(created)") == 0 || strcmp(headers[i], "(expires)") == 0)
            return GM_EINVAL; /* forbidden with rsa-sha256; we do not sign with them */
    }
    return GM_OK;
}

gm_err gm_httpsig_sign_cavage(const struct gm_httpsig_msg *msg, const char *const *headers,
                              size_t nheaders, const char *key_id, EVP_PKEY *key, char **value)
{
    static const char *const date_only[] = {"date"};
    const char *const *names = nheaders ? headers : date_only;
    size_t n = nheaders ? nheaders : 1, base_len = 0, siglen = 0;
    unsigned char sigbytes[GM_HS_MAX_SIG];
    char *base = NULL;
    struct gm_hs_buf b;
    enum gm_hs_alg alg = gm_hs_alg_for_key(key);
    gm_err err;
    gm_hs_buf_init(&b, GM_HTTPSIG_MAX_HEADER);
    if (!msg || !value || (alg != GM_HS_RSA_V15_SHA256 && alg != GM_HS_ED25519))
        return GM_EINVAL;
    if ((err = check_sign_args(headers, nheaders, key_id)) != GM_OK)
        return err;
    err = build_signing_string(msg, names, n, NULL, &base, &base_len);
    if (err != GM_OK)
        goto out;
    if ((err = gm_hs_sign(alg, key, base, base_len, sigbytes, &siglen)) != GM_OK)
        goto out;
    gm_hs_buf_str(&b, "keyId=\"");
    gm_hs_buf_str(&b, key_id);
    gm_hs_buf_str(&b,
                  alg == GM_HS_ED25519 ? "\",algorithm=\"hs2019\"" : "\",algorithm=\"rsa-sha256\"");
    if (nheaders) {
        gm_hs_buf_str(&b, ",headers=\"");
        for (size_t i = 0; i < n; i++) {
            if (i > 0)
                gm_hs_buf_char(&b, ' ');
            gm_hs_buf_str(&b, names[i]);
        }
        gm_hs_buf_char(&b, '"');
    }
    gm_hs_buf_str(&b, ",signature=\"");
    gm_hs_b64_encode(sigbytes, siglen, &b);
    gm_hs_buf_char(&b, '"');
    err = gm_hs_buf_take(&b, value, NULL);
out:
    gm_hs_buf_free(&b);
    free(base);
    return err;
}
