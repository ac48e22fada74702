/* SPDX-License-Identifier: Apache-2.0
 * cli_members.c - `gemeinde members NAME [--json]` lists a community's members;
 * `gemeinde members NAME --remove ACTOR` ends a membership without telling the member anything
 * they could misread (no Reject is sent; they simply stop receiving the community's posts), and
 * records it in the moderation log. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gemeinde/cli.h"
#include "gemeinde/community.h"
#include "gemeinde/members.h"
#include "gemeinde/moderation.h"
#include "gemeinde/store.h"

static int list(struct gm_store *st, const char *name, int json)
{
    struct gm_txn *txn;
    struct gm_member **m = NULL;
    size_t n = 0;
    gm_err e = gm_txn_begin(st, false, &txn);
    if (e == GM_OK) {
        e = gm_member_list(txn, name, &m, &n);
        gm_txn_abort(txn);
    }
    if (e != GM_OK) {
        fprintf(stderr, "gemeinde: %s\n", gm_strerror(e));
        return GM_EXIT_FAIL;
    }
    json_t *arr = json ? json_array() : NULL;
    for (size_t i = 0; i < n; i++) {
        char when[32];
        time_t t = (time_t)m[i]->since;
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
        if (arr)
            json_array_append_new(arr, json_pack("{s:s, s:s, s:s*, s:s}", "actor", m[i]->actor,
                                                 "inbox", m[i]->inbox, "shared_inbox",
                                                 m[i]->shared_inbox, "since", when));
        else
            printf("%s  since %s\n", m[i]->actor, when);
    }
    if (arr) {
        gm_cli_print_json(arr);
    } else if (n == 0) {
        printf("no members yet\n");
    }
    gm_members_free(m, n);
    return GM_EXIT_OK;
}

/* Through the operation the admin API shares (logged in the moderation log). */
static int remove_member(struct gm_store *st, const char *name, const char *actor)
{
    gm_err e = gm_mod_member_remove(st, name, actor, gm_cli_moderator(), NULL);
    if (e == GM_ENOTFOUND) {
        fprintf(stderr, "gemeinde: %s is not a member of %s\n", actor, name);
        return GM_EXIT_USAGE;
    }
    if (e != GM_OK) {
        fprintf(stderr, "gemeinde: %s\n", gm_strerror(e));
        return GM_EXIT_FAIL;
    }
    printf("removed %s from %s\n", actor, name);
    return GM_EXIT_OK;
}

int gm_cli_members(const struct gm_config *cfg, int argc, char **argv)
{
    const char *remove = NULL;
    int json = 0;
    if (argc < 1 || argv[0][0] == '-') {
        fprintf(stderr, "usage: gemeinde members NAME [--json] [--remove ACTOR]\n");
        return GM_EXIT_USAGE;
    }
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json"))
            json = 1;
        else if (!strcmp(argv[i], "--remove") && i + 1 < argc)
            remove = argv[++i];
        else {
            fprintf(stderr, "gemeinde members: unknown or incomplete option '%s'\n", argv[i]);
            return GM_EXIT_USAGE;
        }
    }
    struct gm_store *st;
    int rc = gm_cli_open_store(cfg, &st);
    if (rc != GM_EXIT_OK)
        return rc;
    if (gm_community_exists(st, argv[0]) != GM_OK) {
        fprintf(stderr, "gemeinde: community '%s' does not exist\n", argv[0]);
        rc = GM_EXIT_USAGE;
    } else {
        rc = remove ? remove_member(st, argv[0], remove) : list(st, argv[0], json);
    }
    gm_store_close(st);
    return rc;
}
