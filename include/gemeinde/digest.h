/* SPDX-License-Identifier: Apache-2.0
 * digest.h - body digests of HTTP messages in both forms the fediverse meets: the legacy
 * `Digest: SHA-256=<base64>` (RFC 3230, what draft-cavage signatures cover) and RFC 9530
 * `Content-Digest: sha-256=:<base64>:, sha-512=:<base64>:` (a structured-field dictionary, what
 * RFC 9421 signatures cover). Compute them for outgoing bodies; check an incoming body against
 * whichever is present. SHA-256 and SHA-512 are supported; md5, sha and unknown algorithms are
 * skipped. Comparisons are constant-time. Header values over GM_DIGEST_MAX_HEADER bytes are
 * refused. */
#ifndef GEMEINDE_DIGEST_H
#define GEMEINDE_DIGEST_H

#include <stddef.h>

#include "gemeinde/err.h"

#define GM_DIGEST_MAX_HEADER 8192

/* Algorithms, as a bit set for gm_digest_format_content. */
#define GM_DIGEST_SHA256 1u
#define GM_DIGEST_SHA512 2u

/* The Digest header value for `len` bytes at `body` (may be NULL when len is 0):
 * "SHA-256=<base64>". GM_OK: *value is a new string, yours to free. */
gm_err gm_digest_format_legacy(const void *body, size_t len, char **value);

/* The Content-Digest header value for the body with the algorithms in `algs` (a non-empty
 * subset of GM_DIGEST_SHA256 | GM_DIGEST_SHA512), e.g. "sha-256=:...:, sha-512=:...:".
 * GM_OK: *value is a new string, yours to free. GM_EINVAL: no known algorithm in algs. */
gm_err gm_digest_format_content(const void *body, size_t len, unsigned algs, char **value);

/* Check the body against a Digest header value: comma-separated `algorithm=base64` entries,
 * algorithm names case-insensitive. Every SHA-256 / SHA-512 entry must match.
 * GM_OK: match. GM_EAUTH: a supported digest differs. GM_EINVAL: unparseable, over the cap,
 * or no supported algorithm. */
gm_err gm_digest_verify_legacy(const void *body, size_t len, const char *digest);

/* Check the body against a Content-Digest (or Repr-Digest, for an unencoded body) value, an
 * RFC 8941 dictionary of byte sequences. Every sha-256 / sha-512 member must match. Same
 * results as gm_digest_verify_legacy. */
gm_err gm_digest_verify_content(const void *body, size_t len, const char *content_digest);

/* Check the body against the headers present: `digest` (Digest) and `content_digest`
 * (Content-Digest), either may be NULL; when both are given both must match.
 * GM_ENOTFOUND: both are NULL. Otherwise as above. */
gm_err gm_digest_verify(const void *body, size_t len, const char *digest,
                        const char *content_digest);

#endif
