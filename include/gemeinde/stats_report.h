/* SPDX-License-Identifier: Apache-2.0
 * stats_report.h - a community's figures for the last N days, as one JSON document that the
 * CLI (`gemeinde stats`), the admin API, the dashboard, the weekly digest and /metrics share,
 * and its terminal and CSV forms. Read from the recorded figures (stats_store.h) only: a year
 * is a few hundred small reads, whatever the size of the community.
 *
 * Percentiles interpolate linearly between the closest ranks (p of n sorted values: the value
 * at rank p*(n-1), counted from 0), rounded to whole seconds: the median of 60 and 120 is 90. */
#ifndef GEMEINDE_STATS_REPORT_H
#define GEMEINDE_STATS_REPORT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "gemeinde/buf.h"
#include "gemeinde/err.h"
#include "gemeinde/store.h"

#define GM_STATS_DAYS_MAX 3650

struct gm_stats_query {
    const char *community;
    int64_t now;            /* the report ends with the day of `now` */
    unsigned days;          /* 1..GM_STATS_DAYS_MAX */
    int64_t unanswered_age; /* list posts waiting at least this long (seconds); -1: the
                             * community's setting (unanswered_minutes) */
    size_t unanswered_max;  /* entries listed (oldest first); the total is always counted */
    size_t top_max;         /* top contributors listed */
    int daily;              /* include one entry per day */
};

/* The report (keys documented in docs/STATS.md). GM_ENOTFOUND: no such community.
 * GM_EINVAL: days out of range. GM_OK: *out is a new reference. */
gm_err gm_stats_report(struct gm_txn *txn, const struct gm_stats_query *q, json_t **out);

/* The p-th percentile (0..1) of `n` values (reordered in place), rounded; -1 when n is 0. */
int64_t gm_stats_percentile(uint32_t *vals, size_t n, double p);

/* A readable summary for a terminal, appended to `b`. */
void gm_stats_format_text(json_t *report, struct gm_buf *b);
/* One CSV line per day (header first), appended to `b`. */
void gm_stats_format_csv(json_t *report, struct gm_buf *b);
/* "2h 05m", "3d 4h", "45s", "-" for a negative value: into buf. */
const char *gm_stats_duration(int64_t seconds, char *buf, size_t size);
/* The same for member `key` ("median", "p90") of a spread {count, median, p90}: "-" when it
 * is null (no samples). */
const char *gm_stats_spread_duration(json_t *spread, const char *key, char *buf, size_t size);

#endif
