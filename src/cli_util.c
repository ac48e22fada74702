/* SPDX-License-Identifier: Apache-2.0
 * cli_util.c - what the subcommands share: opening the store with a clear message, printing
 * JSON results, and naming who acts in the moderation log. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

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
