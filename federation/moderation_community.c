/* SPDX-License-Identifier: Apache-2.0
 * moderation_community.c - operations on one community that the CLI and the admin API share:
 * editing its record and settings (every changed field logged as a "policy" entry with its old
 * and new value, so members can see when the rules of their community changed) and ending a
 * membership. Each is one write transaction: the change and its log entries commit together. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gemeinde/buf.h"
#include "gemeinde/members.h"
#include "gemeinde/moderation.h"

#define SHOWN_MAX 80        /* bytes of a text value shown in the public log */
#define NOTE_MAX (8 * 1024) /* bytes of the private note of one change */

/* The editable fields of `c` in one object: title, summary, rules, then every setting.
 * New reference, NULL when out of memory. */
static json_t *snapshot(const struct gm_community *c)
{
    json_t *doc = json_object(), *rules = json_array(), *settings = gm_community_settings(c);
    for (size_t i = 0; rules && i < c->n_rules; i++)
        if (json_array_append_new(rules, json_string(c->rules[i])) != 0)
            goto fail;
    if (!doc || !rules || !settings || json_object_set_new(doc, "title", json_string(c->title)) ||
        json_object_set_new(doc, "summary", json_string(c->summary)) ||
        json_object_set(doc, "rules", rules) || json_object_update(doc, settings))
        goto fail;
    json_decref(rules);
    json_decref(settings);
    return doc;
fail:
    json_decref(doc);
    json_decref(rules);
    json_decref(settings);
    return NULL;
}

/* Append at most `max` bytes of `s`, cut on a UTF-8 character boundary; 1 if it was cut. */
static int put_prefix(struct gm_buf *b, const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n <= max) {
        gm_buf_append(b, s, n);
        return 0;
    }
    while (max > 0 && ((unsigned char)s[max] & 0xc0) == 0x80)
        max--;
    gm_buf_append(b, s, max);
    gm_buf_puts(b, "…");
    return 1;
}

/* A value as the public log shows it; 1 if that is not the whole value (a list shown as its
 * size, a text shortened). */
static int put_value(struct gm_buf *b, const json_t *v)
{
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        if (!s[0]) {
            gm_buf_puts(b, "(none)");
            return 0;
        }
        return put_prefix(b, s, SHOWN_MAX) || strchr(s, '\n');
    }
    if (json_is_boolean(v))
        gm_buf_puts(b, json_is_true(v) ? "yes" : "no");
    else if (json_is_integer(v))
        gm_buf_printf(b, "%lld", (long long)json_integer_value(v));
    else if (json_is_array(v)) {
        size_t n = json_array_size(v);
        gm_buf_printf(b, "%zu %s", n, n == 1 ? "entry" : "entries");
        return 1;
    }
    return 0;
}

/* Log one changed field: public "name: old → new"; the private note holds both values in
 * full (as JSON, capped) when the public text does not. */
static gm_err log_change(struct gm_txn *txn, const char *community, const char *moderator,
                         const char *field, const json_t *old, const json_t *updated)
{
    struct gm_buf pub, note;
    char *pub_s = NULL, *note_s = NULL, *old_s = NULL, *new_s = NULL;
    gm_buf_init(&pub, 4 * SHOWN_MAX + 64);
    gm_buf_init(&note, NOTE_MAX + 64);
    gm_buf_printf(&pub, "%s: ", field);
    int partial = put_value(&pub, old);
    gm_buf_puts(&pub, " → ");
    partial |= put_value(&pub, updated);
    if (partial) {
        old_s = json_dumps(old, JSON_COMPACT | JSON_ENCODE_ANY);
        new_s = json_dumps(updated, JSON_COMPACT | JSON_ENCODE_ANY);
        put_prefix(&note, old_s ? old_s : "", NOTE_MAX / 2);
        gm_buf_puts(&note, " → ");
        put_prefix(&note, new_s ? new_s : "", NOTE_MAX / 2);
    }
    gm_err e = gm_buf_take(&pub, &pub_s, NULL);
    gm_err e2 = gm_buf_take(&note, &note_s, NULL);
    if (e == GM_OK)
        e = e2;
    if (e == GM_OK)
        e = gm_mod_log(txn, community, moderator, "policy", field, pub_s, note_s);
    free(pub_s);
    free(note_s);
    free(old_s);
    free(new_s);
    return e;
}

/* Log every field whose value differs between `before` and `after`; names collects them. */
static gm_err log_changes(struct gm_txn *txn, const char *community, const char *moderator,
                          json_t *before, json_t *after, json_t *names)
{
    const char *field;
    json_t *old;
    json_object_foreach(before, field, old)
    {
        json_t *updated = json_object_get(after, field);
        if (!updated || json_equal(old, updated))
            continue;
        gm_err e = log_change(txn, community, moderator, field, old, updated);
        if (e == GM_OK && json_array_append_new(names, json_string(field)) != 0)
            e = GM_ENOMEM;
        if (e != GM_OK)
            return e;
    }
    return GM_OK;
}

gm_err gm_mod_community_edit(struct gm_store *st, const char *name, gm_mod_edit_fn edit, void *arg,
                             const char *moderator, json_t **changed, char *err, size_t errlen)
{
    struct gm_txn *txn = NULL;
    struct gm_community *c = NULL;
    json_t *before = NULL, *after = NULL, *names = json_array();
    gm_err e = names ? gm_txn_begin(st, true, &txn) : GM_ENOMEM;
    if (e == GM_OK && (e = gm_community_get(txn, name, &c)) == GM_ENOTFOUND)
        snprintf(err, errlen, "no community named '%s'", name);
    if (e == GM_OK && !(before = snapshot(c)))
        e = GM_ENOMEM;
    if (e == GM_OK)
        e = edit(c, arg, err, errlen);
    if (e == GM_OK)
        e = gm_community_validate(c, err, errlen);
    if (e == GM_OK && !(after = snapshot(c)))
        e = GM_ENOMEM;
    if (e == GM_OK)
        e = log_changes(txn, name, moderator, before, after, names);
    if (e == GM_OK && json_array_size(names) > 0)
        e = gm_community_update(txn, c);
    if (e == GM_OK) {
        e = gm_txn_commit(txn);
        txn = NULL;
    }
    gm_txn_abort(txn);
    gm_community_free(c);
    json_decref(before);
    json_decref(after);
    if (e == GM_OK && changed)
        *changed = json_incref(names);
    json_decref(names);
    return e;
}

gm_err gm_mod_member_remove(struct gm_store *st, const char *community, const char *actor,
                            const char *moderator, const char **which)
{
    struct gm_txn *txn;
    const char *what = "community";
    gm_err e = gm_txn_begin(st, true, &txn);
    if (e != GM_OK)
        return e;
    if ((e = gm_community_has(txn, community)) == GM_OK) {
        what = "member";
        e = gm_member_delete(txn, community, actor);
    }
    if (e == GM_OK)
        e = gm_mod_log(txn, community, moderator, "remove_member", actor, "", "");
    if (e != GM_OK) {
        gm_txn_abort(txn);
        if (e == GM_ENOTFOUND && which)
            *which = what;
        return e;
    }
    return gm_txn_commit(txn);
}
