/* SPDX-License-Identifier: Apache-2.0
 * cli_remove.c - `gemeinde remove NAME POST-URL --reason TEXT`: take a relayed post back from
 * every member's server (removal.h). The reason is required: it is published in the
 * moderation log and sent to group-aware servers with the removal. The deliveries are queued
 * with the change; the running daemon's delivery worker sends them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gemeinde/cli.h"
#include "gemeinde/removal.h"
#include "gemeinde/store.h"

static int usage(void)
{
    fprintf(stderr, "usage: gemeinde remove NAME POST-URL --reason TEXT\n");
    return GM_EXIT_USAGE;
}

static int explain(gm_err e, const char *name, const char *post)
{
    if (e == GM_ENOTFOUND)
        fprintf(stderr, "gemeinde remove: %s never relayed %s\n", name, post);
    else if (e == GM_EEXISTS)
        fprintf(stderr, "gemeinde remove: %s was removed (or deleted by its author) already\n",
                post);
    else if (e == GM_ETOOBIG)
        fprintf(stderr, "gemeinde remove: the reason is over %d bytes\n", GM_REMOVAL_REASON_MAX);
    else
        fprintf(stderr, "gemeinde remove: %s\n", gm_strerror(e));
    return e == GM_ESTORE || e == GM_ENOMEM || e == GM_EINTERNAL ? GM_EXIT_FAIL : GM_EXIT_USAGE;
}

int gm_cli_remove(const struct gm_config *cfg, int argc, char **argv)
{
    const char *pos[2] = {NULL, NULL}, *reason = NULL;
    int npos = 0;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--reason"))
            reason = i + 1 < argc ? argv[++i] : NULL; /* none: said below */
        else if (argv[i][0] != '-' && npos < 2)
            pos[npos++] = argv[i];
        else
            return usage();
    }
    if (npos != 2)
        return usage();
    if (!reason || !reason[strspn(reason, " \t\r\n")]) {
        fprintf(stderr, "gemeinde remove: a reason is required (--reason TEXT); it is published "
                        "in the moderation log and sent with the removal\n");
        return GM_EXIT_USAGE;
    }
    struct gm_store *st;
    struct gm_txn *txn;
    char *base = gm_cli_base_url(cfg);
    int rc = base ? gm_cli_open_community(cfg, pos[0], &st) : GM_EXIT_USAGE;
    if (rc != GM_EXIT_OK) {
        free(base);
        return rc;
    }
    struct gm_rules_ctx ctx = {.base_url = base, .now = (int64_t)time(NULL)};
    gm_err e = gm_txn_begin(st, true, &txn);
    if (e == GM_OK) {
        e = gm_post_remove(txn, &ctx, pos[0], pos[1], gm_cli_moderator(), reason);
        if (e == GM_OK)
            e = gm_txn_commit(txn);
        else
            gm_txn_abort(txn);
    }
    if (e == GM_OK)
        printf("removed %s from %s (an Undo for every member, and the removal for group "
               "servers, queued)\n",
               pos[1], pos[0]);
    else
        rc = explain(e, pos[0], pos[1]);
    gm_store_close(st);
    free(base);
    return rc;
}
