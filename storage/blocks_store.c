/* SPDX-License-Identifier: Apache-2.0
 * blocks_store.c - domain blocks keyed by the lowercase domain; a lookup walks the host's
 * parent domains (a.b.example -> b.example -> example), so a block covers subdomains. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "gemeinde/blocks.h"
#include "store_internal.h"

#define HOST_MAX 256

static gm_err normalise(const char *in, char out[HOST_MAX])
{
    size_t n = 0;
    const char *p = in;
    if (*p == '[') /* an IP literal is its own "domain" */
        p++;
    for (; *p && *p != ':' && *p != ']' && *p != '/'; p++) {
        if (n + 1 >= HOST_MAX)
            return GM_EINVAL;
        out[n++] = (char)tolower((unsigned char)*p);
    }
    while (n && out[n - 1] == '.')
        n--;
    out[n] = '\0';
    return n ? GM_OK : GM_EINVAL;
}

gm_err gm_block_put(struct gm_txn *txn, const char *domain, const char *reason)
{
    char d[HOST_MAX];
    if (normalise(domain, d) != GM_OK || strlen(reason) > GM_BLOCK_REASON_MAX)
        return GM_EINVAL;
    MDB_val k = {strlen(d), d}, v = {strlen(reason), (void *)reason};
    return gm_store_map_err(mdb_put(txn->txn, txn->st->dbi[DBI_BLOCKS], &k, &v, 0), "block put");
}

gm_err gm_block_del(struct gm_txn *txn, const char *domain)
{
    char d[HOST_MAX];
    if (normalise(domain, d) != GM_OK)
        return GM_ENOTFOUND;
    MDB_val k = {strlen(d), d};
    return gm_store_map_err(mdb_del(txn->txn, txn->st->dbi[DBI_BLOCKS], &k, NULL), "block del");
}

gm_err gm_block_find(struct gm_txn *txn, const char *host, char *which, size_t size)
{
    char d[HOST_MAX];
    if (normalise(host, d) != GM_OK)
        return GM_ENOTFOUND;
    for (const char *p = d; p; p = strchr(p, '.') ? strchr(p, '.') + 1 : NULL) {
        MDB_val k = {strlen(p), (void *)p}, v;
        int rc = mdb_get(txn->txn, txn->st->dbi[DBI_BLOCKS], &k, &v);
        if (rc == 0) {
            if (which)
                snprintf(which, size, "%s", p);
            return GM_OK;
        }
        if (rc != MDB_NOTFOUND)
            return gm_store_map_err(rc, "block get");
    }
    return GM_ENOTFOUND;
}

gm_err gm_block_find_url(struct gm_txn *txn, const char *url)
{
    const char *h = strstr(url, "://");
    if (!h)
        return GM_ENOTFOUND;
    h += 3;
    const char *at = strchr(h, '@'), *slash = strchr(h, '/');
    if (at && (!slash || at < slash)) /* userinfo: judge the real host */
        h = at + 1;
    return gm_block_find(txn, h, NULL, 0);
}
