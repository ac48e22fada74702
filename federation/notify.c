/* SPDX-License-Identifier: Apache-2.0
 * notify.c - single-recipient activities from a community: Follow answers and direct
 * messages. The message body is built here from plain text, so nothing a moderator or a remote
 * server wrote reaches another server's HTML unescaped. */
#include "gemeinde/notify.h"

#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gemeinde/buf.h"
#include "gemeinde/log.h"
#include "gemeinde/queue.h"
#include "gemeinde/remote.h"
#include "gemeinde/timefmt.h"

#define AS_CONTEXT "https://www.w3.org/ns/activitystreams"

char *gm_notify_new_id(const char *base_url, const char *community, const char *kind)
{
    unsigned char rnd[12];
    char hex[25], *id = malloc(strlen(base_url) + strlen(community) + strlen(kind) + 48);
    if (!id || RAND_bytes(rnd, sizeof rnd) != 1) {
        free(id);
        return NULL;
    }
    for (size_t i = 0; i < sizeof rnd; i++)
        sprintf(hex + 2 * i, "%02x", rnd[i]);
    sprintf(id, "%s/c/%s/activities/%s-%s", base_url, community, kind, hex);
    return id;
}

gm_err gm_notify_send(struct gm_txn *txn, struct gm_rules_ctx *ctx, const char *community,
                      const char *actor, json_t *activity)
{
    struct gm_remote_actor *who = NULL;
    gm_err e = gm_remote_actor_get(txn, actor, &who);
    if (e != GM_OK) {
        if (e == GM_ENOTFOUND)
            gm_warn("notify: %s: no known inbox for %s, nothing sent", community, actor);
        return e;
    }
    char *body = json_dumps(activity, JSON_COMPACT);
    e = body ? gm_queue_push(txn, community, who->inbox, body, ctx->now) : GM_ENOMEM;
    if (e == GM_OK)
        ctx->queued++;
    free(body);
    gm_remote_actor_free(who);
    return e;
}

static void actor_url(const struct gm_rules_ctx *ctx, const char *community, char *out, size_t n)
{
    snprintf(out, n, "%s/c/%s", ctx->base_url, community);
}

gm_err gm_notify_follow_answer(struct gm_txn *txn, struct gm_rules_ctx *ctx,
                               const char *community, const char *actor, json_t *follow,
                               bool accept)
{
    char me[600];
    actor_url(ctx, community, me, sizeof me);
    char *id = gm_notify_new_id(ctx->base_url, community, accept ? "accept" : "reject");
    json_t *doc = id ? json_pack("{s:s, s:s, s:s, s:s, s:O, s:[s]}", "@context", AS_CONTEXT, "id",
                                 id, "type", accept ? "Accept" : "Reject", "actor", me, "object",
                                 follow, "to", actor)
                     : NULL;
    gm_err e = doc ? gm_notify_send(txn, ctx, community, actor, doc) : GM_ENOMEM;
    json_decref(doc);
    free(id);
    return e;
}

/* "<p>" paragraphs with "<br>" line breaks from plain text (escaped). */
static char *paragraphs(const char *text)
{
    struct gm_buf b;
    char *out = NULL, ch[2] = {0, 0};
    size_t len;
    gm_buf_init(&b, 64 * 1024);
    gm_buf_puts(&b, "<p>");
    for (const char *p = text; *p; p++) {
        if (p[0] == '\n' && p[1] == '\n') {
            gm_buf_puts(&b, "</p><p>");
            while (p[1] == '\n')
                p++;
        } else if (*p == '\n') {
            gm_buf_puts(&b, "<br>");
        } else {
            ch[0] = *p;
            gm_buf_put_html(&b, ch);
        }
    }
    gm_buf_puts(&b, "</p>");
    return gm_buf_take(&b, &out, &len) == GM_OK ? out : NULL;
}

gm_err gm_notify_dm(struct gm_txn *txn, struct gm_rules_ctx *ctx, const char *community,
                    const char *actor, const char *text, const char *in_reply_to)
{
    char me[600], when[32];
    actor_url(ctx, community, me, sizeof me);
    gm_time_format(ctx->now, when, sizeof when);
    char *note_id = gm_notify_new_id(ctx->base_url, community, "dm");
    char *create_id = note_id ? malloc(strlen(note_id) + 10) : NULL;
    char *html = paragraphs(text);
    gm_err e = GM_ENOMEM;
    json_t *doc = NULL;
    if (!create_id || !html)
        goto out;
    sprintf(create_id, "%s/create", note_id);
    json_t *note = json_pack("{s:s, s:s, s:s, s:s, s:[s], s:[], s:s, s:[{s:s, s:s}]}", "id",
                             note_id, "type", "Note", "attributedTo", me, "content", html, "to",
                             actor, "cc", "published", when, "tag", "type", "Mention", "href",
                             actor);
    if (note && in_reply_to)
        json_object_set_new(note, "inReplyTo", json_string(in_reply_to));
    doc = note ? json_pack("{s:s, s:s, s:s, s:s, s:o, s:[s], s:[], s:s}", "@context", AS_CONTEXT,
                           "id", create_id, "type", "Create", "actor", me, "object", note, "to",
                           actor, "cc", "published", when)
               : NULL;
    if (doc)
        e = gm_notify_send(txn, ctx, community, actor, doc);
out:
    json_decref(doc);
    free(html);
    free(create_id);
    free(note_id);
    return e;
}

/* Decode one entity at p ("&amp;" ...) into out; returns bytes consumed, 0 if none. */
static size_t entity(const char *p, char *out, size_t *outlen)
{
    static const struct { const char *name; char c; } named[] = {
        {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&#39;", '\''},
        {"&apos;", '\''}, {"&nbsp;", ' '}};
    for (size_t i = 0; i < sizeof named / sizeof named[0]; i++) {
        size_t n = strlen(named[i].name);
        if (!strncmp(p, named[i].name, n)) {
            out[0] = named[i].c;
            *outlen = 1;
            return n;
        }
    }
    if (p[1] != '#')
        return 0;
    char *end;
    unsigned long cp = p[2] == 'x' || p[2] == 'X' ? strtoul(p + 3, &end, 16) : strtoul(p + 2, &end, 10);
    if (*end != ';' || cp == 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) || cp < 0x20)
        return 0;
    if (cp < 0x80) {
        out[0] = (char)cp, *outlen = 1;
    } else if (cp < 0x800) {
        out[0] = (char)(0xc0 | (cp >> 6)), out[1] = (char)(0x80 | (cp & 0x3f)), *outlen = 2;
    } else if (cp < 0x10000) {
        out[0] = (char)(0xe0 | (cp >> 12)), out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        out[2] = (char)(0x80 | (cp & 0x3f)), *outlen = 3;
    } else {
        out[0] = (char)(0xf0 | (cp >> 18)), out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
        out[2] = (char)(0x80 | ((cp >> 6) & 0x3f)), out[3] = (char)(0x80 | (cp & 0x3f));
        *outlen = 4;
    }
    return (size_t)(end + 1 - p);
}

char *gm_notify_html_text(const char *html)
{
    size_t n = strlen(html);
    char *out = malloc(n + 1), *o = out;
    if (!out)
        return NULL;
    for (const char *p = html; *p;) {
        if (*p == '<') {
            const char *close = strchr(p, '>');
            if (!close)
                break;
            if (!strncasecmp(p, "<br", 3) || !strncasecmp(p, "</p", 3))
                *o++ = '\n';
            p = close + 1;
            continue;
        }
        size_t len;
        size_t used = *p == '&' ? entity(p, o, &len) : 0;
        if (used) {
            o += len;
            p += used;
        } else {
            *o++ = *p++;
        }
    }
    while (o > out && (o[-1] == '\n' || o[-1] == ' '))
        o--;
    *o = '\0';
    return out;
}
