/* SPDX-License-Identifier: Apache-2.0
 * http_fixture.h - read the `.http` fixture files (one HTTP message as text, LF line endings,
 * header section ended by an empty line, body = every byte after it) into a message view for
 * gm_httpsig_* and gm_digest_*. Header-only for the unit tests: a request line, a status line
 * or none (a header fragment); field lines kept per line (trimmed, obs-fold continuation kept
 * raw for the library to unfold) and joined with ", " per name; chunked bodies with trailers.
 * Tests can override or remove a header to tamper with a message. */
#ifndef GEMEINDE_TEST_HTTP_FIXTURE_H
#define GEMEINDE_TEST_HTTP_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gemeinde/httpsig.h"

#define HF_MAX_FIELDS 64
#define HF_MAX_OVERRIDES 4

struct hf_field {
    char *name;  /* lower case */
    char *value; /* trimmed; an obs-fold stays as "\n" + the continuation line */
};

struct http_fixture {
    char *method, *target; /* NULL for a response or a header fragment */
    int status;            /* 0 for a request */
    struct hf_field lines[HF_MAX_FIELDS], joined[HF_MAX_FIELDS], trailers[HF_MAX_FIELDS];
    size_t nlines, njoined, ntrailers;
    unsigned char *body;
    size_t body_len;
    /* tampering: name -> value (NULL value: header absent) */
    const char *ov_name[HF_MAX_OVERRIDES], *ov_value[HF_MAX_OVERRIDES];
    size_t nov;
};

/* The whole file as a NUL-terminated string (yours to free), or NULL. */
static inline char *hf_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long n;
    if (!f)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (buf = malloc((size_t)n + 1)) != NULL) {
        if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
            free(buf);
            buf = NULL;
        } else {
            buf[n] = '\0';
            if (len)
                *len = (size_t)n;
        }
    }
    fclose(f);
    return buf;
}

static inline char *hf_strndup(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

/* Next line of text[*pos..len) without its LF / CRLF; 0 at the end of the text. */
static inline int hf_next_line(const char *text, size_t len, size_t *pos, const char **line,
                               size_t *n)
{
    if (*pos >= len)
        return 0;
    const char *start = text + *pos, *nl = memchr(start, '\n', len - *pos);
    size_t k = nl ? (size_t)(nl - start) : len - *pos;
    *pos += nl ? k + 1 : k;
    if (k > 0 && start[k - 1] == '\r')
        k--;
    *line = start;
    *n = k;
    return 1;
}

static inline void hf_trim(const char **s, size_t *n)
{
    while (*n > 0 && (**s == ' ' || **s == '\t')) {
        (*s)++;
        (*n)--;
    }
    while (*n > 0 && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t'))
        (*n)--;
}

/* Add "Name: value" (or a continuation line) to `set`. 0 on success. */
static inline int hf_add_field(struct hf_field *set, size_t *count, const char *line, size_t n)
{
    if (n > 0 && (line[0] == ' ' || line[0] == '\t')) { /* obs-fold continuation */
        if (*count == 0)
            return -1;
        char *prev = set[*count - 1].value;
        size_t plen = strlen(prev);
        char *joined = malloc(plen + n + 2);
        if (!joined)
            return -1;
        memcpy(joined, prev, plen);
        joined[plen] = '\n';
        memcpy(joined + plen + 1, line, n);
        joined[plen + 1 + n] = '\0';
        free(prev);
        set[*count - 1].value = joined;
        return 0;
    }
    const char *colon = memchr(line, ':', n);
    if (!colon || colon == line || *count >= HF_MAX_FIELDS)
        return -1;
    size_t nlen = (size_t)(colon - line);
    const char *v = colon + 1;
    size_t vlen = n - nlen - 1;
    hf_trim(&v, &vlen);
    char *name = hf_strndup(line, nlen);
    if (!name)
        return -1;
    for (char *c = name; *c; c++)
        if (*c >= 'A' && *c <= 'Z')
            *c = (char)(*c + 32);
    set[*count].name = name;
    set[*count].value = hf_strndup(v, vlen);
    (*count)++;
    return set[*count - 1].value ? 0 : -1;
}

static inline void hf_join(struct http_fixture *f)
{
    for (size_t i = 0; i < f->nlines; i++) {
        size_t j;
        for (j = 0; j < f->njoined; j++)
            if (strcmp(f->joined[j].name, f->lines[i].name) == 0)
                break;
        if (j == f->njoined) {
            f->joined[j].name = hf_strndup(f->lines[i].name, strlen(f->lines[i].name));
            f->joined[j].value = hf_strndup(f->lines[i].value, strlen(f->lines[i].value));
            f->njoined++;
            continue;
        }
        size_t a = strlen(f->joined[j].value), b = strlen(f->lines[i].value);
        char *v = malloc(a + b + 3);
        memcpy(v, f->joined[j].value, a);
        memcpy(v + a, ", ", 2);
        memcpy(v + a + 2, f->lines[i].value, b + 1);
        free(f->joined[j].value);
        f->joined[j].value = v;
    }
}

static inline const char *hf_find(const struct hf_field *set, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(set[i].name, name) == 0)
            return set[i].value;
    return NULL;
}

/* Chunked body: hex size lines and data, then trailer fields. 0 on success. */
static inline int hf_dechunk(struct http_fixture *f, const char *text, size_t len, size_t pos)
{
    const char *line;
    size_t n;
    unsigned char *body = malloc(len + 1);
    size_t blen = 0;
    if (!body)
        return -1;
    while (hf_next_line(text, len, &pos, &line, &n)) {
        char hex[17];
        if (n == 0 || n >= sizeof(hex))
            goto fail;
        memcpy(hex, line, n);
        hex[n] = '\0';
        size_t size = (size_t)strtoul(hex, NULL, 16);
        if (size == 0)
            break;
        if (pos + size > len)
            goto fail;
        memcpy(body + blen, text + pos, size);
        blen += size;
        pos += size;
        if (pos < len && text[pos] == '\r')
            pos++;
        if (pos < len && text[pos] == '\n')
            pos++;
    }
    while (hf_next_line(text, len, &pos, &line, &n) && n > 0)
        if (hf_add_field(f->trailers, &f->ntrailers, line, n) != 0)
            goto fail;
    f->body = body;
    f->body_len = blen;
    return 0;
fail:
    free(body);
    return -1;
}

static inline void hf_free(struct http_fixture *f)
{
    free(f->method);
    free(f->target);
    for (size_t i = 0; i < f->nlines; i++) {
        free(f->lines[i].name);
        free(f->lines[i].value);
    }
    for (size_t i = 0; i < f->njoined; i++) {
        free(f->joined[i].name);
        free(f->joined[i].value);
    }
    for (size_t i = 0; i < f->ntrailers; i++) {
        free(f->trailers[i].name);
        free(f->trailers[i].value);
    }
    free(f->body);
    memset(f, 0, sizeof(*f));
}

/* The start line: "METHOD target HTTP/1.1", "HTTP/1.1 200 OK", or a field (fragment). */
static inline int hf_start_line(struct http_fixture *f, const char *line, size_t n)
{
    const char *sp1 = memchr(line, ' ', n);
    if (n > 5 && memcmp(line, "HTTP/", 5) == 0 && sp1) {
        f->status = atoi(sp1 + 1);
        return 0;
    }
    const char *sp2 = sp1 ? memchr(sp1 + 1, ' ', n - (size_t)(sp1 + 1 - line)) : NULL;
    if (sp1 && sp2 && (size_t)(line + n - sp2) > 5 && memcmp(sp2 + 1, "HTTP/", 5) == 0) {
        f->method = hf_strndup(line, (size_t)(sp1 - line));
        f->target = hf_strndup(sp1 + 1, (size_t)(sp2 - sp1 - 1));
        return f->method && f->target ? 0 : -1;
    }
    return hf_add_field(f->lines, &f->nlines, line, n);
}

/* Parse `len` bytes of message text. 0 on success (free with hf_free either way). */
static inline int hf_parse(struct http_fixture *f, const char *text, size_t len)
{
    static const char fragment[] = "(header fragment) ";
    const char *line;
    size_t n, pos = 0;
    memset(f, 0, sizeof(*f));
    if (len >= sizeof(fragment) - 1 && memcmp(text, fragment, sizeof(fragment) - 1) == 0)
        pos = sizeof(fragment) - 1;
    if (!hf_next_line(text, len, &pos, &line, &n) || hf_start_line(f, line, n) != 0)
        return -1;
    while (hf_next_line(text, len, &pos, &line, &n) && n > 0)
        if (hf_add_field(f->lines, &f->nlines, line, n) != 0)
            return -1;
    hf_join(f);
    const char *te = hf_find(f->joined, f->njoined, "transfer-encoding");
    if (te && strcmp(te, "chunked") == 0)
        return hf_dechunk(f, text, len, pos);
    f->body_len = len - pos;
    f->body = malloc(f->body_len + 1);
    if (!f->body)
        return -1;
    memcpy(f->body, text + pos, f->body_len);
    return 0;
}

static inline int hf_load(struct http_fixture *f, const char *path)
{
    size_t len = 0;
    char *text = hf_read_file(path, &len);
    if (!text) {
        memset(f, 0, sizeof(*f));
        return -1;
    }
    int rc = hf_parse(f, text, len);
    free(text);
    return rc;
}

static inline const char *hf_get_header(void *ctx, const char *name)
{
    struct http_fixture *f = ctx;
    for (size_t i = 0; i < f->nov; i++)
        if (strcmp(f->ov_name[i], name) == 0)
            return f->ov_value[i];
    return hf_find(f->joined, f->njoined, name);
}

static inline const char *hf_get_header_line(void *ctx, const char *name, size_t index)
{
    struct http_fixture *f = ctx;
    for (size_t i = 0; i < f->nlines; i++)
        if (strcmp(f->lines[i].name, name) == 0 && index-- == 0)
            return f->lines[i].value;
    return NULL;
}

static inline const char *hf_get_trailer(void *ctx, const char *name)
{
    struct http_fixture *f = ctx;
    return hf_find(f->trailers, f->ntrailers, name);
}

/* Replace (or with value NULL, remove) a header for tampering; the strings are borrowed. */
static inline void hf_override(struct http_fixture *f, const char *name, const char *value)
{
    for (size_t i = 0; i < f->nov; i++)
        if (strcmp(f->ov_name[i], name) == 0) {
            f->ov_value[i] = value;
            return;
        }
    if (f->nov < HF_MAX_OVERRIDES) {
        f->ov_name[f->nov] = name;
        f->ov_value[f->nov++] = value;
    }
}

/* A message view over `f` received with `scheme` ("https"). */
static inline struct gm_httpsig_msg hf_view(struct http_fixture *f, const char *scheme)
{
    struct gm_httpsig_msg m;
    memset(&m, 0, sizeof(m));
    m.method = f->method;
    m.target = f->target;
    m.scheme = scheme;
    m.status = f->status;
    m.get_header = hf_get_header;
    m.get_header_line = hf_get_header_line;
    m.get_trailer = hf_get_trailer;
    m.ctx = f;
    return m;
}

#endif
