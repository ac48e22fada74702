/* SPDX-License-Identifier: Apache-2.0
 * metrics.h - GET /metrics in the Prometheus text format (version 0.0.4): per community the
 * gauges (members, pending requests, unanswered posts, response-time quantiles over 7 and 30
 * days) and the counters since the figures began (stats_store.h), and node-wide the deliveries
 * per host and outcome, the delivery queue, and inbox requests by result since start.
 *
 * Off unless the configuration sets `metrics = true`. Then served to a loopback client that
 * did not come through a proxy (no X-Forwarded-For, X-Real-IP or Forwarded header: behind
 * nginx every request comes from loopback), or to anyone with "Authorization: Bearer
 * ADMIN_TOKEN". Anything else gets 404, as if there were no such page. */
#ifndef GEMEINDE_METRICS_H
#define GEMEINDE_METRICS_H

#include "gemeinde/err.h"
#include "gemeinde/http.h"

/* Count one inbox request by its outcome (thread-safe, in memory, since start). */
void gm_metrics_inbox(gm_err result, int duplicate);

/* The handler of GET /metrics. */
gm_err gm_metrics_get(struct gm_app *app, const struct gm_http_req *req,
                      struct gm_http_resp *resp);

/* Is `remote` (an address as text) a loopback address: 127.0.0.0/8, ::1, ::ffff:127.x? */
int gm_metrics_is_loopback(const char *remote);

#endif
