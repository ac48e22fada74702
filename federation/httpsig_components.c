/* SPDX-License-Identifier: Apache-2.0
 * httpsig_components.c - RFC 9421 component values (sections 2.1 and 2.2): the derived
 * components @method @target-uri @authority @scheme @request-target @path @query @query-param
 * @status, and header fields with their ;sf ;key ;bs ;tr ;req parameters. Each covered
 * component becomes one base line, `"identifier": value`; anything the message lacks or an
 * identifier we do not understand is GM_EINVAL, as section 2.5 requires. */
#include "httpsig_int.h"
#include "httpsig_sf.h"

#include <string.h>

#define MAX_FIELD_LINES 64

/* A component identifier taken apart. */
struct comp {
    const char *name;
    bool req, sf, bs, tr;
    const char *key;   /* ;key="..." */
    const char *qname; /* ;name="..." */
};

static gm_err parse_identifier(const struct gm_sf *sf, const struct gm_sf_item *it, struct comp *c)
{
    memset(c, 0, sizeof(*c));
    if (it->bare.type != GM_SF_STR || it->bare.len == 0)
        return GM_EINVAL;
    c->name = it->bare.str;
    for (size_t i = 0; i < it->nparams; i++) {
        const struct gm_sf_param *p = &sf->params[it->params + i];
        bool flag = p->val.type == GM_SF_BOOL && p->val.num == 1;
        if (strcmp(p->key, "req") == 0 && flag)
            c->req = true;
        else if (strcmp(p->key, "sf") == 0 && flag)
            c->sf = true;
        else if (strcmp(p->key, "bs") == 0 && flag)
            c->bs = true;
        else if (strcmp(p->key, "tr") == 0 && flag)
            c->tr = true;
        else if (strcmp(p->key, "key") == 0 && p->val.type == GM_SF_STR)
            c->key = p->val.str;
        else if (strcmp(p->key, "name") == 0 && p->val.type == GM_SF_STR)
            c->qname = p->val.str;
        else
            return GM_EINVAL;
    }
    if (c->name[0] == '@') {
        if (c->sf || c->bs || c->tr || c->key)
            return GM_EINVAL;
        if ((c->qname != NULL) != (strcmp(c->name, "@query-param") == 0))
            return GM_EINVAL;
        return GM_OK;
    }
    if (c->qname || (c->bs && (c->sf || c->key)))
        return GM_EINVAL;
    for (const char *p = c->name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
              strchr("!#$%&'*+-.^_`|~", *p)))
            return GM_EINVAL; /* field names are lower-case tokens */
    return GM_OK;
}

/* Append `s` after checking it has no control characters. */
static gm_err put_plain(const char *s, size_t n, struct gm_hs_buf *out)
{
    if (n > GM_HTTPSIG_MAX_HEADER)
        return GM_EINVAL;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return GM_EINVAL;
    gm_hs_buf_add(out, s, n);
    return out->err;
}

static const char *scheme_of(const struct gm_httpsig_msg *m)
{
    return m->scheme ? m->scheme : "https";
}

/* @authority: lower case, default port removed. */
static gm_err put_authority(const struct gm_httpsig_msg *m, struct gm_hs_buf *out)
{
    const char *a = m->authority ? m->authority : gm_hs_header(m, "host");
    size_t n;
    if (!a)
        return GM_EINVAL;
    while (*a == ' ' || *a == '\t')
        a++;
    n = strlen(a);
    while (n > 0 && (a[n - 1] == ' ' || a[n - 1] == '\t'))
        n--;
    if (n == 0 || n > 255)
        return GM_EINVAL;
    bool https = gm_hs_ieq("https", scheme_of(m), 5);
    const char *port = https ? ":443" : ":80";
    if (n > strlen(port) && strncmp(a + n - strlen(port), port, strlen(port)) == 0)
        n -= strlen(port);
    for (size_t i = 0; i < n; i++) {
        char c = a[i];
        if ((unsigned char)c <= 0x20 || c == 0x7f || c == '/' || c == '?' || c == '#' || c == '@')
            return GM_EINVAL;
        gm_hs_buf_char(out, (char)(c >= 'A' && c <= 'Z' ? c + 32 : c));
    }
    return out->err;
}

/* Path and query of the request-target: origin form "/p?q" or absolute form "s://a/p?q". */
static gm_err split_target(const char *t, const char **path, size_t *plen, const char **query)
{
    if (!t)
        return GM_EINVAL;
    if (t[0] != '/') {
        const char *sep = strstr(t, "://");
        if (!sep || sep == t)
            return GM_EINVAL; /* "*" or authority form: no path */
        t = sep + 3;
        while (*t && *t != '/' && *t != '?')
            t++;
    }
    const char *q = strchr(t, '?');
    *path = t;
    *plen = q ? (size_t)(q - t) : strlen(t);
    *query = q ? q + 1 : NULL;
    return GM_OK;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* application/x-www-form-urlencoded decoding of s[0..n), then percent-encoding of every byte
 * but ALPHA DIGIT * - . _ (RFC 9421 section 2.2.8). */
static void reencode(const char *s, size_t n, struct gm_hs_buf *out)
{
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '+') {
            c = ' ';
        } else if (c == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
            c = (unsigned char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
            i += 2;
        }
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            c == '*' || c == '-' || c == '.' || c == '_') {
            gm_hs_buf_char(out, (char)c);
        } else {
            char enc[3] = {'%', hex[c >> 4], hex[c & 15]};
            gm_hs_buf_add(out, enc, 3);
        }
    }
}

static gm_err put_query_param(const char *query, const char *qname, struct gm_hs_buf *out)
{
    struct gm_hs_buf want, have, value;
    size_t found = 0;
    gm_err err = GM_OK;
    gm_hs_buf_init(&want, GM_HTTPSIG_MAX_HEADER * 3);
    gm_hs_buf_init(&value, GM_HTTPSIG_MAX_HEADER * 3);
    reencode(qname, strlen(qname), &want);
    if (want.err != GM_OK || !want.p || !query)
        err = GM_EINVAL;
    for (const char *p = query; err == GM_OK && p && *p;) {
        const char *amp = strchr(p, '&');
        size_t n = amp ? (size_t)(amp - p) : strlen(p);
        const char *eq = memchr(p, '=', n);
        size_t nlen = eq ? (size_t)(eq - p) : n;
        gm_hs_buf_init(&have, GM_HTTPSIG_MAX_HEADER * 3);
        reencode(p, nlen, &have);
        if (have.err == GM_OK && have.len == want.len && memcmp(have.p, want.p, want.len) == 0) {
            found++;
            value.len = 0;
            if (eq)
                reencode(eq + 1, n - nlen - 1, &value);
        }
        err = have.err;
        gm_hs_buf_free(&have);
        p = amp ? amp + 1 : NULL;
    }
    if (err == GM_OK && found != 1)
        err = GM_EINVAL; /* absent, or repeated: section 2.2.8 forbids signing it */
    if (err == GM_OK && value.err == GM_OK)
        gm_hs_buf_add(out, value.p ? value.p : "", value.len);
    err = err != GM_OK ? err : value.err;
    gm_hs_buf_free(&want);
    gm_hs_buf_free(&value);
    return err != GM_OK ? err : out->err;
}

static gm_err put_derived(const struct gm_httpsig_msg *m, const struct comp *c,
                          struct gm_hs_buf *out)
{
    const char *n = c->name, *path = NULL, *query = NULL;
    size_t plen = 0;
    bool request = m->method != NULL;
    if (strcmp(n, "@status") == 0) {
        if (request || m->status < 100 || m->status > 999)
            return GM_EINVAL;
        gm_hs_buf_int(out, m->status);
        return out->err;
    }
    if (!request || !m->target)
        return GM_EINVAL;
    if (strcmp(n, "@method") == 0)
        return put_plain(m->method, strlen(m->method), out);
    if (strcmp(n, "@authority") == 0)
        return put_authority(m, out);
    if (strcmp(n, "@scheme") == 0) {
        for (const char *s = scheme_of(m); *s; s++)
            gm_hs_buf_char(out, (char)(*s >= 'A' && *s <= 'Z' ? *s + 32 : *s));
        return out->err;
    }
    if (strcmp(n, "@request-target") == 0)
        return put_plain(m->target, strlen(m->target), out);
    if (strcmp(n, "@target-uri") == 0) {
        if (m->target[0] != '/' && strcmp(m->target, "*") != 0)
            return put_plain(m->target, strlen(m->target), out);
        gm_hs_buf_str(out, scheme_of(m));
        gm_hs_buf_str(out, "://");
        gm_err err = put_authority(m, out);
        if (err != GM_OK || m->target[0] != '/')
            return err;
        return put_plain(m->target, strlen(m->target), out);
    }
    if (split_target(m->target, &path, &plen, &query) != GM_OK)
        return GM_EINVAL;
    if (strcmp(n, "@path") == 0)
        return plen ? put_plain(path, plen, out) : put_plain("/", 1, out);
    if (strcmp(n, "@query") == 0) {
        gm_hs_buf_char(out, '?');
        return query ? put_plain(query, strlen(query), out) : out->err;
    }
    if (strcmp(n, "@query-param") == 0)
        return put_query_param(query, c->qname, out);
    return GM_EINVAL; /* unknown, or @signature-params */
}

/* ;sf: re-serialise as a dictionary, else as a list. */
static gm_err put_structured(const char *v, size_t n, const char *key, struct gm_hs_buf *out)
{
    struct gm_sf *sf = NULL;
    gm_err err = gm_sf_parse_dict(v, n, &sf);
    if (err != GM_OK && !key)
        err = gm_sf_parse_list(v, n, &sf);
    if (err != GM_OK)
        return err == GM_ENOMEM ? err : GM_EINVAL;
    if (key) {
        const struct gm_sf_item *it = gm_sf_dict_get(sf, key);
        if (it)
            gm_sf_put_member(sf, it, out);
        else
            err = GM_EINVAL;
    } else {
        gm_sf_put_field(sf, out);
    }
    gm_sf_free(sf);
    return err != GM_OK ? err : out->err;
}

/* ;bs: each field line wrapped as a byte sequence, joined with ", ". */
static gm_err put_byte_sequences(const struct gm_httpsig_msg *m, const char *name,
                                 struct gm_hs_buf *out)
{
    const char *line;
    size_t i;
    if (!m->get_header_line)
        return GM_EINVAL;
    for (i = 0; i < MAX_FIELD_LINES && (line = m->get_header_line(m->ctx, name, i)); i++) {
        struct gm_hs_buf one;
        gm_hs_buf_init(&one, GM_HTTPSIG_MAX_HEADER);
        gm_err err = gm_hs_canon_value(line, &one);
        if (i > 0)
            gm_hs_buf_str(out, ", ");
        gm_hs_buf_char(out, ':');
        gm_hs_b64_encode((const unsigned char *)(one.p ? one.p : ""), one.len, out);
        gm_hs_buf_char(out, ':');
        gm_hs_buf_free(&one);
        if (err != GM_OK)
            return err == GM_ETOOBIG ? GM_EINVAL : err;
    }
    return i == 0 || i == MAX_FIELD_LINES ? GM_EINVAL : out->err;
}

static gm_err put_field(const struct gm_httpsig_msg *m, const struct comp *c, struct gm_hs_buf *out)
{
    const char *v;
    struct gm_hs_buf canon;
    gm_err err;
    if (c->bs)
        return put_byte_sequences(m, c->name, out);
    if (c->tr)
        v = m->get_trailer ? m->get_trailer(m->ctx, c->name) : NULL;
    else
        v = gm_hs_header(m, c->name);
    if (!v)
        return GM_EINVAL;
    gm_hs_buf_init(&canon, GM_HTTPSIG_MAX_HEADER);
    err = gm_hs_canon_value(v, &canon);
    if (err == GM_OK && (c->sf || c->key))
        err = put_structured(canon.p ? canon.p : "", canon.len, c->key, out);
    else if (err == GM_OK)
        gm_hs_buf_add(out, canon.p, canon.len);
    gm_hs_buf_free(&canon);
    if (err == GM_ETOOBIG)
        err = GM_EINVAL;
    return err != GM_OK ? err : out->err;
}

gm_err gm_hs_component_line(const struct gm_httpsig_msg *msg, const struct gm_sf *sf,
                            const struct gm_sf_item *item, struct gm_hs_buf *out)
{
    struct comp c;
    gm_err err = parse_identifier(sf, item, &c);
    if (err != GM_OK)
        return err;
    if (c.req && !(msg = msg->request))
        return GM_EINVAL; /* ;req needs the request a response answers */
    gm_sf_put_bare(&item->bare, out);
    gm_sf_put_params(sf, item, out);
    gm_hs_buf_str(out, ": ");
    if (out->err != GM_OK)
        return out->err;
    return c.name[0] == '@' ? put_derived(msg, &c, out) : put_field(msg, &c, out);
}
