/* SPDX-License-Identifier: Apache-2.0
 * store.c - the LMDB environment: open and create it, name its databases, check and record the
 * schema version, wrap transactions, and translate MDB codes into gm_err. Upgrades between
 * schema versions are explicit functions run at open, inside one write transaction. */
#include "store_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <pthread.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "gemeinde/log.h"
#include "gemeinde/stats_store.h"

/* LMDB's locks belong to the process: opening one environment twice in a process would reset
 * its reader table. A second open of the same folder shares the first handle (refcounted). */
static pthread_mutex_t open_lock = PTHREAD_MUTEX_INITIALIZER;
static struct gm_store *open_stores;

static const char *const dbi_names[DBI_COUNT] = {
    "meta", "communities", "community_keys", "remote_keys", "seen", "activities",
    "remote_actors", "members", "queue", "hosts", "outbox", "relayed", "fanout", "blocks", "modlog",
    "ckv", "clog", "handles", "stats"};

void gm_store_be64(uint64_t v, unsigned char out[8])
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        out[i] = (unsigned char)(v & 0xff);
}

uint64_t gm_store_from_be64(const unsigned char in[8])
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = (v << 8) | in[i];
    return v;
}

gm_err gm_store_map_err(int rc, const char *what)
{
    switch (rc) {
    case MDB_SUCCESS: return GM_OK;
    case MDB_NOTFOUND: return GM_ENOTFOUND;
    case MDB_KEYEXIST: return GM_EEXISTS;
    case MDB_MAP_FULL: gm_error("store: %s: database full (raise map_size_mb)", what); return GM_ETOOBIG;
    default: gm_error("store: %s: %s", what, mdb_strerror(rc)); return GM_ESTORE;
    }
}

gm_err gm_store_drop_prefix(struct gm_txn *txn, MDB_dbi dbi, const void *prefix, size_t plen)
{
    MDB_cursor *cur;
    MDB_val k, v;
    int rc = mdb_cursor_open(txn->txn, dbi, &cur);
    if (rc)
        return gm_store_map_err(rc, "cursor");
    for (;;) {
        k = (MDB_val){plen, (void *)prefix};
        if ((rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE)) != 0)
            break;
        if (k.mv_size < plen || memcmp(k.mv_data, prefix, plen) || (rc = mdb_cursor_del(cur, 0)))
            break;
    }
    mdb_cursor_close(cur);
    return rc == 0 || rc == MDB_NOTFOUND ? GM_OK : gm_store_map_err(rc, "drop range");
}

gm_err gm_store_copy_str(const MDB_val *v, char **out)
{
    char *s = malloc(v->mv_size + 1);
    if (!s)
        return GM_ENOMEM;
    memcpy(s, v->mv_data, v->mv_size);
    s[v->mv_size] = '\0';
    *out = s;
    return GM_OK;
}

/* mkdir -p for the data folder (mode 0700: it holds private keys). */
static int make_dirs(const char *dir)
{
    char path[1100];
    if (snprintf(path, sizeof path, "%s", dir) >= (int)sizeof path) {
        errno = ENAMETOOLONG;
        return -1;
    }
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(path, 0700) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    if (mkdir(path, 0700) != 0 && errno != EEXIST)
        return -1;
    struct stat sb;
    if (stat(path, &sb) != 0)
        return -1;
    if (!S_ISDIR(sb.st_mode)) {
        errno = ENOTDIR;
        return -1;
    }
    return 0;
}

static gm_err check_schema(struct gm_store *st, char *err, size_t errlen, const char *dir)
{
    struct gm_txn *txn;
    gm_err e = gm_txn_begin(st, true, &txn);
    if (e != GM_OK)
        return e;
    char *ver = NULL;
    e = gm_meta_get(txn, "schema_version", &ver);
    if (e == GM_ENOTFOUND) {
        char buf[16];
        snprintf(buf, sizeof buf, "%d", GM_SCHEMA_VERSION);
        e = gm_meta_put(txn, "schema_version", buf);
    } else if (e == GM_OK && atoi(ver) > GM_SCHEMA_VERSION) {
        if (err)
            snprintf(err, errlen, "data_dir '%s': schema version %s is newer than this binary (%d)",
                     dir, ver, GM_SCHEMA_VERSION);
        e = GM_ESTORE;
    }
    /* Upgrades from older versions, one step each, in this transaction. */
    if (e == GM_OK && ver && atoi(ver) < 2) { /* 1 -> 2: the figures (stats_store.h) */
        if ((e = gm_stats_rebuild_levels(txn)) == GM_OK)
            e = gm_meta_put(txn, "schema_version", "2");
        if (e == GM_OK)
            gm_info("store: %s upgraded to schema version 2 (figures)", dir);
    }
    free(ver);
    if (e != GM_OK) {
        gm_txn_abort(txn);
        return e;
    }
    return gm_txn_commit(txn);
}

static gm_err open_dbis(struct gm_store *st)
{
    MDB_txn *txn;
    int rc = mdb_txn_begin(st->env, NULL, 0, &txn);
    if (rc)
        return gm_store_map_err(rc, "begin");
    for (int i = 0; i < DBI_COUNT; i++) {
        rc = mdb_dbi_open(txn, dbi_names[i], MDB_CREATE, &st->dbi[i]);
        if (rc) {
            mdb_txn_abort(txn);
            return gm_store_map_err(rc, dbi_names[i]);
        }
    }
    rc = mdb_txn_commit(txn);
    return gm_store_map_err(rc, "open databases");
}

gm_err gm_store_open(const char *dir, size_t map_size_mb, struct gm_store **out, char *err,
                     size_t errlen)
{
    if (make_dirs(dir) != 0) {
        if (err)
            snprintf(err, errlen, "data_dir: cannot create '%s': %s", dir, strerror(errno));
        return GM_ESTORE;
    }
    struct stat sb;
    if (stat(dir, &sb) != 0)
        return GM_ESTORE;
    pthread_mutex_lock(&open_lock);
    for (struct gm_store *o = open_stores; o; o = o->next) {
        if (o->dev == sb.st_dev && o->ino == sb.st_ino) {
            o->refs++;
            *out = o;
            pthread_mutex_unlock(&open_lock);
            return GM_OK;
        }
    }
    struct gm_store *st = calloc(1, sizeof *st);
    if (!st) {
        pthread_mutex_unlock(&open_lock);
        return GM_ENOMEM;
    }
    st->dev = sb.st_dev;
    st->ino = sb.st_ino;
    st->refs = 1;
    int rc = mdb_env_create(&st->env);
    if (!rc)
        rc = mdb_env_set_maxdbs(st->env, 32);
    if (!rc)
        rc = mdb_env_set_mapsize(st->env, map_size_mb * 1024 * 1024);
    if (!rc)
        rc = mdb_env_set_maxreaders(st->env, 256);
    if (!rc)
        rc = mdb_env_open(st->env, dir, MDB_NOTLS, 0600);
    gm_err e = GM_OK;
    if (rc) {
        if (err)
            snprintf(err, errlen, "data_dir: cannot open database in '%s': %s", dir,
                     mdb_strerror(rc));
        e = GM_ESTORE;
        goto out;
    }
    int dead = 0;
    mdb_reader_check(st->env, &dead);
    if ((e = open_dbis(st)) != GM_OK || (e = check_schema(st, err, errlen, dir)) != GM_OK)
        goto out;
    st->next = open_stores;
    open_stores = st;
    pthread_mutex_unlock(&open_lock);
    *out = st;
    return GM_OK;
out:
    pthread_mutex_unlock(&open_lock);
    if (e != GM_OK && err && !err[0])
        snprintf(err, errlen, "data_dir '%s': %s", dir, gm_strerror(e));
    gm_store_close(st);
    return e;
}

void gm_store_close(struct gm_store *st)
{
    if (!st)
        return;
    pthread_mutex_lock(&open_lock);
    for (struct gm_store **pp = &open_stores; *pp; pp = &(*pp)->next) {
        if (*pp == st) {
            if (--st->refs > 0) {
                pthread_mutex_unlock(&open_lock);
                return;
            }
            *pp = st->next;
            break;
        }
    }
    pthread_mutex_unlock(&open_lock);
    if (st->env)
        mdb_env_close(st->env);
    free(st);
}

gm_err gm_store_last_txnid(struct gm_store *st, uint64_t *id)
{
    MDB_envinfo info;
    int rc = mdb_env_info(st->env, &info);
    if (rc)
        return gm_store_map_err(rc, "env info");
    *id = (uint64_t)info.me_last_txnid;
    return GM_OK;
}

gm_err gm_store_db_bytes(struct gm_store *st, const char *name, uint64_t *bytes, uint64_t *entries)
{
    MDB_txn *txn;
    MDB_stat ms;
    int i = 0;
    while (i < DBI_COUNT && strcmp(dbi_names[i], name) != 0)
        i++;
    if (i == DBI_COUNT)
        return GM_ENOTFOUND;
    int rc = mdb_txn_begin(st->env, NULL, MDB_RDONLY, &txn);
    if (rc)
        return gm_store_map_err(rc, "begin transaction");
    rc = mdb_stat(txn, st->dbi[i], &ms);
    mdb_txn_abort(txn);
    if (rc)
        return gm_store_map_err(rc, "database stat");
    *bytes = ((uint64_t)ms.ms_branch_pages + ms.ms_leaf_pages + ms.ms_overflow_pages) * ms.ms_psize;
    *entries = (uint64_t)ms.ms_entries;
    return GM_OK;
}

gm_err gm_txn_begin(struct gm_store *st, bool write, struct gm_txn **out)
{
    struct gm_txn *t = malloc(sizeof *t);
    if (!t)
        return GM_ENOMEM;
    int rc = mdb_txn_begin(st->env, NULL, write ? 0 : MDB_RDONLY, &t->txn);
    if (rc) {
        free(t);
        return gm_store_map_err(rc, "begin transaction");
    }
    t->st = st;
    t->write = write;
    t->now = 0;
    *out = t;
    return GM_OK;
}

void gm_txn_set_now(struct gm_txn *txn, int64_t now)
{
    txn->now = now;
}

int64_t gm_txn_now(const struct gm_txn *txn)
{
    return txn->now ? txn->now : (int64_t)time(NULL);
}

gm_err gm_txn_commit(struct gm_txn *txn)
{
    int rc = mdb_txn_commit(txn->txn);
    free(txn);
    return gm_store_map_err(rc, "commit");
}

void gm_txn_abort(struct gm_txn *txn)
{
    if (!txn)
        return;
    mdb_txn_abort(txn->txn);
    free(txn);
}

gm_err gm_meta_get(struct gm_txn *txn, const char *key, char **value)
{
    MDB_val k = {strlen(key), (void *)key}, v;
    int rc = mdb_get(txn->txn, txn->st->dbi[DBI_META], &k, &v);
    if (rc)
        return gm_store_map_err(rc, "meta get");
    return gm_store_copy_str(&v, value);
}

gm_err gm_meta_put(struct gm_txn *txn, const char *key, const char *value)
{
    MDB_val k = {strlen(key), (void *)key}, v = {strlen(value), (void *)value};
    return gm_store_map_err(mdb_put(txn->txn, txn->st->dbi[DBI_META], &k, &v, 0), "meta put");
}
