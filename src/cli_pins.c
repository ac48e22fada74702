/* SPDX-License-Identifier: Apache-2.0
 * cli_pins.c - `gemeinde pin NAME POST`, `gemeinde unpin NAME POST` and `gemeinde pins NAME
 * [--json]`: a community's pinned posts (its featured collection). Pin and unpin queue an Add
 * or Remove for every member in the same transaction as the change; the running daemon's
 * delivery worker sends them. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gemeinde/cli.h"
#include "gemeinde/pins.h"
#include "gemeinde/store.h"
#include "gemeinde/timefmt.h"

static void explain(gm_err e, int pin, const char *name, const char *post)
{
    if (e == GM_ENOTFOUND && pin)
        fprintf(stderr,
                "gemeinde pin: %s never relayed %s (or it was deleted or removed "
                "since); only posts the community relayed can be pinned\n",
                name, post);
    else if (e == GM_ENOTFOUND)
        fprintf(stderr, "gemeinde unpin: %s is not pinned in %s\n", post, name);
    else if (e == GM_EEXISTS)
        fprintf(stderr, "gemeinde pin: %s is pinned in %s already\n", post, name);
    else if (e == GM_ETOOBIG)
        fprintf(stderr,
                "gemeinde pin: %s has %d pinned posts already, the most there can be; "
                "unpin one first\n",
                name, GM_PINS_MAX);
    else if (e == GM_EINVAL)
        fprintf(stderr, "gemeinde pin: '%s' is too long to be a post id\n", post);
    else
        fprintf(stderr, "gemeinde %s: %s\n", pin ? "pin" : "unpin", gm_strerror(e));
}

/* Pin (pin = 1) or unpin post argv[1] in community argv[0]. */
static int change(const struct gm_config *cfg, int argc, char **argv, int pin)
{
    struct gm_store *st;
    struct gm_txn *txn;
    if (argc != 2 || argv[0][0] == '-' || argv[1][0] == '-') {
        fprintf(stderr, "usage: gemeinde %s NAME POST-URL\n", pin ? "pin" : "unpin");
        return GM_EXIT_USAGE;
    }
    char *base = gm_cli_base_url(cfg);
    int rc = base ? gm_cli_open_community(cfg, argv[0], &st) : GM_EXIT_USAGE;
    if (rc != GM_EXIT_OK) {
        free(base);
        return rc;
    }
    struct gm_rules_ctx ctx = {.base_url = base, .now = (int64_t)time(NULL)};
    gm_err e = gm_txn_begin(st, true, &txn);
    if (e == GM_OK) {
        e = pin ? gm_pin_add(txn, &ctx, argv[0], argv[1], gm_cli_moderator())
                : gm_pin_remove(txn, &ctx, argv[0], argv[1], gm_cli_moderator());
        if (e == GM_OK)
            e = gm_txn_commit(txn);
        else
            gm_txn_abort(txn);
    }
    if (e == GM_OK) {
        printf("%s %s %s %s (%s queued for every member)\n", pin ? "pinned" : "unpinned", argv[1],
               pin ? "in" : "from", argv[0], pin ? "an Add" : "a Remove");
    } else {
        explain(e, pin, argv[0], argv[1]);
        rc = e == GM_ESTORE || e == GM_ENOMEM || e == GM_EINTERNAL ? GM_EXIT_FAIL : GM_EXIT_USAGE;
    }
    gm_store_close(st);
    free(base);
    return rc;
}

int gm_cli_pin(const struct gm_config *cfg, int argc, char **argv)
{
    return change(cfg, argc, argv, 1);
}

int gm_cli_unpin(const struct gm_config *cfg, int argc, char **argv)
{
    return change(cfg, argc, argv, 0);
}

static void print_pins(json_t *pins, int json)
{
    json_t *pin, *arr = json ? json_array() : NULL;
    size_t i;
    json_array_foreach(pins, i, pin)
    {
        char when[32];
        gm_time_format(json_integer_value(json_object_get(pin, "at")), when, sizeof when);
        const char *object = json_string_value(json_object_get(pin, "object"));
        const char *by = json_string_value(json_object_get(pin, "by"));
        if (arr)
            json_array_append_new(
                arr, json_pack("{s:s?, s:s?, s:s}", "object", object, "by", by, "at", when));
        else
            printf("%s  %s  (pinned by %s)\n", when, object ? object : "", by ? by : "");
    }
    if (arr)
        gm_cli_print_json(arr);
    else if (!json_array_size(pins))
        printf("no pinned posts\n");
}

int gm_cli_pins(const struct gm_config *cfg, int argc, char **argv)
{
    struct gm_store *st;
    struct gm_txn *txn;
    json_t *pins = NULL;
    int json = argc == 2 && !strcmp(argv[1], "--json");
    if (argc < 1 || argc > 2 || argv[0][0] == '-' || (argc == 2 && !json)) {
        fprintf(stderr, "usage: gemeinde pins NAME [--json]\n");
        return GM_EXIT_USAGE;
    }
    int rc = gm_cli_open_community(cfg, argv[0], &st);
    if (rc != GM_EXIT_OK)
        return rc;
    gm_err e = gm_txn_begin(st, false, &txn);
    if (e == GM_OK) {
        e = gm_pin_list(txn, argv[0], &pins);
        gm_txn_abort(txn);
    }
    if (e == GM_OK)
        print_pins(pins, json);
    else
        fprintf(stderr, "gemeinde pins: %s\n", gm_strerror(e));
    json_decref(pins);
    gm_store_close(st);
    return e == GM_OK ? GM_EXIT_OK : GM_EXIT_FAIL;
}
