/* SPDX-License-Identifier: Apache-2.0
 * test_api.c - the admin API against the real daemon on loopback: 401 for a missing and a
 * wrong token with the same body and nothing of the token in the answer or the log; a PATCH of
 * a setting shown by GET, by `community show` and as a "policy" entry in /c/NAME/modlog (and
 * `community set` logging the same way); blocks added, imported and removed over the API seen
 * by `gemeinde block list/export`; the API off without a token; a short token refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define TOKEN "Zq7-integration-token-4b1e9c2d8f"
#define AUTH "Authorization: Bearer " TOKEN
#define JSON_CT "Content-Type: application/json"

static const char *binary;

struct fixture {
    struct gm_h_env env;
    struct gm_h_daemon d;
    int finished;
};

static int start(void **state, const char *extra)
{
    struct fixture *fx = calloc(1, sizeof *fx);
    struct gm_h_run run;
    if (!fx || gm_h_env_init(&fx->env, binary, extra) != 0) {
        free(fx);
        return -1;
    }
    *state = fx;
    if (gm_h_cli(&fx->env, &run, "community", "create", "demo", NULL) != 0 ||
        gm_h_serve_start(&fx->env, &fx->d) != 0) {
        gm_h_run_clear(&run);
        gm_h_env_clear(&fx->env);
        free(fx);
        return -1;
    }
    gm_h_run_clear(&run);
    return 0;
}

static int setup(void **state)
{
    return start(state, "admin_token = " TOKEN "\n");
}
static int setup_off(void **state)
{
    return start(state, NULL);
}

static int teardown(void **state)
{
    struct fixture *fx = *state;
    int rc = gm_h_serve_stop(&fx->d, SIGTERM) == 0 ? 0 : -1;
    if (rc == 0 && !fx->finished)
        gm_h_serve_dump(&fx->d);
    gm_h_env_clear(&fx->env);
    free(fx);
    return rc;
}

/* One API request; `auth` (a header line or NULL) and `ctype` may be NULL. Returns the status,
 * *doc the JSON body (new reference) or NULL. */
static long api(struct fixture *fx, const char *method, const char *path, const char *auth,
                const char *ctype, const char *body, json_t **doc)
{
    const char *headers[3] = {NULL, NULL, NULL};
    int n = 0;
    struct gm_h_resp resp;
    if (auth)
        headers[n++] = auth;
    if (ctype)
        headers[n++] = ctype;
    assert_int_equal(
        gm_h_http(&fx->d, NULL, method, path, headers, body, body ? strlen(body) : 0, &resp), 0);
    long status = resp.status;
    if (doc)
        *doc = json_loadb(resp.body, resp.len, 0, NULL);
    gm_h_resp_clear(&resp);
    return status;
}

static void unauthorized_leaks_nothing(void **state)
{
    struct fixture *fx = *state;
    static const char *const auths[] = {NULL, "Authorization: Bearer wrong-token-of-some-length",
                                        "Authorization: Bearer Zq7-integration-token-4b1e9c2d8X",
                                        "Authorization: Bearer Zq7-integration-token-4b1e9c2d8",
                                        "Authorization: Basic " TOKEN};
    for (size_t i = 0; i < sizeof auths / sizeof auths[0]; i++) {
        const char *headers[] = {auths[i], NULL};
        struct gm_h_resp resp;
        char www[64];
        assert_int_equal(gm_h_http(&fx->d, NULL, "GET", "/api/v1/communities/demo",
                                   auths[i] ? headers : NULL, NULL, 0, &resp),
                         0);
        assert_int_equal(resp.status, 401);
        assert_string_equal(resp.body, "{\"error\":\"unauthorized\"}");
        assert_int_equal(gm_h_resp_header(&resp, "WWW-Authenticate", www, sizeof www), 0);
        assert_string_equal(www, "Bearer");
        assert_null(strstr(resp.headers, "Zq7-integration"));
        assert_null(strstr(resp.headers, "demo"));
        gm_h_resp_clear(&resp);
    }
    json_t *doc;
    assert_int_equal(api(fx, "GET", "/api/v1/communities/demo", AUTH, NULL, NULL, &doc), 200);
    assert_string_equal(json_string_value(json_object_get(doc, "name")), "demo");
    json_decref(doc);
    /* Neither the configured nor a presented token is ever logged. */
    char *log = gm_h_serve_log(&fx->d);
    assert_non_null(log);
    assert_null(strstr(log, "Zq7-integration"));
    assert_null(strstr(log, "wrong-token"));
    assert_non_null(strstr(log, "api: GET /api/v1/communities/demo from 127.0.0.1: 401"));
    free(log);
    fx->finished = 1;
}

/* A PATCH over HTTP; GET, the CLI and the public moderation log all show it. */
static void patch_setting_logged(void **state)
{
    struct fixture *fx = *state;
    json_t *doc;
    struct gm_h_run run;
    assert_int_equal(api(fx, "PATCH", "/api/v1/communities/demo", AUTH, NULL, "{\"join\":1}", NULL),
                     415);
    assert_int_equal(api(fx, "PATCH", "/api/v1/communities/demo", AUTH, JSON_CT,
                         "{\"join\":\"approval\",\"max_mentions\":3}", &doc),
                     200);
    assert_int_equal(json_array_size(json_object_get(doc, "changed")), 2);
    json_decref(doc);
    assert_int_equal(api(fx, "GET", "/api/v1/communities/demo", AUTH, NULL, NULL, &doc), 200);
    json_t *settings = json_object_get(doc, "settings");
    assert_string_equal(json_string_value(json_object_get(settings, "join")), "approval");
    assert_int_equal(json_integer_value(json_object_get(settings, "max_mentions")), 3);
    json_decref(doc);
    assert_int_equal(gm_h_cli(&fx->env, &run, "community", "show", "demo", "--json", NULL), 0);
    assert_non_null(strstr(run.out, "\"join\": \"approval\""));
    gm_h_run_clear(&run);
    /* `community set` goes through the same operation and logs the same way. */
    assert_int_equal(
        gm_h_cli(&fx->env, &run, "community", "set", "demo", "--posting", "anyone", NULL), 0);
    assert_non_null(strstr(run.out, "updated community demo: posting"));
    gm_h_run_clear(&run);

    struct gm_h_resp resp;
    assert_int_equal(gm_h_get(&fx->d, "/c/demo/modlog", "application/json", &resp), 0);
    assert_int_equal(resp.status, 200);
    doc = json_loadb(resp.body, resp.len, 0, NULL);
    gm_h_resp_clear(&resp);
    json_t *entries = json_object_get(doc, "entries");
    assert_int_equal(json_array_size(entries), 3);
    json_t *newest = json_array_get(entries, 0), *join = json_array_get(entries, 2);
    assert_string_equal(json_string_value(json_object_get(newest, "reason")),
                        "posting: members → anyone");
    assert_int_equal(strncmp(json_string_value(json_object_get(newest, "moderator")), "cli:", 4),
                     0);
    assert_string_equal(json_string_value(json_object_get(join, "action")), "policy");
    assert_string_equal(json_string_value(json_object_get(join, "target")), "join");
    assert_string_equal(json_string_value(json_object_get(join, "moderator")), "api");
    assert_string_equal(json_string_value(json_object_get(join, "reason")),
                        "join: open → approval");
    json_decref(doc);
    fx->finished = 1;
}

/* Blocks made over the API are the CLI's blocks, and the other way round. */
static void blocks_shared_with_cli(void **state)
{
    struct fixture *fx = *state;
    struct gm_h_run run;
    json_t *doc;
    assert_int_equal(api(fx, "POST", "/api/v1/blocks", AUTH, JSON_CT,
                         "{\"domain\":\"spam.example\",\"severity\":\"silence\","
                         "\"reason\":\"private words\",\"public_comment\":\"ads\"}",
                         NULL),
                     200);
    assert_int_equal(gm_h_cli(&fx->env, &run, "block", "list", NULL), 0);
    assert_non_null(strstr(run.out, "spam.example"));
    assert_non_null(strstr(run.out, "silence"));
    gm_h_run_clear(&run);
    assert_int_equal(api(fx, "POST", "/api/v1/blocks/import", AUTH, "Content-Type: text/csv",
                         "b.example,suspend\n", &doc),
                     200);
    assert_int_equal(json_integer_value(json_object_get(doc, "imported")), 1);
    json_decref(doc);
    assert_int_equal(gm_h_cli(&fx->env, &run, "block", "add", "c.example", NULL), 0);
    gm_h_run_clear(&run);
    assert_int_equal(api(fx, "GET", "/api/v1/blocks", AUTH, NULL, NULL, &doc), 200);
    assert_int_equal(json_array_size(json_object_get(doc, "blocks")), 3);
    json_decref(doc);
    assert_int_equal(api(fx, "DELETE", "/api/v1/blocks/spam.example", AUTH, NULL, NULL, NULL), 200);
    assert_int_equal(api(fx, "DELETE", "/api/v1/blocks/spam.example", AUTH, NULL, NULL, NULL), 404);
    assert_int_equal(gm_h_cli(&fx->env, &run, "block", "list", NULL), 0);
    assert_null(strstr(run.out, "spam.example"));
    assert_non_null(strstr(run.out, "b.example"));
    gm_h_run_clear(&run);
    /* The private reason is in the admin log, never in the public one. */
    assert_int_equal(api(fx, "GET", "/api/v1/modlog", AUTH, NULL, NULL, &doc), 200);
    char *text = json_dumps(doc, 0);
    assert_non_null(strstr(text, "private words"));
    free(text);
    json_decref(doc);
    struct gm_h_resp resp;
    assert_int_equal(gm_h_get(&fx->d, "/c/demo/modlog", "application/json", &resp), 0);
    assert_null(strstr(resp.body, "private words"));
    assert_non_null(strstr(resp.body, "unblock"));
    gm_h_resp_clear(&resp);
    fx->finished = 1;
}

static void api_off_without_token(void **state)
{
    struct fixture *fx = *state;
    json_t *doc;
    struct gm_h_run run;
    assert_int_equal(api(fx, "GET", "/api/v1/communities", AUTH, NULL, NULL, &doc), 404);
    assert_string_equal(json_string_value(json_object_get(doc, "error")), "admin API is off");
    json_decref(doc);
    /* A token that is too short is a configuration error naming the key, not the value. */
    assert_int_equal(
        gm_h_cli(&fx->env, &run, "--admin-token", "tooShortSecret", "community", "list", NULL), 2);
    assert_non_null(strstr(run.err, "admin_token"));
    assert_null(strstr(run.err, "tooShortSecret"));
    gm_h_run_clear(&run);
    fx->finished = 1;
}

int main(int argc, char **argv)
{
    binary = gm_h_binary(argc, argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(unauthorized_leaks_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(patch_setting_logged, setup, teardown),
        cmocka_unit_test_setup_teardown(blocks_shared_with_cli, setup, teardown),
        cmocka_unit_test_setup_teardown(api_off_without_token, setup_off, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
