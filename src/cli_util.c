/* SPDX-License-Identifier: Apache-2.0
 * cli_util.c - what the subcommands share: opening the store with a clear message, printing
 * JSON results, and naming the person at the shell for the moderation log. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "gemeinde/rules.h"

#include "gemeinde/cli.h"
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
    char *base = gm_config_base_url(cfg, cfg->listen_port);
    struct gm_txn *txn = NULL;
    gm_err e = base ? gm_txn_begin(st, true, &txn) : GM_ENOMEM;
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
