/* SPDX-License-Identifier: Apache-2.0
 * cli_stats.c - `gemeinde stats NAME [--days N] [--json|--csv]`: a community's figures for
 * the last N days (default 30), read from the figures recorded as things happened, or
 * (--digest) the weekly digest text. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gemeinde/cli.h"
#include "gemeinde/stats_report.h"
#include "gemeinde/store.h"
#include "gemeinde/weekly.h"

static int usage(void)
{
    fprintf(stderr, "usage: gemeinde stats NAME [--days N] [--json|--csv|--digest]\n"
                    "  N: 1-%d days ending today (UTC), default 30; --digest: the weekly\n"
                    "  digest moderators get by direct message (weekly_digest setting)\n",
            GM_STATS_DAYS_MAX);
    return GM_EXIT_USAGE;
}

/* The days option: a whole number 1..GM_STATS_DAYS_MAX, or 0 if it is not one. */
static unsigned parse_days(const char *s)
{
    char *end;
    long v = strtol(s, &end, 10);
    return *s && !*end && v >= 1 && v <= GM_STATS_DAYS_MAX ? (unsigned)v : 0;
}

static int print(json_t *report, int format)
{
    struct gm_buf b;
    char *out;
    size_t len;
    if (format == 'j') {
        gm_cli_print_json(report);
        return GM_EXIT_OK;
    }
    gm_buf_init(&b, 64u << 20);
    if (format == 'c')
        gm_stats_format_csv(report, &b);
    else
        gm_stats_format_text(report, &b);
    json_decref(report);
    if (gm_buf_take(&b, &out, &len) != GM_OK) {
        fprintf(stderr, "gemeinde stats: out of memory\n");
        return GM_EXIT_FAIL;
    }
    fwrite(out, 1, len, stdout);
    free(out);
    return GM_EXIT_OK;
}

int gm_cli_stats(const struct gm_config *cfg, int argc, char **argv)
{
    struct gm_stats_query q = {.days = 30, .unanswered_age = -1, .unanswered_max = 20,
                               .top_max = 10, .now = (int64_t)time(NULL)};
    int format = 't';
    if (argc < 1 || argv[0][0] == '-')
        return usage();
    q.community = argv[0];
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--days") && i + 1 < argc) {
            if (!(q.days = parse_days(argv[++i]))) {
                fprintf(stderr, "gemeinde stats: --days wants a whole number 1-%d, not '%s'\n",
                        GM_STATS_DAYS_MAX, argv[i]);
                return GM_EXIT_USAGE;
            }
        } else if (!strcmp(argv[i], "--json")) {
            format = 'j';
        } else if (!strcmp(argv[i], "--csv")) {
            format = 'c';
        } else if (!strcmp(argv[i], "--digest")) {
            format = 'd';
        } else {
            return usage();
        }
    }
    q.daily = format == 'j' || format == 'c';
    struct gm_store *st;
    struct gm_txn *txn;
    json_t *report = NULL;
    int rc = gm_cli_open_community(cfg, q.community, &st);
    if (rc != GM_EXIT_OK)
        return rc;
    char *digest = NULL;
    gm_err e = gm_txn_begin(st, false, &txn);
    if (e == GM_OK) {
        e = format == 'd' ? gm_weekly_text(txn, q.community, q.now, &digest)
                          : gm_stats_report(txn, &q, &report);
        gm_txn_abort(txn);
    }
    gm_store_close(st);
    if (e != GM_OK) {
        fprintf(stderr, "gemeinde stats: %s: %s\n", q.community, gm_strerror(e));
        return GM_EXIT_FAIL;
    }
    if (digest) {
        puts(digest);
        free(digest);
        return GM_EXIT_OK;
    }
    return print(report, format);
}
