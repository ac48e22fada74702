/* SPDX-License-Identifier: Apache-2.0
 * digest.c - Digest (RFC 3230, as Mastodon sends it) and Content-Digest (RFC 9530) for request
 * and response bodies: format both for outgoing requests, verify an incoming body against
 * either. The legacy header is a comma list parsed here; Content-Digest is a structured-field
 * dictionary parsed by httpsig_sf.c. A mismatch is GM_EAUTH, anything unreadable GM_EINVAL. */
#include "gemeinde/digest.h"

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "httpsig_int.h"
#include "httpsig_sf.h"

#define MAX_MD 64

static const struct {
    unsigned bit;
    const char *legacy;  /* Digest algorithm name (compared case-insensitively) */
    const char *content; /* Content-Digest key */
    size_t size;
} algs[] = {
    {GM_DIGEST_SHA256, "SHA-256", "sha-256", 32},
    {GM_DIGEST_SHA512, "SHA-512", "sha-512", 64},
};

#define NALGS (sizeof(algs) / sizeof(algs[0]))

static gm_err hash(size_t a, const void *body, size_t len, unsigned char *md)
{
    unsigned int n = 0;
    const EVP_MD *type = algs[a].bit == GM_DIGEST_SHA256 ? EVP_sha256() : EVP_sha512();
    if (!body && len > 0)
        return GM_EINVAL;
    if (EVP_Digest(body ? body : "", len, md, &n, type, NULL) != 1 || n != algs[a].size)
        return GM_EINTERNAL;
    return GM_OK;
}

/* Compare `expected` (decoded) with the body's digest for algorithm a. */
static gm_err compare(size_t a, const void *body, size_t len, const unsigned char *expected,
                      size_t n)
{
    unsigned char md[MAX_MD];
    gm_err err;
    if (n != algs[a].size)
        return GM_EINVAL;
    if ((err = hash(a, body, len, md)) != GM_OK)
        return err;
    return CRYPTO_memcmp(md, expected, n) == 0 ? GM_OK : GM_EAUTH;
}

gm_err gm_digest_format_legacy(const void *body, size_t len, char **value)
{
    unsigned char md[MAX_MD];
    struct gm_hs_buf b;
    gm_err err;
    if (!value)
        return GM_EINVAL;
    if ((err = hash(0, body, len, md)) != GM_OK)
        return err;
    gm_hs_buf_init(&b, 256);
    gm_hs_buf_str(&b, "SHA-256=");
    gm_hs_b64_encode(md, algs[0].size, &b);
    return gm_hs_buf_take(&b, value, NULL);
}

gm_err gm_digest_format_content(const void *body, size_t len, unsigned which, char **value)
{
    unsigned char md[MAX_MD];
    struct gm_hs_buf b;
    gm_err err = GM_OK;
    if (!value || (which & (GM_DIGEST_SHA256 | GM_DIGEST_SHA512)) == 0)
        return GM_EINVAL;
    gm_hs_buf_init(&b, 512);
    for (size_t a = 0; a < NALGS && err == GM_OK; a++) {
        if (!(which & algs[a].bit))
            continue;
        if ((err = hash(a, body, len, md)) != GM_OK)
            break;
        if (b.len > 0)
            gm_hs_buf_str(&b, ", ");
        gm_hs_buf_str(&b, algs[a].content);
        gm_hs_buf_str(&b, "=:");
        gm_hs_b64_encode(md, algs[a].size, &b);
        gm_hs_buf_char(&b, ':');
    }
    if (err != GM_OK) {
        gm_hs_buf_free(&b);
        return err;
    }
    return gm_hs_buf_take(&b, value, NULL);
}

static bool is_ows(char c)
{
    return c == ' ' || c == '\t';
}

/* One entry "alg=base64" of s[0..n), surrounding whitespace already trimmed. Sets *checked
 * when the algorithm is supported. */
static gm_err legacy_entry(const void *body, size_t len, const char *s, size_t n, int *checked)
{
    unsigned char dec[MAX_MD + 3];
    size_t declen = 0;
    const char *eq = memchr(s, '=', n);
    if (!eq || eq == s)
        return GM_EINVAL;
    size_t namelen = (size_t)(eq - s);
    for (size_t a = 0; a < NALGS; a++) {
        if (strlen(algs[a].legacy) != namelen || !gm_hs_ieq(algs[a].legacy, s, namelen))
            continue;
        const char *v = eq + 1;
        size_t vlen = n - namelen - 1;
        if (gm_hs_b64_decode(v, vlen, false, dec, sizeof(dec), &declen) != GM_OK)
            return GM_EINVAL;
        *checked = 1;
        return compare(a, body, len, dec, declen);
    }
    return GM_OK; /* an algorithm we do not check (md5, sha, unixsum...) */
}

gm_err gm_digest_verify_legacy(const void *body, size_t len, const char *digest)
{
    int checked = 0;
    size_t n, i = 0;
    if (!digest || (n = strlen(digest)) > GM_DIGEST_MAX_HEADER)
        return GM_EINVAL;
    while (i <= n) {
        size_t start = i, end;
        while (i < n && digest[i] != ',')
            i++;
        end = i++;
        while (start < end && is_ows(digest[start]))
            start++;
        while (end > start && is_ows(digest[end - 1]))
            end--;
        if (start == end)
            return GM_EINVAL; /* empty entry */
        for (size_t k = start; k < end; k++)
            if ((unsigned char)digest[k] <= 0x20 || (unsigned char)digest[k] >= 0x7f)
                return GM_EINVAL;
        gm_err err = legacy_entry(body, len, digest + start, end - start, &checked);
        if (err != GM_OK)
            return err;
    }
    return checked ? GM_OK : GM_EINVAL;
}

gm_err gm_digest_verify_content(const void *body, size_t len, const char *content_digest)
{
    struct gm_sf *sf = NULL;
    int checked = 0;
    size_t n;
    gm_err err;
    if (!content_digest || (n = strlen(content_digest)) > GM_DIGEST_MAX_HEADER)
        return GM_EINVAL;
    if ((err = gm_sf_parse_dict(content_digest, n, &sf)) != GM_OK)
        return err == GM_ENOMEM ? err : GM_EINVAL;
    for (size_t a = 0; a < NALGS && err == GM_OK; a++) {
        const struct gm_sf_item *it = gm_sf_dict_get(sf, algs[a].content);
        if (!it)
            continue;
        if (it->bare.type != GM_SF_BYTES) {
            err = GM_EINVAL;
            break;
        }
        checked = 1;
        err = compare(a, body, len, (const unsigned char *)it->bare.str, it->bare.len);
    }
    gm_sf_free(sf);
    if (err != GM_OK)
        return err;
    return checked ? GM_OK : GM_EINVAL;
}

gm_err gm_digest_verify(const void *body, size_t len, const char *digest,
                        const char *content_digest)
{
    gm_err err;
    if (!digest && !content_digest)
        return GM_ENOTFOUND;
    if (content_digest && (err = gm_digest_verify_content(body, len, content_digest)) != GM_OK)
        return err;
    if (digest && (err = gm_digest_verify_legacy(body, len, digest)) != GM_OK)
        return err;
    return GM_OK;
}
