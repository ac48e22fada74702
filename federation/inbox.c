/* SPDX-License-Identifier: Apache-2.0
 * inbox.c - POST /inbox and /c/NAME/inbox. The order matters: nothing that costs a fetch or a
 * signature verification happens before the cheap checks pass (BookWyrm #4174), and the digest
 * is checked on the raw bytes before the key is even looked up (Misskey CVE-2023-49079).
 *   1 body cap (server: 413) -> depth-capped JSON parse -> activity shape (400)
 *   2 signature syntax, required coverage, Host, date window, digest (401)
 *   3 key: cache, else fetched on a deferral thread; verify; one refetch on failure (401)
 *   4 key owner = actor, origin rules (403)
 *   5 dedupe by id (202, nothing done) -> one write transaction -> 202 */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "gemeinde/activity_store.h"
#include "gemeinde/blocks.h"
#include "gemeinde/app.h"
#include "gemeinde/committer.h"
#include "gemeinde/community.h"
#include "gemeinde/delivery.h"
#include "gemeinde/digest.h"
#include "gemeinde/fetch.h"
#include "gemeinde/hosts.h"
#include "gemeinde/httpsig.h"
#include "gemeinde/inbox.h"
#include "gemeinde/metrics.h"
#include "gemeinde/keycache.h"
#include "gemeinde/log.h"
#include "gemeinde/rules.h"

struct intake {
    json_t *doc;
    struct gm_remote_actor *moved_to; /* a Move's target, fetched and checked */
    int rewritten; /* the origin rules replaced an embedded object by its id */
    const char *actor, *type, *id;
    struct gm_httpsig *sig;
    char host[300];
};

static const char *msg_header(void *ctx, const char *name)
{
    return gm_http_req_header(ctx, name);
}

static gm_err refuse(const struct gm_http_req *req, struct gm_http_resp *resp, gm_err e,
                     const char *why)
{
    gm_info("inbox %s from %s refused (%s): %s", req->path, req->remote, gm_strerror(e), why);
    resp->error = why;
    return e;
}

/* Cavage must cover (request-target) host digest and date or (created); RFC 9421 the method,
 * the target, the authority and content-digest. */
static int covers_enough(const struct gm_httpsig *sig)
{
    if (gm_httpsig_scheme(sig) == GM_HTTPSIG_CAVAGE)
        return gm_httpsig_covers(sig, "(request-target)") && gm_httpsig_covers(sig, "host") &&
               gm_httpsig_covers(sig, "digest") &&
               (gm_httpsig_covers(sig, "date") || gm_httpsig_covers(sig, "(created)"));
    return gm_httpsig_covers(sig, "@method") &&
           (gm_httpsig_covers(sig, "@target-uri") || gm_httpsig_covers(sig, "@path") ||
            gm_httpsig_covers(sig, "@request-target")) &&
           (gm_httpsig_covers(sig, "@authority") || gm_httpsig_covers(sig, "host")) &&
           gm_httpsig_covers(sig, "content-digest");
}

static gm_err check_signature(struct gm_app *app, const struct gm_http_req *req,
                              struct intake *in, const char **why)
{
    const char *host = gm_http_req_header(req, "Host");
    struct gm_httpsig_msg msg = {.method = req->method, .target = req->target,
                                 .authority = host, .scheme = strncmp(app->base_url, "https", 5)
                                                                  ? "http" : "https",
                                 .get_header = msg_header, .ctx = (void *)req};
    gm_err e = gm_httpsig_parse(&msg, NULL, &in->sig);
    if (e != GM_OK) {
        *why = e == GM_ENOTFOUND ? "request is not signed" : "malformed signature";
        return e == GM_ENOMEM ? e : GM_EAUTH;
    }
    if (!covers_enough(in->sig)) {
        *why = "signature does not cover request-target, host, date and digest";
        return GM_EAUTH;
    }
    if (!host || strcasecmp(host, app->host) != 0) {
        *why = "signed for another host";
        return GM_EAUTH;
    }
    if (gm_httpsig_check_time(in->sig, (int64_t)time(NULL), GM_INBOX_MAX_AGE,
                              GM_INBOX_MAX_FUTURE) != GM_OK) {
        *why = "signature date outside the accepted window";
        return GM_EAUTH;
    }
    e = gm_digest_verify(req->body, req->body_len, gm_http_req_header(req, "Digest"),
                         gm_http_req_header(req, "Content-Digest"));
    if (e != GM_OK) {
        *why = e == GM_EAUTH ? "body does not match its digest" : "missing or unusable digest";
        return GM_EAUTH;
    }
    if (!gm_httpsig_key_id(in->sig)) {
        *why = "signature names no key";
        return GM_EAUTH;
    }
    return GM_OK;
}

static gm_err verify_with(const struct gm_remote_key *k, const struct gm_httpsig *sig)
{
    EVP_PKEY *pkey = NULL;
    gm_err e = gm_keycache_pkey(k, &pkey);
    if (e != GM_OK)
        return e == GM_ENOMEM ? e : GM_EAUTH;
    e = gm_httpsig_verify(sig, pkey, NULL);
    EVP_PKEY_free(pkey);
    return e == GM_OK ? GM_OK : GM_EAUTH;
}

/* Find the key and verify. GM_OK with *owner set (new string), GM_EAUTH, or GM_OK with
 * resp->defer set when a fetch is needed and we are not yet on a deferral thread. */
static gm_err verify_signer(struct gm_app *app, const struct gm_http_req *req,
                            struct gm_http_resp *resp, struct intake *in, char **owner,
                            const char **why)
{
    const char *key_id = gm_httpsig_key_id(in->sig);
    struct gm_remote_key *k = NULL;
    gm_err e = gm_keycache_get(app, key_id, &k);
    int fetched = 0;
    if (e == GM_ENOTFOUND) {
        if (!req->deferred) {
            resp->defer = 1;
            return GM_OK;
        }
        if ((e = gm_keycache_fetch(app, key_id, &k)) != GM_OK) {
            *why = "the signing key could not be fetched from its owner";
            return e == GM_ENOMEM ? e : GM_EAUTH;
        }
        fetched = 1;
    } else if (e != GM_OK) {
        return e;
    }
    e = verify_with(k, in->sig);
    if (e == GM_EAUTH && !fetched && gm_keycache_may_refetch(k, (int64_t)time(NULL))) {
        if (!req->deferred) {
            gm_remote_key_free(k);
            resp->defer = 1;
            return GM_OK;
        }
        gm_remote_key_free(k);
        k = NULL;
        if (gm_keycache_claim_refetch(app, key_id, (int64_t)time(NULL)) == GM_OK &&
            gm_keycache_fetch(app, key_id, &k) == GM_OK)
            e = verify_with(k, in->sig);
    }
    if (e == GM_OK && !(*owner = strdup(k->owner)))
        e = GM_ENOMEM;
    if (e == GM_EAUTH)
        *why = "signature does not verify";
    gm_remote_key_free(k);
    return e;
}

/* alsoKnownAs of `doc` (string or array) contains `actor`. */
static int also_known_as(json_t *doc, const char *actor)
{
    json_t *aka = json_object_get(doc, "alsoKnownAs"), *v;
    size_t i;
    if (json_is_string(aka))
        return !strcmp(json_string_value(aka), actor);
    json_array_foreach(aka, i, v)
    {
        if (json_is_string(v) && !strcmp(json_string_value(v), actor))
            return 1;
    }
    return 0;
}

/* A Move (account migration): the actor moves itself, and the target - fetched from its own
 * origin, never trusted from the body - must name the actor in alsoKnownAs. Needs the
 * network: first pass defers. */
static gm_err check_move(struct gm_app *app, const struct gm_http_req *req,
                         struct gm_http_resp *resp, struct intake *in, const char **why)
{
    json_t *obj = json_object_get(in->doc, "object");
    const char *object = json_is_string(obj) ? json_string_value(obj)
                                             : json_string_value(json_object_get(obj, "id"));
    json_t *tgt = json_object_get(in->doc, "target");
    const char *target = json_is_string(tgt) ? json_string_value(tgt)
                                             : json_string_value(json_object_get(tgt, "id"));
    json_t *tdoc = NULL;
    if (!object || strcmp(object, in->actor) != 0 || !target || !strcmp(target, in->actor)) {
        *why = "a Move must move its own actor to another";
        return GM_EFORBID;
    }
    if (!req->deferred) {
        resp->defer = 1;
        return GM_OK;
    }
    gm_err e = gm_keycache_fetch_actor(app, target, &in->moved_to, &tdoc);
    if (e != GM_OK) {
        *why = "the Move target could not be fetched from its origin";
        return e == GM_ENOMEM ? e : GM_EFORBID;
    }
    if (!also_known_as(tdoc, in->actor) || strcmp(in->moved_to->id, target) != 0) {
        *why = "the Move target does not list the actor in alsoKnownAs";
        e = GM_EFORBID;
    }
    json_decref(tdoc);
    return e;
}

struct commit_arg {
    struct gm_activity_rec rec;
    struct gm_rules_ctx rules;
    json_t *doc;
};

/* Runs on the committer thread: the activity and its consequences in one transaction. A
 * host that speaks to us is reachable again: its delivery failure state is cleared. */
static gm_err commit_fn(struct gm_txn *txn, void *p)
{
    struct commit_arg *a = p;
    char host[GM_FETCH_MAX_ORIGIN];
    gm_err e = gm_activity_append(txn, &a->rec, NULL);
    if (e == GM_OK && gm_fetch_authority(a->rec.actor, host, sizeof host) == GM_OK)
        e = gm_host_heard_from(txn, host);
    return e == GM_OK ? gm_rules_apply(txn, &a->rules, a->doc) : e;
}

/* Record the activity and its consequences durably (group commit). *duplicate: its id was
 * seen before, nothing was done. */
static gm_err store_activity(struct gm_app *app, const struct gm_http_req *req,
                             struct intake *in, int *duplicate)
{
    /* The body as received, unless the origin rules rewrote the document. */
    char *json = in->rewritten ? json_dumps(in->doc, JSON_COMPACT)
                               : strndup(req->body, req->body_len);
    if (!json)
        return GM_ENOMEM;
    int64_t now = (int64_t)time(NULL);
    struct commit_arg arg = {
        .rec = {.id = in->id, .community = req->param, .actor = in->actor, .type = in->type,
                .json = json, .received = now},
        .rules = {.base_url = app->base_url, .community = req->param, .actor = in->actor,
                  .now = now, .moved_to = in->moved_to},
        .doc = in->doc};
    gm_err e = gm_committer_run(app->committer, app->st, commit_fn, &arg);
    free(json);
    *duplicate = e == GM_EEXISTS;
    if (e == GM_OK && arg.rules.queued && app->delivery)
        gm_delivery_kick(app->delivery);
    return *duplicate ? GM_OK : e;
}

static int actor_blocked(struct gm_app *app, const char *actor)
{
    struct gm_txn *txn;
    if (gm_txn_begin(app->st, false, &txn) != GM_OK)
        return 0;
    int blocked = gm_block_find_url(txn, actor) == GM_OK;
    gm_txn_abort(txn);
    return blocked;
}

/* Steps 1-2: parse and check everything that costs neither a fetch nor a verification. */
static gm_err intake_cheap(struct gm_app *app, const struct gm_http_req *req, struct intake *in,
                           const char **why)
{
    if (!req->body || !req->body_len) {
        *why = "empty body";
        return GM_EINVAL;
    }
    if (!gm_fetch_json_depth_ok(req->body, req->body_len, GM_INBOX_MAX_DEPTH)) {
        *why = "JSON nested too deeply";
        return GM_EINVAL;
    }
    json_error_t jerr;
    in->doc = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &jerr);
    if (!in->doc) {
        *why = "body is not valid JSON";
        return GM_EINVAL;
    }
    gm_err e = gm_inbox_check_shape(in->doc, &in->actor, &in->type, why);
    if (e != GM_OK)
        return e;
    /* before any signature work or key fetch; a Follow is verified and answered with Reject */
    if (strcmp(in->type, "Follow") != 0 && actor_blocked(app, in->actor)) {
        *why = "the actor's domain is blocked";
        return GM_EFORBID;
    }
    in->id = json_string_value(json_object_get(in->doc, "id"));
    return check_signature(app, req, in, why);
}

gm_err gm_inbox_post(struct gm_app *app, const struct gm_http_req *req,
                     struct gm_http_resp *resp)
{
    struct intake in = {0};
    const char *why = NULL;
    char *owner = NULL;
    int duplicate = 0;
    gm_err e;
    if (req->param && (e = gm_community_exists(app->st, req->param)) != GM_OK) {
        resp->error = e == GM_ENOTFOUND ? "no such community" : NULL;
        gm_metrics_inbox(e, 0);
        return e;
    }
    if ((e = intake_cheap(app, req, &in, &why)) != GM_OK)
        goto out;
    if ((e = verify_signer(app, req, resp, &in, &owner, &why)) != GM_OK || resp->defer)
        goto out;
    if (strcmp(owner, in.actor) != 0) {
        why = "the signing key belongs to another actor than the activity's";
        e = GM_EFORBID;
        goto out;
    }
    json_t *object_before = json_object_get(in.doc, "object");
    if ((e = gm_inbox_check_origin(in.doc, in.actor, &why)) != GM_OK)
        goto out;
    in.rewritten = json_object_get(in.doc, "object") != object_before;
    if (!strcmp(in.type, "Move") && ((e = check_move(app, req, resp, &in, &why)) != GM_OK ||
                                     resp->defer))
        goto out;
    if ((e = store_activity(app, req, &in, &duplicate)) != GM_OK)
        goto out;
    gm_debug("inbox %s: %s %s from %s%s", req->path, in.type, in.id ? in.id : "(no id)",
             in.actor, duplicate ? " (duplicate)" : "");
    resp->status = 202;
    e = gm_http_resp_json(resp, json_pack("{s:s}", "status", duplicate ? "duplicate" : "accepted"),
                          "application/json");
out:
    if (e != GM_OK && why)
        e = refuse(req, resp, e, why);
    if (!resp->defer)
        gm_metrics_inbox(e, duplicate);
    free(owner);
    gm_remote_actor_free(in.moved_to);
    gm_httpsig_free(in.sig);
    json_decref(in.doc);
    return e;
}
