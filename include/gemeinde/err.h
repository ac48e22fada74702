/* SPDX-License-Identifier: Apache-2.0
 * err.h - the one error enum of gemeinde. 0 is success. Storage maps MDB codes to these,
 * federation maps CURLcode and HTTP statuses to these, and only src/router.c turns them into
 * HTTP statuses for our own answers. */
#ifndef GEMEINDE_ERR_H
#define GEMEINDE_ERR_H

typedef enum gm_err {
    GM_OK = 0,
    GM_ENOMEM,    /* allocation failed */
    GM_EINVAL,    /* malformed input or argument */
    GM_ENOTFOUND, /* no such thing */
    GM_EEXISTS,   /* already there */
    GM_EAUTH,     /* bad signature, digest, date or key owner */
    GM_EFORBID,   /* blocked domain, banned actor, origin mismatch */
    GM_ETEMP,     /* network, 5xx, 429, timeout: retry later */
    GM_EPERM,     /* peer said no for good (4xx): drop */
    GM_ESTORE,    /* storage failure */
    GM_ETOOBIG,   /* over a size cap */
    GM_EINTERNAL  /* a bug or an unexpected library failure */
} gm_err;

/* Static string naming `err`; never NULL. */
const char *gm_strerror(gm_err err);

#endif
