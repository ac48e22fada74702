/* SPDX-License-Identifier: Apache-2.0
 * api_fixture.h - a node with community "demo" and the admin API on, and helpers to send it
 * requests through the router and check status and error message. For the API unit tests. */
#ifndef GM_TEST_API_FIXTURE_H
#define GM_TEST_API_FIXTURE_H

#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gemeinde/api.h"
#include "gemeinde/app.h"
#include "gemeinde/config.h"
#include "gemeinde/members.h"
#include "gemeinde/router.h"
#include "test_util.h"

#ifndef BASE
#define BASE "https://groups.example.org"
#endif
#define TOKEN "tok-0123456789abcdef-XYZ-0123456789"
#define JSON "application/json"

struct fx {
    struct tu_store *store;
    struct gm_config cfg;
    struct gm_app app;
    char auth[512];  /* the Authorization header sent, "" for none */
    char query[512]; /* "a=1&b=2", split in place for the fake request */
};

static inline void add_member(struct fx *fx, const char *actor)
{
    struct gm_txn *txn;
    struct gm_member m = {
        .actor = (char *)actor, .inbox = "https://m.example/inbox", .since = 1700000000};
    assert_int_equal(gm_txn_begin(fx->store->st, true, &txn), GM_OK);
    assert_int_equal(gm_member_put(txn, "demo", &m), GM_OK);
    assert_int_equal(gm_txn_commit(txn), GM_OK);
}

/* A node with community "demo" and the API on with TOKEN (token NULL: off). */
static inline int setup_with(void **state, const char *token)
{
    struct fx *fx = calloc(1, sizeof *fx);
    char err[GM_CONFIG_ERRLEN];
    struct gm_txn *txn;
    assert_non_null(fx);
    fx->store = tu_store_open(0);
    assert_int_equal(gm_config_init(&fx->cfg), GM_OK);
    if (token)
        assert_int_equal(gm_config_set(&fx->cfg, "admin_token", token, err, sizeof err), GM_OK);
    assert_int_equal(gm_app_init(&fx->app, &fx->cfg, NULL, BASE), GM_OK);
    fx->app.st = fx->store->st;
    assert_int_equal(gm_txn_begin(fx->store->st, true, &txn), GM_OK);
    tu_add_community(txn, "demo");
    assert_int_equal(gm_txn_commit(txn), GM_OK);
    snprintf(fx->auth, sizeof fx->auth, "Bearer %s", TOKEN);
    *state = fx;
    return 0;
}

static inline int setup(void **state)
{
    return setup_with(state, TOKEN);
}
static inline int setup_off(void **state)
{
    return setup_with(state, NULL);
}

static inline int teardown(void **state)
{
    struct fx *fx = *state;
    gm_app_clear(&fx->app);
    gm_config_clear(&fx->cfg);
    tu_store_close(fx->store);
    free(fx);
    return 0;
}

/* Send one request; `query` ("a=1&b=2") and `ctype`/`body` may be NULL. Returns the status;
 * *resp is yours (gm_http_resp_clear). */
static inline unsigned send_req(struct fx *fx, const char *method, const char *path, const char *query,
                         const char *ctype, const char *body, struct gm_http_resp *resp)
{
    struct tu_req r;
    tu_req_init(&r, method, path, NULL);
    if (fx->auth[0])
        tu_req_add_header(&r, "Authorization", fx->auth);
    if (ctype)
        tu_req_add_header(&r, "Content-Type", ctype);
    snprintf(fx->query, sizeof fx->query, "%s", query ? query : "");
    for (char *save = NULL, *kv = strtok_r(fx->query, "&", &save); kv;
         kv = strtok_r(NULL, "&", &save)) {
        char *eq = strchr(kv, '=');
        assert_non_null(eq);
        *eq = '\0';
        tu_req_add_query(&r, kv, eq + 1);
    }
    r.req.body = body;
    r.req.body_len = body ? strlen(body) : 0;
    memset(resp, 0, sizeof *resp);
    gm_router_dispatch(&fx->app, &r.req, resp);
    return resp->status;
}

/* The request's status must be `status`; for errors, the message must contain `message`.
 * Returns the JSON body (new reference; NULL for a non-JSON success). */
static inline json_t *expect(struct fx *fx, const char *method, const char *path, const char *query,
                      const char *ctype, const char *body, unsigned status, const char *message)
{
    struct gm_http_resp resp;
    unsigned got = send_req(fx, method, path, query, ctype, body, &resp);
    if (got != status)
        fail_msg("%s %s?%s: status %u, expected %u: %.*s", method, path, query ? query : "", got,
                 status, (int)resp.body_len, resp.body ? resp.body : "");
    assert_string_equal(tu_resp_header(&resp, "Cache-Control"), "no-store");
    json_t *doc =
        resp.content_type && strstr(resp.content_type, "json") ? tu_resp_json(&resp) : NULL;
    if (status >= 400 && !tu_contains(tu_jstr(doc, "error"), message))
        fail_msg("%s %s: error '%s' does not say '%s'", method, path, tu_jstr(doc, "error"),
                 message);
    gm_http_resp_clear(&resp);
    return doc;
}

#endif
