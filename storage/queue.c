/* SPDX-License-Identifier: Apache-2.0
 * queue.c - durable delivery jobs in LMDB, keyed by 8-byte big-endian due time and a
 * sequence number (meta "queue.seq"), so the first key is the next due job. A job's key
 * changes whenever it is leased or rescheduled; its value does not move otherwise. */
#include "gemeinde/queue.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "store_internal.h"

void gm_job_free(struct gm_job *j)
{
    if (!j)
        return;
    free(j->community);
    free(j->inbox);
    free(j->activity);
    free(j);
}

void gm_jobs_free(struct gm_job **jobs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        gm_job_free(jobs[i]);
    free(jobs);
}

static gm_err next_seq(struct gm_txn *txn, uint64_t *seq)
{
    MDB_val k = {9, "queue.seq"}, v;
    unsigned char buf[8];
    uint64_t n = 1;
    int rc = mdb_get(txn->txn, txn->st->dbi[DBI_META], &k, &v);
    if (rc == 0 && v.mv_size == 8)
        n = gm_store_from_be64(v.mv_data) + 1;
    else if (rc && rc != MDB_NOTFOUND)
        return gm_store_map_err(rc, "queue seq");
    gm_store_be64(n, buf);
    v = (MDB_val){8, buf};
    rc = mdb_put(txn->txn, txn->st->dbi[DBI_META], &k, &v, 0);
    *seq = n;
    return gm_store_map_err(rc, "queue seq put");
}

/* Store `j` at (due, next seq); the key written goes to `key_out` when not NULL. */
static gm_err put_job(struct gm_txn *txn, const struct gm_job *j, int64_t due, unsigned attempts,
                      unsigned char *key_out)
{
    uint64_t seq = 0;
    gm_err e = next_seq(txn, &seq);
    if (e != GM_OK)
        return e;
    json_t *doc = json_pack("{s:s, s:s, s:s, s:i, s:I}", "community", j->community, "inbox",
                            j->inbox, "activity", j->activity, "attempts", (int)attempts,
                            "created", (json_int_t)j->created);
    char *s = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    if (!s)
        return GM_ENOMEM;
    unsigned char key[16];
    gm_store_be64((uint64_t)(due < 0 ? 0 : due), key);
    gm_store_be64(seq, key + 8);
    MDB_val k = {16, key}, v = {strlen(s), s};
    int rc = mdb_put(txn->txn, txn->st->dbi[DBI_QUEUE], &k, &v, MDB_NOOVERWRITE);
    free(s);
    if (rc == 0 && key_out)
        memcpy(key_out, key, 16);
    return gm_store_map_err(rc, "queue put");
}

gm_err gm_queue_push(struct gm_txn *txn, const char *community, const char *inbox,
                     const char *activity, int64_t due)
{
    struct gm_job j = {.community = (char *)community, .inbox = (char *)inbox,
                       .activity = (char *)activity, .created = due};
    return put_job(txn, &j, due, 0, NULL);
}

static gm_err decode(const MDB_val *k, const MDB_val *v, struct gm_job **out)
{
    json_t *doc = json_loadb(v->mv_data, v->mv_size, 0, NULL);
    const char *community, *inbox, *activity;
    int attempts;
    json_int_t created;
    struct gm_job *j = NULL;
    gm_err e = GM_ESTORE;
    if (k->mv_size != 16 || !doc ||
        json_unpack(doc, "{s:s, s:s, s:s, s:i, s:I}", "community", &community, "inbox", &inbox,
                    "activity", &activity, "attempts", &attempts, "created", &created) != 0)
        goto out;
    e = GM_ENOMEM;
    if (!(j = calloc(1, sizeof *j)) || !(j->community = strdup(community)) ||
        !(j->inbox = strdup(inbox)) || !(j->activity = strdup(activity)))
        goto out;
    memcpy(j->key, k->mv_data, 16);
    j->due = (int64_t)gm_store_from_be64(j->key);
    j->attempts = (unsigned)attempts;
    j->created = created;
    *out = j;
    j = NULL;
    e = GM_OK;
out:
    gm_job_free(j);
    json_decref(doc);
    return e;
}

gm_err gm_queue_done(struct gm_txn *txn, const struct gm_job *j)
{
    MDB_val k = {16, (void *)j->key};
    return gm_store_map_err(mdb_del(txn->txn, txn->st->dbi[DBI_QUEUE], &k, NULL), "queue del");
}

gm_err gm_queue_retry(struct gm_txn *txn, const struct gm_job *j, int64_t due)
{
    gm_err e = gm_queue_done(txn, j);
    return e == GM_OK ? put_job(txn, j, due, j->attempts + 1, NULL) : e;
}

/* Move a taken job to its lease slot; its key and due time in *j are updated. */
static gm_err lease(struct gm_txn *txn, struct gm_job *j, int64_t lease_until)
{
    gm_err e = gm_queue_done(txn, j);
    if (e == GM_OK && (e = put_job(txn, j, lease_until, j->attempts, j->key)) == GM_OK)
        j->due = lease_until;
    return e;
}

gm_err gm_queue_take_due(struct gm_txn *txn, int64_t now, int64_t lease_until, size_t max,
                         struct gm_job ***jobs, size_t *n)
{
    struct gm_job **out = calloc(max ? max : 1, sizeof *out);
    size_t got = 0;
    gm_err e = out ? GM_OK : GM_ENOMEM;
    MDB_cursor *cur = NULL;
    MDB_val k, v;
    if (e == GM_OK && mdb_cursor_open(txn->txn, txn->st->dbi[DBI_QUEUE], &cur) != 0)
        e = GM_ESTORE;
    /* Collect first (cursor positions die with writes), then lease. */
    int rc = e == GM_OK ? mdb_cursor_get(cur, &k, &v, MDB_FIRST) : MDB_NOTFOUND;
    for (; e == GM_OK && rc == 0 && got < max; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (k.mv_size != 16 || (int64_t)gm_store_from_be64(k.mv_data) > now)
            break;
        e = decode(&k, &v, &out[got]);
        if (e == GM_OK)
            got++;
    }
    if (cur)
        mdb_cursor_close(cur);
    for (size_t i = 0; e == GM_OK && i < got; i++)
        e = lease(txn, out[i], lease_until);
    if (e != GM_OK) {
        gm_jobs_free(out, got);
        return e;
    }
    *jobs = out;
    *n = got;
    return GM_OK;
}

gm_err gm_queue_stat(struct gm_txn *txn, size_t *count, int64_t *next_due)
{
    MDB_stat stat;
    MDB_cursor *cur;
    MDB_val k, v;
    int rc = mdb_stat(txn->txn, txn->st->dbi[DBI_QUEUE], &stat);
    if (rc)
        return gm_store_map_err(rc, "queue stat");
    *count = stat.ms_entries;
    *next_due = 0;
    if ((rc = mdb_cursor_open(txn->txn, txn->st->dbi[DBI_QUEUE], &cur)) != 0)
        return gm_store_map_err(rc, "cursor");
    if (mdb_cursor_get(cur, &k, &v, MDB_FIRST) == 0 && k.mv_size == 16)
        *next_due = (int64_t)gm_store_from_be64(k.mv_data);
    mdb_cursor_close(cur);
    return GM_OK;
}

gm_err gm_queue_peek(struct gm_txn *txn, size_t max, struct gm_job ***jobs, size_t *n)
{
    struct gm_job **out = calloc(max ? max : 1, sizeof *out);
    size_t got = 0;
    MDB_cursor *cur;
    MDB_val k, v;
    gm_err e = out ? GM_OK : GM_ENOMEM;
    int rc = e == GM_OK ? mdb_cursor_open(txn->txn, txn->st->dbi[DBI_QUEUE], &cur) : 0;
    if (rc)
        e = gm_store_map_err(rc, "cursor");
    if (e == GM_OK) {
        for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0 && got < max && e == GM_OK;
             rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
            if ((e = decode(&k, &v, &out[got])) == GM_OK)
                got++;
        mdb_cursor_close(cur);
    }
    if (e != GM_OK) {
        gm_jobs_free(out, got);
        return e;
    }
    *jobs = out;
    *n = got;
    return GM_OK;
}
