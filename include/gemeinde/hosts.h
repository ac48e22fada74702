/* SPDX-License-Identifier: Apache-2.0
 * hosts.h - what the node remembers per remote host ("host[:port]"): which signature scheme its
 * inbox accepted (for double-knocking), and since when deliveries to it fail (a host failing for
 * GM_HOST_UNAVAILABLE_AFTER is skipped, with one probe a day, until it speaks again). */
#ifndef GEMEINDE_HOSTS_H
#define GEMEINDE_HOSTS_H

#include <stdbool.h>
#include <stdint.h>

#include "gemeinde/err.h"
#include "gemeinde/store.h"

#define GM_HOST_UNAVAILABLE_AFTER (7 * 24 * 3600)
#define GM_HOST_PROBE_INTERVAL (24 * 3600)

enum gm_sig_scheme { GM_SIG_UNKNOWN = 0, GM_SIG_CAVAGE = 1, GM_SIG_RFC9421 = 2 };

struct gm_host {
    enum gm_sig_scheme scheme; /* what its inbox accepted last */
    int64_t failing_since;     /* first failure of the current run, 0 when healthy */
    int64_t last_probe;        /* last delivery let through while unavailable */
    char software[64];         /* NodeInfo software.name, lowercased; "" when unknown */
    int64_t software_at;       /* when it was learnt (0: never asked) */
};

/* True for software that reads FEP-1b12 Announce(Create) (Lemmy, Mbin, PieFed, NodeBB,
 * Friendica, ...): these get the whole activity; every other server gets the object id. */
bool gm_host_group_aware(const char *software);

/* GM_OK: *out filled. GM_ENOTFOUND: nothing known (*out zeroed). */
gm_err gm_host_get(struct gm_txn *txn, const char *host, struct gm_host *out);
gm_err gm_host_put(struct gm_txn *txn, const char *host, const struct gm_host *h);
/* Call fn(host, record, arg) for every known host, in name order; stops at a non-GM_OK. */
gm_err gm_host_each(struct gm_txn *txn, gm_err (*fn)(const char *host, const struct gm_host *h,
                                                     void *arg),
                    void *arg);

/* The host spoke to us (a verified activity): clear its failure state if it has one. */
gm_err gm_host_heard_from(struct gm_txn *txn, const char *host);

#endif
