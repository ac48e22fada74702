/* SPDX-License-Identifier: Apache-2.0
 * httpsig_sf.h - Structured Field Values (RFC 8941) parsing and serialisation, the subset that
 * HTTP signatures and digests need: dictionaries, lists, items, inner lists, parameters, and
 * the bare types integer, decimal, string, token, byte sequence and boolean. The parser is
 * iterative (inner lists cannot nest) and works on at most GM_SF_MAX_INPUT bytes. Internal to
 * federation/. */
#ifndef GEMEINDE_HTTPSIG_SF_H
#define GEMEINDE_HTTPSIG_SF_H

#include <stddef.h>
#include <stdint.h>

#include "gemeinde/err.h"
#include "httpsig_int.h"

#define GM_SF_MAX_INPUT 16384
#define GM_SF_MAX_NODES 1024 /* members, inner-list items and parameters, each */

enum gm_sf_type {
    GM_SF_INT = 1,
    GM_SF_DEC,   /* num holds thousandths */
    GM_SF_STR,   /* str/len: the unescaped string */
    GM_SF_TOKEN, /* str/len */
    GM_SF_BYTES, /* str/len: the decoded bytes */
    GM_SF_BOOL,  /* num is 0 or 1 */
    GM_SF_INNER  /* an inner list: see gm_sf_item.inner */
};

struct gm_sf_bare {
    enum gm_sf_type type;
    int64_t num;
    const char *str; /* NUL-terminated copy inside the parse result */
    size_t len;
};

struct gm_sf_param {
    const char *key;
    struct gm_sf_bare val;
};

/* A list or dictionary member, or an item of an inner list. */
struct gm_sf_item {
    const char *key;        /* dictionary member key; NULL otherwise */
    struct gm_sf_bare bare; /* type GM_SF_INNER for an inner list */
    size_t inner, ninner;   /* inner list: indexes into gm_sf.inner */
    size_t params, nparams; /* indexes into gm_sf.params */
};

/* A parsed field. Strings point into `text`; everything is freed by gm_sf_free. */
struct gm_sf {
    struct gm_sf_item *members;
    size_t nmembers, members_cap;
    struct gm_sf_item *inner;
    size_t ninner, inner_cap;
    struct gm_sf_param *params;
    size_t nparams, params_cap;
    char *text;
    size_t text_len, text_cap;
    int is_dict;
};

/* Parse `len` bytes as a dictionary, a list, or one item (a one-member list).
 * GM_OK: *out is yours (gm_sf_free). GM_EINVAL: not valid or over a cap. GM_ENOMEM. */
gm_err gm_sf_parse_dict(const char *s, size_t len, struct gm_sf **out);
gm_err gm_sf_parse_list(const char *s, size_t len, struct gm_sf **out);
gm_err gm_sf_parse_item(const char *s, size_t len, struct gm_sf **out);
void gm_sf_free(struct gm_sf *sf);

/* The dictionary member `key`, borrowed from `sf`, or NULL. */
const struct gm_sf_item *gm_sf_dict_get(const struct gm_sf *sf, const char *key);
/* The parameter `key` of `it`, borrowed, or NULL. */
const struct gm_sf_bare *gm_sf_param_get(const struct gm_sf *sf, const struct gm_sf_item *it,
                                         const char *key);

/* Serialise (RFC 8941 section 4.1) into `out`: a bare item, an item or inner list with its
 * parameters, or the whole field. Errors stick in out->err. */
void gm_sf_put_bare(const struct gm_sf_bare *b, struct gm_hs_buf *out);
void gm_sf_put_params(const struct gm_sf *sf, const struct gm_sf_item *it, struct gm_hs_buf *out);
void gm_sf_put_member(const struct gm_sf *sf, const struct gm_sf_item *it, struct gm_hs_buf *out);
void gm_sf_put_field(const struct gm_sf *sf, struct gm_hs_buf *out);

/* True if s[0..len) is a valid key (lcalpha / "*" first, then lcalpha DIGIT _ - . *). */
int gm_sf_is_key(const char *s, size_t len);

#endif
