/* SPDX-License-Identifier: Apache-2.0
 * delivery.h - the delivery worker: takes due jobs from the durable queue, POSTs them with
 * libcurl multi (kept-alive connections, HTTP/2 where offered, at most GM_DELIVERY_PER_HOST
 * transfers per host), each signed by its community, and records the outcome:
 *   2xx -> done; 408, 429, 5xx, timeouts, connection errors -> retry after 1, 2, 4 ... min
 *   (capped at 6 h, Retry-After honoured), given up GM_DELIVERY_MAX_AGE after queueing;
 *   other 4xx, a private or malformed destination -> dropped and logged. */
#ifndef GEMEINDE_DELIVERY_H
#define GEMEINDE_DELIVERY_H

#include <stdint.h>

#include "gemeinde/err.h"

struct gm_app;
struct gm_delivery;

#define GM_DELIVERY_BATCH 64          /* jobs leased at a time */
#define GM_DELIVERY_MAX_INFLIGHT 256  /* transfers in flight at once */
#define GM_DELIVERY_PER_HOST 6
#define GM_DELIVERY_LEASE 300               /* a taken job reappears after this (crash) */
#define GM_DELIVERY_MAX_AGE (3 * 24 * 3600) /* give up on a job after this long */
#define GM_DELIVERY_MAX_DELAY (6 * 3600)

/* Start the worker thread for `app` (borrowed, must outlive it). GM_OK: *out is yours. */
gm_err gm_delivery_start(struct gm_app *app, struct gm_delivery **out);

/* Wake the worker: new jobs were queued. Safe from any thread. */
void gm_delivery_kick(struct gm_delivery *d);

/* Stop: transfers in flight are abandoned and their jobs put back as due now, so they are
 * sent after a restart. NULL is allowed. */
void gm_delivery_stop(struct gm_delivery *d);

/* Seconds to wait before retry number `attempts` (1-based): 60 * 2^(attempts-1), capped. */
int64_t gm_delivery_backoff(unsigned attempts);

#endif
