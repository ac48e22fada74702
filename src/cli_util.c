/* SPDX-License-Identifier: Apache-2.0
 * cli_util.c - what the subcommands share: opening the store with a clear message, printing
 * JSON results, who acts (for the moderation log), the node's base URL, and running one
 * moderation operation in a write transaction. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gemeinde/rules.h"

#include "gemeinde/cli.h"
#include "gemeinde/community.h"
#include "gemeinde/store.h"

int gm_cli_open_store(const struct gm_config *cfg, struct gm_store **st)
{
    char err[512] = "";
    gm_err e = gm_store_open(cfg->data_dir, cfg->map_size_mb, st, err, sizeof err);
    if (e == GM_OK)
        return GM_EXIT_OK;
    fprintf(stderr, "gemeinde: %s\n", err[0] ? err : gm_strerror(e));
    return GM_EXIT_USAGE;
}

int gm_cli_open_community(const struct gm_config *cfg, const char *name, struct gm_store **st)
{
    int rc = gm_cli_open_store(cfg, st);
    if (rc != GM_EXIT_OK)
        return rc;
    if (gm_community_exists(*st, name) == GM_OK)
        return GM_EXIT_OK;
    fprintf(stderr, "gemeinde: community '%s' does not exist\n", name);
    gm_store_close(*st);
    *st = NULL;
    return GM_EXIT_USAGE;
}

void gm_cli_print_json(json_t *doc)
{
    char *s = doc ? json_dumps(doc, JSON_INDENT(2)) : NULL;
    if (s)
        puts(s);
    free(s);
    json_decref(doc);
}

const char *gm_cli_moderator(void)
{
    static char who[96];
    const char *user = getenv("USER");
    snprintf(who, sizeof who, "cli:%s", user && *user ? user : "admin");
    return who;
}

gm_err gm_cli_run_op(const struct gm_config *cfg, struct gm_store *st, gm_cli_op_fn fn,
                     void *arg)
{
    char *base = gm_cli_base_url(cfg);
    struct gm_txn *txn = NULL;
    gm_err e = base ? gm_txn_begin(st, true, &txn) : GM_EINVAL;
    if (e == GM_OK) {
        struct gm_rules_ctx ctx = {.base_url = base, .now = (int64_t)time(NULL)};
        e = fn(txn, &ctx, arg);
        if (e == GM_OK)
            e = gm_txn_commit(txn);
        else
            gm_txn_abort(txn);
    }
    free(base);
    return e;
}

char *gm_cli_base_url(const struct gm_config *cfg)
{
    if (!cfg->base_url && cfg->listen_port == 0) {
        fprintf(stderr, "gemeinde: set base_url in the configuration (or --base-url URL): "
                        "what this command sends names the community by its public URL\n");
        return NULL;
    }
    char *url = gm_config_base_url(cfg, cfg->listen_port);
    if (!url)
        fprintf(stderr, "gemeinde: out of memory\n");
    return url;
}
