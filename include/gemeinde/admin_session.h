/* SPDX-License-Identifier: Apache-2.0
 * admin_session.h - the dashboard's login session: after the admin token was typed into the
 * login form, the browser holds a cookie "gm_admin=v1.EXPIRY.NONCE.MAC" (HttpOnly, Secure,
 * SameSite=Strict, Path=/admin), MAC = HMAC-SHA256 keyed with the admin token. Nothing is
 * stored on the server: a session ends when it expires, and every session ends when the
 * token changes. */
#ifndef GEMEINDE_ADMIN_SESSION_H
#define GEMEINDE_ADMIN_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "gemeinde/err.h"

#define GM_SESSION_COOKIE "gm_admin"
#define GM_SESSION_TTL (12 * 3600)
#define GM_SESSION_VALUE_MAX 128

/* A session value valid until now + GM_SESSION_TTL, into out (GM_SESSION_VALUE_MAX bytes).
 * GM_EINTERNAL if no random bytes or MAC could be made. */
gm_err gm_session_issue(const char *token, int64_t now, char *out, size_t size);

/* 1 if the Cookie header (may be NULL) holds a session for `token` that has not expired. */
int gm_session_valid(const char *token, const char *cookie_header, int64_t now);

/* The Set-Cookie header value for `value` (NULL: one that ends the session), into out. */
void gm_session_cookie(const char *value, char *out, size_t size);

#endif
