/* SPDX-License-Identifier: Apache-2.0
 * httpsig_int.h - internals shared by the HTTP signature files (httpsig*.c) and digest.c: a
 * capped string builder, strict base64, header value canonicalisation, the algorithms and the
 * parsed-signature struct behind the opaque `struct gm_httpsig`. Not part of the public API:
 * nothing outside federation/ (except the fuzz targets) includes this header. */
#ifndef GEMEINDE_HTTPSIG_INT_H
#define GEMEINDE_HTTPSIG_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/types.h>

#include "gemeinde/err.h"
#include "gemeinde/httpsig.h"

/* Largest signature base / signing string we build. */
#define GM_HS_MAX_BASE (64 * 1024)
/* Largest decoded signature: an 8192-bit RSA signature. */
#define GM_HS_MAX_SIG 1024

/* A growable string with a hard cap. The first failure sticks in `err` and later appends do
 * nothing, so a builder checks once at the end. */
struct gm_hs_buf {
    char *p;
    size_t len, cap, max;
    gm_err err;
};

void gm_hs_buf_init(struct gm_hs_buf *b, size_t max);
void gm_hs_buf_add(struct gm_hs_buf *b, const void *data, size_t n);
void gm_hs_buf_str(struct gm_hs_buf *b, const char *s);
void gm_hs_buf_char(struct gm_hs_buf *b, char c);
void gm_hs_buf_int(struct gm_hs_buf *b, int64_t v);
/* GM_OK: *out is the NUL-terminated contents (yours to free), *len its length (may be NULL).
 * Otherwise the first error; the buffer is freed either way. */
gm_err gm_hs_buf_take(struct gm_hs_buf *b, char **out, size_t *len);
void gm_hs_buf_free(struct gm_hs_buf *b);

/* Standard base64 with padding. */
void gm_hs_b64_encode(const unsigned char *in, size_t n, struct gm_hs_buf *out);
/* Strict standard base64 (no whitespace, padding optional only if `pad_optional`). GM_OK:
 * out[0..*outlen) holds the bytes. GM_EINVAL: not base64 or longer than `outcap`. */
gm_err gm_hs_b64_decode(const char *in, size_t n, bool pad_optional, unsigned char *out,
                        size_t outcap, size_t *outlen);

/* Field value as it goes into a base: leading and trailing SP/HTAB removed, each obs-fold
 * (CR? LF followed by SP/HTAB) replaced by one SP. GM_EINVAL: value longer than
 * GM_HTTPSIG_MAX_HEADER or holding another control character (CR, LF, NUL cannot appear). */
gm_err gm_hs_canon_value(const char *v, struct gm_hs_buf *out);

/* Header value of `name` (lower case) through the message's callback, or NULL. */
const char *gm_hs_header(const struct gm_httpsig_msg *m, const char *name);

/* ASCII case-insensitive equality of a NUL-terminated string and a counted one. */
bool gm_hs_ieq(const char *a, const char *b, size_t blen);

/* Signature algorithms, by what the crypto does. */
enum gm_hs_alg {
    GM_HS_ALG_NONE = 0,
    GM_HS_RSA_V15_SHA256,
    GM_HS_RSA_V15_SHA512,
    GM_HS_RSA_PSS_SHA512,     /* RFC 9421: salt length 64 */
    GM_HS_RSA_PSS_SHA512_ANY, /* hs2019 fallback: any salt length */
    GM_HS_ECDSA_P256_SHA256,  /* raw r||s, 64 bytes */
    GM_HS_ED25519,
    GM_HS_HMAC_SHA256
};

/* RFC 9421 name -> alg; GM_HS_ALG_NONE when unknown. */
enum gm_hs_alg gm_hs_alg_from_name(const char *name, size_t len);
const char *gm_hs_alg_name(enum gm_hs_alg alg);
/* The RFC 9421 default for a key: RSA -> v1.5 SHA-256, RSA-PSS -> PSS SHA-512, P-256, Ed25519,
 * HMAC. GM_HS_ALG_NONE for other keys. */
enum gm_hs_alg gm_hs_alg_for_key(EVP_PKEY *key);
/* GM_OK valid; GM_EAUTH bad signature or a key that does not fit `alg`; GM_EINTERNAL. */
gm_err gm_hs_verify(enum gm_hs_alg alg, EVP_PKEY *key, const char *data, size_t len,
                    const unsigned char *sig, size_t siglen);
/* GM_OK: sig[0..*siglen) holds the signature (sig has GM_HS_MAX_SIG bytes). GM_EINVAL: the key
 * does not fit `alg` or is not private. */
gm_err gm_hs_sign(enum gm_hs_alg alg, EVP_PKEY *key, const char *data, size_t len,
                  unsigned char *sig, size_t *siglen);

/* The parsed signature. Everything is owned by the struct. */
struct gm_httpsig {
    enum gm_httpsig_scheme scheme;
    char *label; /* RFC 9421 label, NULL for cavage */
    char *key_id;
    char *algorithm; /* declared algorithm, or NULL */
    char *nonce, *tag;
    int64_t created, expires;
    bool has_created, has_expires;
    char **components; /* cavage: header names; RFC 9421: serialized identifiers */
    size_t ncomponents;
    char *base;
    size_t base_len;
    unsigned char sig[GM_HS_MAX_SIG];
    size_t sig_len;
};

struct gm_httpsig *gm_hs_new(enum gm_httpsig_scheme scheme);
/* Append a copy of `name` to the covered components. GM_EINVAL over the cap. */
gm_err gm_hs_add_component(struct gm_httpsig *sig, const char *name, size_t len);
char *gm_hs_strndup(const char *s, size_t n);

/* RFC 9421: append the base line of one covered component, `identifier: value`, for the
 * inner-list item `item` of `sf` (httpsig_components.c). GM_EINVAL: malformed identifier,
 * unknown parameter, or the component is missing from msg. */
struct gm_sf;
struct gm_sf_item;
gm_err gm_hs_component_line(const struct gm_httpsig_msg *msg, const struct gm_sf *sf,
                            const struct gm_sf_item *item, struct gm_hs_buf *out);

gm_err gm_hs_cavage_verify(const struct gm_httpsig *sig, EVP_PKEY *key);
gm_err gm_hs_rfc9421_verify(const struct gm_httpsig *sig, EVP_PKEY *key, const char *alg);

#endif
