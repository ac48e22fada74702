/* SPDX-License-Identifier: Apache-2.0
 * pins.c - pinned posts of a community. A pin is a GM_CKV_PINS record (object id ->
 * {by, at, seq}: who pinned it, when, and the outbox entry of its Add, which orders pins made
 * in the same second); the Add or Remove is an entry of the community's outbox, fanned out
 * unchanged to every member (relay.c, "plain"). */
#include "gemeinde/pins.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gemeinde/ckv.h"
#include "gemeinde/log.h"
#include "gemeinde/modlog.h"
#include "gemeinde/notify.h"
#include "gemeinde/relay.h"
#include "gemeinde/relay_store.h"
#include "gemeinde/timefmt.h"

#define AS_PUBLIC "https://www.w3.org/ns/activitystreams#Public"

/* Add or Remove (`type`) of `object_id` to or from the featured collection. New reference. */
static json_t *featured_activity(const struct gm_rules_ctx *ctx, const char *community,
                                 const char *type, const char *object_id)
{
    char me[600], featured[700], followers[700], when[32];
    snprintf(me, sizeof me, "%s/c/%s", ctx->base_url, community);
    snprintf(featured, sizeof featured, "%s/featured", me);
    snprintf(followers, sizeof followers, "%s/followers", me);
    gm_time_format(ctx->now, when, sizeof when);
    char *id = gm_notify_new_id(ctx->base_url, community, strcmp(type, "Add") ? "remove" : "add");
    json_t *doc =
        id ? json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:[s], s:[s], s:s, s:s}", "@context",
                       "https://www.w3.org/ns/activitystreams", "id", id, "type", type, "actor", me,
                       "object", object_id, "target", featured, "to", AS_PUBLIC, "cc", followers,
                       "audience", me, "published", when)
           : NULL;
    free(id);
    return doc;
}

/* Send Add or Remove to every member, and log it. *seq (may be NULL): its outbox entry. */
static gm_err announce_change(struct gm_txn *txn, struct gm_rules_ctx *ctx, const char *community,
                              const char *type, const char *object_id, const char *moderator,
                              uint64_t *seq)
{
    json_t *doc = featured_activity(ctx, community, type, object_id);
    gm_err e = doc ? gm_relay_publish(txn, ctx, community, doc, ",\"plain\":1", seq) : GM_ENOMEM;
    json_decref(doc);
    if (e == GM_OK)
        e = gm_modlog_add(txn, ctx->now, community, moderator, strcmp(type, "Add") ? "unpin" : "pin",
                          object_id, NULL, NULL);
    return e;
}

gm_err gm_pin_find(struct gm_txn *txn, const char *community, const char *object_id)
{
    json_t *v = NULL;
    gm_err e = gm_ckv_get(txn, GM_CKV_PINS, community, object_id, &v);
    json_decref(v);
    return e == GM_EINVAL ? GM_ENOTFOUND : e;
}

gm_err gm_pin_add(struct gm_txn *txn, struct gm_rules_ctx *ctx, const char *community,
                  const char *object_id, const char *moderator)
{
    uint64_t seq;
    size_t count;
    gm_err e = gm_relayed_get(txn, community, object_id, &seq);
    if (e == GM_OK && gm_relayed_deleted(txn, community, object_id) == GM_OK)
        e = GM_ENOTFOUND; /* gone: nothing to show */
    if (e != GM_OK)
        return e;
    if (strlen(object_id) > GM_CKV_KEY_MAX)
        return GM_EINVAL;
    if ((e = gm_pin_find(txn, community, object_id)) != GM_ENOTFOUND)
        return e == GM_OK ? GM_EEXISTS : e;
    if ((e = gm_ckv_count(txn, GM_CKV_PINS, community, &count)) != GM_OK)
        return e;
    if (count >= GM_PINS_MAX)
        return GM_ETOOBIG;
    if ((e = announce_change(txn, ctx, community, "Add", object_id, moderator, &seq)) != GM_OK)
        return e;
    json_t *rec = json_pack("{s:s, s:I, s:I}", "by", moderator, "at", (json_int_t)ctx->now, "seq",
                            (json_int_t)seq);
    e = rec ? gm_ckv_put(txn, GM_CKV_PINS, community, object_id, rec) : GM_ENOMEM;
    json_decref(rec);
    if (e == GM_OK)
        gm_info("pins: %s pinned %s (%s)", community, object_id, moderator);
    return e;
}

gm_err gm_pin_remove(struct gm_txn *txn, struct gm_rules_ctx *ctx, const char *community,
                     const char *object_id, const char *moderator)
{
    gm_err e = gm_pin_find(txn, community, object_id);
    if (e == GM_OK)
        e = gm_ckv_del(txn, GM_CKV_PINS, community, object_id);
    if (e == GM_OK)
        e = announce_change(txn, ctx, community, "Remove", object_id, moderator, NULL);
    if (e == GM_OK)
        gm_info("pins: %s unpinned %s (%s)", community, object_id, moderator);
    return e;
}

static json_int_t int_at(json_t *pin, const char *key)
{
    return json_integer_value(json_object_get(json_object_get(pin, "value"), key));
}

/* Newest first: later "at", then later Add. */
static int newest_first(const void *a, const void *b)
{
    json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
    json_int_t ax = int_at(x, "at"), ay = int_at(y, "at");
    if (ax != ay)
        return ax < ay ? 1 : -1;
    ax = int_at(x, "seq"), ay = int_at(y, "seq");
    return ax < ay ? 1 : ax > ay ? -1 : 0;
}

/* Every pin record of `community` ({"key", "value"} objects) into `records`, in key order. */
static gm_err all_records(struct gm_txn *txn, const char *community, json_t *records)
{
    char after[GM_CKV_KEY_MAX + 1] = "";
    for (;;) {
        json_t *page = NULL, *rec;
        size_t i;
        gm_err e =
            gm_ckv_page(txn, GM_CKV_PINS, community, after[0] ? after : NULL, GM_PINS_MAX, &page);
        if (e != GM_OK)
            return e;
        size_t n = json_array_size(page);
        json_array_foreach(page, i, rec)
        {
            if (json_array_append(records, rec) != 0) {
                json_decref(page);
                return GM_ENOMEM;
            }
        }
        if (n)
            snprintf(after, sizeof after, "%s",
                     json_string_value(json_object_get(json_array_get(page, n - 1), "key")));
        json_decref(page);
        if (n < GM_PINS_MAX)
            return GM_OK;
    }
}

gm_err gm_pin_list(struct gm_txn *txn, const char *community, json_t **pins)
{
    json_t *records = json_array(), *out = json_array();
    json_t **sorted = NULL;
    gm_err e = records && out ? all_records(txn, community, records) : GM_ENOMEM;
    size_t n = json_array_size(records);
    if (e == GM_OK && n && !(sorted = calloc(n, sizeof *sorted)))
        e = GM_ENOMEM;
    for (size_t i = 0; e == GM_OK && i < n; i++)
        sorted[i] = json_array_get(records, i);
    if (e == GM_OK && n)
        qsort(sorted, n, sizeof *sorted, newest_first);
    for (size_t i = 0; e == GM_OK && i < n; i++) {
        json_t *value = json_object_get(sorted[i], "value");
        json_t *pin = json_pack("{s:O, s:O, s:I}", "object", json_object_get(sorted[i], "key"),
                                "by", json_object_get(value, "by"), "at",
                                json_integer_value(json_object_get(value, "at")));
        if (!pin || json_array_append_new(out, pin) != 0)
            e = GM_ENOMEM;
    }
    free(sorted);
    json_decref(records);
    if (e != GM_OK) {
        json_decref(out);
        return e;
    }
    *pins = out;
    return GM_OK;
}
