/* SPDX-License-Identifier: Apache-2.0
 * cli_block.c - `gemeinde block add|remove|list|import|export`: node-wide domain blocks.
 * Works while the daemon runs; the daemon reads blocks on every request. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gemeinde/cli.h"
#include "gemeinde/community.h"
#include "gemeinde/community_blocks.h"
#include "gemeinde/moderation.h"
#include "gemeinde/rules.h"
#include "gemeinde/store.h"

#define CSV_MAX (16 * 1024 * 1024)

static int usage(void)
{
    fprintf(stderr, "usage: gemeinde block add DOMAIN [--severity suspend|silence] "
                    "[--reason TEXT] [--public-comment TEXT]\n"
                    "       gemeinde block remove DOMAIN\n"
                    "       gemeinde block list [--json]\n"
                    "       gemeinde block import FILE      (Mastodon domain-block CSV)\n"
                    "       gemeinde block export           (the same CSV, to stdout)\n"
                    "       add --community NAME to add, remove or list one community's blocks\n");
    return GM_EXIT_USAGE;
}

static int fail(gm_err e, const char *what)
{
    fprintf(stderr, "gemeinde: %s: %s\n", what, gm_strerror(e));
    return e == GM_EINVAL || e == GM_ENOTFOUND ? GM_EXIT_USAGE : GM_EXIT_FAIL;
}

static int cmd_add(struct gm_store *st, int argc, char **argv)
{
    struct gm_block b = {.severity = GM_BLOCK_SUSPEND, .reason = "", .public_comment = ""};
    if (argc < 1 || gm_block_normalise(argv[0], b.domain) != GM_OK) {
        fprintf(stderr, "gemeinde block add: a domain name is needed, e.g. spam.example\n");
        return GM_EXIT_USAGE;
    }
    for (int i = 1; i < argc; i++) {
        int has = i + 1 < argc;
        if (!strcmp(argv[i], "--severity") && has) {
            if (gm_mod_severity_parse(argv[++i], &b.severity) != GM_OK) {
                fprintf(stderr, "gemeinde block add: --severity is suspend or silence\n");
                return GM_EXIT_USAGE;
            }
        } else if (!strcmp(argv[i], "--reason") && has) {
            b.reason = argv[++i];
        } else if (!strcmp(argv[i], "--public-comment") && has) {
            b.public_comment = argv[++i];
        } else {
            return usage();
        }
    }
    size_t removed = 0;
    gm_err e = gm_mod_block_add(st, &b, gm_cli_moderator(), &removed);
    if (e != GM_OK)
        return fail(e, "block add");
    printf("%s %s", b.severity == GM_BLOCK_SILENCE ? "silenced" : "suspended", b.domain);
    if (removed)
        printf(" (%zu membership%s ended)", removed, removed == 1 ? "" : "s");
    printf("\n");
    return GM_EXIT_OK;
}

static int cmd_list(struct gm_store *st, int json)
{
    struct gm_txn *txn;
    struct gm_block **list;
    size_t n;
    gm_err e = gm_txn_begin(st, false, &txn);
    if (e != GM_OK)
        return fail(e, "block list");
    e = gm_block_list(txn, &list, &n);
    gm_txn_abort(txn);
    if (e != GM_OK)
        return fail(e, "block list");
    json_t *arr = json ? json_array() : NULL;
    for (size_t i = 0; i < n; i++) {
        const struct gm_block *b = list[i];
        if (arr)
            json_array_append_new(arr, gm_mod_block_json(b));
        else
            printf("%-32s %-8s %s%s%s\n", b->domain, gm_mod_severity_name(b->severity),
                   b->reason, b->public_comment[0] ? "  | public: " : "", b->public_comment);
    }
    if (arr) {
        gm_cli_print_json(arr);
    } else if (!n) {
        printf("no blocks\n");
    }
    gm_blocks_free(list, n);
    return GM_EXIT_OK;
}

static int cmd_import(struct gm_store *st, const char *path)
{
    FILE *f = fopen(path, "rb");
    char *text = malloc(CSV_MAX + 1), err[256] = "";
    size_t len = 0, imported = 0, removed = 0;
    if (!f || !text) {
        fprintf(stderr, "gemeinde block import: cannot read '%s'\n", path);
        if (f)
            fclose(f);
        free(text);
        return GM_EXIT_USAGE;
    }
    len = fread(text, 1, CSV_MAX, f);
    int too_big = !feof(f);
    fclose(f);
    text[len] = '\0';
    if (too_big || strlen(text) != len) {
        fprintf(stderr, "gemeinde block import: '%s' is over 16 MiB or not text\n", path);
        free(text);
        return GM_EXIT_USAGE;
    }
    gm_err e = gm_mod_block_import(st, text, gm_cli_moderator(), &imported, &removed, err,
                                   sizeof err);
    free(text);
    if (e != GM_OK) {
        fprintf(stderr, "gemeinde block import: %s: %s (nothing imported)\n", path,
                err[0] ? err : gm_strerror(e));
        return e == GM_EINVAL ? GM_EXIT_USAGE : GM_EXIT_FAIL;
    }
    printf("imported %zu block%s", imported, imported == 1 ? "" : "s");
    if (removed)
        printf(", %zu membership%s ended", removed, removed == 1 ? "" : "s");
    printf("\n");
    return GM_EXIT_OK;
}

struct cblock_op {
    const char *sub, *community;
    struct gm_block b;
    size_t removed;
    json_t *list;
};

static gm_err do_cblock(struct gm_txn *txn, struct gm_rules_ctx *ctx, void *arg)
{
    struct cblock_op *o = arg;
    if (!strcmp(o->sub, "add"))
        return gm_cblock_add(txn, ctx, o->community, &o->b, gm_cli_moderator(), &o->removed);
    if (!strcmp(o->sub, "remove"))
        return gm_cblock_remove(txn, ctx, o->community, o->b.domain, gm_cli_moderator());
    gm_err e = gm_community_has(txn, o->community);
    return e == GM_OK ? gm_cblock_list(txn, o->community, &o->list) : e;
}

/* `block add|remove|list ... --community NAME`: that community's own blocks. */
static int community_block(const struct gm_config *cfg, const char *community, int argc,
                           char **argv)
{
    struct cblock_op o = {.sub = argv[0], .community = community,
                          .b = {.severity = GM_BLOCK_SUSPEND, .reason = "", .public_comment = ""}};
    int json = 0, rc;
    if (strcmp(o.sub, "list") != 0 &&
        (argc < 2 || gm_block_normalise(argv[1], o.b.domain) != GM_OK))
        return usage();
    for (int i = !strcmp(o.sub, "list") ? 1 : 2; i < argc; i++) {
        int has = i + 1 < argc;
        if (!strcmp(argv[i], "--severity") && has && !strcmp(o.sub, "add")) {
            const char *v = argv[++i];
            if (strcmp(v, "suspend") != 0 && strcmp(v, "silence") != 0) {
                fprintf(stderr, "gemeinde block add: --severity is suspend or silence\n");
                return GM_EXIT_USAGE;
            }
            o.b.severity = strcmp(v, "silence") ? GM_BLOCK_SUSPEND : GM_BLOCK_SILENCE;
        } else if (!strcmp(argv[i], "--reason") && has)
            o.b.reason = argv[++i];
        else if (!strcmp(argv[i], "--public-comment") && has)
            o.b.public_comment = argv[++i];
        else if (!strcmp(argv[i], "--json"))
            json = 1;
        else
            return usage();
    }
    struct gm_store *st;
    if ((rc = gm_cli_open_store(cfg, &st)) != GM_EXIT_OK)
        return rc;
    gm_err e = gm_cli_run_op(cfg, st, do_cblock, &o);
    gm_store_close(st);
    if (e != GM_OK)
        return fail(e, community);
    if (!strcmp(o.sub, "list")) {
        size_t i;
        json_t *b;
        if (json)
            gm_cli_print_json(json_incref(o.list));
        else
            json_array_foreach(o.list, i, b)
                printf("%-32s %-8s %s\n", json_string_value(json_object_get(b, "domain")),
                       json_string_value(json_object_get(b, "severity")),
                       json_string_value(json_object_get(b, "reason")));
        json_decref(o.list);
    } else if (!strcmp(o.sub, "add")) {
        printf("%s: %s %s (%zu memberships ended)\n", community,
               o.b.severity == GM_BLOCK_SILENCE ? "silenced" : "suspended", o.b.domain, o.removed);
    } else {
        printf("%s: unblocked %s\n", community, o.b.domain);
    }
    return GM_EXIT_OK;
}

int gm_cli_block(const struct gm_config *cfg, int argc, char **argv)
{
    const char *sub = argc > 0 ? argv[0] : "";
    struct gm_store *st;
    int rc;
    for (int i = 1; i + 1 < argc; i++) { /* --community NAME: that community's own blocks */
        if (strcmp(argv[i], "--community") != 0)
            continue;
        const char *community = argv[i + 1];
        char *rest[64];
        int n = 0;
        for (int j = 0; j < argc && n < 64; j++)
            if (j != i && j != i + 1)
                rest[n++] = argv[j];
        if (!gm_community_name_valid(community) ||
            (strcmp(sub, "add") && strcmp(sub, "remove") && strcmp(sub, "list")))
            return usage();
        return community_block(cfg, community, n, rest);
    }
    if (strcmp(sub, "add") && strcmp(sub, "remove") && strcmp(sub, "list") &&
        strcmp(sub, "import") && strcmp(sub, "export"))
        return usage();
    if ((!strcmp(sub, "remove") || !strcmp(sub, "import")) && argc != 2)
        return usage();
    if ((rc = gm_cli_open_store(cfg, &st)) != GM_EXIT_OK)
        return rc;
    if (!strcmp(sub, "add")) {
        rc = cmd_add(st, argc - 1, argv + 1);
    } else if (!strcmp(sub, "remove")) {
        gm_err e = gm_mod_block_remove(st, argv[1], gm_cli_moderator());
        if (e == GM_OK)
            printf("unblocked %s\n", argv[1]);
        rc = e == GM_OK ? GM_EXIT_OK : fail(e, "block remove");
    } else if (!strcmp(sub, "list")) {
        rc = argc == 1 || (argc == 2 && !strcmp(argv[1], "--json"))
                 ? cmd_list(st, argc == 2)
                 : usage();
    } else if (!strcmp(sub, "import")) {
        rc = cmd_import(st, argv[1]);
    } else {
        char *csv = NULL;
        gm_err e = argc == 1 ? gm_mod_block_export(st, &csv) : GM_EINVAL;
        if (e == GM_OK)
            fputs(csv, stdout);
        free(csv);
        rc = e == GM_OK ? GM_EXIT_OK : argc == 1 ? fail(e, "block export") : usage();
    }
    gm_store_close(st);
    return rc;
}
