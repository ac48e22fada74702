/* SPDX-License-Identifier: Apache-2.0
 * app.h - what every request handler shares: configuration, store, and the node's identity
 * (base URL and host). Built once by `serve`; read-only afterwards. */
#ifndef GEMEINDE_APP_H
#define GEMEINDE_APP_H

#include "gemeinde/config.h"
#include "gemeinde/err.h"
#include "gemeinde/store.h"

struct gm_app {
    const struct gm_config *cfg; /* borrowed */
    struct gm_store *st;         /* borrowed */
    char *base_url;              /* owned: "https://host[:port]" */
    char *host;                  /* owned: lowercased authority of base_url, "host[:port]" */
    char *instance_public_key_pem; /* owned */
    struct gm_committer *committer; /* borrowed; NULL: each write commits on its own */
    struct gm_delivery *delivery;   /* borrowed; NULL: nothing wakes the delivery workers */
};

/* Fill `app` for a node at `base_url`. GM_EINVAL if base_url has no host. */
gm_err gm_app_init(struct gm_app *app, const struct gm_config *cfg, struct gm_store *st,
                   const char *base_url);
void gm_app_clear(struct gm_app *app);

#endif
