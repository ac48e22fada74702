/* SPDX-License-Identifier: Apache-2.0
 * buf.h - a growable byte buffer with a hard cap, for building pages and documents.
 * After any failed append the buffer is marked failed and further appends do nothing, so a
 * builder checks once at the end (gm_buf_take). */
#ifndef GEMEINDE_BUF_H
#define GEMEINDE_BUF_H

#include <stdbool.h>
#include <stddef.h>

#include "gemeinde/err.h"

struct gm_buf {
    char *data;
    size_t len, cap, max;
    gm_err err; /* first failure, GM_OK while none */
};

/* An empty buffer that may grow to `max` bytes. */
void gm_buf_init(struct gm_buf *b, size_t max);
void gm_buf_free(struct gm_buf *b);
void gm_buf_append(struct gm_buf *b, const char *s, size_t n);
void gm_buf_puts(struct gm_buf *b, const char *s);
void gm_buf_printf(struct gm_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Append `s` with & < > " ' escaped for HTML text and attribute values. */
void gm_buf_put_html(struct gm_buf *b, const char *s);
/* GM_OK: *out is the NUL-terminated contents (yours to free), *len its length; the buffer is
 * reset. Otherwise the first error, and the buffer is freed. */
gm_err gm_buf_take(struct gm_buf *b, char **out, size_t *len);

/* A new string: `s` escaped for HTML (NULL on allocation failure). */
char *gm_html_escape(const char *s);

#endif
