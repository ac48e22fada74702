/* SPDX-License-Identifier: Apache-2.0
 * host_store.c - per-host delivery knowledge: scheme, failing_since, last_probe and
 * software_at as 8-byte big-endian integers, then the software name, keyed by the host's
 * authority. */
#include <string.h>

#include "gemeinde/hosts.h"
#include "store_internal.h"

static gm_err host_key(const char *host, MDB_val *k)
{
    size_t n = strlen(host);
    if (n == 0 || n > 300)
        return GM_EINVAL;
    *k = (MDB_val){n, (void *)host};
    return GM_OK;
}

static gm_err decode(const MDB_val *v, struct gm_host *out)
{
    memset(out, 0, sizeof *out);
    if (v->mv_size < 32 || v->mv_size > 32 + sizeof out->software - 1)
        return GM_ESTORE;
    const unsigned char *p = v->mv_data;
    uint64_t scheme = gm_store_from_be64(p);
    out->scheme = scheme <= GM_SIG_RFC9421 ? (enum gm_sig_scheme)scheme : GM_SIG_UNKNOWN;
    out->failing_since = (int64_t)gm_store_from_be64(p + 8);
    out->last_probe = (int64_t)gm_store_from_be64(p + 16);
    out->software_at = (int64_t)gm_store_from_be64(p + 24);
    memcpy(out->software, p + 32, v->mv_size - 32);
    out->software[v->mv_size - 32] = '\0';
    return GM_OK;
}

gm_err gm_host_each(struct gm_txn *txn, gm_err (*fn)(const char *host, const struct gm_host *h,
                                                     void *arg),
                    void *arg)
{
    MDB_cursor *cur;
    MDB_val k, v;
    struct gm_host h;
    char name[301];
    gm_err e = GM_OK;
    int rc = mdb_cursor_open(txn->txn, txn->st->dbi[DBI_HOSTS], &cur);
    if (rc)
        return gm_store_map_err(rc, "cursor");
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0 && e == GM_OK;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (k.mv_size >= sizeof name || decode(&v, &h) != GM_OK)
            continue;
        memcpy(name, k.mv_data, k.mv_size);
        name[k.mv_size] = '\0';
        e = fn(name, &h, arg);
    }
    mdb_cursor_close(cur);
    return e;
}

gm_err gm_host_get(struct gm_txn *txn, const char *host, struct gm_host *out)
{
    MDB_val k, v;
    memset(out, 0, sizeof *out);
    if (host_key(host, &k) != GM_OK)
        return GM_ENOTFOUND;
    int rc = mdb_get(txn->txn, txn->st->dbi[DBI_HOSTS], &k, &v);
    if (rc)
        return gm_store_map_err(rc, "host get");
    if (v.mv_size < 32 || v.mv_size > 32 + sizeof out->software - 1)
        return GM_ESTORE;
    const unsigned char *p = v.mv_data;
    out->software_at = (int64_t)gm_store_from_be64(p + 24);
    memcpy(out->software, p + 32, v.mv_size - 32);
    out->software[v.mv_size - 32] = '\0';
    uint64_t scheme = gm_store_from_be64(p);
    out->scheme = scheme <= GM_SIG_RFC9421 ? (enum gm_sig_scheme)scheme : GM_SIG_UNKNOWN;
    out->failing_since = (int64_t)gm_store_from_be64(p + 8);
    out->last_probe = (int64_t)gm_store_from_be64(p + 16);
    return GM_OK;
}

gm_err gm_host_put(struct gm_txn *txn, const char *host, const struct gm_host *h)
{
    MDB_val k, v;
    unsigned char buf[32 + sizeof h->software];
    size_t sw = strnlen(h->software, sizeof h->software - 1);
    gm_err e = host_key(host, &k);
    if (e != GM_OK)
        return e;
    gm_store_be64((uint64_t)h->scheme, buf);
    gm_store_be64((uint64_t)h->failing_since, buf + 8);
    gm_store_be64((uint64_t)h->last_probe, buf + 16);
    gm_store_be64((uint64_t)h->software_at, buf + 24);
    memcpy(buf + 32, h->software, sw);
    v = (MDB_val){32 + sw, buf};
    return gm_store_map_err(mdb_put(txn->txn, txn->st->dbi[DBI_HOSTS], &k, &v, 0), "host put");
}

gm_err gm_host_heard_from(struct gm_txn *txn, const char *host)
{
    struct gm_host h;
    gm_err e = gm_host_get(txn, host, &h);
    if (e != GM_OK || h.failing_since == 0)
        return e == GM_ENOTFOUND ? GM_OK : e;
    h.failing_since = 0;
    h.last_probe = 0;
    return gm_host_put(txn, host, &h);
}

bool gm_host_group_aware(const char *software)
{
    static const char *const aware[] = {"lemmy",  "mbin",      "kbin",      "piefed",  "nodebb",
                                        "friendica", "lotide", "discourse", "gemeinde"};
    for (size_t i = 0; i < sizeof aware / sizeof aware[0]; i++)
        if (!strcmp(software, aware[i]))
            return true;
    return false;
}
