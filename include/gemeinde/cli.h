/* SPDX-License-Identifier: Apache-2.0
 * cli.h - subcommands. Each takes the validated configuration and the arguments after its own
 * name, prints to stdout (results) and stderr (errors), and returns the process exit status. */
#ifndef GEMEINDE_CLI_H
#define GEMEINDE_CLI_H

#include <jansson.h>

#include "gemeinde/config.h"
#include "gemeinde/err.h"

struct gm_store;

enum { GM_EXIT_OK = 0, GM_EXIT_FAIL = 1, GM_EXIT_USAGE = 2 };

int gm_cli_community(const struct gm_config *cfg, int argc, char **argv);
int gm_cli_serve(const struct gm_config *cfg, int argc, char **argv);
int gm_cli_members(const struct gm_config *cfg, int argc, char **argv);
int gm_cli_queue(const struct gm_config *cfg, int argc, char **argv);
int gm_cli_block(const struct gm_config *cfg, int argc, char **argv);
/* pending, held, ban, unban, bans, mod, inbox (cli_moderate.c); argv[0] is the command. */
int gm_cli_moderate(const struct gm_config *cfg, int argc, char **argv);
int gm_cli_reports(const struct gm_config *cfg, int argc, char **argv);
int gm_cli_pin(const struct gm_config *cfg, int argc, char **argv);   /* pin NAME POST */
int gm_cli_unpin(const struct gm_config *cfg, int argc, char **argv); /* unpin NAME POST */
int gm_cli_pins(const struct gm_config *cfg, int argc, char **argv);  /* pins NAME [--json] */
int gm_cli_remove(const struct gm_config *cfg, int argc, char **argv);
int gm_cli_stats(const struct gm_config *cfg, int argc, char **argv); /* stats NAME ... */

/* The node's public base URL, which the ids of what the CLI sends depend on: base_url, or one
 * derived from a fixed listen port. New string; NULL (a message printed) when only a running
 * daemon could know it (listen port 0 and no base_url). */
char *gm_cli_base_url(const struct gm_config *cfg);

/* Open the store named by the configuration, printing a clear message on failure.
 * Returns GM_EXIT_OK and sets *st, or an exit status. */
int gm_cli_open_store(const struct gm_config *cfg, struct gm_store **st);


/* Run `fn` in one write transaction of `st` with a rules context for this node (base URL
 * from the configuration, now); commits on GM_OK. Deliveries it queues are sent by the
 * running daemon, which polls the queue every second. */
struct gm_txn;
struct gm_rules_ctx;
typedef gm_err (*gm_cli_op_fn)(struct gm_txn *txn, struct gm_rules_ctx *ctx, void *arg);
gm_err gm_cli_run_op(const struct gm_config *cfg, struct gm_store *st, gm_cli_op_fn fn,
                     void *arg);
/* The same, then check that community `name` exists (a message and GM_EXIT_USAGE if not; the
 * store is closed again). */
int gm_cli_open_community(const struct gm_config *cfg, const char *name, struct gm_store **st);

/* Print `doc` indented on stdout and release it (steals the reference; NULL prints nothing). */
void gm_cli_print_json(json_t *doc);

/* Who acts, for the moderation log: "cli:" and the local user ($USER, else "admin"). Borrowed
 * (a static buffer, rewritten by each call). */
const char *gm_cli_moderator(void);

#endif
