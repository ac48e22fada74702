/* SPDX-License-Identifier: Apache-2.0
 * main.c - argv -> configuration -> subcommand. Configuration comes from -c FILE and from
 * --KEY VALUE options (any configuration key, '-' or '_'), the options winning. */
#include <stdio.h>
#include <string.h>

#include "gemeinde/cli.h"
#include "gemeinde/config.h"
#include "gemeinde/log.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: gemeinde [-c FILE] [--KEY VALUE]... COMMAND [ARGS]\n\n"
            "commands:\n"
            "  serve [--port-file FILE]          run the node\n"
            "  community create NAME [--title T] [--summary S] [--rule TEXT]...\n"
            "  community list [--json]\n"
            "  community show NAME [--json]\n"
            "  community set NAME [--title T] [--summary S] [--rule TEXT]... [--no-rules]\n"
            "                [--followers-visible yes|no] [--microblog-replies yes|no]\n"
            "  community delete NAME --yes\n"
            "  members NAME [--json]             list a community's members\n"
            "  members NAME --remove ACTOR       end a membership\n"
            "  queue [--json]                    deliveries waiting, retrying; remote hosts\n"
            "  block add DOMAIN [--severity suspend|silence] [--reason T] [--public-comment T]\n"
            "  block remove DOMAIN | block list [--json] | block import FILE | block export\n"
            "        (add --community NAME to add, remove or list one community's blocks)\n"
            "  pending NAME [--json]             requests to join; pending NAME approve|reject WHO\n"
            "  held NAME [--json]                posts waiting; held NAME approve|reject POST-URL\n"
            "  ban NAME WHO --reason T [--days N] | unban NAME WHO | bans NAME [--json]\n"
            "  mod NAME [list|add WHO|remove WHO] moderators (remote accounts)\n"
            "  inbox NAME [--json]               direct messages to the community\n"
            "  reports NAME [--all] [--json]     a community's reports (open ones by default)\n"
            "  reports NAME resolve|dismiss ID [--note TEXT] | reports NAME forward ID\n"
            "  pin NAME POST-URL | unpin NAME POST-URL   pinned posts (Add/Remove to members)\n"
            "  pins NAME [--json]                list a community's pinned posts\n"
            "  remove NAME POST-URL --reason T   take a relayed post back from every member\n"
            "  stats NAME [--days N] [--json|--csv|--digest]  figures: growth, activity, answers,\n"
            "                                    unanswered posts (last N days, default 30)\n\n"
            "configuration keys (file: 'key = value'; options: --key value):\n%s",
            gm_config_help());
}

/* Take -c FILE and --KEY VALUE out of argv (before "--"); load the file, then the options. */
static int configure(struct gm_config *cfg, int *argc, char **argv)
{
    const char *file = NULL;
    const char *keys[64], *values[64];
    int n = 0, out = 1;
    char err[GM_CONFIG_ERRLEN] = "";
    for (int i = 1; i < *argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0) {
            while (i < *argc)
                argv[out++] = argv[i++];
            break;
        }
        int is_c = !strcmp(a, "-c") || !strcmp(a, "--config");
        int is_key = !strncmp(a, "--", 2) && gm_config_is_key(a + 2);
        if (!is_c && !is_key) {
            argv[out++] = argv[i];
            continue;
        }
        if (i + 1 >= *argc || n >= 64) {
            fprintf(stderr, "gemeinde: option %s needs a value\n", a);
            return GM_EXIT_USAGE;
        }
        if (is_c)
            file = argv[++i];
        else
            keys[n] = a + 2, values[n++] = argv[++i];
    }
    *argc = out;
    if (file && gm_config_load_file(cfg, file, err, sizeof err) != GM_OK) {
        fprintf(stderr, "gemeinde: %s\n", err);
        return GM_EXIT_USAGE;
    }
    for (int i = 0; i < n; i++) {
        if (gm_config_set(cfg, keys[i], values[i], err, sizeof err) != GM_OK) {
            fprintf(stderr, "gemeinde: --%s: %s\n", keys[i], err);
            return GM_EXIT_USAGE;
        }
    }
    gm_log_set_level(cfg->log_level);
    return GM_EXIT_OK;
}

int main(int argc, char **argv)
{
    struct gm_config cfg;
    if (gm_config_init(&cfg) != GM_OK)
        return GM_EXIT_FAIL;
    int rc = configure(&cfg, &argc, argv);
    if (rc != GM_EXIT_OK)
        goto out;
    const char *cmd = argc > 1 ? argv[1] : NULL;
    if (!cmd || !strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
        usage(cmd ? stdout : stderr);
        rc = cmd ? GM_EXIT_OK : GM_EXIT_USAGE;
    } else if (!strcmp(cmd, "-V") || !strcmp(cmd, "--version") || !strcmp(cmd, "version")) {
        printf("gemeinde %s\n", GM_VERSION);
    } else if (!strcmp(cmd, "serve")) {
        rc = gm_cli_serve(&cfg, argc - 2, argv + 2);
    } else if (!strcmp(cmd, "block")) {
        rc = gm_cli_block(&cfg, argc - 2, argv + 2);
    } else if (!strcmp(cmd, "queue")) {
        rc = gm_cli_queue(&cfg, argc - 2, argv + 2);
    } else if (!strcmp(cmd, "pending") || !strcmp(cmd, "held") || !strcmp(cmd, "ban") ||
               !strcmp(cmd, "unban") || !strcmp(cmd, "bans") || !strcmp(cmd, "mod") ||
               !strcmp(cmd, "inbox")) {
        rc = gm_cli_moderate(&cfg, argc - 1, argv + 1);
    } else if (!strcmp(cmd, "reports")) {
        rc = gm_cli_reports(&cfg, argc - 2, argv + 2);
    } else if (!strcmp(cmd, "members")) {
        rc = gm_cli_members(&cfg, argc - 2, argv + 2);
    } else if (!strcmp(cmd, "pin")) {
        rc = gm_cli_pin(&cfg, argc - 2, argv + 2);
    } else if (!strcmp(cmd, "unpin")) {
        rc = gm_cli_unpin(&cfg, argc - 2, argv + 2);
    } else if (!strcmp(cmd, "stats")) {
        rc = gm_cli_stats(&cfg, argc - 2, argv + 2);
    } else if (!strcmp(cmd, "pins")) {
        rc = gm_cli_pins(&cfg, argc - 2, argv + 2);
    } else if (!strcmp(cmd, "remove")) {
        rc = gm_cli_remove(&cfg, argc - 2, argv + 2);
    } else if (!strcmp(cmd, "community")) {
        rc = gm_cli_community(&cfg, argc - 2, argv + 2);
    } else {
        fprintf(stderr, "gemeinde: unknown command '%s' (try --help)\n", cmd);
        rc = GM_EXIT_USAGE;
    }
out:
    gm_config_clear(&cfg);
    return rc;
}
