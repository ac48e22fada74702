/* SPDX-License-Identifier: Apache-2.0
 * inbox_rules.c - the pure checks of the inbox: activity shape (a fixed ActivityStreams form;
 * JSON-LD features that change meaning are refused, Fedify GHSA-9rfg-v8g9-9367) and who may act
 * on what (Mastodon CVE-2024-23832, FEP-fe34). No I/O here. */
#include <string.h>
#include <strings.h>

#include "gemeinde/as_ref.h"
#include "gemeinde/fetch.h"
#include "gemeinde/inbox.h"

static int is_http_url(const char *s)
{
    return strncasecmp(s, "https://", 8) == 0 || strncasecmp(s, "http://", 7) == 0;
}

gm_err gm_inbox_check_shape(json_t *doc, const char **actor, const char **type,
                            const char **why)
{
    static const char *const ld_keys[] = {"@graph", "@included", "@reverse", "@id", "@type"};
    if (!json_is_object(doc)) {
        *why = "activity is not a JSON object";
        return GM_EINVAL;
    }
    for (size_t i = 0; i < sizeof ld_keys / sizeof ld_keys[0]; i++) {
        if (json_object_get(doc, ld_keys[i])) {
            *why = "JSON-LD keywords other than @context are not accepted at the top level";
            return GM_EINVAL;
        }
    }
    const char *t = json_string_value(json_object_get(doc, "type"));
    const char *a = gm_as_ref_id(json_object_get(doc, "actor"));
    json_t *id = json_object_get(doc, "id");
    if (!t || !*t || strlen(t) > 64) {
        *why = "activity has no type";
        return GM_EINVAL;
    }
    if (!a || !is_http_url(a) || strlen(a) > 2048) {
        *why = "activity has no actor URL";
        return GM_EINVAL;
    }
    if (id && (!json_is_string(id) || !is_http_url(json_string_value(id)) ||
               strlen(json_string_value(id)) > GM_INBOX_MAX_ID)) {
        *why = "activity id is not an http(s) URL of at most 500 bytes";
        return GM_EINVAL;
    }
    *actor = a;
    *type = t;
    return GM_OK;
}

/* attributedTo may be a string, an object, or an array of either: the actor must be one. */
static int attributed_to(json_t *obj, const char *actor)
{
    json_t *attr = json_object_get(obj, "attributedTo");
    if (!attr)
        return 1; /* absent: nothing claims another author */
    if (!json_is_array(attr)) {
        const char *id = gm_as_ref_id(attr);
        return id && strcmp(id, actor) == 0;
    }
    size_t i;
    json_t *v;
    json_array_foreach(attr, i, v)
    {
        const char *id = gm_as_ref_id(v);
        if (id && strcmp(id, actor) == 0)
            return 1;
    }
    return 0;
}

static gm_err check_object(json_t *doc, const char *type, const char *actor, const char **why)
{
    json_t *obj = json_object_get(doc, "object");
    const char *oid = gm_as_ref_id(obj);
    int own = oid && gm_fetch_same_origin(oid, actor);
    int creates = !strcmp(type, "Create") || !strcmp(type, "Update");
    if (creates && json_is_object(obj)) {
        if (!own) {
            *why = "object of a Create/Update comes from another origin than its actor";
            return GM_EFORBID;
        }
        if (!attributed_to(obj, actor)) {
            *why = "object is attributed to someone other than the actor";
            return GM_EFORBID;
        }
        return GM_OK;
    }
    if (!strcmp(type, "Delete") && oid && !own) {
        *why = "Delete of an object from another origin";
        return GM_EFORBID;
    }
    if (!strcmp(type, "Undo") && json_is_object(obj)) {
        const char *inner = gm_as_ref_id(json_object_get(obj, "actor"));
        if (!inner || strcmp(inner, actor) != 0) {
            *why = "Undo of another actor's activity";
            return GM_EFORBID;
        }
        return GM_OK;
    }
    /* Anything else embedded from another origin is not trusted: keep only its id. */
    if (json_is_object(obj) && !own) {
        if (!oid) {
            *why = "embedded object from another origin without an id";
            return GM_EFORBID;
        }
        json_object_set_new(doc, "object", json_string(oid));
    }
    return GM_OK;
}

gm_err gm_inbox_check_origin(json_t *doc, const char *actor, const char **why)
{
    const char *type = json_string_value(json_object_get(doc, "type"));
    const char *id = json_string_value(json_object_get(doc, "id"));
    if (id && !gm_fetch_same_origin(id, actor)) {
        *why = "activity id has another origin than its actor";
        return GM_EFORBID;
    }
    return type ? check_object(doc, type, actor, why) : GM_EINVAL;
}
