/* SPDX-License-Identifier: Apache-2.0
 * app.c - the shared handler context: base URL, host and the instance key. */
#include "gemeinde/app.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "gemeinde/keygen.h"

gm_err gm_app_init(struct gm_app *app, const struct gm_config *cfg, struct gm_store *st,
                   const char *base_url)
{
    memset(app, 0, sizeof *app);
    const char *sep = strstr(base_url, "://");
    if (!sep || !sep[3])
        return GM_EINVAL;
    app->cfg = cfg;
    app->st = st;
    app->base_url = strdup(base_url);
    app->host = strdup(sep + 3);
    if (!app->base_url || !app->host) {
        gm_app_clear(app);
        return GM_ENOMEM;
    }
    size_t n = strlen(app->base_url);
    if (n && app->base_url[n - 1] == '/')
        app->base_url[n - 1] = '\0';
    for (char *p = app->host; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    char *slash = strchr(app->host, '/');
    if (slash)
        *slash = '\0';
    if (!app->host[0]) {
        gm_app_clear(app);
        return GM_EINVAL;
    }
    gm_err e = st ? gm_keygen_instance_key(st, &app->instance_public_key_pem) : GM_OK;
    if (e != GM_OK)
        gm_app_clear(app);
    return e;
}

void gm_app_clear(struct gm_app *app)
{
    free(app->base_url);
    free(app->host);
    free(app->instance_public_key_pem);
    memset(app, 0, sizeof *app);
}
