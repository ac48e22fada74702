/* SPDX-License-Identifier: Apache-2.0
 * nodeinfo.h - which software a remote host runs, from its NodeInfo (/.well-known/nodeinfo ->
 * the 2.x document -> software.name), remembered per host for GM_NODEINFO_TTL. The relay uses it
 * to pick the Announce shape each destination can read. Blocks on the network: call it from
 * deferral threads or the delivery worker, never from a request thread or a transaction. */
#ifndef GEMEINDE_NODEINFO_H
#define GEMEINDE_NODEINFO_H

#include "gemeinde/err.h"

struct gm_app;

#define GM_NODEINFO_TTL (7 * 24 * 3600)

struct gm_fetch_signer;

/* Make sure the software of the host of `actor_url` is known (fetched if unknown or older
 * than GM_NODEINFO_TTL; a failure is remembered as "" for a day). `signer` (may be NULL) signs
 * the GETs, as for every fetch of ours. A host suspended node-wide is never asked. GM_OK
 * unless storage fails. */
gm_err gm_nodeinfo_learn(struct gm_app *app, const struct gm_fetch_signer *signer,
                         const char *actor_url);

#endif
