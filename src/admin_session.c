/* SPDX-License-Identifier: Apache-2.0
 * admin_session.c - stateless dashboard sessions (admin_session.h). */
#include <inttypes.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gemeinde/admin_session.h"

static void hex(const unsigned char *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++)
        out[2 * i] = digits[in[i] >> 4], out[2 * i + 1] = digits[in[i] & 15];
    out[2 * n] = '\0';
}

/* HMAC-SHA256 of `msg` keyed with the token, as 64 hex digits. */
static int mac_hex(const char *token, const char *msg, char out[65])
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (!HMAC(EVP_sha256(), token, (int)strlen(token), (const unsigned char *)msg, strlen(msg),
              mac, &len) || len != 32)
        return 0;
    hex(mac, 32, out);
    return 1;
}

gm_err gm_session_issue(const char *token, int64_t now, char *out, size_t size)
{
    unsigned char nonce[16];
    char msg[80], mac[65], n[33];
    if (!token || size < GM_SESSION_VALUE_MAX || RAND_bytes(nonce, sizeof nonce) != 1)
        return GM_EINTERNAL;
    hex(nonce, sizeof nonce, n);
    snprintf(msg, sizeof msg, "v1.%" PRId64 ".%s", now + GM_SESSION_TTL, n);
    if (!mac_hex(token, msg, mac))
        return GM_EINTERNAL;
    snprintf(out, size, "%s.%s", msg, mac);
    return GM_OK;
}

/* The value of cookie `name` in a Cookie header, into out; 0 if absent or too long. */
static int cookie_value(const char *header, const char *name, char *out, size_t size)
{
    size_t nlen = strlen(name);
    for (const char *p = header; p && *p;) {
        while (*p == ' ' || *p == ';')
            p++;
        size_t len = strcspn(p, ";");
        if (len > nlen && !strncmp(p, name, nlen) && p[nlen] == '=') {
            size_t vlen = len - nlen - 1;
            if (vlen >= size)
                return 0;
            memcpy(out, p + nlen + 1, vlen);
            out[vlen] = '\0';
            return 1;
        }
        p += len;
    }
    return 0;
}

int gm_session_valid(const char *token, const char *cookie_header, int64_t now)
{
    char value[GM_SESSION_VALUE_MAX], mac[65];
    if (!token || !cookie_value(cookie_header, GM_SESSION_COOKIE, value, sizeof value))
        return 0;
    char *dot = strrchr(value, '.');
    if (!dot || strncmp(value, "v1.", 3) != 0 || strlen(dot + 1) != 64)
        return 0;
    *dot = '\0';
    char *end;
    long long expiry = strtoll(value + 3, &end, 10);
    if (end == value + 3 || *end != '.' || !mac_hex(token, value, mac))
        return 0;
    int same = CRYPTO_memcmp(mac, dot + 1, 64) == 0;
    return same && expiry > now;
}

void gm_session_cookie(const char *value, char *out, size_t size)
{
    snprintf(out, size, GM_SESSION_COOKIE "=%s; Path=/admin; HttpOnly; Secure; SameSite=Strict; Max-Age=%d",
             value ? value : "", value ? GM_SESSION_TTL : 0);
}
