/* SPDX-License-Identifier: Apache-2.0
 * test_inbox_rules.c - the inbox's pure checks: activity shape (including the JSON-LD tricks
 * of Fedify GHSA-9rfg-v8g9-9367) and the origin rules (Mastodon CVE-2024-23832, FEP-fe34:
 * Create's actor = attributedTo; Update/Delete/Undo only by the owner). Table-driven. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "gemeinde/inbox.h"
#include "test_util.h"

#define A "https://a.example/users/alice"

struct shape_case {
    const char *json;
    gm_err want;
    const char *actor; /* expected actor when GM_OK */
};

static const struct shape_case shape_cases[] = {
    {"{\"type\":\"Create\",\"actor\":\"" A "\"}", GM_OK, A},
    {"{\"type\":\"Follow\",\"actor\":{\"id\":\"" A "\",\"type\":\"Person\"}}", GM_OK, A},
    {"{\"type\":\"Like\",\"id\":\"https://a.example/l/1\",\"actor\":\"" A "\"}", GM_OK, A},
    {"[]", GM_EINVAL, NULL},
    {"\"Create\"", GM_EINVAL, NULL},
    {"{\"actor\":\"" A "\"}", GM_EINVAL, NULL},
    {"{\"type\":\"\",\"actor\":\"" A "\"}", GM_EINVAL, NULL},
    {"{\"type\":[\"Create\"],\"actor\":\"" A "\"}", GM_EINVAL, NULL},
    {"{\"type\":\"Create\"}", GM_EINVAL, NULL},
    {"{\"type\":\"Create\",\"actor\":\"acct:alice@a.example\"}", GM_EINVAL, NULL},
    {"{\"type\":\"Create\",\"actor\":{\"type\":\"Person\"}}", GM_EINVAL, NULL},
    {"{\"type\":\"Create\",\"actor\":\"" A "\",\"id\":42}", GM_EINVAL, NULL},
    {"{\"type\":\"Create\",\"actor\":\"" A "\",\"id\":\"urn:uuid:1\"}", GM_EINVAL, NULL},
    /* JSON-LD keywords that change what the document means (GHSA-9rfg-v8g9-9367). */
    {"{\"type\":\"Create\",\"actor\":\"" A "\",\"@graph\":[]}", GM_EINVAL, NULL},
    {"{\"type\":\"Create\",\"actor\":\"" A "\",\"@included\":[]}", GM_EINVAL, NULL},
    {"{\"type\":\"Create\",\"actor\":\"" A "\",\"@reverse\":{}}", GM_EINVAL, NULL},
    {"{\"type\":\"Create\",\"actor\":\"" A "\",\"@id\":\"https://b.example/x\"}", GM_EINVAL,
     NULL},
    {"{\"@context\":\"https://www.w3.org/ns/activitystreams\",\"type\":\"Create\",\"actor\":\"" A
     "\"}",
     GM_OK, A},
};

static void shape_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < TU_ARRAY_LEN(shape_cases); i++) {
        const struct shape_case *c = &shape_cases[i];
        json_t *doc = json_loads(c->json, JSON_DECODE_ANY, NULL);
        assert_non_null(doc);
        const char *actor = NULL, *type = NULL, *why = NULL;
        gm_err e = gm_inbox_check_shape(doc, &actor, &type, &why);
        if (e != c->want)
            fail_msg("case %zu %s: got %d want %d", i, c->json, e, c->want);
        if (e == GM_OK)
            assert_string_equal(actor, c->actor);
        else
            assert_non_null(why);
        json_decref(doc);
    }
}

static void shape_long_id(void **state)
{
    (void)state;
    char id[GM_INBOX_MAX_ID + 64] = "https://a.example/";
    memset(id + strlen(id), 'x', GM_INBOX_MAX_ID);
    id[GM_INBOX_MAX_ID + 20] = '\0';
    json_t *doc = json_pack("{s:s, s:s, s:s}", "type", "Create", "actor", A, "id", id);
    const char *actor, *type, *why;
    assert_int_equal(gm_inbox_check_shape(doc, &actor, &type, &why), GM_EINVAL);
    json_decref(doc);
}

struct origin_case {
    const char *name;
    const char *json;
    gm_err want;
    const char *object_after; /* expected "object" string after the check, or NULL */
};

static const struct origin_case origin_cases[] = {
    {"own create", "{\"type\":\"Create\",\"id\":\"https://a.example/c/1\",\"actor\":\"" A
                   "\",\"object\":{\"id\":\"https://a.example/n/1\",\"type\":\"Note\","
                   "\"attributedTo\":\"" A "\"}}",
     GM_OK, NULL},
    {"activity id on another origin (CVE-2024-23832)",
     "{\"type\":\"Create\",\"id\":\"https://b.example/c/1\",\"actor\":\"" A "\"}", GM_EFORBID,
     NULL},
    {"activity id on another port", "{\"type\":\"Like\",\"id\":\"https://a.example:8443/l/1\","
                                    "\"actor\":\"" A "\",\"object\":\"https://b.example/n\"}",
     GM_EFORBID, NULL},
    {"host case and trailing dot are the same origin (CVE-2023-42451)",
     "{\"type\":\"Like\",\"id\":\"https://A.EXAMPLE./l/1\",\"actor\":\"" A
     "\",\"object\":\"https://b.example/n\"}",
     GM_OK, "https://b.example/n"},
    {"userinfo is not an origin", "{\"type\":\"Like\",\"id\":\"https://a.example@b.example/l\","
                                  "\"actor\":\"" A "\",\"object\":\"https://b.example/n\"}",
     GM_EFORBID, NULL},
    {"create of a foreign object", "{\"type\":\"Create\",\"actor\":\"" A "\",\"object\":{\"id\":"
                                   "\"https://b.example/n/1\",\"type\":\"Note\"}}",
     GM_EFORBID, NULL},
    {"create attributed to someone else (FEP-fe34)",
     "{\"type\":\"Create\",\"actor\":\"" A "\",\"object\":{\"id\":\"https://a.example/n/1\","
     "\"type\":\"Note\",\"attributedTo\":\"https://a.example/users/bob\"}}",
     GM_EFORBID, NULL},
    {"attributedTo as array containing the actor",
     "{\"type\":\"Create\",\"actor\":\"" A "\",\"object\":{\"id\":\"https://a.example/n/1\","
     "\"type\":\"Note\",\"attributedTo\":[{\"id\":\"" A "\",\"type\":\"Person\"}]}}",
     GM_OK, NULL},
    {"update of another's object", "{\"type\":\"Update\",\"actor\":\"" A "\",\"object\":{\"id\":"
                                   "\"https://b.example/users/bob\",\"type\":\"Person\"}}",
     GM_EFORBID, NULL},
    {"delete of a foreign object", "{\"type\":\"Delete\",\"actor\":\"" A
                                   "\",\"object\":\"https://b.example/n/1\"}",
     GM_EFORBID, NULL},
    {"delete of own object", "{\"type\":\"Delete\",\"actor\":\"" A
                             "\",\"object\":{\"id\":\"https://a.example/n/1\",\"type\":"
                             "\"Tombstone\"}}",
     GM_OK, NULL},
    {"undo of another's follow", "{\"type\":\"Undo\",\"actor\":\"" A "\",\"object\":{\"type\":"
                                 "\"Follow\",\"actor\":\"https://a.example/users/bob\"}}",
     GM_EFORBID, NULL},
    {"undo of own follow", "{\"type\":\"Undo\",\"actor\":\"" A "\",\"object\":{\"type\":"
                           "\"Follow\",\"actor\":\"" A "\"}}",
     GM_OK, NULL},
    {"announce keeps only the id of a foreign object",
     "{\"type\":\"Announce\",\"actor\":\"" A "\",\"object\":{\"id\":\"https://b.example/n/1\","
     "\"type\":\"Note\",\"content\":\"forged\"}}",
     GM_OK, "https://b.example/n/1"},
    {"embedded foreign object without id", "{\"type\":\"Announce\",\"actor\":\"" A
                                           "\",\"object\":{\"type\":\"Note\"}}",
     GM_EFORBID, NULL},
    {"follow of a string object", "{\"type\":\"Follow\",\"actor\":\"" A
                                  "\",\"object\":\"https://groups.example/c/demo\"}",
     GM_OK, "https://groups.example/c/demo"},
};

static void origin_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < TU_ARRAY_LEN(origin_cases); i++) {
        const struct origin_case *c = &origin_cases[i];
        json_t *doc = json_loads(c->json, 0, NULL);
        if (!doc)
            fail_msg("case '%s' does not parse", c->name);
        const char *why = NULL;
        gm_err e = gm_inbox_check_origin(doc, A, &why);
        if (e != c->want)
            fail_msg("case '%s': got %d want %d (%s)", c->name, e, c->want, why ? why : "");
        if (c->object_after)
            assert_string_equal(json_string_value(json_object_get(doc, "object")),
                                c->object_after);
        json_decref(doc);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(shape_table),
        cmocka_unit_test(shape_long_id),
        cmocka_unit_test(origin_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
