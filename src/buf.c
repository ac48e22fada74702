/* SPDX-License-Identifier: Apache-2.0
 * buf.c - capped growable buffer and HTML escaping. */
#include "gemeinde/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void gm_buf_init(struct gm_buf *b, size_t max)
{
    memset(b, 0, sizeof *b);
    b->max = max;
}

void gm_buf_free(struct gm_buf *b)
{
    free(b->data);
    memset(b, 0, sizeof *b);
}

static bool reserve(struct gm_buf *b, size_t extra)
{
    if (b->err)
        return false;
    if (extra > b->max - b->len || b->len + extra + 1 > b->max + 1) {
        b->err = GM_ETOOBIG;
        return false;
    }
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap *= 2;
    char *grown = realloc(b->data, cap);
    if (!grown) {
        b->err = GM_ENOMEM;
        return false;
    }
    b->data = grown;
    b->cap = cap;
    return true;
}

void gm_buf_append(struct gm_buf *b, const char *s, size_t n)
{
    if (!reserve(b, n))
        return;
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void gm_buf_puts(struct gm_buf *b, const char *s) { gm_buf_append(b, s, strlen(s)); }

void gm_buf_printf(struct gm_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->err = b->err ? b->err : GM_EINTERNAL;
        return;
    }
    if (!reserve(b, (size_t)n))
        return;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void gm_buf_put_html(struct gm_buf *b, const char *s)
{
    const char *run = s;
    for (const char *p = s; *p; p++) {
        const char *rep = NULL;
        switch (*p) {
        case '&': rep = "&amp;"; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '"': rep = "&quot;"; break;
        case '\'': rep = "&#39;"; break;
        default: continue;
        }
        gm_buf_append(b, run, (size_t)(p - run));
        gm_buf_puts(b, rep);
        run = p + 1;
    }
    gm_buf_puts(b, run);
}

gm_err gm_buf_take(struct gm_buf *b, char **out, size_t *len)
{
    if (!b->err && !b->data && reserve(b, 0))
        b->data[0] = '\0';
    if (b->err) {
        gm_err e = b->err;
        gm_buf_free(b);
        return e;
    }
    *out = b->data;
    if (len)
        *len = b->len;
    b->data = NULL;
    gm_buf_free(b);
    return GM_OK;
}

char *gm_html_escape(const char *s)
{
    struct gm_buf b;
    char *out;
    gm_buf_init(&b, 6 * strlen(s) + 1);
    gm_buf_put_html(&b, s);
    return gm_buf_take(&b, &out, NULL) == GM_OK ? out : NULL;
}
