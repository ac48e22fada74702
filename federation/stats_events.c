/* SPDX-License-Identifier: Apache-2.0
 * stats_events.c - relayed posts into figures. A thread's top-level post waits in the
 * unanswered list until someone other than its author replies anywhere in the thread; that
 * first answer gives the post's response time, counted on the day the post was relayed. A
 * reply by the author while nobody answered keeps a pointer to the thread's post, so an answer
 * to that reply still answers the thread. */
#include <stdlib.h>
#include <string.h>

#include "gemeinde/as_ref.h"
#include "gemeinde/html_sanitize.h"
#include "gemeinde/stats_events.h"
#include "gemeinde/stats_store.h"

#define TITLE_MAX 140

/* Figures are best effort for what storage cannot key (too long ids): only real storage
 * errors count. */
static gm_err soft(gm_err e)
{
    return e == GM_EINVAL || e == GM_ENOTFOUND || e == GM_EEXISTS ? GM_OK : e;
}

/* A '?' that ends a question, not the '?' of "https://x/?q=1": followed by the end, space or
 * punctuation. Text inside <tags> is skipped. */
static int asks(const char *s)
{
    int in_tag = 0;
    for (const unsigned char *p = (const unsigned char *)s; p && *p; p++) {
        if (*p == '<')
            in_tag = 1;
        else if (*p == '>')
            in_tag = 0;
        else if (in_tag)
            continue;
        else if (*p == '?') {
            unsigned char n = p[1];
            if (!n || n == ' ' || n == '\n' || n == '\t' || n == '\r' || n == '<' || n == '!' ||
                n == '?' || n == ')' || n == '"' || n == '\'' || n == '.' || n == ',' ||
                n == '&' || n >= 0x80)
                return 1;
        } else if ((p[0] == 0xEF && p[1] == 0xBC && p[2] == 0x9F) || /* U+FF1F fullwidth */
                   (p[0] == 0xD8 && p[1] == 0x9F)) {                 /* U+061F Arabic */
            return 1;
        }
    }
    return 0;
}

int gm_stats_is_question(json_t *obj)
{
    const char *type = json_string_value(json_object_get(obj, "type"));
    if (type && !strcmp(type, "Question"))
        return 1;
    return asks(json_string_value(json_object_get(obj, "name"))) ||
           asks(json_string_value(json_object_get(obj, "content")));
}

/* Where a person reads the post: "url" as a string, a Link ({href}) or a list of them (the
 * first text/html one, else the first), as Mastodon, Lemmy and PeerTube send it. */
static const char *web_url(json_t *url)
{
    if (json_is_string(url))
        return json_string_value(url);
    if (json_is_object(url))
        return json_string_value(json_object_get(url, "href"));
    const char *first = NULL;
    size_t i;
    json_t *it;
    json_array_foreach(url, i, it) {
        const char *href = json_is_string(it) ? json_string_value(it) : json_string_value(json_object_get(it, "href"));
        const char *type = json_string_value(json_object_get(it, "mediaType"));
        if (href && type && !strcmp(type, "text/html"))
            return href;
        if (!first)
            first = href;
    }
    return first;
}

/* The unanswered list's entry of a post: where to read it and a short title. */
static json_t *list_entry(json_t *obj, const char *id, const char *author, int question)
{
    const char *url = web_url(json_object_get(obj, "url"));
    const char *name = json_string_value(json_object_get(obj, "name"));
    const char *content = json_string_value(json_object_get(obj, "content"));
    char *text = name ? NULL : gm_html_to_text(content, content ? strlen(content) : 0, TITLE_MAX);
    char *cut = name ? gm_html_to_text(name, strlen(name), TITLE_MAX) : NULL; /* plain text */
    const char *title = cut ? cut : text ? text : "";
    /* only http(s) links are shown as links */
    if (!gm_as_is_web_url(url))
        url = id;
    json_t *e = json_pack("{s:s, s:s, s:s, s:s, s:b}", "id", id, "url", url, "author", author,
                          "title", title, "question", question);
    free(text);
    free(cut);
    return e;
}

static gm_err count_who(struct gm_txn *txn, const char *community, const char *actor,
                        uint32_t day, int reply, int answered)
{
    struct gm_stats_who w = {0};
    gm_err e = gm_stats_who_get(txn, community, actor, &w);
    if (e != GM_OK && e != GM_ENOTFOUND)
        return e;
    if (answered) {
        w.answered++;
    } else if (reply) {
        w.replies++;
        w.last_reply_day = day;
    } else {
        w.posts++;
        w.last_post_day = day;
    }
    return soft(gm_stats_who_put(txn, community, actor, &w));
}

static gm_err on_top(struct gm_txn *txn, const char *community, int64_t at, const char *author,
                     json_t *obj, const char *id)
{
    uint32_t day = gm_stats_day(at);
    int question = gm_stats_is_question(obj);
    struct gm_stats_obj rec = {.at = at, .flags = GM_STATS_OBJ_TOP | (question ? GM_STATS_OBJ_QUESTION : 0),
                               .author = (char *)author};
    gm_err e = gm_stats_add(txn, community, at, GM_STAT_POSTS, 1);
    if (e == GM_OK && question)
        e = gm_stats_add(txn, community, at, GM_STAT_QUESTIONS, 1);
    if (e == GM_OK && gm_stats_mark(txn, community, day, 'p', author) == GM_OK)
        e = gm_stats_add(txn, community, at, GM_STAT_POSTERS, 1);
    if (e == GM_OK)
        e = count_who(txn, community, author, day, 0, 0);
    if (e == GM_OK && (e = soft(gm_stats_obj_put(txn, community, id, &rec))) == GM_OK) {
        json_t *entry = list_entry(obj, id, author, question);
        e = entry ? soft(gm_stats_unanswered_put(txn, community, at, id, entry)) : GM_ENOMEM;
        json_decref(entry);
    }
    return e;
}

/* `o` (record of `id`) got its first answer at `at`: flag it, count it for its author, and for
 * a thread's post: its response time, and it leaves the unanswered list. */
static gm_err answered(struct gm_txn *txn, const char *community, const char *id,
                       struct gm_stats_obj *o, int64_t at)
{
    o->flags |= GM_STATS_OBJ_ANSWERED;
    char *root = o->root;
    o->root = NULL; /* answered: the pointer is not needed any more */
    gm_err e = soft(gm_stats_obj_put(txn, community, id, o));
    o->root = root;
    if (e == GM_OK)
        e = count_who(txn, community, o->author, 0, 0, 1);
    if (e != GM_OK || !(o->flags & GM_STATS_OBJ_TOP))
        return e;
    int64_t wait = at > o->at ? at - o->at : 0;
    e = gm_stats_add(txn, community, o->at, GM_STAT_ANSWERED, 1);
    if (e == GM_OK)
        e = soft(gm_stats_sample_add(txn, community, 'r', gm_stats_day(o->at),
                                     wait > UINT32_MAX ? UINT32_MAX : (uint32_t)wait));
    return e == GM_OK ? soft(gm_stats_unanswered_del(txn, community, o->at, id)) : e;
}

static gm_err on_reply(struct gm_txn *txn, const char *community, int64_t at,
                       const char *author, const char *id, const char *parent_id)
{
    uint32_t day = gm_stats_day(at);
    struct gm_stats_obj parent = {0}, root = {0}, rec = {.at = at, .author = (char *)author};
    const char *root_id = NULL;
    gm_err e = gm_stats_add(txn, community, at, GM_STAT_REPLIES, 1);
    if (e == GM_OK && gm_stats_mark(txn, community, day, 'r', author) == GM_OK)
        e = gm_stats_add(txn, community, at, GM_STAT_REPLIERS, 1);
    if (e == GM_OK)
        e = count_who(txn, community, author, day, 1, 0);
    if (e != GM_OK || gm_stats_obj_get(txn, community, parent_id, &parent) != GM_OK)
        goto store; /* a reply to something the community never relayed */
    /* the thread's post, while it waits for an answer */
    if ((parent.flags & GM_STATS_OBJ_TOP) && !(parent.flags & GM_STATS_OBJ_ANSWERED))
        root_id = parent_id;
    else if (parent.root && gm_stats_obj_get(txn, community, parent.root, &root) == GM_OK &&
             !(root.flags & GM_STATS_OBJ_ANSWERED))
        root_id = parent.root;
    if (strcmp(parent.author, author) != 0) {
        if (!(parent.flags & GM_STATS_OBJ_ANSWERED))
            e = answered(txn, community, parent_id, &parent, at);
        if (e == GM_OK && root_id && root_id != parent_id && strcmp(root.author, author) != 0)
            e = answered(txn, community, root_id, &root, at);
        root_id = NULL; /* someone else spoke: the thread is answered */
    } else if (root_id && root_id != parent_id && strcmp(root.author, author) != 0) {
        e = answered(txn, community, root_id, &root, at); /* replying to another's reply */
        root_id = NULL;
    }
store:
    rec.root = (char *)root_id;
    if (e == GM_OK)
        e = soft(gm_stats_obj_put(txn, community, id, &rec));
    gm_stats_obj_clear(&parent);
    gm_stats_obj_clear(&root);
    return e;
}

gm_err gm_stats_on_post(struct gm_txn *txn, const char *community, int64_t at,
                        const char *author, json_t *create)
{
    json_t *obj = json_object_get(create, "object");
    const char *id = json_string_value(json_object_get(obj, "id"));
    const char *parent = gm_as_ref_id(json_object_get(obj, "inReplyTo"));
    if (!id || !author)
        return GM_OK;
    return parent ? on_reply(txn, community, at, author, id, parent)
                  : on_top(txn, community, at, author, obj, id);
}

gm_err gm_stats_on_like(struct gm_txn *txn, const char *community, int64_t at)
{
    return soft(gm_stats_add(txn, community, at, GM_STAT_LIKES, 1));
}

gm_err gm_stats_on_gone(struct gm_txn *txn, const char *community, const char *id)
{
    struct gm_stats_obj o = {0};
    if (gm_stats_obj_get(txn, community, id, &o) != GM_OK)
        return GM_OK;
    gm_err e = GM_OK;
    if ((o.flags & GM_STATS_OBJ_TOP) && !(o.flags & GM_STATS_OBJ_ANSWERED) &&
        (e = soft(gm_stats_unanswered_del(txn, community, o.at, id))) == GM_OK)
        e = gm_stats_add(txn, community, o.at, GM_STAT_CLOSED, 1);
    if (e == GM_OK) { /* closed: later replies answer nothing */
        o.flags |= GM_STATS_OBJ_ANSWERED;
        free(o.root);
        o.root = NULL;
        e = soft(gm_stats_obj_put(txn, community, id, &o));
    }
    gm_stats_obj_clear(&o);
    return e;
}

gm_err gm_stats_on_report_closed(struct gm_txn *txn, const char *community, int64_t opened_at,
                                 int64_t at)
{
    int64_t took = at > opened_at ? at - opened_at : 0;
    gm_err e = gm_stats_add(txn, community, at, GM_STAT_REPORTS_RESOLVED, 1);
    return e == GM_OK ? soft(gm_stats_sample_add(txn, community, 'q', gm_stats_day(at),
                                                 took > UINT32_MAX ? UINT32_MAX : (uint32_t)took))
                      : soft(e);
}
