/* SPDX-License-Identifier: Apache-2.0
 * api_blocks.c - admin API handlers for node-wide domain blocks: list, add, remove, and
 * Mastodon's domain-block CSV out and in. Each calls the operation of moderation.h that
 * `gemeinde block` calls. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api_int.h"
#include "gemeinde/blocks.h"
#include "gemeinde/moderation.h"

gm_err gm_api_blocks_list(struct gm_api_call *call)
{
    struct gm_txn *txn;
    struct gm_block **list = NULL;
    size_t n = 0;
    gm_err e = gm_txn_begin(call->app->st, false, &txn);
    if (e != GM_OK)
        return e;
    e = gm_block_list(txn, &list, &n);
    gm_txn_abort(txn);
    json_t *blocks = json_array();
    for (size_t i = 0; e == GM_OK && i < n; i++)
        if (!blocks || json_array_append_new(blocks, gm_mod_block_json(list[i])) != 0)
            e = GM_ENOMEM;
    gm_blocks_free(list, n);
    if (e != GM_OK) {
        json_decref(blocks);
        return e;
    }
    return gm_api_reply(call, json_pack("{s:o}", "blocks", blocks));
}

/* A text field of the body, at most GM_BLOCK_REASON_MAX bytes; "" when absent. */
static gm_err reason_field(struct gm_api_call *call, const char *key, const char **out)
{
    gm_err e = gm_api_string(call, key, false, out);
    if (e == GM_OK && !*out)
        *out = "";
    if (e == GM_OK && strlen(*out) > GM_BLOCK_REASON_MAX)
        return gm_api_fail(call, GM_EINVAL, "%s: at most %d bytes", key, GM_BLOCK_REASON_MAX);
    return e;
}

/* POST {domain, severity, reason, public_comment}: add or replace a block. */
gm_err gm_api_block_add(struct gm_api_call *call)
{
    static const char *const fields[] = {"domain", "severity", "reason", "public_comment", NULL};
    struct gm_block b = {.severity = GM_BLOCK_SUSPEND, .created = (int64_t)time(NULL)};
    const char *domain, *severity, *reason = NULL, *comment = NULL;
    size_t removed = 0;
    gm_err e = gm_api_fields(call, fields);
    if (e == GM_OK && (e = gm_api_string(call, "domain", true, &domain)) == GM_OK &&
        gm_block_normalise(domain, b.domain) != GM_OK)
        e = gm_api_fail(call, GM_EINVAL, "domain: not a domain name (e.g. spam.example)");
    if (e == GM_OK && (e = gm_api_string(call, "severity", false, &severity)) == GM_OK &&
        severity && gm_mod_severity_parse(severity, &b.severity) != GM_OK)
        e = gm_api_fail(call, GM_EINVAL, "severity: suspend or silence");
    if (e == GM_OK && (e = reason_field(call, "reason", &reason)) == GM_OK)
        e = reason_field(call, "public_comment", &comment);
    b.reason = (char *)reason;
    b.public_comment = (char *)comment;
    if (e == GM_OK)
        e = gm_mod_block_add(call->app->st, &b, GM_API_MODERATOR, &removed);
    if (e != GM_OK)
        return e;
    return gm_api_reply(call, json_pack("{s:o, s:I}", "block", gm_mod_block_json(&b),
                                        "memberships_ended", (json_int_t)removed));
}

gm_err gm_api_block_remove(struct gm_api_call *call)
{
    char domain[GM_BLOCK_DOMAIN_MAX + 1];
    gm_err e = gm_block_normalise(call->param[0], domain) == GM_OK
                   ? gm_mod_block_remove(call->app->st, domain, GM_API_MODERATOR)
                   : GM_ENOTFOUND;
    if (e == GM_ENOTFOUND)
        return gm_api_fail(call, e, "no block for '%.200s'", call->param[0]);
    return e == GM_OK ? gm_api_reply(call, json_pack("{s:s}", "removed", domain)) : e;
}

gm_err gm_api_blocks_export(struct gm_api_call *call)
{
    char *csv;
    gm_err e = gm_mod_block_export(call->app->st, &csv);
    if (e != GM_OK)
        return e;
    gm_http_resp_take(call->resp, csv, strlen(csv), "text/csv; charset=utf-8");
    return GM_OK;
}

/* A CSV body, checked whole before anything is imported. */
gm_err gm_api_blocks_import(struct gm_api_call *call)
{
    char err[GM_API_ERRLEN - 32] = "";
    size_t imported = 0, removed = 0;
    gm_err e = gm_mod_block_import(call->app->st, call->text, GM_API_MODERATOR, &imported, &removed,
                                   err, sizeof err);
    if (e == GM_EINVAL)
        return gm_api_fail(call, e, "%s (nothing imported)", err[0] ? err : "not a block list");
    if (e != GM_OK)
        return e;
    return gm_api_reply(call, json_pack("{s:I, s:I}", "imported", (json_int_t)imported,
                                        "memberships_ended", (json_int_t)removed));
}
