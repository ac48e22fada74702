/* SPDX-License-Identifier: Apache-2.0
 * cli_community.c - `gemeinde community create|list|show|set|delete`. Works while the daemon
 * runs: both open the same LMDB environment. `set` goes through gm_mod_community_edit, the
 * operation the admin API's PATCH uses too, so both validate and log changes alike. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gemeinde/ckv.h"
#include "gemeinde/cli.h"
#include "gemeinde/community.h"
#include "gemeinde/keygen.h"
#include "gemeinde/moderation.h"
#include "gemeinde/store.h"

#define MAX_SETTINGS 64

struct edits {
    const char *title, *summary;
    const char *set_name[MAX_SETTINGS], *set_value[MAX_SETTINGS]; /* --setting value, in order */
    int n_set;
    const char *rules[GM_RULES_MAX + 1];
    int n_rules, no_rules, json, yes;
};

/* "--probation-posts" -> "probation_posts" if that is a setting name (see community.h). */
static int setting_name(const char *opt, char out[40])
{
    static const char *const known[] = {
        "join", "posting", "premoderation", "probation_posts", "probation_days", "max_mentions",
        "rate_limit", "spam_action", "welcome", "ban_notice", "followers_visible",
        "microblog_replies", "unanswered_minutes", "weekly_digest"};
    size_t n = strlen(opt);
    if (n >= 40)
        return 0;
    for (size_t i = 0; i <= n; i++)
        out[i] = opt[i] == '-' ? '_' : opt[i];
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (!strcmp(out, known[i]))
            return 1;
    return 0;
}

static int parse_edits(int argc, char **argv, struct edits *ed, const char *sub)
{
    static char names[MAX_SETTINGS][40];
    memset(ed, 0, sizeof *ed);
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        int has_val = i + 1 < argc;
        if (!strcmp(a, "--no-filters") || (!strcmp(a, "--filter") && has_val) ||
            (has_val && !strncmp(a, "--", 2) && setting_name(a + 2, names[ed->n_set % MAX_SETTINGS]))) {
            if (ed->n_set >= MAX_SETTINGS) {
                fprintf(stderr, "gemeinde community %s: too many settings at once\n", sub);
                return GM_EXIT_USAGE;
            }
            ed->set_name[ed->n_set] = !strcmp(a, "--no-filters") || !strcmp(a, "--filter")
                                          ? "filters"
                                          : names[ed->n_set];
            ed->set_value[ed->n_set++] = !strcmp(a, "--no-filters") ? "" : argv[++i];
            continue;
        }
        if (!strcmp(a, "--title") && has_val)
            ed->title = argv[++i];
        else if (!strcmp(a, "--summary") && has_val)
            ed->summary = argv[++i];
        else if (!strcmp(a, "--rule") && has_val) {
            if (ed->n_rules > GM_RULES_MAX) {
                fprintf(stderr, "gemeinde community %s: at most %d rules\n", sub, GM_RULES_MAX);
                return GM_EXIT_USAGE;
            }
            ed->rules[ed->n_rules++] = argv[++i];
        } else if (!strcmp(a, "--no-rules"))
            ed->no_rules = 1;
        else if (!strcmp(a, "--json"))
            ed->json = 1;
        else if (!strcmp(a, "--yes"))
            ed->yes = 1;
        else {
            fprintf(stderr, "gemeinde community %s: unknown or incomplete option '%s'\n", sub, a);
            return GM_EXIT_USAGE;
        }
    }
    return GM_EXIT_OK;
}

/* Apply edits (settings through gm_community_setting_set, the validation every caller
 * shares). GM_EINVAL: `err` says what is wrong. Also the edit step of `community set`. */
static gm_err apply_edits(struct gm_community *c, void *arg, char *err, size_t errlen)
{
    const struct edits *ed = arg;
    gm_err e = GM_OK;
    if (ed->title)
        e = gm_community_set_title(c, ed->title);
    if (e == GM_OK && ed->summary)
        e = gm_community_set_summary(c, ed->summary);
    for (int i = 0; e == GM_OK && i < ed->n_set; i++)
        e = gm_community_setting_set(c, ed->set_name[i], ed->set_value[i], err, errlen);
    if (e == GM_OK && (ed->no_rules || ed->n_rules))
        gm_community_clear_rules(c);
    for (int i = 0; e == GM_OK && i < ed->n_rules && i <= GM_RULES_MAX; i++)
        e = gm_community_add_rule(c, ed->rules[i]);
    return e;
}

/* Exit status for a failed edit, after saying why. */
static int edit_failed(gm_err e, const char *err)
{
    if (e == GM_EINVAL) {
        fprintf(stderr, "gemeinde: invalid %s\n", err);
        return GM_EXIT_USAGE;
    }
    fprintf(stderr, "gemeinde: %s\n", gm_strerror(e));
    return GM_EXIT_FAIL;
}

/* The host part of handles ("host[:port]"); new string or NULL. */
static char *node_host(const struct gm_config *cfg)
{
    char *base = gm_config_base_url(cfg, cfg->listen_port);
    char *host = NULL;
    if (base)
        host = strdup(strstr(base, "://") ? strstr(base, "://") + 3 : base);
    free(base);
    return host;
}

static char *handle(const struct gm_config *cfg, const char *name)
{
    char *host = node_host(cfg);
    char *h = NULL;
    if (host) {
        size_t n = strlen(name) + strlen(host) + 3;
        if ((h = malloc(n)))
            snprintf(h, n, "@%s@%s", name, host);
    }
    free(host);
    return h;
}

static json_t *community_json(const struct gm_config *cfg, const struct gm_community *c)
{
    char *host = node_host(cfg);
    json_t *doc = gm_community_json(c, host);
    free(host);
    return doc;
}

static void print_text(const struct gm_config *cfg, const struct gm_community *c)
{
    char *h = handle(cfg, c->name);
    char when[32];
    time_t t = (time_t)c->created;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", &tm);
    printf("%s  %s\n  title:   %s\n  created: %s\n", c->name, h ? h : "", c->title, when);
    if (c->summary[0])
        printf("  summary: %s\n", c->summary);
    for (size_t i = 0; i < c->n_rules; i++)
        printf("  rule %zu:  %s\n", i + 1, c->rules[i]);
    json_t *set = gm_community_settings(c), *v;
    const char *key;
    json_object_foreach(set, key, v)
    {
        char *text = json_is_string(v) ? NULL : json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
        printf("  %-18s %s\n", key, text ? text : json_string_value(v));
        free(text);
    }
    json_decref(set);
    free(h);
}

/* Run `fn` in one write transaction; commits on GM_OK. */
static gm_err in_write_txn(struct gm_store *st, gm_err (*fn)(struct gm_txn *, void *), void *arg)
{
    struct gm_txn *txn;
    gm_err e = gm_txn_begin(st, true, &txn);
    if (e != GM_OK)
        return e;
    e = fn(txn, arg);
    if (e != GM_OK) {
        gm_txn_abort(txn);
        return e;
    }
    return gm_txn_commit(txn);
}

struct create_arg {
    const struct gm_community *c;
    const char *private_pem;
};

static gm_err do_create(struct gm_txn *txn, void *p)
{
    struct create_arg *a = p;
    return gm_community_create(txn, a->c, a->private_pem);
}

static gm_err do_delete(struct gm_txn *txn, void *p)
{
    gm_err e = gm_community_delete(txn, p);
    return e == GM_OK ? gm_ckv_drop_community(txn, p) : e; /* requests, bans, held posts ... */
}

static int report(gm_err e, const char *name)
{
    if (e == GM_OK)
        return GM_EXIT_OK;
    if (e == GM_ENOTFOUND || e == GM_EEXISTS) {
        fprintf(stderr, "gemeinde: community '%s' %s\n", name,
                e == GM_EEXISTS ? "already exists" : "does not exist");
        return GM_EXIT_USAGE;
    }
    fprintf(stderr, "gemeinde: %s\n", gm_strerror(e));
    return GM_EXIT_FAIL;
}

static int cmd_create(const struct gm_config *cfg, struct gm_store *st, const char *name,
                      const struct edits *ed)
{
    struct gm_community *c = NULL;
    char *priv = NULL;
    int rc;
    if (gm_community_new(name, &c) != GM_OK) {
        fprintf(stderr, "gemeinde: invalid name '%s': use 1-64 lowercase letters, digits or '_'\n",
                name);
        return GM_EXIT_USAGE;
    }
    char err[256] = "";
    gm_err e = apply_edits(c, (void *)ed, err, sizeof err);
    if (e == GM_OK)
        e = gm_community_validate(c, err, sizeof err);
    if (e != GM_OK) {
        rc = edit_failed(e, err);
        goto out;
    }
    c->created = (int64_t)time(NULL);
    rc = GM_EXIT_FAIL;
    if (gm_keygen_rsa(2048, &priv, &c->public_key_pem) != GM_OK)
        goto out;
    struct create_arg arg = {c, priv};
    rc = report(in_write_txn(st, do_create, &arg), name);
    if (rc == GM_EXIT_OK) {
        char *h = handle(cfg, name);
        printf("created community %s (%s)\n", name, h ? h : name);
        free(h);
    }
out:
    gm_keygen_wipe_free(priv);
    gm_community_free(c);
    return rc;
}

static int cmd_list(const struct gm_config *cfg, struct gm_store *st, const struct edits *ed)
{
    struct gm_txn *txn;
    char **names;
    size_t n;
    gm_err e = gm_txn_begin(st, false, &txn);
    if (e != GM_OK)
        return report(e, "");
    if ((e = gm_community_list(txn, &names, &n)) != GM_OK) {
        gm_txn_abort(txn);
        return report(e, "");
    }
    json_t *arr = ed->json ? json_array() : NULL;
    for (size_t i = 0; i < n && e == GM_OK; i++) {
        struct gm_community *c;
        if ((e = gm_community_get(txn, names[i], &c)) != GM_OK)
            break;
        if (arr)
            json_array_append_new(arr, community_json(cfg, c));
        else
            printf("%-24s %s\n", c->name, c->title);
        gm_community_free(c);
    }
    gm_txn_abort(txn);
    gm_community_names_free(names, n);
    if (arr)
        gm_cli_print_json(arr);
    return report(e, "");
}

/* Read community `name` in a read transaction of its own. */
static gm_err load_community(struct gm_store *st, const char *name, struct gm_community **c)
{
    struct gm_txn *txn;
    gm_err e = gm_txn_begin(st, false, &txn);
    if (e != GM_OK)
        return e;
    e = gm_community_get(txn, name, c);
    gm_txn_abort(txn);
    return e;
}

static int cmd_show(const struct gm_config *cfg, struct gm_store *st, const char *name,
                    const struct edits *ed)
{
    struct gm_community *c;
    gm_err e = load_community(st, name, &c);
    if (e != GM_OK)
        return report(e, name);
    if (ed->json)
        gm_cli_print_json(community_json(cfg, c));
    else
        print_text(cfg, c);
    gm_community_free(c);
    return GM_EXIT_OK;
}

/* Through the operation the admin API shares: one transaction, each change logged. */
static int cmd_set(struct gm_store *st, const char *name, const struct edits *ed)
{
    char err[256] = "";
    json_t *changed = NULL;
    gm_err e = gm_mod_community_edit(st, name, apply_edits, (void *)ed, gm_cli_moderator(),
                                     &changed, err, sizeof err);
    if (e == GM_ENOTFOUND)
        return report(e, name);
    if (e != GM_OK)
        return edit_failed(e, err);
    size_t n = json_array_size(changed);
    if (n == 0) {
        printf("community %s unchanged\n", name);
    } else {
        printf("updated community %s:", name);
        for (size_t i = 0; i < n; i++)
            printf("%s %s", i ? "," : "", json_string_value(json_array_get(changed, i)));
        printf("\n");
    }
    json_decref(changed);
    return GM_EXIT_OK;
}

static int cmd_delete(struct gm_store *st, const char *name, const struct edits *ed)
{
    if (!ed->yes) {
        fprintf(stderr, "gemeinde: deleting '%s' removes it for good; add --yes to confirm\n",
                name);
        return GM_EXIT_USAGE;
    }
    int rc = report(in_write_txn(st, do_delete, (void *)name), name);
    if (rc == GM_EXIT_OK)
        printf("deleted community %s\n", name);
    return rc;
}

int gm_cli_community(const struct gm_config *cfg, int argc, char **argv)
{
    static const char *const subs[] = {"create", "list", "show", "set", "delete"};
    const char *sub = argc > 0 ? argv[0] : "";
    int known = 0, needs_name = strcmp(sub, "list") != 0;
    for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++)
        known |= !strcmp(sub, subs[i]);
    if (!known) {
        fprintf(stderr, "usage: gemeinde community create|list|show|set|delete ... "
                        "(gemeinde --help)\n");
        return GM_EXIT_USAGE;
    }
    if (needs_name && (argc < 2 || argv[1][0] == '-')) {
        fprintf(stderr, "gemeinde community %s: NAME is missing\n", sub);
        return GM_EXIT_USAGE;
    }
    const char *name = needs_name ? argv[1] : NULL;
    struct edits ed;
    int rc = parse_edits(argc - 1 - needs_name, argv + 1 + needs_name, &ed, sub);
    if (rc != GM_EXIT_OK)
        return rc;
    if (name && strcmp(sub, "create") != 0 && !gm_community_name_valid(name)) {
        fprintf(stderr, "gemeinde: community '%s' does not exist (invalid name)\n", name);
        return GM_EXIT_USAGE;
    }
    struct gm_store *st;
    if ((rc = gm_cli_open_store(cfg, &st)) != GM_EXIT_OK)
        return rc;
    if (!strcmp(sub, "create"))
        rc = cmd_create(cfg, st, name, &ed);
    else if (!strcmp(sub, "list"))
        rc = cmd_list(cfg, st, &ed);
    else if (!strcmp(sub, "show"))
        rc = cmd_show(cfg, st, name, &ed);
    else if (!strcmp(sub, "set"))
        rc = cmd_set(st, name, &ed);
    else
        rc = cmd_delete(st, name, &ed);
    gm_store_close(st);
    return rc;
}
