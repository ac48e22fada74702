/* SPDX-License-Identifier: Apache-2.0
 * community.c - the community record in memory: creation, setters, validation of names and
 * texts, and its JSON view. Storage of the record lives in storage/community_store.c. */
#include "gemeinde/community.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool gm_community_name_valid(const char *name)
{
    size_t n = 0;
    for (const char *p = name; *p; p++, n++) {
        if (n >= GM_NAME_MAX)
            return false;
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
            return false;
    }
    return n > 0;
}

/* Valid UTF-8 (no overlongs, surrogates or code points past U+10FFFF), no control characters
 * except '\n' when allowed, at most `max` bytes. */
static bool text_valid(const char *s, size_t max, bool newline_ok)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t len = strlen(s);
    if (len > max)
        return false;
    while (*p) {
        unsigned c = *p;
        int extra;
        unsigned cp;
        if (c < 0x80) {
            if ((c < 0x20 && !(newline_ok && c == '\n')) || c == 0x7f)
                return false;
            p++;
            continue;
        } else if ((c & 0xe0) == 0xc0) {
            extra = 1, cp = c & 0x1f;
        } else if ((c & 0xf0) == 0xe0) {
            extra = 2, cp = c & 0x0f;
        } else if ((c & 0xf8) == 0xf0) {
            extra = 3, cp = c & 0x07;
        } else {
            return false;
        }
        for (int i = 1; i <= extra; i++) {
            if ((p[i] & 0xc0) != 0x80)
                return false;
            cp = (cp << 6) | (p[i] & 0x3f);
        }
        static const unsigned min_cp[4] = {0, 0x80, 0x800, 0x10000};
        if (cp < min_cp[extra] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) ||
            (cp >= 0x80 && cp <= 0x9f))
            return false;
        p += extra + 1;
    }
    return true;
}

gm_err gm_community_validate(const struct gm_community *c, char *err, size_t errlen)
{
    if (!gm_community_name_valid(c->name)) {
        snprintf(err, errlen, "name: use 1-64 lowercase letters, digits or '_'");
        return GM_EINVAL;
    }
    if (!c->title[0] || !text_valid(c->title, GM_TITLE_MAX, false)) {
        snprintf(err, errlen, "title: 1-%d bytes of UTF-8 text without control characters",
                 GM_TITLE_MAX);
        return GM_EINVAL;
    }
    if (!text_valid(c->summary, GM_SUMMARY_MAX, true)) {
        snprintf(err, errlen, "summary: at most %d bytes of UTF-8 text", GM_SUMMARY_MAX);
        return GM_EINVAL;
    }
    if (c->n_rules > GM_RULES_MAX) {
        snprintf(err, errlen, "rules: at most %d rules", GM_RULES_MAX);
        return GM_EINVAL;
    }
    for (size_t i = 0; i < c->n_rules; i++) {
        if (!c->rules[i][0] || !text_valid(c->rules[i], GM_RULE_MAX, false)) {
            snprintf(err, errlen, "rule %zu: 1-%d bytes of UTF-8 text on one line", i + 1,
                     GM_RULE_MAX);
            return GM_EINVAL;
        }
    }
    return GM_OK;
}

gm_err gm_community_new(const char *name, struct gm_community **out)
{
    if (!gm_community_name_valid(name))
        return GM_EINVAL;
    struct gm_community *c = calloc(1, sizeof *c);
    if (!c)
        return GM_ENOMEM;
    strcpy(c->name, name);
    c->microblog_replies = true;
    c->spam_hold = true;
    c->ban_notice = true;
    c->unanswered_minutes = 60;
    c->title = strdup(name);
    c->summary = strdup("");
    c->welcome = strdup("");
    if (!c->title || !c->summary || !c->welcome) {
        gm_community_free(c);
        return GM_ENOMEM;
    }
    *out = c;
    return GM_OK;
}

void gm_community_clear_rules(struct gm_community *c)
{
    for (size_t i = 0; i < c->n_rules; i++)
        free(c->rules[i]);
    free(c->rules);
    c->rules = NULL;
    c->n_rules = 0;
}

void gm_community_free(struct gm_community *c)
{
    if (!c)
        return;
    free(c->title);
    free(c->summary);
    gm_community_clear_rules(c);
    for (size_t i = 0; i < c->n_filters; i++)
        free(c->filters[i]);
    free(c->filters);
    free(c->welcome);
    free(c->public_key_pem);
    free(c);
}

static gm_err replace(char **slot, const char *value)
{
    char *copy = strdup(value);
    if (!copy)
        return GM_ENOMEM;
    free(*slot);
    *slot = copy;
    return GM_OK;
}

gm_err gm_community_set_title(struct gm_community *c, const char *title)
{
    return replace(&c->title, title);
}

gm_err gm_community_set_summary(struct gm_community *c, const char *summary)
{
    return replace(&c->summary, summary);
}

json_t *gm_community_json(const struct gm_community *c, const char *host)
{
    json_t *rules = json_array();
    for (size_t i = 0; rules && i < c->n_rules; i++)
        json_array_append_new(rules, json_string(c->rules[i]));
    char *handle = NULL;
    if (host) {
        size_t n = strlen(c->name) + strlen(host) + 3;
        if (!(handle = malloc(n))) {
            json_decref(rules);
            return NULL;
        }
        snprintf(handle, n, "@%s@%s", c->name, host);
    }
    json_t *doc = json_pack("{s:s, s:s?, s:s, s:s, s:o, s:I, s:s, s:o}", "name", c->name,
                            "handle", handle, "title", c->title, "summary", c->summary, "rules",
                            rules, "created", (json_int_t)c->created, "public_key_pem",
                            c->public_key_pem ? c->public_key_pem : "", "settings",
                            gm_community_settings(c));
    free(handle);
    return doc;
}

gm_err gm_community_add_rule(struct gm_community *c, const char *rule)
{
    char **grown = realloc(c->rules, (c->n_rules + 1) * sizeof *grown);
    if (!grown)
        return GM_ENOMEM;
    c->rules = grown;
    if (!(c->rules[c->n_rules] = strdup(rule)))
        return GM_ENOMEM;
    c->n_rules++;
    return GM_OK;
}
