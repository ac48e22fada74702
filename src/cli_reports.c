/* SPDX-License-Identifier: Apache-2.0
 * cli_reports.c - `gemeinde reports NAME [--all] [--json]` lists a community's reports (open
 * ones unless --all); `resolve ID [--note TEXT]` and `dismiss ID [--note TEXT]` close one;
 * `forward ID` queues a Flag from the community to the reported account's server (the running
 * daemon sends it). Texts that came from other servers are printed with control characters
 * replaced, so a report cannot drive the terminal. */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gemeinde/ckv.h"
#include "gemeinde/cli.h"
#include "gemeinde/community.h"
#include "gemeinde/reports.h"
#include "gemeinde/store.h"
#include "gemeinde/timefmt.h"

#define LIST_MAX 100000

static int usage(void)
{
    fprintf(stderr, "usage: gemeinde reports NAME [--all] [--json]\n"
                    "       gemeinde reports NAME resolve ID [--note TEXT]\n"
                    "       gemeinde reports NAME dismiss ID [--note TEXT]\n"
                    "       gemeinde reports NAME forward ID\n");
    return GM_EXIT_USAGE;
}

/* `s` on stdout with C0 and C1 control characters (and DEL) shown as spaces. */
static void put_text(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p < 0x20 || *p == 0x7f)
            putchar(' ');
        else if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
            putchar(' '), p++;
        else
            putchar(*p);
    }
}

/* Unix-seconds fields as RFC 3339 times, for people and programs alike. */
static void times_to_text(json_t *r)
{
    static const char *const keys[] = {"at", "handled_at", "forwarded_at"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        json_t *v = json_object_get(r, keys[i]);
        char when[32];
        if (json_is_integer(v))
            json_object_set_new(
                r, keys[i],
                json_string(gm_time_format((int64_t)json_integer_value(v), when, sizeof when)));
    }
}

static const char *field(json_t *r, const char *key)
{
    const char *v = json_string_value(json_object_get(r, key));
    return v ? v : "";
}

static void print_report(json_t *r)
{
    printf("#%lld  %-9s %s  from ", (long long)json_integer_value(json_object_get(r, "id")),
           field(r, "status"), field(r, "at"));
    put_text(field(r, "reporter"));
    printf("\n");
    size_t i;
    json_t *o;
    json_array_foreach(json_object_get(r, "objects"), i, o)
    {
        printf("    object: ");
        put_text(json_string_value(o));
        printf("\n");
    }
    if (*field(r, "comment")) {
        printf("    comment: ");
        put_text(field(r, "comment"));
        printf("\n");
    }
    if (*field(r, "handled_by")) {
        printf("    %s by %s at %s", field(r, "status"), field(r, "handled_by"),
               field(r, "handled_at"));
        if (*field(r, "note")) {
            printf(" - note: ");
            put_text(field(r, "note"));
        }
        printf("\n");
    }
    if (*field(r, "forwarded_to")) {
        printf("    forwarded to ");
        put_text(field(r, "forwarded_to")); /* learned from a remote actor document */
        printf(" by %s at %s\n", field(r, "forwarded_by"), field(r, "forwarded_at"));
    }
}

static int list(struct gm_store *st, const char *name, int all, int json)
{
    struct gm_txn *txn;
    json_t *page = NULL, *r;
    gm_err e = gm_txn_begin(st, false, &txn);
    if (e == GM_OK) {
        e = gm_report_list(txn, name, all, 0, LIST_MAX, &page);
        gm_txn_abort(txn);
    }
    if (e != GM_OK) {
        fprintf(stderr, "gemeinde reports: %s\n", gm_strerror(e));
        return GM_EXIT_FAIL;
    }
    size_t i;
    json_array_foreach(page, i, r)
    {
        times_to_text(r);
        if (!json)
            print_report(r);
    }
    if (json) {
        gm_cli_print_json(page);
        return GM_EXIT_OK;
    }
    if (!json_array_size(page))
        printf(all ? "no reports\n" : "no open reports\n");
    json_decref(page);
    return GM_EXIT_OK;
}

static int parse_id(const char *s, uint64_t *id)
{
    char *end;
    if (!s || *s < '1' || *s > '9')
        return -1;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end)
        return -1;
    *id = (uint64_t)v;
    return 0;
}

/* What went wrong, in the operator's words; returns the exit status. */
static int explain(gm_err e, const char *name, const char *verb, uint64_t id)
{
    unsigned long long n = (unsigned long long)id;
    switch (e) {
    case GM_EEXISTS:
        fprintf(stderr, "gemeinde reports: report %llu of %s was %s already\n", n, name,
                strcmp(verb, "forward") ? "closed" : "forwarded");
        return GM_EXIT_USAGE;
    case GM_ENOTFOUND:
        fprintf(stderr,
                "gemeinde reports: report %llu: no reported account with a known inbox "
                "(nothing to forward to)\n",
                n);
        return GM_EXIT_FAIL;
    case GM_EFORBID:
        fprintf(stderr,
                "gemeinde reports: report %llu: the reported account's domain is "
                "suspended; nothing is sent there\n",
                n);
        return GM_EXIT_FAIL;
    case GM_EINVAL:
        fprintf(stderr, "gemeinde reports: %s\n",
                strcmp(verb, "forward") ? "the note is over 5000 bytes or not UTF-8"
                                        : "the reported account is on this node");
        return strcmp(verb, "forward") ? GM_EXIT_USAGE : GM_EXIT_FAIL;
    default:
        fprintf(stderr, "gemeinde reports %s: %s\n", verb, gm_strerror(e));
        return GM_EXIT_FAIL;
    }
}

/* The operation itself, in one write transaction. *missing: there is no report `id` (told
 * apart from the GM_ENOTFOUND of a forward without a reported account). */
static gm_err run_op(struct gm_txn *txn, struct gm_rules_ctx *ctx, const char *verb, uint64_t id,
                     const char *note, char **inbox, int *missing)
{
    json_t *r;
    gm_err e = gm_clog_get(txn, GM_CLOG_REPORTS, ctx->community, id, &r);
    *missing = e == GM_ENOTFOUND;
    if (e != GM_OK)
        return e;
    json_decref(r);
    const char *who = gm_cli_moderator();
    if (!strcmp(verb, "resolve"))
        return gm_report_resolve(txn, ctx, ctx->community, id, who, note);
    if (!strcmp(verb, "dismiss"))
        return gm_report_dismiss(txn, ctx, ctx->community, id, who, note);
    return gm_report_forward(txn, ctx, ctx->community, id, who, inbox);
}

static int operate(const struct gm_config *cfg, struct gm_store *st, const char *name,
                   const char *verb, uint64_t id, const char *note)
{
    char *base = gm_config_base_url(cfg, cfg->listen_port), *inbox = NULL;
    struct gm_rules_ctx ctx = {.base_url = base, .community = name, .now = (int64_t)time(NULL)};
    struct gm_txn *txn = NULL;
    int missing = 0;
    gm_err e = base ? gm_txn_begin(st, true, &txn) : GM_ENOMEM;
    if (e == GM_OK) {
        e = run_op(txn, &ctx, verb, id, note, &inbox, &missing);
        e = e == GM_OK ? gm_txn_commit(txn) : (gm_txn_abort(txn), e);
    }
    free(base);
    int rc = GM_EXIT_OK;
    if (missing) {
        fprintf(stderr, "gemeinde reports: %s has no report %llu\n", name, (unsigned long long)id);
        rc = GM_EXIT_USAGE;
    } else if (e != GM_OK) {
        rc = explain(e, name, verb, id);
    } else if (inbox) {
        printf("report %llu forwarded to %s (queued)\n", (unsigned long long)id, inbox);
    } else {
        printf("report %llu %s\n", (unsigned long long)id,
               strcmp(verb, "resolve") ? "dismissed" : "resolved");
    }
    free(inbox);
    return rc;
}

int gm_cli_reports(const struct gm_config *cfg, int argc, char **argv)
{
    int all = 0, json = 0, i = 1;
    const char *verb = NULL, *note = NULL;
    uint64_t id = 0;
    if (argc < 1 || argv[0][0] == '-')
        return usage();
    if (argc > 1 && argv[1][0] != '-') {
        verb = argv[1];
        if ((strcmp(verb, "resolve") && strcmp(verb, "dismiss") && strcmp(verb, "forward")) ||
            argc < 3 || parse_id(argv[2], &id) != 0)
            return usage();
        i = 3;
    }
    for (; i < argc; i++) {
        if (!verb && !strcmp(argv[i], "--all"))
            all = 1;
        else if (!verb && !strcmp(argv[i], "--json"))
            json = 1;
        else if (verb && strcmp(verb, "forward") && !strcmp(argv[i], "--note") && i + 1 < argc)
            note = argv[++i];
        else
            return usage();
    }
    struct gm_store *st;
    int rc = gm_cli_open_store(cfg, &st);
    if (rc != GM_EXIT_OK)
        return rc;
    if (gm_community_exists(st, argv[0]) != GM_OK) {
        fprintf(stderr, "gemeinde: community '%s' does not exist\n", argv[0]);
        rc = GM_EXIT_USAGE;
    } else {
        rc = verb ? operate(cfg, st, argv[0], verb, id, note) : list(st, argv[0], all, json);
    }
    gm_store_close(st);
    return rc;
}
