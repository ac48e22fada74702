/* SPDX-License-Identifier: Apache-2.0
 * actor_json.c - ActivityStreams documents for our actors. The @context names the extension
 * terms we use (Mastodon's toot: namespace, Lemmy's postingRestrictedToMods) so JSON-LD
 * processors such as Fedify read them; plain-JSON readers see the usual short names. */
#include "gemeinde/actor_json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gemeinde/app.h"
#include "gemeinde/buf.h"
#include "gemeinde/community.h"

char *gm_actor_url(const struct gm_app *app, const char *name, const char *suffix)
{
    size_t n = strlen(app->base_url) + strlen(name) + strlen(suffix) + 8;
    char *s = malloc(n);
    if (s)
        snprintf(s, n, "%s/c/%s%s", app->base_url, name, suffix);
    return s;
}

char *gm_actor_summary_html(const struct gm_community *c)
{
    struct gm_buf b;
    char *out;
    gm_buf_init(&b, 256 * 1024);
    if (c->summary[0]) {
        gm_buf_puts(&b, "<p>");
        for (const char *p = c->summary; *p;) { /* newlines become <br> */
            size_t n = strcspn(p, "\n");
            char *part = strndup(p, n);
            if (!part) {
                gm_buf_free(&b);
                return NULL;
            }
            gm_buf_put_html(&b, part);
            free(part);
            p += n;
            if (*p == '\n') {
                gm_buf_puts(&b, "<br>");
                p++;
            }
        }
        gm_buf_puts(&b, "</p>");
    }
    if (c->n_rules) {
        gm_buf_puts(&b, "<p>Rules:</p><ol>");
        for (size_t i = 0; i < c->n_rules; i++) {
            gm_buf_puts(&b, "<li>");
            gm_buf_put_html(&b, c->rules[i]);
            gm_buf_puts(&b, "</li>");
        }
        gm_buf_puts(&b, "</ol>");
    }
    return gm_buf_take(&b, &out, NULL) == GM_OK ? out : NULL;
}

static json_t *context(void)
{
    return json_pack("[s, s, {s:s, s:s, s:s, s:s, s:{s:s, s:s}, s:s}]",
                     "https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1",
                     "manuallyApprovesFollowers", "as:manuallyApprovesFollowers", "toot",
                     "http://joinmastodon.org/ns#", "lemmy", "https://join-lemmy.org/ns#",
                     "discoverable", "toot:discoverable", "featured", "@id", "toot:featured",
                     "@type", "@id", "postingRestrictedToMods", "lemmy:postingRestrictedToMods");
}

static void iso_time(long long t, char out[32])
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Adds a string member built from a new string (freed here); marks failure in *ok. */
static void set_owned(json_t *obj, const char *key, char *value, int *ok)
{
    if (!value || json_object_set_new(obj, key, json_string(value)) != 0)
        *ok = 0;
    free(value);
}

json_t *gm_actor_group_json(const struct gm_app *app, const struct gm_community *c)
{
    char created[32], shared[512];
    iso_time(c->created, created);
    snprintf(shared, sizeof shared, "%s/inbox", app->base_url);
    json_t *doc = json_pack("{s:o, s:s, s:s, s:s, s:b, s:b, s:b, s:s, s:{s:s}}", "@context",
                            context(), "type", "Group", "preferredUsername", c->name, "name",
                            c->title, "manuallyApprovesFollowers", c->join == GM_JOIN_APPROVAL,
                            "discoverable", 1, "postingRestrictedToMods",
                            c->posting == GM_POST_MODERATORS, "published", created, "endpoints",
                            "sharedInbox", shared);
    if (!doc)
        return NULL;
    int ok = 1;
    set_owned(doc, "id", gm_actor_url(app, c->name, ""), &ok);
    set_owned(doc, "url", gm_actor_url(app, c->name, ""), &ok);
    set_owned(doc, "summary", gm_actor_summary_html(c), &ok);
    set_owned(doc, "inbox", gm_actor_url(app, c->name, "/inbox"), &ok);
    set_owned(doc, "outbox", gm_actor_url(app, c->name, "/outbox"), &ok);
    set_owned(doc, "followers", gm_actor_url(app, c->name, "/followers"), &ok);
    set_owned(doc, "featured", gm_actor_url(app, c->name, "/featured"), &ok);
    /* Lemmy names a community's moderators by a collection in attributedTo */
    set_owned(doc, "attributedTo", gm_actor_url(app, c->name, "/moderators"), &ok);
    json_t *key = json_pack("{s:s}", "publicKeyPem", c->public_key_pem);
    if (!key || json_object_set_new(doc, "publicKey", key) != 0)
        ok = 0;
    else {
        set_owned(key, "id", gm_actor_url(app, c->name, "#main-key"), &ok);
        set_owned(key, "owner", gm_actor_url(app, c->name, ""), &ok);
    }
    if (!ok) {
        json_decref(doc);
        return NULL;
    }
    return doc;
}

json_t *gm_actor_instance_json(const struct gm_app *app)
{
    char id[512], key_id[600], inbox[600], outbox[600], hostname[300];
    snprintf(id, sizeof id, "%s/actor", app->base_url);
    snprintf(key_id, sizeof key_id, "%s#main-key", id);
    snprintf(inbox, sizeof inbox, "%s/inbox", app->base_url);
    snprintf(outbox, sizeof outbox, "%s/outbox", id);
    /* Mastodon names its instance actor after the host; ports are not valid in names. */
    snprintf(hostname, sizeof hostname, "%s", app->host);
    char *end = hostname[0] == '[' ? strchr(hostname, ']') : strchr(hostname, ':');
    if (end)
        end[hostname[0] == '['] = '\0';
    return json_pack("{s:o, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:{s:s}, s:{s:s, s:s, s:s}}",
                     "@context", context(), "id", id, "type", "Application", "preferredUsername",
                     hostname, "name", "gemeinde", "url", app->base_url, "inbox", inbox,
                     "outbox", outbox, "manuallyApprovesFollowers", 1, "endpoints",
                     "sharedInbox", inbox, "publicKey", "id", key_id, "owner", id,
                     "publicKeyPem",
                     app->instance_public_key_pem ? app->instance_public_key_pem : "");
}

json_t *gm_actor_collection_json(const char *id, size_t total, json_t *items)
{
    /* Without items, a non-empty collection shows only its size (a hidden follower list). */
    if (!items && total == 0)
        items = json_array();
    return json_pack("{s:s, s:s, s:s, s:I, s:o*}", "@context",
                     "https://www.w3.org/ns/activitystreams", "id", id, "type",
                     "OrderedCollection", "totalItems", (json_int_t)total, "orderedItems", items);
}
