/* SPDX-License-Identifier: Apache-2.0
 * config.h - node configuration: `key = value` lines with `#` comments, and the same keys as
 * command-line options (`--data-dir D` sets data_dir). Parsed and validated into a struct
 * gm_config that is not changed after start-up. */
#ifndef GEMEINDE_CONFIG_H
#define GEMEINDE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "gemeinde/err.h"
#include "gemeinde/log.h"

struct gm_config {
    char *base_url;          /* public URL without trailing '/', or NULL: derived from listen */
    char *listen_host;       /* "127.0.0.1" or "::1" (no brackets) */
    unsigned listen_port;    /* 0 = any free port */
    char *data_dir;          /* folder of the LMDB environment */
    bool allow_private_addresses; /* remote fetches may reach private/loopback addresses */
    bool allow_http_fetch;   /* remote fetches may use plain http (default: https only) */
    gm_log_level log_level;
    size_t max_body;         /* cap on request bodies, bytes */
    unsigned threads;        /* HTTP worker threads */
    size_t map_size_mb;      /* LMDB map size */
    bool metrics;            /* serve GET /metrics (to loopback, or with the admin token) */
    char *admin_token;       /* bearer token of the admin API, or NULL: the API is off. A secret:
                              * never logged, never printed */
};

/* Length bounds of admin_token (characters, printable ASCII without spaces). */
#define GM_ADMIN_TOKEN_MIN 24
#define GM_ADMIN_TOKEN_MAX 256

/* Size of the error buffers the functions below fill. */
#define GM_CONFIG_ERRLEN 256

/* Fill `cfg` with defaults. Free with gm_config_clear. */
gm_err gm_config_init(struct gm_config *cfg);

/* Release what `cfg` owns; it may be initialised again. */
void gm_config_clear(struct gm_config *cfg);

/* Set one key from text. GM_EINVAL: unknown key or bad value, `err` says which. */
gm_err gm_config_set(struct gm_config *cfg, const char *key, const char *value, char *err,
                     size_t errlen);

/* Read a file of `key = value` lines. GM_ENOTFOUND: unreadable file; GM_EINVAL: a bad line.
 * `err` names the file, line and key. Keys already set are overwritten. */
gm_err gm_config_load_file(struct gm_config *cfg, const char *path, char *err, size_t errlen);

/* True if `key` (with '_' or '-') is a configuration key. */
bool gm_config_is_key(const char *key);

/* The base URL for a node bound to `port`: cfg->base_url if set, else http://LISTEN:PORT.
 * Returns a new string (caller frees) or NULL on allocation failure. */
char *gm_config_base_url(const struct gm_config *cfg, unsigned port);

/* Lines of "key  meaning" for --help; static string. */
const char *gm_config_help(void);

#endif
