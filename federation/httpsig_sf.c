/* SPDX-License-Identifier: Apache-2.0
 * httpsig_sf.c - Structured Field Values (RFC 8941) parser and serialiser for Signature-Input,
 * Signature, Content-Digest and RFC 9421 ";sf"/";key" components. The parser follows the
 * algorithms of RFC 8941 section 4.2 step by step, without recursion; all strings of a parse
 * live in one block sized from the input (an unescaped or decoded value is never longer than
 * its text), and the node arrays grow up to GM_SF_MAX_NODES. */
#include "httpsig_sf.h"

#include <stdlib.h>
#include <string.h>

struct sf_parser {
    const char *s;
    size_t len, pos;
    struct gm_sf *sf;
};

static int peek(const struct sf_parser *p)
{
    return p->pos < p->len ? (unsigned char)p->s[p->pos] : -1;
}

static void skip_sp(struct sf_parser *p)
{
    while (p->pos < p->len && p->s[p->pos] == ' ')
        p->pos++;
}

static void skip_ows(struct sf_parser *p)
{
    while (p->pos < p->len && (p->s[p->pos] == ' ' || p->s[p->pos] == '\t'))
        p->pos++;
}

static int is_digit(int c)
{
    return c >= '0' && c <= '9';
}
static int is_lcalpha(int c)
{
    return c >= 'a' && c <= 'z';
}
static int is_alpha(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_tchar(int c)
{
    return is_alpha(c) || is_digit(c) || (c > 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static int is_key_char(int c)
{
    return is_lcalpha(c) || is_digit(c) || c == '_' || c == '-' || c == '.' || c == '*';
}

int gm_sf_is_key(const char *s, size_t len)
{
    if (len == 0 || !(is_lcalpha((unsigned char)s[0]) || s[0] == '*'))
        return 0;
    for (size_t i = 1; i < len; i++)
        if (!is_key_char((unsigned char)s[i]))
            return 0;
    return 1;
}

/* Room for n more bytes plus a NUL in the text block, or NULL. */
static char *text_reserve(struct gm_sf *sf, size_t n)
{
    if (sf->text_cap - sf->text_len < n + 1)
        return NULL;
    return sf->text + sf->text_len;
}

static const char *text_commit(struct gm_sf *sf, size_t n)
{
    char *start = sf->text + sf->text_len;
    start[n] = '\0';
    sf->text_len += n + 1;
    return start;
}

static gm_err grow(void **arr, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return GM_OK;
    if (*cap >= GM_SF_MAX_NODES)
        return GM_EINVAL;
    size_t ncap = *cap ? *cap * 2 : 8;
    if (ncap > GM_SF_MAX_NODES)
        ncap = GM_SF_MAX_NODES;
    void *p = realloc(*arr, ncap * size);
    if (!p)
        return GM_ENOMEM;
    *arr = p;
    *cap = ncap;
    return GM_OK;
}

static gm_err parse_key(struct sf_parser *p, const char **key)
{
    size_t start = p->pos;
    int c = peek(p);
    if (!(is_lcalpha(c) || c == '*'))
        return GM_EINVAL;
    while (p->pos < p->len && is_key_char((unsigned char)p->s[p->pos]))
        p->pos++;
    size_t n = p->pos - start;
    char *dst = text_reserve(p->sf, n);
    if (!dst)
        return GM_EINVAL;
    memcpy(dst, p->s + start, n);
    *key = text_commit(p->sf, n);
    return GM_OK;
}

static gm_err parse_number(struct sf_parser *p, struct gm_sf_bare *b)
{
    int neg = 0, dec = 0;
    size_t ndigits = 0, nfrac = 0;
    int64_t ipart = 0, fpart = 0;
    if (peek(p) == '-') {
        neg = 1;
        p->pos++;
    }
    if (!is_digit(peek(p)))
        return GM_EINVAL;
    while (p->pos < p->len) {
        int c = (unsigned char)p->s[p->pos];
        if (is_digit(c)) {
            if (dec) {
                if (++nfrac > 3)
                    return GM_EINVAL;
                fpart = fpart * 10 + (c - '0');
            } else {
                if (++ndigits > 15)
                    return GM_EINVAL;
                ipart = ipart * 10 + (c - '0');
            }
        } else if (!dec && c == '.') {
            if (ndigits > 12)
                return GM_EINVAL;
            dec = 1;
        } else {
            break;
        }
        p->pos++;
    }
    if (dec) {
        if (nfrac == 0)
            return GM_EINVAL;
        for (size_t i = nfrac; i < 3; i++)
            fpart *= 10;
        b->type = GM_SF_DEC;
        b->num = ipart * 1000 + fpart;
    } else {
        b->type = GM_SF_INT;
        b->num = ipart;
    }
    if (neg)
        b->num = -b->num;
    return GM_OK;
}

static gm_err parse_string(struct sf_parser *p, struct gm_sf_bare *b)
{
    p->pos++; /* opening DQUOTE */
    char *dst = text_reserve(p->sf, p->len - p->pos);
    size_t n = 0;
    if (!dst)
        return GM_EINVAL;
    while (p->pos < p->len) {
        int c = (unsigned char)p->s[p->pos++];
        if (c == '\\') {
            if (p->pos >= p->len)
                return GM_EINVAL;
            c = (unsigned char)p->s[p->pos++];
            if (c != '"' && c != '\\')
                return GM_EINVAL;
        } else if (c == '"') {
            b->type = GM_SF_STR;
            b->str = text_commit(p->sf, n);
            b->len = n;
            return GM_OK;
        } else if (c < 0x20 || c > 0x7e) {
            return GM_EINVAL;
        }
        dst[n++] = (char)c;
    }
    return GM_EINVAL; /* no closing DQUOTE */
}

static gm_err parse_token(struct sf_parser *p, struct gm_sf_bare *b)
{
    size_t start = p->pos++;
    while (p->pos < p->len) {
        int c = (unsigned char)p->s[p->pos];
        if (!is_tchar(c) && c != ':' && c != '/')
            break;
        p->pos++;
    }
    size_t n = p->pos - start;
    char *dst = text_reserve(p->sf, n);
    if (!dst)
        return GM_EINVAL;
    memcpy(dst, p->s + start, n);
    b->type = GM_SF_TOKEN;
    b->str = text_commit(p->sf, n);
    b->len = n;
    return GM_OK;
}

static gm_err parse_bytes(struct sf_parser *p, struct gm_sf_bare *b)
{
    size_t start = ++p->pos; /* after the opening ':' */
    while (p->pos < p->len && p->s[p->pos] != ':')
        p->pos++;
    if (p->pos >= p->len)
        return GM_EINVAL;
    size_t n = p->pos - start, outlen = 0;
    p->pos++; /* closing ':' */
    char *dst = text_reserve(p->sf, n);
    if (!dst)
        return GM_EINVAL;
    gm_err err = gm_hs_b64_decode(p->s + start, n, true, (unsigned char *)dst, n, &outlen);
    if (err != GM_OK)
        return err;
    b->type = GM_SF_BYTES;
    b->str = text_commit(p->sf, outlen);
    b->len = outlen;
    return GM_OK;
}

static gm_err parse_bare(struct sf_parser *p, struct gm_sf_bare *b)
{
    int c = peek(p);
    memset(b, 0, sizeof(*b));
    if (c == '-' || is_digit(c))
        return parse_number(p, b);
    if (c == '"')
        return parse_string(p, b);
    if (c == '*' || is_alpha(c))
        return parse_token(p, b);
    if (c == ':')
        return parse_bytes(p, b);
    if (c == '?') {
        p->pos++;
        c = peek(p);
        if (c != '0' && c != '1')
            return GM_EINVAL;
        p->pos++;
        b->type = GM_SF_BOOL;
        b->num = c == '1';
        return GM_OK;
    }
    return GM_EINVAL;
}

/* Parameters after an item or inner list; a repeated key overwrites the earlier value. */
static gm_err parse_params(struct sf_parser *p, size_t *first, size_t *count)
{
    struct gm_sf *sf = p->sf;
    size_t start = sf->nparams;
    gm_err err;
    while (peek(p) == ';') {
        struct gm_sf_param prm;
        p->pos++;
        skip_sp(p);
        if ((err = parse_key(p, &prm.key)) != GM_OK)
            return err;
        memset(&prm.val, 0, sizeof(prm.val));
        prm.val.type = GM_SF_BOOL;
        prm.val.num = 1;
        if (peek(p) == '=') {
            p->pos++;
            if ((err = parse_bare(p, &prm.val)) != GM_OK)
                return err;
        }
        size_t i;
        for (i = start; i < sf->nparams; i++)
            if (strcmp(sf->params[i].key, prm.key) == 0)
                break;
        if (i < sf->nparams) {
            sf->params[i].val = prm.val;
            continue;
        }
        err = grow((void **)&sf->params, &sf->params_cap, sf->nparams, sizeof(prm));
        if (err != GM_OK)
            return err;
        sf->params[sf->nparams++] = prm;
    }
    *first = start;
    *count = sf->nparams - start;
    return GM_OK;
}

static gm_err parse_inner_list(struct sf_parser *p, struct gm_sf_item *it)
{
    struct gm_sf *sf = p->sf;
    gm_err err;
    p->pos++; /* '(' */
    it->bare.type = GM_SF_INNER;
    it->inner = sf->ninner;
    it->ninner = 0;
    for (;;) {
        skip_sp(p);
        int c = peek(p);
        if (c == ')') {
            p->pos++;
            return parse_params(p, &it->params, &it->nparams);
        }
        if (c < 0)
            return GM_EINVAL;
        err = grow((void **)&sf->inner, &sf->inner_cap, sf->ninner, sizeof(*sf->inner));
        if (err != GM_OK)
            return err;
        struct gm_sf_item *in = &sf->inner[sf->ninner];
        memset(in, 0, sizeof(*in));
        if ((err = parse_bare(p, &in->bare)) != GM_OK)
            return err;
        if ((err = parse_params(p, &in->params, &in->nparams)) != GM_OK)
            return err;
        sf->ninner++;
        it->ninner++;
        c = peek(p);
        if (c != ' ' && c != ')')
            return GM_EINVAL;
    }
}

static gm_err parse_item_or_inner(struct sf_parser *p, struct gm_sf_item *it)
{
    gm_err err;
    if (peek(p) == '(')
        return parse_inner_list(p, it);
    if ((err = parse_bare(p, &it->bare)) != GM_OK)
        return err;
    return parse_params(p, &it->params, &it->nparams);
}

/* After a member: end of input, or OWS "," OWS and another member. 1: more, 0: done. */
static gm_err after_member(struct sf_parser *p, int *more)
{
    skip_ows(p);
    if (p->pos >= p->len) {
        *more = 0;
        return GM_OK;
    }
    if (p->s[p->pos] != ',')
        return GM_EINVAL;
    p->pos++;
    skip_ows(p);
    if (p->pos >= p->len)
        return GM_EINVAL; /* trailing comma */
    *more = 1;
    return GM_OK;
}

static gm_err parse_members(struct sf_parser *p, int dict)
{
    struct gm_sf *sf = p->sf;
    gm_err err;
    int more = p->pos < p->len;
    while (more) {
        struct gm_sf_item it;
        memset(&it, 0, sizeof(it));
        if (dict) {
            if ((err = parse_key(p, &it.key)) != GM_OK)
                return err;
            if (peek(p) == '=') {
                p->pos++;
                err = parse_item_or_inner(p, &it);
            } else {
                it.bare.type = GM_SF_BOOL;
                it.bare.num = 1;
                err = parse_params(p, &it.params, &it.nparams);
            }
        } else {
            err = parse_item_or_inner(p, &it);
        }
        if (err != GM_OK)
            return err;
        size_t i = sf->nmembers;
        if (dict)
            for (i = 0; i < sf->nmembers; i++)
                if (strcmp(sf->members[i].key, it.key) == 0)
                    break;
        if (i == sf->nmembers) {
            err = grow((void **)&sf->members, &sf->members_cap, sf->nmembers, sizeof(it));
            if (err != GM_OK)
                return err;
            sf->nmembers++;
        }
        sf->members[i] = it;
        if ((err = after_member(p, &more)) != GM_OK)
            return err;
    }
    return GM_OK;
}

enum sf_kind { SF_DICT, SF_LIST, SF_ITEM };

static gm_err parse_field(const char *s, size_t len, enum sf_kind kind, struct gm_sf **out)
{
    struct sf_parser p = {.s = s, .len = len, .pos = 0, .sf = NULL};
    gm_err err = GM_EINVAL;
    if (!s || len > GM_SF_MAX_INPUT)
        return GM_EINVAL;
    struct gm_sf *sf = calloc(1, sizeof(*sf));
    if (!sf)
        return GM_ENOMEM;
    sf->text_cap = 2 * len + 2;
    sf->text = malloc(sf->text_cap);
    sf->is_dict = kind == SF_DICT;
    p.sf = sf;
    if (!sf->text) {
        err = GM_ENOMEM;
        goto out;
    }
    skip_sp(&p);
    if (kind == SF_ITEM) {
        struct gm_sf_item it;
        memset(&it, 0, sizeof(it));
        if ((err = parse_bare(&p, &it.bare)) != GM_OK ||
            (err = parse_params(&p, &it.params, &it.nparams)) != GM_OK)
            goto out;
        if ((err = grow((void **)&sf->members, &sf->members_cap, 0, sizeof(it))) != GM_OK)
            goto out;
        sf->members[sf->nmembers++] = it;
    } else if ((err = parse_members(&p, kind == SF_DICT)) != GM_OK) {
        goto out;
    }
    skip_sp(&p);
    err = p.pos == p.len ? GM_OK : GM_EINVAL;
out:
    if (err != GM_OK) {
        gm_sf_free(sf);
        return err;
    }
    *out = sf;
    return GM_OK;
}

gm_err gm_sf_parse_dict(const char *s, size_t len, struct gm_sf **out)
{
    return parse_field(s, len, SF_DICT, out);
}

gm_err gm_sf_parse_list(const char *s, size_t len, struct gm_sf **out)
{
    return parse_field(s, len, SF_LIST, out);
}

gm_err gm_sf_parse_item(const char *s, size_t len, struct gm_sf **out)
{
    return parse_field(s, len, SF_ITEM, out);
}

void gm_sf_free(struct gm_sf *sf)
{
    if (!sf)
        return;
    free(sf->members);
    free(sf->inner);
    free(sf->params);
    free(sf->text);
    free(sf);
}

const struct gm_sf_item *gm_sf_dict_get(const struct gm_sf *sf, const char *key)
{
    if (!sf->is_dict)
        return NULL;
    for (size_t i = 0; i < sf->nmembers; i++)
        if (strcmp(sf->members[i].key, key) == 0)
            return &sf->members[i];
    return NULL;
}

const struct gm_sf_bare *gm_sf_param_get(const struct gm_sf *sf, const struct gm_sf_item *it,
                                         const char *key)
{
    for (size_t i = 0; i < it->nparams; i++)
        if (strcmp(sf->params[it->params + i].key, key) == 0)
            return &sf->params[it->params + i].val;
    return NULL;
}

static void put_decimal(int64_t num, struct gm_hs_buf *out)
{
    uint64_t a = num < 0 ? (uint64_t)0 - (uint64_t)num : (uint64_t)num;
    char frac[4];
    if (num < 0)
        gm_hs_buf_char(out, '-');
    gm_hs_buf_int(out, (int64_t)(a / 1000));
    gm_hs_buf_char(out, '.');
    unsigned f = (unsigned)(a % 1000);
    frac[0] = (char)('0' + f / 100);
    frac[1] = (char)('0' + f / 10 % 10);
    frac[2] = (char)('0' + f % 10);
    size_t n = 3;
    while (n > 1 && frac[n - 1] == '0')
        n--;
    gm_hs_buf_add(out, frac, n);
}

void gm_sf_put_bare(const struct gm_sf_bare *b, struct gm_hs_buf *out)
{
    switch (b->type) {
    case GM_SF_INT: gm_hs_buf_int(out, b->num); return;
    case GM_SF_DEC: put_decimal(b->num, out); return;
    case GM_SF_STR:
        gm_hs_buf_char(out, '"');
        for (size_t i = 0; i < b->len; i++) {
            unsigned char c = (unsigned char)b->str[i];
            if (c < 0x20 || c > 0x7e) {
                if (out->err == GM_OK)
                    out->err = GM_EINVAL;
                return;
            }
            if (c == '"' || c == '\\')
                gm_hs_buf_char(out, '\\');
            gm_hs_buf_char(out, (char)c);
        }
        gm_hs_buf_char(out, '"');
        return;
    case GM_SF_TOKEN: gm_hs_buf_add(out, b->str, b->len); return;
    case GM_SF_BYTES:
        gm_hs_buf_char(out, ':');
        gm_hs_b64_encode((const unsigned char *)b->str, b->len, out);
        gm_hs_buf_char(out, ':');
        return;
    case GM_SF_BOOL: gm_hs_buf_str(out, b->num ? "?1" : "?0"); return;
    case GM_SF_INNER: break;
    }
    if (out->err == GM_OK)
        out->err = GM_EINVAL;
}

void gm_sf_put_params(const struct gm_sf *sf, const struct gm_sf_item *it, struct gm_hs_buf *out)
{
    for (size_t i = 0; i < it->nparams; i++) {
        const struct gm_sf_param *prm = &sf->params[it->params + i];
        gm_hs_buf_char(out, ';');
        gm_hs_buf_str(out, prm->key);
        if (prm->val.type == GM_SF_BOOL && prm->val.num == 1)
            continue;
        gm_hs_buf_char(out, '=');
        gm_sf_put_bare(&prm->val, out);
    }
}

void gm_sf_put_member(const struct gm_sf *sf, const struct gm_sf_item *it, struct gm_hs_buf *out)
{
    if (it->bare.type == GM_SF_INNER) {
        gm_hs_buf_char(out, '(');
        for (size_t i = 0; i < it->ninner; i++) {
            const struct gm_sf_item *in = &sf->inner[it->inner + i];
            if (i > 0)
                gm_hs_buf_char(out, ' ');
            gm_sf_put_bare(&in->bare, out);
            gm_sf_put_params(sf, in, out);
        }
        gm_hs_buf_char(out, ')');
    } else {
        gm_sf_put_bare(&it->bare, out);
    }
    gm_sf_put_params(sf, it, out);
}

void gm_sf_put_field(const struct gm_sf *sf, struct gm_hs_buf *out)
{
    for (size_t i = 0; i < sf->nmembers; i++) {
        const struct gm_sf_item *it = &sf->members[i];
        if (i > 0)
            gm_hs_buf_str(out, ", ");
        if (sf->is_dict) {
            gm_hs_buf_str(out, it->key);
            if (it->bare.type == GM_SF_BOOL && it->bare.num == 1) {
                gm_sf_put_params(sf, it, out);
                continue;
            }
            gm_hs_buf_char(out, '=');
        }
        gm_sf_put_member(sf, it, out);
    }
}
