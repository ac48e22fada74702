/* SPDX-License-Identifier: Apache-2.0
 * cli.h - subcommands. Each takes the validated configuration and the arguments after its own
 * name, prints to stdout (results) and stderr (errors), and returns the process exit status. */
#ifndef GEMEINDE_CLI_H
#define GEMEINDE_CLI_H

#include <jansson.h>

#include "gemeinde/config.h"

struct gm_store;

enum { GM_EXIT_OK = 0, GM_EXIT_FAIL = 1, GM_EXIT_USAGE = 2 };

int gm_cli_community(const struct gm_config *cfg, int argc, char **argv);
int gm_cli_serve(const struct gm_config *cfg, int argc, char **argv);
int gm_cli_members(const struct gm_config *cfg, int argc, char **argv);
int gm_cli_queue(const struct gm_config *cfg, int argc, char **argv);
int gm_cli_block(const struct gm_config *cfg, int argc, char **argv);

/* Open the store named by the configuration, printing a clear message on failure.
 * Returns GM_EXIT_OK and sets *st, or an exit status. */
int gm_cli_open_store(const struct gm_config *cfg, struct gm_store **st);

/* Print `doc` indented on stdout and release it (steals the reference; NULL prints nothing). */
void gm_cli_print_json(json_t *doc);

/* Who acts, for the moderation log: "cli:$USER" ("cli:admin" without USER). Static string. */
const char *gm_cli_moderator(void);

#endif
