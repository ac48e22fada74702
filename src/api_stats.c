/* SPDX-License-Identifier: Apache-2.0
 * api_stats.c - GET /api/v1/communities/NAME/stats: the report `gemeinde stats NAME --json`
 * prints (stats_report.h), with ?days=N (1-3650, default 30), ?daily=0|1 (default 1),
 * ?unanswered=N (entries listed, default 50) and ?unanswered_minutes=M (default: the
 * community's setting). */
#include <time.h>

#include "api_int.h"
#include "gemeinde/stats_report.h"
#include "gemeinde/store.h"

gm_err gm_api_stats(struct gm_api_call *call)
{
    unsigned long long days, daily, max, minutes;
    struct gm_txn *txn;
    json_t *report = NULL;
    gm_err e = gm_api_query_uint(call, "days", 30, 1, GM_STATS_DAYS_MAX, &days);
    if (e == GM_OK)
        e = gm_api_query_uint(call, "daily", 1, 0, 1, &daily);
    if (e == GM_OK)
        e = gm_api_query_uint(call, "unanswered", 50, 0, 1000, &max);
    if (e == GM_OK) /* absent: the community's setting */
        e = gm_api_query_uint(call, "unanswered_minutes", 1ULL << 40, 0, 1ULL << 40, &minutes);
    if (e != GM_OK || (e = gm_txn_begin(call->app->st, false, &txn)) != GM_OK)
        return e;
    struct gm_stats_query q = {.community = call->param[0], .now = (int64_t)time(NULL),
                               .days = (unsigned)days, .daily = (int)daily,
                               .unanswered_max = max, .top_max = 10,
                               .unanswered_age = minutes == 1ULL << 40 ? -1 : (int64_t)minutes * 60};
    e = gm_stats_report(txn, &q, &report);
    gm_txn_abort(txn);
    return e == GM_OK ? gm_api_reply(call, report) : e;
}
