/* SPDX-License-Identifier: Apache-2.0
 * cli_serve.c - `gemeinde serve`: open the store, bind, derive the base URL when none is
 * configured, start the HTTP server, write the bound port to --port-file (atomically), and run
 * until SIGINT or SIGTERM. Signals are blocked in every thread and taken with sigwait here. */
#include <curl/curl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gemeinde/app.h"
#include "gemeinde/cli.h"
#include "gemeinde/committer.h"
#include "gemeinde/delivery.h"
#include "gemeinde/http_server.h"
#include "gemeinde/log.h"
#include "gemeinde/store.h"

static int write_port_file(const char *path, unsigned port)
{
    char tmp[1100];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
        return -1;
    FILE *f = fopen(tmp, "w");
    if (!f)
        return -1;
    int ok = fprintf(f, "%u\n", port) > 0;
    ok = (fclose(f) == 0) && ok;
    return ok && rename(tmp, path) == 0 ? 0 : -1;
}

int gm_cli_serve(const struct gm_config *cfg, int argc, char **argv)
{
    const char *port_file = NULL;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--port-file") && i + 1 < argc) {
            port_file = argv[++i];
        } else {
            fprintf(stderr, "gemeinde serve: unknown argument '%s'\n", argv[i]);
            return GM_EXIT_USAGE;
        }
    }
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);
    curl_global_init(CURL_GLOBAL_DEFAULT);

    struct gm_store *st = NULL;
    struct gm_app app = {0};
    struct gm_http_server *srv = NULL;
    struct gm_committer *committer = NULL;
    struct gm_delivery *delivery = NULL;
    int fd, rc = gm_cli_open_store(cfg, &st);
    unsigned port;
    char *base = NULL;
    if (rc != GM_EXIT_OK)
        return rc;
    rc = GM_EXIT_FAIL;
    if (gm_http_listen(cfg->listen_host, cfg->listen_port, &fd, &port) != GM_OK)
        goto out;
    if (!(base = gm_config_base_url(cfg, port)) || gm_app_init(&app, cfg, st, base) != GM_OK) {
        close(fd);
        goto out;
    }
    if (gm_committer_start(st, &committer) != GM_OK) {
        close(fd);
        goto out;
    }
    app.committer = committer;
    if (gm_delivery_start(&app, &delivery) != GM_OK) {
        close(fd);
        goto out;
    }
    app.delivery = delivery;
    if (gm_http_server_start(&app, fd, cfg->threads, cfg->max_body, &srv) != GM_OK)
        goto out;
    if (port_file && write_port_file(port_file, port) != 0) {
        gm_error("serve: cannot write port file '%s'", port_file);
        goto out;
    }
    gm_info("gemeinde %s serving %s on %s:%u (data in %s)", GM_VERSION, app.base_url,
            cfg->listen_host, port, cfg->data_dir);
    int sig = 0;
    sigwait(&sigs, &sig);
    gm_info("serve: %s received, stopping", sig == SIGINT ? "SIGINT" : "SIGTERM");
    rc = GM_EXIT_OK;
out:
    gm_http_server_stop(srv);
    gm_delivery_stop(delivery);
    gm_committer_stop(committer);
    gm_app_clear(&app);
    free(base);
    gm_store_close(st);
    curl_global_cleanup();
    return rc;
}
