/* SPDX-License-Identifier: Apache-2.0
 * httpsig.h - HTTP request signatures, both kinds the fediverse meets: draft-cavage-http-
 * signatures-12 (`Signature: keyId=...,headers=...,signature=...`, what Mastodon sends) and
 * RFC 9421 HTTP Message Signatures (`Signature-Input` + `Signature`). Parse a signature from a
 * message view, look at what it covers, verify it with the signer's key, and sign outgoing
 * requests. Keys are OpenSSL EVP_PKEYs; private keys never leave this module and storage/.
 *
 * Every function takes hostile input: header values over GM_HTTPSIG_MAX_HEADER bytes and
 * signatures covering more than GM_HTTPSIG_MAX_COMPONENTS components are refused with
 * GM_EINVAL, nothing recurses, and no input makes them crash. */
#ifndef GEMEINDE_HTTPSIG_H
#define GEMEINDE_HTTPSIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/types.h>

#include "gemeinde/err.h"

#define GM_HTTPSIG_MAX_HEADER 8192
#define GM_HTTPSIG_MAX_COMPONENTS 32
#define GM_HTTPSIG_MAX_PEM 16384

/* A view of one HTTP message that the caller fills; nothing in it is copied or freed here, and
 * it must stay valid during the call it is passed to. */
struct gm_httpsig_msg {
    const char *method;    /* request method as sent ("POST"); NULL for a response */
    const char *target;    /* request-target as sent: path + query ("/inbox?a=b"), or the
                              absolute form; NULL for a response */
    const char *authority; /* host[:port] the request was sent to; NULL: the "host" header */
    const char *scheme;    /* "https" or "http"; NULL: "https" */
    int status;            /* response status code; 0 for a request */
    /* Value of the header `lowercase_name`, or NULL when absent. Repeated fields are joined
     * with ", " by the caller, each field line's value trimmed of surrounding whitespace. The
     * string must stay valid until the next call on the same view returns. Required. */
    const char *(*get_header)(void *ctx, const char *lowercase_name);
    /* Optional: the value of the index'th field line of that name (0-based), or NULL past the
     * last. Needed only for RFC 9421 ";bs" components. */
    const char *(*get_header_line)(void *ctx, const char *lowercase_name, size_t index);
    /* Optional: a trailer field, for RFC 9421 ";tr" components. */
    const char *(*get_trailer)(void *ctx, const char *lowercase_name);
    void *ctx;
    /* For a response: the request it answers, for RFC 9421 ";req" components; else NULL. */
    const struct gm_httpsig_msg *request;
};

enum gm_httpsig_scheme {
    GM_HTTPSIG_CAVAGE = 1, /* draft-cavage-http-signatures-12 */
    GM_HTTPSIG_RFC9421 = 2 /* RFC 9421 */
};

/* A parsed signature with its base string. Opaque; read it with the accessors below. */
struct gm_httpsig;

/* Parse the signature a message carries: RFC 9421 when it has Signature-Input, else a cavage
 * `Signature` header, else `Authorization: Signature ...`. `label` picks an RFC 9421 signature
 * (NULL: the first in Signature-Input); it is ignored for cavage.
 * GM_OK: *out is yours (gm_httpsig_free). GM_ENOTFOUND: the message is not signed.
 * GM_EINVAL: a signature header or a covered component is malformed, missing or over a cap.
 * GM_ENOMEM. */
gm_err gm_httpsig_parse(const struct gm_httpsig_msg *msg, const char *label,
                        struct gm_httpsig **out);

/* Parse a cavage signature from `value`, the text of a Signature header (or of an
 * Authorization header after "Signature "), and build its signing string from `msg`. Without
 * a headers parameter the covered list is "date" (draft section 2.1.6). (created)/(expires)
 * with an rsa-, hmac- or ecdsa- algorithm is GM_EINVAL (draft section 2.3). Same results as
 * gm_httpsig_parse. */
gm_err gm_httpsig_parse_cavage(const struct gm_httpsig_msg *msg, const char *value,
                               struct gm_httpsig **out);

/* Parse the RFC 9421 signature `label` (NULL: the first) from msg's Signature-Input and
 * Signature fields and build its signature base (RFC 9421 section 2.5). Derived components
 * @method @target-uri @authority @scheme @request-target @path @query @query-param @status,
 * header fields with ;sf ;key ;bs ;tr ;req. Same results as gm_httpsig_parse. */
gm_err gm_httpsig_parse_rfc9421(const struct gm_httpsig_msg *msg, const char *label,
                                struct gm_httpsig **out);

void gm_httpsig_free(struct gm_httpsig *sig); /* NULL is allowed */

/* Accessors. Strings are borrowed from `sig` and live until gm_httpsig_free. */
enum gm_httpsig_scheme gm_httpsig_scheme(const struct gm_httpsig *sig);
/* keyId (cavage) or keyid (RFC 9421) as sent, fragment included; NULL if RFC 9421 had none. */
const char *gm_httpsig_key_id(const struct gm_httpsig *sig);
/* The declared algorithm (cavage "algorithm", RFC 9421 "alg"), or NULL when absent. */
const char *gm_httpsig_algorithm(const struct gm_httpsig *sig);
/* RFC 9421 label, nonce and tag parameters; NULL for cavage or when absent. */
const char *gm_httpsig_label(const struct gm_httpsig *sig);
const char *gm_httpsig_nonce(const struct gm_httpsig *sig);
const char *gm_httpsig_tag(const struct gm_httpsig *sig);
/* Creation time in seconds since the epoch: the created parameter, or for cavage without one,
 * the Date header. GM_OK: *created is set. GM_ENOTFOUND: none (or an unparseable Date). */
gm_err gm_httpsig_created(const struct gm_httpsig *sig, int64_t *created);
/* The expires parameter. GM_OK: *expires is set. GM_ENOTFOUND: none. */
gm_err gm_httpsig_expires(const struct gm_httpsig *sig, int64_t *expires);
/* Covered components in order: cavage header names as lower-cased ("(request-target)",
 * "host"); RFC 9421 serialized identifiers as in the base ("\"@method\"",
 * "\"@query-param\";name=\"a\""). */
size_t gm_httpsig_component_count(const struct gm_httpsig *sig);
const char *gm_httpsig_component(const struct gm_httpsig *sig, size_t index); /* NULL past end */
/* True when the signature covers `name` as such: a cavage header name ("(request-target)",
 * "digest"), or an RFC 9421 component without parameters ("@method", "content-digest"). */
bool gm_httpsig_covers(const struct gm_httpsig *sig, const char *name);
/* The signing string (cavage) or signature base (RFC 9421) that was signed: LF between lines,
 * no trailing newline. *len (may be NULL) gets its length. */
const char *gm_httpsig_base(const struct gm_httpsig *sig, size_t *len);

/* Check the signature's times against `now`: created (or Date) must be known, not more than
 * `max_skew` seconds in the future and not older than `max_age`; expires, if present, must not
 * have passed. GM_OK or GM_EAUTH. */
gm_err gm_httpsig_check_time(const struct gm_httpsig *sig, int64_t now, int64_t max_age,
                             int64_t max_skew);

/* Verify `sig` with the signer's public key (borrowed). `alg` is the RFC 9421 algorithm the
 * caller knows the key is for ("rsa-pss-sha512" ...), or NULL.
 * RFC 9421: the algorithm is `alg` if given (an alg parameter that differs is GM_EAUTH), else
 * the alg parameter, else the key's type decides: RSA -> rsa-v1_5-sha256 (fediverse practice),
 * RSA-PSS -> rsa-pss-sha512, EC P-256 -> ecdsa-p256-sha256, Ed25519 -> ed25519, HMAC key ->
 * hmac-sha256. Cavage: rsa-sha256 (rsa-sha512) needs an RSA key; ed25519 an Ed25519 key;
 * hs2019 or no algorithm take the key's type: RSA -> PKCS#1 v1.5 SHA-256, then RSASSA-PSS
 * SHA-512; Ed25519 -> Ed25519.
 * GM_OK: valid. GM_EAUTH: the signature does not verify, or the key's type or size does not
 * fit the algorithm. GM_EINVAL: unknown or unsupported algorithm, or a NULL argument. */
gm_err gm_httpsig_verify(const struct gm_httpsig *sig, EVP_PKEY *key, const char *alg);

/* Sign a request the cavage way, as the fediverse expects: covering `headers` (lower-case
 * names, "(request-target)" allowed; nheaders == 0 means the draft default "date", and no
 * headers parameter is written) from `msg`, with `key` (borrowed): an RSA key gives
 * algorithm="rsa-sha256" (RSASSA-PKCS1-v1_5, SHA-256), an Ed25519 key algorithm="hs2019".
 * GM_OK: *value is a new string for the Signature header,
 * `keyId="...",algorithm="...",headers="...",signature="..."`, yours to free.
 * GM_EINVAL: a header is missing, a name is not lower case or is (created)/(expires), key_id is
 * empty or holds a quote, backslash or control character, or the key is of another type or not
 * private. */
gm_err gm_httpsig_sign_cavage(const struct gm_httpsig_msg *msg, const char *const *headers,
                              size_t nheaders, const char *key_id, EVP_PKEY *key, char **value);

/* What an RFC 9421 signature covers and states. Parameters are written in this order:
 * created, keyid, alg, expires, nonce, tag. */
struct gm_httpsig_sign_opts {
    const char *label;             /* NULL: "sig1" */
    const char *const *components; /* "@method", "content-digest", or a serialized
                                      identifier such as "\"@query-param\";name=\"a\"" */
    size_t ncomponents;
    const char *key_id;       /* keyid parameter; NULL: omitted */
    const char *alg;          /* "rsa-v1_5-sha256", "rsa-pss-sha512", "ed25519",
                                 "ecdsa-p256-sha256", "hmac-sha256"; NULL: from the key */
    bool write_alg;           /* write the alg parameter */
    int64_t created, expires; /* seconds since the epoch; 0: omitted */
    const char *nonce, *tag;  /* NULL: omitted */
};

/* Sign `msg` per RFC 9421 with `key` (borrowed). GM_OK: *signature_input and *signature are
 * new strings (yours to free) holding one dictionary member each, `label=(...);created=...`
 * and `label=:base64:`; to add a second signature, join with ", ". GM_EINVAL: a component is
 * unknown or missing from msg, a parameter is not printable, or the key does not fit alg. */
gm_err gm_httpsig_sign_rfc9421(const struct gm_httpsig_msg *msg,
                               const struct gm_httpsig_sign_opts *opts, EVP_PKEY *key,
                               char **signature_input, char **signature);

/* Load a public key from PEM text: SPKI ("BEGIN PUBLIC KEY") or PKCS#1 ("BEGIN RSA PUBLIC
 * KEY"). `len` bytes at `pem`, no NUL needed. GM_OK: *key is yours (EVP_PKEY_free).
 * GM_EINVAL: not a public key, or over GM_HTTPSIG_MAX_PEM. */
gm_err gm_httpsig_load_public_pem(const char *pem, size_t len, EVP_PKEY **key);
/* Load an unencrypted private key from PEM (PKCS#8, PKCS#1, SEC1). Same results; wipe and free
 * the text yourself. */
gm_err gm_httpsig_load_private_pem(const char *pem, size_t len, EVP_PKEY **key);
/* An HMAC key for hmac-sha256 from a shared secret (1..256 bytes). GM_OK: *key is yours. */
gm_err gm_httpsig_load_secret(const unsigned char *secret, size_t len, EVP_PKEY **key);

#endif
