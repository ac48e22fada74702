/* SPDX-License-Identifier: Apache-2.0
 * err.c - human-readable names for gm_err. */
#include "gemeinde/err.h"

const char *gm_strerror(gm_err err)
{
    switch (err) {
    case GM_OK: return "ok";
    case GM_ENOMEM: return "out of memory";
    case GM_EINVAL: return "invalid input";
    case GM_ENOTFOUND: return "not found";
    case GM_EEXISTS: return "already exists";
    case GM_EAUTH: return "authentication failed";
    case GM_EFORBID: return "forbidden";
    case GM_ETEMP: return "temporary failure";
    case GM_EPERM: return "refused by peer";
    case GM_ESTORE: return "storage error";
    case GM_ETOOBIG: return "too big";
    case GM_EINTERNAL: return "internal error";
    }
    return "unknown error";
}
