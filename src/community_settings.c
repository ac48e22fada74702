/* SPDX-License-Identifier: Apache-2.0
 * community_settings.c - a community's settings by name: one table says each setting's type,
 * range and where it lives, so the CLI (`community set --name value`), the admin API (JSON)
 * and the stored record all read and write them the same way. */
#include <regex.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gemeinde/community.h"

enum kind { K_BOOL, K_UINT, K_ENUM, K_TEXT, K_LIST };

struct setting {
    const char *name;
    enum kind kind;
    size_t off;                 /* offsetof the field */
    unsigned max;               /* K_UINT: largest value; K_TEXT: bytes */
    const char *const *words;   /* K_ENUM: value names, index = enum value */
};

static const char *const join_words[] = {"open", "approval", NULL};
static const char *const posting_words[] = {"members", "anyone", "moderators", NULL};
static const char *const spam_words[] = {"drop", "hold", NULL}; /* spam_hold false/true */

#define F(field) offsetof(struct gm_community, field)
static const struct setting settings[] = {
    {"join", K_ENUM, F(join), 0, join_words},
    {"posting", K_ENUM, F(posting), 0, posting_words},
    {"premoderation", K_BOOL, F(premoderation), 0, NULL},
    {"probation_posts", K_UINT, F(probation_posts), 1000, NULL},
    {"probation_days", K_UINT, F(probation_days), 3650, NULL},
    {"max_mentions", K_UINT, F(max_mentions), 1000, NULL},
    {"rate_limit", K_UINT, F(rate_limit), 10000, NULL},
    {"spam_action", K_ENUM, F(spam_hold), 0, spam_words},
    {"filters", K_LIST, F(filters), GM_FILTER_MAX, NULL},
    {"welcome", K_TEXT, F(welcome), GM_WELCOME_MAX, NULL},
    {"ban_notice", K_BOOL, F(ban_notice), 0, NULL},
    {"followers_visible", K_BOOL, F(followers_visible), 0, NULL},
    {"microblog_replies", K_BOOL, F(microblog_replies), 0, NULL},
    {"unanswered_minutes", K_UINT, F(unanswered_minutes), 43200, NULL},
    {"weekly_digest", K_BOOL, F(weekly_digest), 0, NULL},
};
#define N_SETTINGS (sizeof settings / sizeof settings[0])

static const struct setting *find(const char *name)
{
    for (size_t i = 0; i < N_SETTINGS; i++)
        if (!strcmp(settings[i].name, name))
            return &settings[i];
    return NULL;
}

static void *field(struct gm_community *c, const struct setting *s)
{
    return (char *)c + s->off;
}

static const void *cfield(const struct gm_community *c, const struct setting *s)
{
    return (const char *)c + s->off;
}

/* An enum is stored as its C type: bool for spam_action, an enum (int) otherwise. */
static void set_enum(struct gm_community *c, const struct setting *s, int v)
{
    if (s->off == F(spam_hold))
        c->spam_hold = v != 0;
    else
        *(int *)field(c, s) = v;
}

static int get_enum(const struct gm_community *c, const struct setting *s)
{
    return s->off == F(spam_hold) ? c->spam_hold : *(const int *)cfield(c, s);
}

static gm_err filter_valid(const char *f, char *err, size_t errlen)
{
    size_t n = strlen(f);
    if (!n || n > GM_FILTER_MAX || strchr(f, '\n')) {
        snprintf(err, errlen, "filters: each filter is 1-%d bytes on one line", GM_FILTER_MAX);
        return GM_EINVAL;
    }
    if (n >= 2 && f[0] == '/' && f[n - 1] == '/') {
        char *re = strndup(f + 1, n - 2);
        regex_t rx;
        int rc = re ? regcomp(&rx, re, REG_EXTENDED | REG_ICASE | REG_NOSUB) : REG_ESPACE;
        free(re);
        if (rc != 0) {
            snprintf(err, errlen, "filters: '%s' is not a valid regular expression", f);
            return GM_EINVAL;
        }
        regfree(&rx);
    }
    return GM_OK;
}

static void clear_filters(struct gm_community *c)
{
    for (size_t i = 0; i < c->n_filters; i++)
        free(c->filters[i]);
    free(c->filters);
    c->filters = NULL;
    c->n_filters = 0;
}

static gm_err add_filter(struct gm_community *c, const char *f, char *err, size_t errlen)
{
    if (filter_valid(f, err, errlen) != GM_OK)
        return GM_EINVAL;
    for (size_t i = 0; i < c->n_filters; i++)
        if (!strcmp(c->filters[i], f))
            return GM_OK;
    if (c->n_filters >= GM_FILTERS_MAX) {
        snprintf(err, errlen, "filters: at most %d", GM_FILTERS_MAX);
        return GM_EINVAL;
    }
    char **grown = realloc(c->filters, (c->n_filters + 1) * sizeof *grown);
    if (!grown)
        return GM_ENOMEM;
    c->filters = grown;
    if (!(c->filters[c->n_filters] = strdup(f)))
        return GM_ENOMEM;
    c->n_filters++;
    return GM_OK;
}

static gm_err bad(char *err, size_t errlen, const struct setting *s, const char *value)
{
    switch (s->kind) {
    case K_BOOL: snprintf(err, errlen, "%s: yes or no, not '%s'", s->name, value); break;
    case K_UINT: snprintf(err, errlen, "%s: a whole number 0-%u, not '%s'", s->name, s->max, value); break;
    case K_ENUM: {
        size_t n = (size_t)snprintf(err, errlen, "%s: one of", s->name);
        for (size_t i = 0; s->words[i] && n < errlen; i++)
            n += (size_t)snprintf(err + n, errlen - n, " %s", s->words[i]);
        break;
    }
    default: snprintf(err, errlen, "%s: at most %u bytes of text", s->name, s->max); break;
    }
    return GM_EINVAL;
}

gm_err gm_community_setting_set(struct gm_community *c, const char *name, const char *value,
                                char *err, size_t errlen)
{
    const struct setting *s = find(name);
    if (!s) {
        snprintf(err, errlen, "no setting named '%s'", name);
        return GM_EINVAL;
    }
    switch (s->kind) {
    case K_BOOL: {
        int v = !strcmp(value, "yes") || !strcmp(value, "true") || !strcmp(value, "on")   ? 1
                : !strcmp(value, "no") || !strcmp(value, "false") || !strcmp(value, "off") ? 0
                                                                                           : -1;
        if (v < 0)
            return bad(err, errlen, s, value);
        *(bool *)field(c, s) = v;
        return GM_OK;
    }
    case K_UINT: {
        char *end;
        unsigned long v = strtoul(value, &end, 10);
        if (!*value || *end || value[0] == '-' || v > s->max)
            return bad(err, errlen, s, value);
        *(unsigned *)field(c, s) = (unsigned)v;
        return GM_OK;
    }
    case K_ENUM:
        for (int i = 0; s->words[i]; i++) {
            if (!strcmp(s->words[i], value)) {
                set_enum(c, s, i);
                return GM_OK;
            }
        }
        return bad(err, errlen, s, value);
    case K_TEXT: {
        if (strlen(value) > s->max)
            return bad(err, errlen, s, value);
        char *copy = strdup(value);
        if (!copy)
            return GM_ENOMEM;
        free(*(char **)field(c, s));
        *(char **)field(c, s) = copy;
        return GM_OK;
    }
    case K_LIST:
        if (!*value) {
            clear_filters(c);
            return GM_OK;
        }
        return add_filter(c, value, err, errlen);
    }
    return GM_EINVAL;
}

gm_err gm_community_setting_json(struct gm_community *c, const char *name, json_t *value,
                                 char *err, size_t errlen)
{
    const struct setting *s = find(name);
    char num[32];
    if (!s) {
        snprintf(err, errlen, "no setting named '%s'", name);
        return GM_EINVAL;
    }
    if (json_is_string(value) && s->kind != K_LIST) /* text works for every kind */
        return gm_community_setting_set(c, name, json_string_value(value), err, errlen);
    if (s->kind == K_LIST) {
        if (!json_is_array(value)) {
            snprintf(err, errlen, "%s: an array of strings", name);
            return GM_EINVAL;
        }
        struct gm_community tmp = {0};
        size_t i;
        json_t *v;
        gm_err e = GM_OK;
        json_array_foreach(value, i, v)
        {
            if (!json_is_string(v)) {
                snprintf(err, errlen, "%s: an array of strings", name);
                e = GM_EINVAL;
            }
            if (e == GM_OK)
                e = add_filter(&tmp, json_string_value(v), err, errlen);
        }
        if (e != GM_OK) {
            clear_filters(&tmp);
            return e;
        }
        clear_filters(c);
        c->filters = tmp.filters;
        c->n_filters = tmp.n_filters;
        return GM_OK;
    }
    if (s->kind == K_BOOL && json_is_boolean(value))
        return gm_community_setting_set(c, name, json_is_true(value) ? "yes" : "no", err, errlen);
    if (s->kind == K_UINT && json_is_integer(value)) {
        snprintf(num, sizeof num, "%lld", (long long)json_integer_value(value));
        return gm_community_setting_set(c, name, num, err, errlen);
    }
    return bad(err, errlen, s, "(wrong JSON type)");
}

json_t *gm_community_settings(const struct gm_community *c)
{
    json_t *obj = json_object();
    for (size_t i = 0; obj && i < N_SETTINGS; i++) {
        const struct setting *s = &settings[i];
        json_t *v = NULL;
        switch (s->kind) {
        case K_BOOL: v = json_boolean(*(const bool *)cfield(c, s)); break;
        case K_UINT: v = json_integer(*(const unsigned *)cfield(c, s)); break;
        case K_ENUM: v = json_string(s->words[get_enum(c, s)]); break;
        case K_TEXT: v = json_string(*(char *const *)cfield(c, s) ? *(char *const *)cfield(c, s) : ""); break;
        case K_LIST:
            v = json_array();
            for (size_t j = 0; v && j < c->n_filters; j++)
                json_array_append_new(v, json_string(c->filters[j]));
            break;
        }
        if (!v || json_object_set_new(obj, s->name, v) != 0) {
            json_decref(obj);
            return NULL;
        }
    }
    return obj;
}

gm_err gm_community_settings_load(struct gm_community *c, json_t *obj, char *err, size_t errlen)
{
    for (size_t i = 0; i < N_SETTINGS; i++) {
        json_t *v = json_object_get(obj, settings[i].name);
        gm_err e = v ? gm_community_setting_json(c, settings[i].name, v, err, errlen) : GM_OK;
        if (e != GM_OK)
            return e;
    }
    return GM_OK;
}

/* Append `s` to the growing text (*out, *len); returns 0 on failure. */
static int append(char **out, size_t *len, const char *s, size_t n)
{
    char *grown = realloc(*out, *len + n + 1);
    if (!grown)
        return 0;
    memcpy(grown + *len, s, n);
    *len += n;
    grown[*len] = '\0';
    *out = grown;
    return 1;
}

char *gm_community_welcome_text(const struct gm_community *c)
{
    if (!c->welcome || !c->welcome[0])
        return NULL;
    char *out = NULL, num[32];
    size_t len = 0;
    int ok = append(&out, &len, "", 0);
    for (const char *p = c->welcome; ok && *p;) {
        if (!strncmp(p, "{rules}", 7)) {
            for (size_t i = 0; ok && i < c->n_rules; i++) {
                snprintf(num, sizeof num, "%s%zu. ", i ? "\n" : "", i + 1);
                ok = append(&out, &len, num, strlen(num)) &&
                     append(&out, &len, c->rules[i], strlen(c->rules[i]));
            }
            p += 7;
        } else if (!strncmp(p, "{community}", 11)) {
            ok = append(&out, &len, c->name, strlen(c->name));
            p += 11;
        } else if (!strncmp(p, "{title}", 7)) {
            ok = append(&out, &len, c->title, strlen(c->title));
            p += 7;
        } else {
            ok = append(&out, &len, p, 1);
            p++;
        }
    }
    if (!ok) {
        free(out);
        return NULL;
    }
    return out;
}
