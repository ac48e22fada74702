/* SPDX-License-Identifier: Apache-2.0
 * cli_moderate.c - the community moderation commands: `pending` (requests to join), `held`
 * (posts waiting for approval), `ban`/`unban`/`bans`, `mod` (moderators) and `inbox` (DMs to
 * the community). Each action calls the operation the admin API and DM commands use, in one
 * write transaction; what it sends goes out through the running daemon's delivery queue. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gemeinde/ckv.h"
#include "gemeinde/cli.h"
#include "gemeinde/community.h"
#include "gemeinde/dm_commands.h"
#include "gemeinde/membership.h"
#include "gemeinde/post_policy.h"
#include "gemeinde/store.h"

#define LIST_MAX 1000

static int usage(void)
{
    fprintf(stderr,
            "usage: gemeinde pending NAME [--json] | pending NAME approve|reject WHO [--reason T]\n"
            "       gemeinde held NAME [--json]    | held NAME approve|reject POST-URL [--reason T]\n"
            "       gemeinde ban NAME WHO --reason TEXT [--days N] | unban NAME WHO | bans NAME [--json]\n"
            "       gemeinde mod NAME [list] [--json] | mod NAME add|remove WHO\n"
            "       gemeinde inbox NAME [--json]\n"
            "WHO is an account URL or @user@host (of an account this node has seen).\n");
    return GM_EXIT_USAGE;
}

struct op {
    const char *cmd, *action, *name, *who, *reason;
    int days;
    char *actor; /* resolved WHO */
};

static int fail(gm_err e, const struct op *o)
{
    const char *what = e == GM_ENOTFOUND ? "not found (no such community, request, post or ban)"
                       : e == GM_EEXISTS ? "already done"
                       : e == GM_EINVAL  ? "invalid argument (a reason may be required)"
                                         : gm_strerror(e);
    fprintf(stderr, "gemeinde %s %s: %s\n", o->cmd, o->name, what);
    return e == GM_EINVAL || e == GM_ENOTFOUND || e == GM_EEXISTS ? GM_EXIT_USAGE : GM_EXIT_FAIL;
}

/* Resolve o->who inside the transaction, then perform o->action. */
static gm_err perform(struct gm_txn *txn, struct gm_rules_ctx *ctx, void *arg)
{
    struct op *o = arg;
    const char *by = gm_cli_moderator(), *c = o->name;
    gm_err e = gm_community_has(txn, c);
    if (e == GM_OK && strcmp(o->cmd, "held") != 0 &&
        (e = gm_membership_resolve(txn, o->who, &o->actor)) != GM_OK)
        fprintf(stderr, "gemeinde: '%s' is not an account URL or a handle this node has seen\n",
                o->who);
    if (e != GM_OK)
        return e;
    const char *a = o->actor, *cmd = o->cmd, *act = o->action;
    int approve = act && !strcmp(act, "approve");
    if (!strcmp(cmd, "pending"))
        return approve ? gm_membership_approve(txn, ctx, c, a, by)
                       : gm_membership_reject(txn, ctx, c, a, by, o->reason);
    if (!strcmp(cmd, "held"))
        return approve ? gm_held_approve(txn, ctx, c, o->who, by)
                       : gm_held_reject(txn, ctx, c, o->who, by, o->reason);
    if (!strcmp(cmd, "ban"))
        return gm_membership_ban(txn, ctx, c, a, o->days ? ctx->now + (int64_t)o->days * 86400 : 0,
                                 by, o->reason);
    if (!strcmp(cmd, "unban"))
        return gm_membership_unban(txn, ctx, c, a, by);
    return !strcmp(act, "add") ? gm_moderator_add(txn, ctx, c, a, by)
                               : gm_moderator_remove(txn, ctx, c, a, by);
}

static enum gm_ckv_table table_of(const char *cmd)
{
    return !strcmp(cmd, "pending") ? GM_CKV_PENDING
           : !strcmp(cmd, "held")  ? GM_CKV_HELD
           : !strcmp(cmd, "bans")  ? GM_CKV_BANS
                                   : GM_CKV_MODERATORS;
}

static void print_row(const char *cmd, const char *key, json_t *v)
{
    char when[32];
    time_t t = (time_t)json_integer_value(json_object_get(v, "at"));
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(when, sizeof when, "%Y-%m-%d %H:%M", &tm);
    if (!strcmp(cmd, "held"))
        printf("%s  %s\n    by %s, held for: %s\n", when, key,
               json_string_value(json_object_get(v, "actor")),
               json_string_value(json_object_get(v, "rule")));
    else if (!strcmp(cmd, "bans")) {
        char until[32] = "permanent";
        time_t u = (time_t)json_integer_value(json_object_get(v, "until"));
        if (u) {
            gmtime_r(&u, &tm);
            strftime(until, sizeof until, "until %Y-%m-%d %H:%M", &tm);
        }
        printf("%s  %s  %s: %s\n", when, key, until,
               json_string_value(json_object_get(v, "reason")));
    }
    else if (!strcmp(cmd, "inbox"))
        printf("%s  from %s\n    %s\n", when, json_string_value(json_object_get(v, "from")),
               json_string_value(json_object_get(v, "content")));
    else
        printf("%s  %s\n", when, key);
}

static int list(struct gm_store *st, const char *cmd, const char *name, int json)
{
    struct gm_txn *txn;
    json_t *page = NULL, *item;
    size_t i;
    gm_err e = gm_txn_begin(st, false, &txn);
    if (e == GM_OK && (e = gm_community_has(txn, name)) == GM_OK)
        e = !strcmp(cmd, "inbox") ? gm_dm_inbox(txn, name, 0, LIST_MAX, &page)
                                  : gm_ckv_page(txn, table_of(cmd), name, NULL, LIST_MAX, &page);
    gm_txn_abort(txn);
    if (e != GM_OK) {
        struct op o = {.cmd = cmd, .name = name};
        return fail(e, &o);
    }
    if (json) {
        gm_cli_print_json(page);
        return GM_EXIT_OK;
    }
    json_array_foreach(page, i, item)
        print_row(cmd, json_string_value(json_object_get(item, "key")), json_object_get(item, "value"));
    if (!json_array_size(page))
        printf("none\n");
    json_decref(page);
    return GM_EXIT_OK;
}

/* Options after the positional arguments: --reason, --days, --json. */
static int options(int argc, char **argv, struct op *o, int *json)
{
    for (int i = 0; i < argc; i++) {
        int has = i + 1 < argc;
        if (!strcmp(argv[i], "--reason") && has)
            o->reason = argv[++i];
        else if (!strcmp(argv[i], "--days") && has) {
            char *end;
            long d = strtol(argv[++i], &end, 10);
            if (*end || d < 1 || d > 36500) {
                fprintf(stderr, "gemeinde: --days is a whole number of days, 1-36500\n");
                return GM_EXIT_USAGE;
            }
            o->days = (int)d;
        } else if (!strcmp(argv[i], "--json"))
            *json = 1;
        else
            return usage();
    }
    return GM_EXIT_OK;
}

/* Positional shape of each command: how many words before the options. */
static int parse(int argc, char **argv, struct op *o, int *is_list, int *used)
{
    const char *cmd = o->cmd;
    if (argc < 2 || argv[1][0] == '-' || !gm_community_name_valid(argv[1]))
        return 0;
    o->name = argv[1];
    *is_list = 0;
    if (!strcmp(cmd, "bans") || !strcmp(cmd, "inbox")) {
        *is_list = 1, *used = 2;
    } else if (!strcmp(cmd, "ban") || !strcmp(cmd, "unban")) {
        if (argc < 3)
            return 0;
        o->who = argv[2], *used = 3;
    } else if (argc < 3 || argv[2][0] == '-' || (!strcmp(cmd, "mod") && !strcmp(argv[2], "list"))) {
        *is_list = 1, *used = argc >= 3 && argv[2][0] != '-' ? 3 : 2;
    } else {
        int answer = !strcmp(argv[2], "approve") || !strcmp(argv[2], "reject");
        int modop = !strcmp(argv[2], "add") || !strcmp(argv[2], "remove");
        if (argc < 4 || (strcmp(cmd, "mod") ? !answer : !modop))
            return 0;
        o->action = argv[2], o->who = argv[3], *used = 4;
    }
    return 1;
}

static const char *done_text(const struct op *o)
{
    if (!strcmp(o->cmd, "ban"))
        return "banned";
    if (!strcmp(o->cmd, "unban"))
        return "unbanned";
    if (!strcmp(o->cmd, "mod"))
        return !strcmp(o->action, "add") ? "is now a moderator:" : "is no longer a moderator:";
    return !strcmp(o->action, "approve") ? "approved" : "rejected";
}

int gm_cli_moderate(const struct gm_config *cfg, int argc, char **argv)
{
    struct op o = {.cmd = argc ? argv[0] : ""};
    int is_list, used, json = 0, rc;
    if (!parse(argc, argv, &o, &is_list, &used))
        return usage();
    if ((rc = options(argc - used, argv + used, &o, &json)) != GM_EXIT_OK)
        return rc;
    if (!strcmp(o.cmd, "ban") && (!o.reason || !*o.reason)) {
        fprintf(stderr, "gemeinde ban: --reason TEXT is required (the account is told why)\n");
        return GM_EXIT_USAGE;
    }
    struct gm_store *st;
    if ((rc = gm_cli_open_store(cfg, &st)) != GM_EXIT_OK)
        return rc;
    if (is_list) {
        rc = list(st, o.cmd, o.name, json);
    } else {
        gm_err e = gm_cli_run_op(cfg, st, perform, &o);
        rc = e == GM_OK ? GM_EXIT_OK : fail(e, &o);
        if (e == GM_OK)
            printf("%s %s %s\n", o.name, done_text(&o), o.who);
    }
    free(o.actor);
    gm_store_close(st);
    return rc;
}
