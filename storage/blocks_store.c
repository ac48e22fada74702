/* SPDX-License-Identifier: Apache-2.0
 * blocks_store.c - domain blocks keyed by the lowercase domain, each a small JSON record; a
 * lookup walks the host's parent domains (a.b.example -> b.example -> example), so a block
 * covers subdomains and the most specific block wins. */
#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gemeinde/blocks.h"
#include "store_internal.h"

gm_err gm_block_normalise(const char *in, char out[GM_BLOCK_DOMAIN_MAX + 1])
{
    size_t n = 0;
    const char *p = in;
    if (*p == '[') /* an IP literal is its own "domain" */
        p++;
    for (; *p && *p != ':' && *p != ']' && *p != '/'; p++) {
        unsigned char c = (unsigned char)*p;
        if (n >= GM_BLOCK_DOMAIN_MAX || c <= ' ' || c == ',' || c == '"' || c >= 0x7f)
            return GM_EINVAL;
        out[n++] = (char)tolower(c);
    }
    while (n && out[n - 1] == '.')
        n--;
    out[n] = '\0';
    return n && out[0] != '.' ? GM_OK : GM_EINVAL;
}

void gm_block_free(struct gm_block *b)
{
    if (!b)
        return;
    free(b->reason);
    free(b->public_comment);
    free(b);
}

void gm_blocks_free(struct gm_block **list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        gm_block_free(list[i]);
    free(list);
}

static gm_err decode(const char *domain, size_t dlen, const MDB_val *v, struct gm_block **out)
{
    struct gm_block *b = calloc(1, sizeof *b);
    json_t *doc = json_loadb(v->mv_data, v->mv_size, 0, NULL);
    gm_err e = GM_ENOMEM;
    if (!b || dlen > GM_BLOCK_DOMAIN_MAX)
        goto out;
    memcpy(b->domain, domain, dlen);
    b->domain[dlen] = '\0';
    const char *sev = json_string_value(json_object_get(doc, "severity"));
    const char *reason = doc ? json_string_value(json_object_get(doc, "reason")) : NULL;
    const char *comment = json_string_value(json_object_get(doc, "public_comment"));
    b->severity = sev && !strcmp(sev, "silence") ? GM_BLOCK_SILENCE : GM_BLOCK_SUSPEND;
    b->reject_media = json_is_true(json_object_get(doc, "reject_media"));
    b->reject_reports = json_is_true(json_object_get(doc, "reject_reports"));
    b->obfuscate = json_is_true(json_object_get(doc, "obfuscate"));
    b->created = json_integer_value(json_object_get(doc, "created"));
    /* a record that is not JSON is a bare reason (suspend): the first layout */
    b->reason = doc ? strdup(reason ? reason : "") : strndup(v->mv_data, v->mv_size);
    b->public_comment = strdup(comment ? comment : "");
    if (!b->reason || !b->public_comment)
        goto out;
    *out = b;
    b = NULL;
    e = GM_OK;
out:
    gm_block_free(b);
    json_decref(doc);
    return e;
}

gm_err gm_block_set(struct gm_txn *txn, const struct gm_block *b)
{
    char d[GM_BLOCK_DOMAIN_MAX + 1];
    const char *reason = b->reason ? b->reason : "", *comment = b->public_comment ? b->public_comment : "";
    if (gm_block_normalise(b->domain, d) != GM_OK || strlen(reason) > GM_BLOCK_REASON_MAX ||
        strlen(comment) > GM_BLOCK_REASON_MAX)
        return GM_EINVAL;
    json_t *doc = json_pack("{s:s, s:s, s:s, s:b, s:b, s:b, s:I}", "severity",
                            b->severity == GM_BLOCK_SILENCE ? "silence" : "suspend", "reason",
                            reason, "public_comment", comment, "reject_media", b->reject_media,
                            "reject_reports", b->reject_reports, "obfuscate", b->obfuscate,
                            "created", (json_int_t)b->created);
    char *s = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    if (!s)
        return GM_ENOMEM;
    MDB_val k = {strlen(d), d}, v = {strlen(s), s};
    int rc = mdb_put(txn->txn, txn->st->dbi[DBI_BLOCKS], &k, &v, 0);
    free(s);
    return gm_store_map_err(rc, "block put");
}

gm_err gm_block_put(struct gm_txn *txn, const char *domain, const char *reason)
{
    struct gm_block b = {.severity = GM_BLOCK_SUSPEND, .reason = (char *)reason};
    if (strlen(domain) > GM_BLOCK_DOMAIN_MAX)
        return GM_EINVAL;
    strcpy(b.domain, domain);
    return gm_block_set(txn, &b);
}

gm_err gm_block_del(struct gm_txn *txn, const char *domain)
{
    char d[GM_BLOCK_DOMAIN_MAX + 1];
    if (gm_block_normalise(domain, d) != GM_OK)
        return GM_ENOTFOUND;
    MDB_val k = {strlen(d), d};
    return gm_store_map_err(mdb_del(txn->txn, txn->st->dbi[DBI_BLOCKS], &k, NULL), "block del");
}

gm_err gm_block_list(struct gm_txn *txn, struct gm_block ***list, size_t *n)
{
    MDB_cursor *cur;
    MDB_val k, v;
    struct gm_block **out = NULL;
    size_t got = 0;
    gm_err e = GM_OK;
    int rc = mdb_cursor_open(txn->txn, txn->st->dbi[DBI_BLOCKS], &cur);
    if (rc)
        return gm_store_map_err(rc, "cursor");
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0 && e == GM_OK;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        struct gm_block **grown = realloc(out, (got + 1) * sizeof *grown);
        if (!grown) {
            e = GM_ENOMEM;
            break;
        }
        out = grown;
        if ((e = decode(k.mv_data, k.mv_size, &v, &out[got])) == GM_OK)
            got++;
    }
    mdb_cursor_close(cur);
    if (e != GM_OK) {
        gm_blocks_free(out, got);
        return e;
    }
    *list = out;
    *n = got;
    return GM_OK;
}

gm_err gm_block_lookup(struct gm_txn *txn, const char *host, struct gm_block **out)
{
    char d[GM_BLOCK_DOMAIN_MAX + 1];
    if (gm_block_normalise(host, d) != GM_OK)
        return GM_ENOTFOUND;
    for (const char *p = d; p; p = strchr(p, '.') ? strchr(p, '.') + 1 : NULL) {
        MDB_val k = {strlen(p), (void *)p}, v;
        int rc = mdb_get(txn->txn, txn->st->dbi[DBI_BLOCKS], &k, &v);
        if (rc == 0)
            return decode(p, strlen(p), &v, out);
        if (rc != MDB_NOTFOUND)
            return gm_store_map_err(rc, "block get");
    }
    return GM_ENOTFOUND;
}

gm_err gm_block_find(struct gm_txn *txn, const char *host, char *which, size_t size)
{
    struct gm_block *b = NULL;
    gm_err e = gm_block_lookup(txn, host, &b);
    if (e == GM_OK && b->severity != GM_BLOCK_SUSPEND)
        e = GM_ENOTFOUND;
    if (e == GM_OK && which)
        snprintf(which, size, "%s", b->domain);
    gm_block_free(b);
    return e;
}

/* The host part of an http(s) URL, userinfo skipped. */
static const char *url_host(const char *url)
{
    const char *h = strstr(url, "://");
    if (!h)
        return NULL;
    h += 3;
    const char *at = strchr(h, '@'), *slash = strchr(h, '/');
    return at && (!slash || at < slash) ? at + 1 : h;
}

gm_err gm_block_find_url(struct gm_txn *txn, const char *url)
{
    const char *h = url_host(url);
    return h ? gm_block_find(txn, h, NULL, 0) : GM_ENOTFOUND;
}

gm_err gm_block_severity_url(struct gm_txn *txn, const char *url,
                             enum gm_block_severity *severity)
{
    struct gm_block *b = NULL;
    const char *h = url_host(url);
    gm_err e = h ? gm_block_lookup(txn, h, &b) : GM_ENOTFOUND;
    if (e == GM_OK)
        *severity = b->severity;
    gm_block_free(b);
    return e;
}
