/* SPDX-License-Identifier: Apache-2.0
 * moderation.c - domain blocks as moderators manage them: add (a suspend ends the domain's
 * memberships in the same transaction), remove, and Mastodon-compatible CSV import/export
 * (RFC 4180 quoting). */
#include "gemeinde/moderation.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gemeinde/buf.h"
#include "gemeinde/community.h"
#include "gemeinde/log.h"
#include "gemeinde/members.h"
#include "gemeinde/modlog.h"

#define CSV_FIELDS 6
#define CSV_FIELD_MAX (GM_BLOCK_REASON_MAX + 1)

/* End the memberships of actors on suspended domains, in every community. */
static gm_err remove_suspended_members(struct gm_txn *txn, size_t *removed)
{
    char **names;
    size_t n;
    gm_err e = gm_community_list(txn, &names, &n);
    if (e != GM_OK)
        return e;
    for (size_t i = 0; e == GM_OK && i < n; i++) {
        struct gm_member **m;
        size_t count;
        if ((e = gm_member_list(txn, names[i], &m, &count)) != GM_OK)
            break;
        for (size_t j = 0; e == GM_OK && j < count; j++) {
            if (gm_block_find_url(txn, m[j]->actor) != GM_OK)
                continue;
            if ((e = gm_member_delete(txn, names[i], m[j]->actor)) == GM_OK) {
                (*removed)++;
                gm_info("moderation: %s removed from %s (domain suspended)", m[j]->actor,
                        names[i]);
            }
        }
        gm_members_free(m, count);
    }
    gm_community_names_free(names, n);
    return e;
}

gm_err gm_mod_log(struct gm_txn *txn, const char *community, const char *moderator,
                  const char *action, const char *target, const char *public_reason,
                  const char *private_note)
{
    return gm_modlog_add(txn, (int64_t)time(NULL), community, moderator, action, target,
                         public_reason, private_note);
}

gm_err gm_mod_severity_parse(const char *word, enum gm_block_severity *severity)
{
    if (!strcmp(word, "suspend"))
        *severity = GM_BLOCK_SUSPEND;
    else if (!strcmp(word, "silence"))
        *severity = GM_BLOCK_SILENCE;
    else
        return GM_EINVAL;
    return GM_OK;
}

const char *gm_mod_severity_name(enum gm_block_severity severity)
{
    return severity == GM_BLOCK_SILENCE ? "silence" : "suspend";
}

json_t *gm_mod_block_json(const struct gm_block *b)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:b, s:b, s:b, s:I}", "domain", b->domain,
                     "severity", gm_mod_severity_name(b->severity), "reason",
                     b->reason ? b->reason : "", "public_comment",
                     b->public_comment ? b->public_comment : "", "reject_media", b->reject_media,
                     "reject_reports", b->reject_reports, "obfuscate", b->obfuscate, "created",
                     (json_int_t)b->created);
}

/* Set each block (logged), then end suspended memberships, in one transaction. */
static gm_err apply_blocks(struct gm_store *st, struct gm_block *const *blocks, size_t n,
                           const char *moderator, size_t *removed)
{
    struct gm_txn *txn;
    size_t gone = 0;
    int suspends = 0;
    gm_err e = gm_txn_begin(st, true, &txn);
    if (e != GM_OK)
        return e;
    for (size_t i = 0; e == GM_OK && i < n; i++) {
        const struct gm_block *b = blocks[i];
        e = gm_block_set(txn, b);
        if (e == GM_OK)
            e = gm_mod_log(txn, "", moderator, gm_mod_severity_name(b->severity), b->domain,
                           b->public_comment, b->reason);
        suspends |= b->severity == GM_BLOCK_SUSPEND;
    }
    if (e == GM_OK && suspends)
        e = remove_suspended_members(txn, &gone);
    if (e != GM_OK) {
        gm_txn_abort(txn);
        return e;
    }
    if ((e = gm_txn_commit(txn)) == GM_OK && removed)
        *removed = gone;
    return e;
}

gm_err gm_mod_block_add(struct gm_store *st, const struct gm_block *b, const char *moderator,
                        size_t *removed)
{
    struct gm_block copy = *b;
    struct gm_block *one = &copy;
    if (!copy.created)
        copy.created = (int64_t)time(NULL);
    return apply_blocks(st, &one, 1, moderator, removed);
}

gm_err gm_mod_block_remove(struct gm_store *st, const char *domain, const char *moderator)
{
    struct gm_txn *txn;
    char d[GM_BLOCK_DOMAIN_MAX + 1];
    if (gm_block_normalise(domain, d) != GM_OK)
        return GM_ENOTFOUND;
    gm_err e = gm_txn_begin(st, true, &txn);
    if (e != GM_OK)
        return e;
    if ((e = gm_block_del(txn, d)) != GM_OK ||
        (e = gm_mod_log(txn, "", moderator, "unblock", d, "", "")) != GM_OK) {
        gm_txn_abort(txn);
        return e;
    }
    return gm_txn_commit(txn);
}

/* One CSV record from *p (RFC 4180: quoted fields, "" inside quotes, CRLF or LF). Returns the
 * number of fields (at most CSV_FIELDS kept), 0 at the end of the text, -1 when malformed. */
static int csv_record(const char **p, char fields[CSV_FIELDS][CSV_FIELD_MAX])
{
    const char *s = *p;
    int nf = 0;
    if (!*s)
        return 0;
    for (;;) {
        char *out = nf < CSV_FIELDS ? fields[nf] : NULL;
        size_t len = 0;
        if (*s == '"') {
            for (s++;; s++) {
                if (!*s)
                    return -1; /* unterminated quote */
                if (*s == '"' && s[1] == '"')
                    s++;
                else if (*s == '"') {
                    s++;
                    break;
                }
                if (out && len + 1 < CSV_FIELD_MAX)
                    out[len++] = *s;
                else if (out)
                    return -1; /* over the cap */
            }
        } else {
            for (; *s && *s != ',' && *s != '\n' && *s != '\r'; s++) {
                if (out && len + 1 < CSV_FIELD_MAX)
                    out[len++] = *s;
                else if (out)
                    return -1;
            }
        }
        if (out)
            out[len] = '\0';
        nf++;
        if (*s == ',') {
            s++;
            continue;
        }
        if (*s == '\r')
            s++;
        if (*s == '\n')
            s++;
        else if (*s)
            return -1; /* text after a closing quote */
        *p = s;
        return nf;
    }
}

static int csv_bool(const char *v) { return !strcmp(v, "true") || !strcmp(v, "1"); }

/* A record as a block. 1: a block; 0: skip (header, noop, empty); -1: bad. */
static int record_to_block(char f[CSV_FIELDS][CSV_FIELD_MAX], int nf, struct gm_block *b)
{
    if (nf == 1 && !f[0][0])
        return 0; /* empty line */
    if (f[0][0] == '#')
        return 0; /* the header */
    memset(b, 0, sizeof *b);
    if (gm_block_normalise(f[0], b->domain) != GM_OK)
        return -1;
    const char *sev = nf > 1 ? f[1] : "suspend";
    if (!strcmp(sev, "noop"))
        return 0;
    if (!strcmp(sev, "silence") || !strcmp(sev, "limit"))
        b->severity = GM_BLOCK_SILENCE;
    else if (!strcmp(sev, "suspend") || !sev[0])
        b->severity = GM_BLOCK_SUSPEND;
    else
        return -1;
    b->reject_media = nf > 2 && csv_bool(f[2]);
    b->reject_reports = nf > 3 && csv_bool(f[3]);
    b->public_comment = nf > 4 ? f[4] : "";
    b->obfuscate = nf > 5 && csv_bool(f[5]);
    b->reason = "";
    return 1;
}

gm_err gm_mod_block_import(struct gm_store *st, const char *csv, const char *moderator,
                           size_t *imported, size_t *removed, char *err, size_t errlen)
{
    char (*fields)[CSV_FIELD_MAX] = malloc(CSV_FIELDS * CSV_FIELD_MAX);
    struct gm_block **blocks = NULL;
    size_t n = 0, line = 0;
    gm_err e = fields ? GM_OK : GM_ENOMEM;
    int64_t now = (int64_t)time(NULL);
    for (const char *p = csv; e == GM_OK;) {
        struct gm_block b;
        int nf = csv_record(&p, fields);
        line++;
        if (nf == 0)
            break;
        int r = nf < 0 ? -1 : record_to_block(fields, nf, &b);
        if (r < 0) {
            snprintf(err, errlen, "line %zu: not a domain block (domain,severity,...)", line);
            e = GM_EINVAL;
        } else if (r > 0) {
            struct gm_block **grown = realloc(blocks, (n + 1) * sizeof *grown);
            struct gm_block *copy = grown ? calloc(1, sizeof *copy) : NULL;
            if (grown)
                blocks = grown;
            if (!copy) {
                e = GM_ENOMEM;
                break;
            }
            *copy = b;
            copy->created = now;
            copy->reason = strdup("imported");
            copy->public_comment = strdup(b.public_comment);
            blocks[n++] = copy;
            if (!copy->reason || !copy->public_comment)
                e = GM_ENOMEM;
        }
    }
    if (e == GM_OK)
        e = apply_blocks(st, blocks, n, moderator, removed);
    if (e == GM_OK)
        *imported = n;
    gm_blocks_free(blocks, n);
    free(fields);
    return e;
}

/* A CSV field, quoted when it needs to be. */
static void put_field(struct gm_buf *out, const char *v)
{
    if (!strpbrk(v, ",\"\r\n")) {
        gm_buf_puts(out, v);
        return;
    }
    gm_buf_puts(out, "\"");
    for (; *v; v++)
        gm_buf_append(out, *v == '"' ? "\"\"" : v, *v == '"' ? 2 : 1);
    gm_buf_puts(out, "\"");
}

gm_err gm_mod_block_export(struct gm_store *st, char **csv)
{
    struct gm_txn *txn;
    struct gm_block **list;
    struct gm_buf out;
    size_t n;
    gm_err e = gm_txn_begin(st, false, &txn);
    if (e != GM_OK)
        return e;
    e = gm_block_list(txn, &list, &n);
    gm_txn_abort(txn);
    if (e != GM_OK)
        return e;
    gm_buf_init(&out, 64 * 1024 * 1024);
    gm_buf_puts(&out, "#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate\n");
    for (size_t i = 0; i < n; i++) {
        const struct gm_block *b = list[i];
        gm_buf_printf(&out, "%s,%s,%s,%s,", b->domain, gm_mod_severity_name(b->severity),
                      b->reject_media ? "true" : "false", b->reject_reports ? "true" : "false");
        put_field(&out, b->public_comment);
        gm_buf_printf(&out, ",%s\n", b->obfuscate ? "true" : "false");
    }
    gm_blocks_free(list, n);
    return gm_buf_take(&out, csv, NULL);
}
