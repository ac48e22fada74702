/* SPDX-License-Identifier: Apache-2.0
 * nodeinfo.c - learn a host's software name. Two plain-JSON fetches through the hardened fetch
 * (same address, size and time guards), the document link must stay on the host's origin. */
#include "gemeinde/nodeinfo.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "gemeinde/app.h"
#include "gemeinde/blocks.h"
#include "gemeinde/fetch.h"
#include "gemeinde/hosts.h"
#include "gemeinde/log.h"

static gm_err get_json(struct gm_app *app, const struct gm_fetch_signer *signer,
                       struct gm_fetch_budget *budget, const char *url,
                       struct gm_fetch_result *res)
{
    struct gm_fetch_opts opts = {.base_url = app->base_url, .budget = budget, .signer = signer,
                                 .plain_json = true, .total_timeout_ms = 5000,
                                 .max_bytes = 64 * 1024,
                                 .allow_http = app->cfg && app->cfg->allow_http_fetch,
                                 .allow_private = app->cfg && app->cfg->allow_private_addresses};
    return gm_fetch_json(&opts, url, res);
}

/* The 2.x document link of a /.well-known/nodeinfo answer, if on `origin`. */
static const char *doc_link(json_t *links_doc, const char *origin)
{
    size_t i;
    json_t *link;
    const char *best = NULL;
    json_array_foreach(json_object_get(links_doc, "links"), i, link)
    {
        const char *rel = json_string_value(json_object_get(link, "rel"));
        const char *href = json_string_value(json_object_get(link, "href"));
        if (rel && href && strstr(rel, "nodeinfo.diaspora.software/ns/schema/2.") &&
            gm_fetch_same_origin(href, origin))
            best = href; /* the last listed is usually the newest schema */
    }
    return best;
}

static void fetch_software(struct gm_app *app, const struct gm_fetch_signer *signer,
                           const char *origin, char *out, size_t size)
{
    struct gm_fetch_budget budget = {2};
    struct gm_fetch_result links = {0}, doc = {0};
    char url[GM_FETCH_MAX_ORIGIN + 32];
    out[0] = '\0';
    snprintf(url, sizeof url, "%s/.well-known/nodeinfo", origin);
    if (get_json(app, signer, &budget, url, &links) != GM_OK)
        goto out;
    const char *href = doc_link(links.doc, origin);
    if (!href || get_json(app, signer, &budget, href, &doc) != GM_OK)
        goto out;
    const char *name =
        json_string_value(json_object_get(json_object_get(doc.doc, "software"), "name"));
    for (size_t i = 0; name && name[i] && i + 1 < size; i++) {
        out[i] = (char)tolower((unsigned char)name[i]);
        out[i + 1] = '\0';
    }
out:
    gm_fetch_result_free(&links);
    gm_fetch_result_free(&doc);
}

gm_err gm_nodeinfo_learn(struct gm_app *app, const struct gm_fetch_signer *signer,
                         const char *actor_url)
{
    char origin[GM_FETCH_MAX_ORIGIN], host[GM_FETCH_MAX_ORIGIN];
    struct gm_host h;
    struct gm_txn *txn;
    int64_t now = (int64_t)time(NULL);
    if (gm_fetch_origin(actor_url, origin, sizeof origin) != GM_OK ||
        gm_fetch_authority(actor_url, host, sizeof host) != GM_OK)
        return GM_OK;
    gm_err e = gm_txn_begin(app->st, false, &txn);
    if (e != GM_OK)
        return e;
    gm_host_get(txn, host, &h);
    /* a suspended host is only ever sent the Reject of its Follow: it is not probed */
    int suspended = gm_block_find(txn, host, NULL, 0) == GM_OK;
    gm_txn_abort(txn);
    if (suspended)
        return GM_OK;
    int64_t ttl = h.software[0] ? GM_NODEINFO_TTL : 24 * 3600;
    if (h.software_at && now - h.software_at < ttl)
        return GM_OK;
    char software[sizeof h.software];
    fetch_software(app, signer, origin, software, sizeof software);
    gm_info("nodeinfo: %s runs %s", host, software[0] ? software : "(unknown)");
    if ((e = gm_txn_begin(app->st, true, &txn)) != GM_OK)
        return e;
    gm_host_get(txn, host, &h); /* re-read: delivery may have changed it meanwhile */
    memcpy(h.software, software, sizeof h.software);
    h.software_at = now;
    if ((e = gm_host_put(txn, host, &h)) != GM_OK) {
        gm_txn_abort(txn);
        return e;
    }
    return gm_txn_commit(txn);
}
