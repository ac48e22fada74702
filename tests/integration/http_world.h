/* SPDX-License-Identifier: Apache-2.0
 * http_world.h - what the test_http*.c files share: a node folder with one daemon per test
 * (max_body = 2048), communities made with the CLI, and checks on responses. Header-only
 * (static inline), for the integration tests only. */
#ifndef GEMEINDE_TEST_HTTP_WORLD_H
#define GEMEINDE_TEST_HTTP_WORLD_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define AP_TYPE "application/activity+json"
#define AS_PROFILE "application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\""
#define BROWSER_ACCEPT "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
#define MAX_BODY 2048

static const char *binary;

struct fixture {
    struct gm_h_env env;
    struct gm_h_daemon d;
    int finished;
};

static inline int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof *fx);
    if (!fx || gm_h_env_init(&fx->env, binary, "max_body = 2048\nthreads = 2\n") != 0) {
        free(fx);
        return -1;
    }
    *state = fx;
    if (gm_h_serve_start(&fx->env, &fx->d) != 0) {
        gm_h_env_clear(&fx->env);
        free(fx);
        return -1;
    }
    return 0;
}

/* Stops the daemon (a non-zero exit or a sanitizer report fails the test) and removes the
 * folder; prints the daemon's log when the test did not reach its end. */
static inline int teardown(void **state)
{
    struct fixture *fx = *state;
    int rc = 0;
    if (fx->d.pid) {
        rc = gm_h_serve_stop(&fx->d, SIGTERM) == 0 ? 0 : -1; /* dumps the log if not 0 */
        if (rc == 0 && !fx->finished)
            gm_h_serve_dump(&fx->d);
    }
    gm_h_env_clear(&fx->env);
    free(fx);
    return rc;
}

/* ---- helpers ---------------------------------------------------------------------------- */

static inline void create(struct fixture *fx, const char *name, const char *title, const char *summary,
                   const char *rule1, const char *rule2)
{
    struct gm_h_run run;
    const char *argv[16];
    int n = 0;
    argv[n++] = "-c";
    argv[n++] = fx->env.config;
    argv[n++] = "community";
    argv[n++] = "create";
    argv[n++] = name;
    if (title)
        argv[n++] = "--title", argv[n++] = title;
    if (summary)
        argv[n++] = "--summary", argv[n++] = summary;
    if (rule1)
        argv[n++] = "--rule", argv[n++] = rule1;
    if (rule2)
        argv[n++] = "--rule", argv[n++] = rule2;
    argv[n] = NULL;
    int rc = gm_h_run_argv(binary, argv, GM_H_CLI_TIMEOUT_MS, &run);
    if (rc != 0)
        fail_msg("community create %s: exit %d: %s", name, rc, run.err ? run.err : "");
    gm_h_run_clear(&run);
}

static inline json_t *parse_json(const char *text)
{
    json_error_t jerr;
    json_t *doc = json_loads(text, 0, &jerr);
    if (!doc)
        fail_msg("not JSON (%s): %.500s", jerr.text, text);
    return doc;
}

static const char *jstr(json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));
    if (!s)
        fail_msg("member '%s' missing or not a string", key);
    return s;
}

static inline void expect_header(const struct gm_h_resp *resp, const char *name, const char *want)
{
    char value[512];
    if (gm_h_resp_header(resp, name, value, sizeof value) != 0)
        fail_msg("no %s header in:\n%s", name, resp->headers);
    if (strcmp(value, want) != 0)
        fail_msg("%s is '%s', want '%s'", name, value, want);
}

static inline void expect_header_prefix(const struct gm_h_resp *resp, const char *name, const char *prefix)
{
    char value[512];
    if (gm_h_resp_header(resp, name, value, sizeof value) != 0)
        fail_msg("no %s header in:\n%s", name, resp->headers);
    if (strncmp(value, prefix, strlen(prefix)) != 0)
        fail_msg("%s is '%s', want '%s...'", name, value, prefix);
}

/* A non-2xx answer: the status, Content-Type application/json and {"error": "..."}. */
static inline void expect_error(const struct gm_h_resp *resp, long status, const char *what)
{
    if (resp->status != status)
        fail_msg("%s: status %ld, want %ld; body: %s", what, resp->status, status, resp->body);
    expect_header_prefix(resp, "Content-Type", "application/json");
    json_t *doc = parse_json(resp->body);
    const char *msg = json_string_value(json_object_get(doc, "error"));
    if (!msg || !*msg)
        fail_msg("%s: no error message in %s", what, resp->body);
    json_decref(doc);
}

/* GET path expecting 200 and JSON; returns the document (new reference). */
static inline json_t *get_json(struct fixture *fx, const char *path, const char *accept,
                        const char *content_type)
{
    struct gm_h_resp resp;
    assert_int_equal(gm_h_get(&fx->d, path, accept, &resp), 0);
    if (resp.status != 200)
        fail_msg("GET %s: status %ld: %s", path, resp.status, resp.body);
    if (content_type)
        expect_header(&resp, "Content-Type", content_type);
    json_t *doc = parse_json(resp.body);
    gm_h_resp_clear(&resp);
    return doc;
}

static inline char *url(struct fixture *fx, const char *suffix)
{
    static char buf[8][512];
    static int next;
    char *out = buf[next++ % 8];
    snprintf(out, sizeof buf[0], "%s%s", fx->d.base_url, suffix);
    return out;
}

static inline void expect_public_key(const char *pem)
{
    BIO *bio = BIO_new_mem_buf(pem, -1);
    assert_non_null(bio);
    EVP_PKEY *key = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
    BIO_free(bio);
    if (!key)
        fail_msg("publicKeyPem does not parse: %s", pem);
    assert_true(EVP_PKEY_is_a(key, "RSA"));
    assert_true(EVP_PKEY_get_bits(key) >= 2048);
    EVP_PKEY_free(key);
}

/* ---- health and discovery --------------------------------------------------------------- */


static inline json_int_t nodeinfo_users(struct fixture *fx)
{
    json_t *links = get_json(fx, "/.well-known/nodeinfo", NULL, NULL);
    json_t *link = json_array_get(json_object_get(links, "links"), 0);
    assert_string_equal(jstr(link, "rel"), "http://nodeinfo.diaspora.software/ns/schema/2.1");
    const char *href = jstr(link, "href");
    size_t blen = strlen(fx->d.base_url);
    assert_true(strncmp(href, fx->d.base_url, blen) == 0);
    assert_string_equal(href + blen, "/nodeinfo/2.1");
    json_decref(links);

    struct gm_h_resp resp;
    assert_int_equal(gm_h_get(&fx->d, "/nodeinfo/2.1", NULL, &resp), 0);
    assert_int_equal(resp.status, 200);
    expect_header(&resp, "Content-Type",
                  "application/json; profile=\"http://nodeinfo.diaspora.software/ns/schema/"
                  "2.1#\"");
    json_t *doc = parse_json(resp.body);
    gm_h_resp_clear(&resp);
    assert_string_equal(jstr(doc, "version"), "2.1");
    json_t *sw = json_object_get(doc, "software");
    assert_string_equal(jstr(sw, "name"), "gemeinde");
    assert_true(strlen(jstr(sw, "version")) > 0);
    json_t *protocols = json_object_get(doc, "protocols");
    assert_int_equal(json_array_size(protocols), 1);
    assert_string_equal(json_string_value(json_array_get(protocols, 0)), "activitypub");
    assert_true(json_is_object(json_object_get(doc, "services")));
    assert_true(json_is_false(json_object_get(doc, "openRegistrations")));
    json_t *total =
        json_object_get(json_object_get(json_object_get(doc, "usage"), "users"), "total");
    assert_true(json_is_integer(total));
    json_int_t n = json_integer_value(total);
    json_decref(doc);
    return n;
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

#endif
