/* SPDX-License-Identifier: Apache-2.0
 * dm_commands.c - the DM command language: a command word and arguments, parsed from the
 * message's plain text after its leading mentions. Each command calls the shared operation
 * (membership.h, post_policy.h, community_blocks.h ...) inside the activity's transaction and
 * builds a plain-text answer; notify.c escapes it into the reply. */
#include "gemeinde/as_ref.h"
#include "gemeinde/dm_commands.h"
#include "gemeinde/stats_report.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gemeinde/blocks.h"
#include "gemeinde/buf.h"
#include "gemeinde/ckv.h"
#include "gemeinde/community.h"
#include "gemeinde/community_blocks.h"
#include "gemeinde/log.h"
#include "gemeinde/members.h"
#include "gemeinde/membership.h"
#include "gemeinde/notify.h"
#include "gemeinde/pins.h"
#include "gemeinde/removal.h"
#include "gemeinde/reports.h"
#include "gemeinde/post_policy.h"
#include "gemeinde/relay_store.h"
#include "gemeinde/remote.h"

#define LIST_MAX 20

static const char *const commands[] = {"help", "pending", "approve", "reject", "queue", "remove",
                                       "ban", "unban", "block", "pin", "unpin", "stats", NULL};

static const char *help_text =
    "Commands (one per message):\n"
    "help - this list\n"
    "pending - who asks to join\n"
    "approve @user@host / reject @user@host [reason] - answer a request to join\n"
    "queue - posts waiting for approval\n"
    "approve POST-URL / reject POST-URL [reason] - relay or drop a held post\n"
    "remove POST-URL reason - take back a relayed post\n"
    "ban @user@host [days] reason / unban @user@host\n"
    "block DOMAIN reason - suspend a server for this community\n"
    "pin POST-URL / unpin POST-URL\n"
    "stats - members, requests, queue";

struct reply {
    struct gm_buf b;
};

static void say(struct reply *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct reply *r, const char *fmt, ...)
{
    char line[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    gm_buf_puts(&r->b, line);
}

/* "@user@host" for an actor we know by handle, else its id. Writes into out. */
static const char *display(struct gm_txn *txn, const char *actor, char *out, size_t size)
{
    struct gm_remote_actor *a = NULL;
    const char *h = strstr(actor, "://");
    snprintf(out, size, "%s", actor);
    if (h && gm_remote_actor_get(txn, actor, &a) == GM_OK && a->username) {
        h += 3;
        snprintf(out, size, "@%s@%.*s", a->username, (int)strcspn(h, "/?#"), h);
    }
    gm_remote_actor_free(a);
    return out;
}

/* Split off the next whitespace-separated word of *p into `out`; returns 0 at the end. */
static int next_word(const char **p, char *out, size_t size)
{
    const char *s = *p;
    while (*s && isspace((unsigned char)*s))
        s++;
    size_t n = 0;
    while (s[n] && !isspace((unsigned char)s[n]))
        n++;
    if (!n || n >= size) {
        *p = s + n;
        return 0;
    }
    memcpy(out, s, n);
    out[n] = '\0';
    *p = s + n;
    return 1;
}

static const char *rest(const char *p)
{
    while (*p && isspace((unsigned char)*p))
        p++;
    return p;
}


static gm_err cmd_pending(struct gm_txn *txn, const char *community, struct reply *r)
{
    json_t *page = NULL, *item;
    char who[600];
    size_t i, total = 0;
    gm_err e = gm_ckv_page(txn, GM_CKV_PENDING, community, NULL, LIST_MAX, &page);
    if (e == GM_OK)
        e = gm_ckv_count(txn, GM_CKV_PENDING, community, &total);
    if (e != GM_OK)
        return e;
    say(r, total ? "%zu waiting to join:" : "Nobody is waiting to join.", total);
    json_array_foreach(page, i, item)
        say(r, "\n- %s", display(txn, json_string_value(json_object_get(item, "key")), who, sizeof who));
    json_decref(page);
    return GM_OK;
}

static gm_err cmd_queue(struct gm_txn *txn, const char *community, struct reply *r)
{
    json_t *page = NULL, *item;
    char who[600];
    size_t i, total = 0;
    gm_err e = gm_ckv_page(txn, GM_CKV_HELD, community, NULL, LIST_MAX, &page);
    if (e == GM_OK)
        e = gm_ckv_count(txn, GM_CKV_HELD, community, &total);
    if (e != GM_OK)
        return e;
    say(r, total ? "%zu posts wait for approval:" : "No posts wait for approval.", total);
    json_array_foreach(page, i, item)
    {
        json_t *v = json_object_get(item, "value");
        say(r, "\n- %s by %s (%s)", json_string_value(json_object_get(item, "key")),
            display(txn, json_string_value(json_object_get(v, "actor")), who, sizeof who),
            json_string_value(json_object_get(v, "rule")));
    }
    json_decref(page);
    return GM_OK;
}

/* approve / reject: an account with a pending request, or a held post. */
static gm_err cmd_answer(struct gm_txn *txn, struct gm_rules_ctx *ctx, const char *community,
                         int approve, const char *args, struct reply *r)
{
    char target[600], *actor = NULL;
    const char *p = args;
    if (!next_word(&p, target, sizeof target)) {
        say(r, "Usage: %s @user@host, or %s POST-URL", approve ? "approve" : "reject",
            approve ? "approve" : "reject");
        return GM_OK;
    }
    const char *reason = rest(p);
    json_t *held = NULL;
    gm_err e = GM_ENOTFOUND;
    if (gm_as_is_web_url(target) && gm_ckv_get(txn, GM_CKV_HELD, community, target, &held) == GM_OK) {
        json_decref(held);
        e = approve ? gm_held_approve(txn, ctx, community, target, ctx->actor)
                    : gm_held_reject(txn, ctx, community, target, ctx->actor, reason);
        if (e == GM_OK)
            say(r, approve ? "Approved: %s is relayed now." : "Rejected: %s is not relayed.", target);
        return e;
    }
    if (gm_membership_resolve(txn, target, &actor) == GM_OK)
        e = approve ? gm_membership_approve(txn, ctx, community, actor, ctx->actor)
                    : gm_membership_reject(txn, ctx, community, actor, ctx->actor, reason);
    if (e == GM_OK)
        say(r, approve ? "Approved: %s is a member now." : "Rejected: %s will not join.", target);
    else if (e == GM_ENOTFOUND)
        say(r, "Nothing to %s: %s is neither waiting to join nor a held post.",
            approve ? "approve" : "reject", target);
    free(actor);
    return e == GM_ENOTFOUND ? GM_OK : e;
}

static gm_err cmd_ban(struct gm_txn *txn, struct gm_rules_ctx *ctx, const char *community,
                      const char *args, int ban, struct reply *r)
{
    char target[600], num[32], *actor = NULL;
    const char *p = args, *after_target;
    if (!next_word(&p, target, sizeof target)) {
        say(r, ban ? "Usage: ban @user@host [days] reason" : "Usage: unban @user@host");
        return GM_OK;
    }
    after_target = p;
    int64_t until = 0;
    int zero_days = 0;
    if (ban && next_word(&p, num, sizeof num) && strspn(num, "0123456789") == strlen(num) &&
        strlen(num) <= 5) {
        until = ctx->now + (int64_t)atoi(num) * 86400;
        zero_days = atoi(num) == 0;
    } else
        p = after_target;
    const char *reason = rest(p);
    gm_err e = gm_membership_resolve(txn, target, &actor);
    if (e != GM_OK) {
        say(r, "I do not know %s; use the account's URL.", target);
        return GM_OK;
    }
    if (zero_days) { /* a ban that ends at once would only kick (the CLI refuses 0 too) */
        say(r, "A ban lasts at least 1 day: ban %s [days] reason", target);
    } else if (ban && !*reason) {
        say(r, "A ban needs a reason: ban %s [days] reason", target);
    } else if (ban) {
        if ((e = gm_membership_ban(txn, ctx, community, actor, until, ctx->actor, reason)) == GM_OK)
            say(r, until ? "Banned %s for %s days." : "Banned %s.", target, num);
    } else if ((e = gm_membership_unban(txn, ctx, community, actor, ctx->actor)) == GM_OK) {
        say(r, "Unbanned %s.", target);
    } else if (e == GM_ENOTFOUND) {
        say(r, "%s is not banned.", target);
        e = GM_OK;
    }
    free(actor);
    return e;
}

static gm_err cmd_block(struct gm_txn *txn, struct gm_rules_ctx *ctx, const char *community,
                        const char *args, struct reply *r)
{
    struct gm_block b = {0};
    const char *p = args;
    size_t removed = 0;
    if (!next_word(&p, b.domain, sizeof b.domain) || !*rest(p)) {
        say(r, "Usage: block DOMAIN reason");
        return GM_OK;
    }
    b.severity = GM_BLOCK_SUSPEND;
    b.reason = (char *)rest(p);
    b.public_comment = (char *)rest(p);
    gm_err e = gm_cblock_add(txn, ctx, community, &b, ctx->actor, &removed);
    if (e == GM_OK)
        say(r, "Blocked %s for this community; %zu members from there removed.", b.domain, removed);
    else if (e == GM_EINVAL)
        say(r, "'%s' is not a domain name (or the reason is too long).", b.domain);
    return e == GM_EINVAL ? GM_OK : e;
}

/* remove POST-URL reason / pin POST-URL / unpin POST-URL */
static gm_err cmd_post(struct gm_txn *txn, struct gm_rules_ctx *ctx, const char *community,
                       const char *word, const char *args, struct reply *r)
{
    char url[600];
    const char *p = args;
    int remove = !strcmp(word, "remove");
    if (!next_word(&p, url, sizeof url) || !gm_as_is_web_url(url) || (remove && !*rest(p))) {
        say(r, remove ? "Usage: remove POST-URL reason" : "Usage: %s POST-URL", word);
        return GM_OK;
    }
    gm_err e = remove            ? gm_post_remove(txn, ctx, community, url, ctx->actor, rest(p))
               : word[0] == 'p' ? gm_pin_add(txn, ctx, community, url, ctx->actor)
                                : gm_pin_remove(txn, ctx, community, url, ctx->actor);
    if (e == GM_OK)
        say(r, remove ? "Removed %s: every member's server was told."
            : word[0] == 'p' ? "Pinned %s." : "Unpinned %s.", url);
    else if (e == GM_ENOTFOUND)
        say(r, "%s: this community never relayed that post%s.", url,
            word[0] == 'u' ? ", or it is not pinned" : "");
    else if (e == GM_EEXISTS)
        say(r, "%s: %s already.", url, remove ? "removed" : "pinned");
    else if (e == GM_ETOOBIG || e == GM_EINVAL)
        say(r, "%s", remove ? "The reason is too long (at most 1000 bytes)."
                            : "Too many pinned posts: unpin one first.");
    else
        return e;
    return GM_OK;
}

/* The last 7 days in one line (stats_report.h). */
static void week_line(struct gm_txn *txn, const char *community, int64_t now, struct reply *r)
{
    struct gm_stats_query q = {.community = community, .now = now, .days = 7,
                               .unanswered_age = -1};
    json_t *rep = NULL;
    char med[32];
    if (gm_stats_report(txn, &q, &rep) != GM_OK)
        return;
    json_t *p = json_object_get(rep, "period");
    json_t *rt = json_object_get(json_object_get(rep, "response_time"), "period");
    say(r, "\nLast 7 days: %lld posts, %lld replies, %lld answered; first answer median %s; "
           "%lld waiting for an answer",
        (long long)json_integer_value(json_object_get(p, "posts")),
        (long long)json_integer_value(json_object_get(p, "replies")),
        (long long)json_integer_value(json_object_get(p, "answered")),
        gm_stats_spread_duration(rt, "median", med, sizeof med),
        (long long)json_integer_value(json_object_get(json_object_get(rep, "unanswered"), "total")));
    json_decref(rep);
}

static gm_err cmd_stats(struct gm_txn *txn, const char *community, int64_t now, struct reply *r)
{
    size_t members = 0, pending = 0, held = 0, mods = 0, relayed = 0;
    gm_err e = gm_member_count(txn, community, &members);
    if (e == GM_OK)
        e = gm_ckv_count(txn, GM_CKV_PENDING, community, &pending);
    if (e == GM_OK)
        e = gm_ckv_count(txn, GM_CKV_HELD, community, &held);
    if (e == GM_OK)
        e = gm_ckv_count(txn, GM_CKV_MODERATORS, community, &mods);
    if (e == GM_OK)
        e = gm_outbox_count(txn, community, &relayed);
    json_t *open = NULL;
    if (e == GM_OK)
        e = gm_report_list(txn, community, false, 0, 1000, &open);
    if (e == GM_OK)
        say(r, "Members: %zu\nWaiting to join: %zu\nPosts waiting for approval: %zu\n"
               "Open reports: %zu%s\nModerators: %zu\nAnnounces sent: %zu", members, pending,
            held, json_array_size(open), json_array_size(open) >= 1000 ? "+" : "", mods, relayed);
    if (e == GM_OK)
        week_line(txn, community, now, r);
    json_decref(open);
    return e;
}

gm_err gm_dm_run(struct gm_txn *txn, struct gm_rules_ctx *ctx, const char *community,
                 const char *text, char **reply)
{
    struct reply r;
    char word[32];
    const char *p = text;
    size_t len;
    gm_err e = GM_OK;
    gm_buf_init(&r.b, 64 * 1024);
    if (!next_word(&p, word, sizeof word))
        word[0] = '\0';
    for (char *w = word; *w; w++)
        *w = (char)tolower((unsigned char)*w);
    if (!strcmp(word, "help"))
        say(&r, "%s", help_text);
    else if (!strcmp(word, "pending"))
        e = cmd_pending(txn, community, &r);
    else if (!strcmp(word, "queue"))
        e = cmd_queue(txn, community, &r);
    else if (!strcmp(word, "approve") || !strcmp(word, "reject"))
        e = cmd_answer(txn, ctx, community, word[0] == 'a', p, &r);
    else if (!strcmp(word, "ban") || !strcmp(word, "unban"))
        e = cmd_ban(txn, ctx, community, p, word[0] == 'b', &r);
    else if (!strcmp(word, "block"))
        e = cmd_block(txn, ctx, community, p, &r);
    else if (!strcmp(word, "stats"))
        e = cmd_stats(txn, community, ctx->now, &r);
    else if (!strcmp(word, "remove") || !strcmp(word, "pin") || !strcmp(word, "unpin"))
        e = cmd_post(txn, ctx, community, word, p, &r);
    else
        say(&r, "Sorry, I do not know the command '%s'. Send 'help' for the list.",
            word[0] ? word : "(empty)");
    if (e != GM_OK) {
        gm_buf_free(&r.b);
        return e;
    }
    return gm_buf_take(&r.b, reply, &len);
}

/* The actor a mention token ("@ana" or "@ana@host") names in the post's Mention tags, or
 * NULL. Mastodon writes only "@ana" into the HTML; the tag has the full name and the URL. */
static const char *mention_href(json_t *obj, const char *token, size_t n)
{
    json_t *tags = json_object_get(obj, "tag"), *tag;
    size_t i;
    if (json_is_object(tags))
        return NULL; /* one tag alone: the community itself, handled by the caller */
    json_array_foreach(tags, i, tag)
    {
        const char *type = json_string_value(json_object_get(tag, "type"));
        const char *name = json_string_value(json_object_get(tag, "name"));
        const char *href = json_string_value(json_object_get(tag, "href"));
        if (!type || strcmp(type, "Mention") || !name || !href)
            continue;
        if (name[0] != '@' && n > 1) { /* some servers write the name without its '@' */
            if (!strncasecmp(name, token + 1, n - 1) && (!name[n - 1] || name[n - 1] == '@'))
                return href;
        } else if (!strncasecmp(name, token, n) && (!name[n] || name[n] == '@')) {
            return href;
        }
    }
    return NULL;
}

/* The text of a DM without its leading mentions ("@group hello" -> "hello"), other mentions
 * replaced by the URL of the account they name. */
static char *command_text(json_t *obj)
{
    const char *html = json_string_value(json_object_get(obj, "content"));
    char *text = html ? gm_notify_html_text(html) : strdup("");
    struct gm_buf b;
    char *out = NULL;
    size_t len;
    if (!text)
        return NULL;
    const char *p = text;
    for (;;) { /* the leading mentions address the community */
        while (*p && isspace((unsigned char)*p))
            p++;
        if (*p != '@')
            break;
        while (*p && !isspace((unsigned char)*p))
            p++;
    }
    gm_buf_init(&b, GM_DM_TEXT_MAX + 2048);
    while (*p && b.len < GM_DM_TEXT_MAX) { /* whatever is past GM_DM_TEXT_MAX is cut off */
        size_t n = strcspn(p, " \t\n"), room = GM_DM_TEXT_MAX - b.len;
        const char *href = *p == '@' && n > 1 ? mention_href(obj, p, n) : NULL;
        if (href && strlen(href) <= room)
            gm_buf_puts(&b, href);
        else
            gm_buf_append(&b, p, n < room ? n : room);
        p += n;
        size_t sp = strspn(p, " \t\n");
        room = GM_DM_TEXT_MAX - b.len;
        gm_buf_append(&b, p, sp < room ? sp : room);
        p += sp;
    }
    free(text);
    if (gm_buf_take(&b, &out, &len) != GM_OK)
        return NULL;
    if (len > GM_DM_TEXT_MAX)
        out[GM_DM_TEXT_MAX] = '\0'; /* may cut a character: stored as JSON, which checks */
    return out;
}

static int is_command_word(const char *text)
{
    char word[32];
    const char *p = text;
    if (!next_word(&p, word, sizeof word))
        return 0;
    for (char *w = word; *w; w++)
        *w = (char)tolower((unsigned char)*w);
    for (size_t i = 0; commands[i]; i++)
        if (!strcmp(word, commands[i]))
            return 1;
    return 0;
}

/* A DM from someone who is not a moderator: kept for the moderators. */
static gm_err to_moderator_inbox(struct gm_txn *txn, struct gm_rules_ctx *ctx,
                                 const char *community, json_t *obj, const char *text)
{
    const char *oid = json_string_value(json_object_get(obj, "id"));
    json_t *msg = json_pack("{s:s, s:s?, s:s, s:I}", "from", ctx->actor, "object", oid,
                            "content", text, "at", (json_int_t)ctx->now);
    if (!msg) /* text that is not valid UTF-8 after the cut: keep it without the text */
        msg = json_pack("{s:s, s:s?, s:s, s:I}", "from", ctx->actor, "object", oid, "content",
                        "(unreadable text)", "at", (json_int_t)ctx->now);
    gm_err e = msg ? gm_clog_append(txn, GM_CLOG_MODINBOX, community, msg, NULL) : GM_ENOMEM;
    json_decref(msg);
    if (e != GM_OK)
        return e;
    gm_info("dm: %s: message from %s kept in the moderator inbox", community, ctx->actor);
    if (!is_command_word(text))
        return GM_OK;
    e = gm_notify_dm(txn, ctx, community, ctx->actor,
                     "Sorry, only the moderators of this community can use commands. Your "
                     "message was passed on to them.", oid);
    return e == GM_ENOTFOUND ? GM_OK : e;
}

gm_err gm_dm_on_message(struct gm_txn *txn, struct gm_rules_ctx *ctx, const char *community,
                        json_t *create, json_t *obj)
{
    (void)create;
    char *text = command_text(obj), *reply = NULL;
    if (!text)
        return GM_ENOMEM;
    gm_err e;
    if (gm_moderator_is(txn, community, ctx->actor) != GM_OK) {
        e = to_moderator_inbox(txn, ctx, community, obj, text);
    } else if ((e = gm_dm_run(txn, ctx, community, text, &reply)) == GM_OK) {
        gm_info("dm: %s: moderator %s: %.60s", community, ctx->actor, text);
        e = gm_notify_dm(txn, ctx, community, ctx->actor, reply,
                         json_string_value(json_object_get(obj, "id")));
        e = e == GM_ENOTFOUND ? GM_OK : e;
    }
    free(reply);
    free(text);
    return e;
}

gm_err gm_dm_inbox(struct gm_txn *txn, const char *community, uint64_t before, size_t max,
                   json_t **page)
{
    return gm_clog_page(txn, GM_CLOG_MODINBOX, community, before, max, page);
}
