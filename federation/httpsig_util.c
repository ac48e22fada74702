/* SPDX-License-Identifier: Apache-2.0
 * httpsig_util.c - small helpers under the HTTP signature and digest code: a string builder
 * with a hard cap and a sticky error, strict base64 both ways, and the canonical form of a
 * header value as it enters a signing string (trimmed, obs-fold unfolded, no controls). */
#include "httpsig_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void gm_hs_buf_init(struct gm_hs_buf *b, size_t max)
{
    b->p = NULL;
    b->len = b->cap = 0;
    b->max = max;
    b->err = GM_OK;
}

void gm_hs_buf_add(struct gm_hs_buf *b, const void *data, size_t n)
{
    if (b->err != GM_OK || n == 0)
        return;
    if (n > b->max || b->len > b->max - n) {
        b->err = GM_ETOOBIG;
        return;
    }
    if (b->len + n + 1 > b->cap) {
        size_t ncap = b->cap ? b->cap : 64;
        while (ncap < b->len + n + 1)
            ncap *= 2;
        if (ncap > b->max + 1)
            ncap = b->max + 1;
        char *p = realloc(b->p, ncap);
        if (!p) {
            b->err = GM_ENOMEM;
            return;
        }
        b->p = p;
        b->cap = ncap;
    }
    memcpy(b->p + b->len, data, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void gm_hs_buf_str(struct gm_hs_buf *b, const char *s)
{
    gm_hs_buf_add(b, s, strlen(s));
}

void gm_hs_buf_char(struct gm_hs_buf *b, char c)
{
    gm_hs_buf_add(b, &c, 1);
}

void gm_hs_buf_int(struct gm_hs_buf *b, int64_t v)
{
    char tmp[24];
    int n = snprintf(tmp, sizeof(tmp), "%lld", (long long)v);
    if (n > 0)
        gm_hs_buf_add(b, tmp, (size_t)n);
}

gm_err gm_hs_buf_take(struct gm_hs_buf *b, char **out, size_t *len)
{
    if (b->err != GM_OK) {
        gm_err err = b->err;
        gm_hs_buf_free(b);
        return err;
    }
    if (!b->p) {
        b->p = malloc(1);
        if (!b->p)
            return GM_ENOMEM;
        b->p[0] = '\0';
    }
    *out = b->p;
    if (len)
        *len = b->len;
    b->p = NULL;
    b->len = b->cap = 0;
    return GM_OK;
}

void gm_hs_buf_free(struct gm_hs_buf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void gm_hs_b64_encode(const unsigned char *in, size_t n, struct gm_hs_buf *out)
{
    char quad[4];
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)in[i] << 16;
        if (i + 1 < n)
            v |= (unsigned)in[i + 1] << 8;
        if (i + 2 < n)
            v |= in[i + 2];
        quad[0] = b64_alphabet[(v >> 18) & 63];
        quad[1] = b64_alphabet[(v >> 12) & 63];
        quad[2] = i + 1 < n ? b64_alphabet[(v >> 6) & 63] : '=';
        quad[3] = i + 2 < n ? b64_alphabet[v & 63] : '=';
        gm_hs_buf_add(out, quad, 4);
    }
}

static int b64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

gm_err gm_hs_b64_decode(const char *in, size_t n, bool pad_optional, unsigned char *out,
                        size_t outcap, size_t *outlen)
{
    size_t pad = 0, o = 0;
    unsigned acc = 0;
    int bits = 0;
    while (pad < 2 && n > 0 && in[n - 1] == '=') {
        n--;
        pad++;
    }
    if (n % 4 == 1)
        return GM_EINVAL;
    if (pad > 0 && (n + pad) % 4 != 0)
        return GM_EINVAL;
    if (pad == 0 && n % 4 != 0 && !pad_optional)
        return GM_EINVAL;
    for (size_t i = 0; i < n; i++) {
        int v = b64_value((unsigned char)in[i]);
        if (v < 0)
            return GM_EINVAL;
        acc = (acc << 6) | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (o >= outcap)
                return GM_EINVAL;
            out[o++] = (unsigned char)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    if (acc != 0) /* non-zero leftover bits: not the canonical encoding */
        return GM_EINVAL;
    *outlen = o;
    return GM_OK;
}

gm_err gm_hs_canon_value(const char *v, struct gm_hs_buf *out)
{
    size_t n = strlen(v);
    if (n > GM_HTTPSIG_MAX_HEADER)
        return GM_EINVAL;
    size_t start = 0, end = n;
    while (start < end &&
           (v[start] == ' ' || v[start] == '\t' || v[start] == '\r' || v[start] == '\n'))
        start++;
    while (end > start &&
           (v[end - 1] == ' ' || v[end - 1] == '\t' || v[end - 1] == '\r' || v[end - 1] == '\n'))
        end--;
    for (size_t i = start; i < end; i++) {
        unsigned char c = (unsigned char)v[i];
        if (c == '\r' || c == '\n') {
            /* obs-fold: [CR] LF 1*(SP / HTAB) -> one SP */
            if (c == '\r' && i + 1 < end && v[i + 1] == '\n')
                i++;
            if (v[i] != '\n' || i + 1 >= end || (v[i + 1] != ' ' && v[i + 1] != '\t'))
                return GM_EINVAL;
            while (i + 1 < end && (v[i + 1] == ' ' || v[i + 1] == '\t'))
                i++;
            gm_hs_buf_char(out, ' ');
            continue;
        }
        if ((c < 0x20 && c != '\t') || c == 0x7f)
            return GM_EINVAL;
        gm_hs_buf_char(out, (char)c);
    }
    return out->err;
}

const char *gm_hs_header(const struct gm_httpsig_msg *m, const char *name)
{
    if (!m || !m->get_header)
        return NULL;
    return m->get_header(m->ctx, name);
}

bool gm_hs_ieq(const char *a, const char *b, size_t blen)
{
    size_t i;
    for (i = 0; i < blen; i++) {
        unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];
        if (x == '\0')
            return false;
        if (x >= 'A' && x <= 'Z')
            x = (unsigned char)(x + 32);
        if (y >= 'A' && y <= 'Z')
            y = (unsigned char)(y + 32);
        if (x != y)
            return false;
    }
    return a[i] == '\0';
}

char *gm_hs_strndup(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    if (!p)
        return NULL;
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}
