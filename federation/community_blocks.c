/* SPDX-License-Identifier: Apache-2.0
 * community_blocks.c - per-community domain blocks in the ckv table GM_CKV_BLOCKS, keyed by
 * the normalised domain; a lookup walks from the host up through its parent domains, as the
 * node-wide blocks do. */
#include "gemeinde/community_blocks.h"

#include <stdlib.h>
#include <string.h>

#include "gemeinde/ckv.h"
#include "gemeinde/community.h"
#include "gemeinde/fetch.h"
#include "gemeinde/log.h"
#include "gemeinde/members.h"
#include "gemeinde/membership.h"
#include "gemeinde/modlog.h"

static const char *severity_name(enum gm_block_severity s)
{
    return s == GM_BLOCK_SILENCE ? "silence" : "suspend";
}

/* Does the host of `actor` equal `domain` or end in ".domain"? */
static int on_domain(const char *actor, const char *domain)
{
    char host[GM_FETCH_MAX_ORIGIN], d[GM_BLOCK_DOMAIN_MAX + 1];
    if (gm_fetch_authority(actor, host, sizeof host) != GM_OK ||
        gm_block_normalise(host, d) != GM_OK)
        return 0;
    size_t n = strlen(d), m = strlen(domain);
    return n == m ? !strcmp(d, domain) : n > m && d[n - m - 1] == '.' && !strcmp(d + n - m, domain);
}

/* End the memberships of `community` on `domain`: *removed counts them. */
static gm_err suspend_members(struct gm_txn *txn, const char *community, const char *domain,
                              size_t *removed)
{
    struct gm_member **m = NULL;
    size_t n = 0;
    gm_err e = gm_member_list(txn, community, &m, &n);
    for (size_t i = 0; e == GM_OK && i < n; i++) {
        if (!on_domain(m[i]->actor, domain))
            continue;
        /* nothing is sent to a suspended domain: delete without a Reject */
        if ((e = gm_member_delete(txn, community, m[i]->actor)) == GM_OK)
            (*removed)++;
    }
    gm_members_free(m, n);
    json_t *page = NULL;
    if (e == GM_OK && (e = gm_ckv_page(txn, GM_CKV_PENDING, community, NULL, 100000, &page)) == GM_OK) {
        size_t i;
        json_t *item;
        json_array_foreach(page, i, item)
        {
            const char *actor = json_string_value(json_object_get(item, "key"));
            if (e == GM_OK && actor && on_domain(actor, domain))
                e = gm_ckv_del(txn, GM_CKV_PENDING, community, actor);
        }
    }
    json_decref(page);
    return e;
}

gm_err gm_cblock_add(struct gm_txn *txn, struct gm_rules_ctx *ctx, const char *community,
                     const struct gm_block *b, const char *moderator, size_t *removed)
{
    char d[GM_BLOCK_DOMAIN_MAX + 1];
    size_t gone = 0;
    const char *reason = b->reason ? b->reason : "", *pub = b->public_comment ? b->public_comment : "";
    if (gm_block_normalise(b->domain, d) != GM_OK || strlen(reason) > GM_BLOCK_REASON_MAX ||
        strlen(pub) > GM_BLOCK_REASON_MAX)
        return GM_EINVAL;
    if (gm_community_has(txn, community) != GM_OK)
        return GM_ENOTFOUND;
    json_t *rec = json_pack("{s:s, s:s, s:s, s:I, s:s}", "severity", severity_name(b->severity),
                            "reason", reason, "public_comment", pub, "created",
                            (json_int_t)ctx->now, "by", moderator);
    gm_err e = rec ? gm_ckv_put(txn, GM_CKV_BLOCKS, community, d, rec) : GM_ENOMEM;
    json_decref(rec);
    gm_txn_set_now(txn, ctx->now); /* the figures count the members lost now */
    if (e == GM_OK && b->severity == GM_BLOCK_SUSPEND)
        e = suspend_members(txn, community, d, &gone);
    if (e == GM_OK)
        e = gm_modlog_add(txn, ctx->now, community, moderator,
                          b->severity == GM_BLOCK_SILENCE ? "silence" : "block", d, pub, reason);
    if (e == GM_OK) {
        gm_info("blocks: %s %ss %s (%zu members removed)", community, severity_name(b->severity),
                d, gone);
        if (removed)
            *removed = gone;
    }
    return e;
}

gm_err gm_cblock_remove(struct gm_txn *txn, struct gm_rules_ctx *ctx, const char *community,
                        const char *domain, const char *moderator)
{
    char d[GM_BLOCK_DOMAIN_MAX + 1];
    if (gm_block_normalise(domain, d) != GM_OK)
        return GM_ENOTFOUND;
    gm_err e = gm_ckv_del(txn, GM_CKV_BLOCKS, community, d);
    if (e == GM_OK)
        e = gm_membership_log(txn, ctx, community, moderator, "unblock", d, NULL);
    return e;
}

gm_err gm_cblock_list(struct gm_txn *txn, const char *community, json_t **list)
{
    json_t *page = NULL, *out = json_array();
    gm_err e = out ? gm_ckv_page(txn, GM_CKV_BLOCKS, community, NULL, 100000, &page) : GM_ENOMEM;
    size_t i;
    json_t *item;
    json_array_foreach(page, i, item)
    {
        json_t *rec = json_deep_copy(json_object_get(item, "value"));
        if (!rec || json_object_set(rec, "domain", json_object_get(item, "key")) != 0 ||
            json_array_append_new(out, rec) != 0) {
            json_decref(rec);
            e = GM_ENOMEM;
            break;
        }
    }
    json_decref(page);
    if (e != GM_OK) {
        json_decref(out);
        return e;
    }
    *list = out;
    return GM_OK;
}

gm_err gm_cblock_severity_url(struct gm_txn *txn, const char *community, const char *url,
                              enum gm_block_severity *severity)
{
    char host[GM_FETCH_MAX_ORIGIN], d[GM_BLOCK_DOMAIN_MAX + 1];
    gm_err node = gm_block_severity_url(txn, url, severity), e;
    /* a node-wide suspend is final; a node-wide silence can still be a community's suspend */
    if ((node == GM_OK && *severity == GM_BLOCK_SUSPEND) ||
        (node != GM_OK && node != GM_ENOTFOUND) || !community)
        return node;
    if (gm_fetch_authority(url, host, sizeof host) != GM_OK || gm_block_normalise(host, d) != GM_OK)
        return node;
    for (const char *p = d; p; p = strchr(p, '.') ? strchr(p, '.') + 1 : NULL) {
        json_t *rec = NULL;
        if ((e = gm_ckv_get(txn, GM_CKV_BLOCKS, community, p, &rec)) == GM_OK) {
            const char *sev = json_string_value(json_object_get(rec, "severity"));
            /* never looser than the node's: that is a silence at most here */
            *severity = sev && !strcmp(sev, "silence") ? GM_BLOCK_SILENCE : GM_BLOCK_SUSPEND;
            json_decref(rec);
            return GM_OK;
        }
        if (e != GM_ENOTFOUND)
            return e;
    }
    return node;
}
