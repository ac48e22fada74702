/* SPDX-License-Identifier: Apache-2.0
 * test_community_blocks.c - a community's own domain blocks (community_blocks.h): a suspend
 * ends that community's memberships and requests on the domain and its subdomains (nothing is
 * sent there), a silence keeps them; list, replace and remove, each in the moderation log; the
 * severity that applies to a URL combines the node-wide and the community's blocks, the
 * stricter winning, and one community's block never touches another. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "gemeinde/blocks.h"
#include "gemeinde/ckv.h"
#include "gemeinde/community_blocks.h"
#include "gemeinde/members.h"
#include "mod_util.h"
#include "test_util.h"

#define MOD "https://mods.example/users/mod"

static void member(struct gm_txn *txn, const char *community, const char *actor)
{
    char inbox[300];
    snprintf(inbox, sizeof inbox, "%s/inbox", actor);
    struct gm_member m = {.actor = (char *)actor, .inbox = inbox, .follow_id = NULL, .since = 1};
    assert_int_equal(gm_member_put(txn, community, &m), GM_OK);
}

static void pending(struct gm_txn *txn, const char *actor)
{
    json_t *req = json_pack("{s:o, s:i}", "follow", mu_follow(actor, "p"), "at", 1);
    assert_int_equal(gm_ckv_put(txn, GM_CKV_PENDING, "demo", actor, req), GM_OK);
    json_decref(req);
}

static int setup(void **state)
{
    struct tu_store *f = tu_store_open(1);
    tu_add_community(f->txn, "demo");
    tu_add_community(f->txn, "other");
    static const char *const actors[] = {
        "https://bad.example/u/1",    "https://x.bad.example/u/2", "https://BAD.example:8443/u/3",
        "https://notbad.example/u/4", "https://good.example/u/5",  "https://bad.example.org/u/6",
    };
    for (size_t i = 0; i < TU_ARRAY_LEN(actors); i++) {
        member(f->txn, "demo", actors[i]);
        member(f->txn, "other", actors[i]);
    }
    pending(f->txn, "https://y.bad.example/u/7");
    pending(f->txn, "https://good.example/u/8");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    tu_store_close(*state);
    return 0;
}

static size_t count_members(struct tu_store *f, const char *community)
{
    size_t n;
    assert_int_equal(gm_member_count(f->txn, community, &n), GM_OK);
    return n;
}

static void suspend_and_silence(void **state)
{
    struct tu_store *f = *state;
    struct gm_rules_ctx ctx = mu_ctx(NULL, MU_NOW);
    size_t removed = 99;
    struct gm_block silence = {
        .domain = "good.example", .severity = GM_BLOCK_SILENCE, .reason = "noisy"};
    assert_int_equal(gm_cblock_add(f->txn, &ctx, "demo", &silence, MOD, &removed), GM_OK);
    assert_int_equal(removed, 0);
    assert_int_equal(count_members(f, "demo"), 6);
    mu_assert_log(f->txn, "demo", "silence", "good.example");

    struct gm_block suspend = {.domain = "Bad.Example.",
                               .severity = GM_BLOCK_SUSPEND,
                               .reason = "PRIVATE",
                               .public_comment = "spam"};
    assert_int_equal(gm_cblock_add(f->txn, &ctx, "demo", &suspend, MOD, &removed), GM_OK);
    /* bad.example, x.bad.example and BAD.example:8443; not notbad.example, not bad.example.org */
    assert_int_equal(removed, 3);
    assert_int_equal(count_members(f, "demo"), 3);
    assert_int_equal(gm_member_get(f->txn, "demo", "https://notbad.example/u/4", NULL), GM_OK);
    assert_int_equal(gm_member_get(f->txn, "demo", "https://bad.example.org/u/6", NULL), GM_OK);
    assert_int_equal(count_members(f, "other"), 6); /* another community: untouched */
    /* the request from a subdomain is gone, the other stays */
    size_t n;
    assert_int_equal(gm_ckv_count(f->txn, GM_CKV_PENDING, "demo", &n), GM_OK);
    assert_int_equal(n, 1);
    json_t *req = NULL;
    assert_int_equal(gm_ckv_get(f->txn, GM_CKV_PENDING, "demo", "https://good.example/u/8", &req),
                     GM_OK);
    json_decref(req);
    /* nothing is sent to a suspended domain */
    assert_int_equal(ctx.queued, 0);
    assert_int_equal(mu_count(f->txn, NULL, NULL), 0);
    /* logged with who, the public comment and the private note */
    struct gm_modlog_entry **list;
    assert_int_equal(gm_modlog_page(f->txn, "demo", 0, 1, &list, &n), GM_OK);
    assert_string_equal(list[0]->action, "block");
    assert_string_equal(list[0]->target, "bad.example");
    assert_string_equal(list[0]->moderator, MOD);
    assert_string_equal(list[0]->public_reason, "spam");
    assert_string_equal(list[0]->private_note, "PRIVATE");
    gm_modlog_entries_free(list, n);
    assert_int_equal(mu_log_len(f->txn, "other"), 0);
}

static void list_replace_remove(void **state)
{
    struct tu_store *f = *state;
    struct gm_rules_ctx ctx = mu_ctx(NULL, MU_NOW);
    struct gm_block b = {
        .domain = "zz.example", .severity = GM_BLOCK_SILENCE, .reason = "r", .public_comment = "p"};
    assert_int_equal(gm_cblock_add(f->txn, &ctx, "demo", &b, MOD, NULL), GM_OK);
    b = (struct gm_block){.domain = "aa.example", .severity = GM_BLOCK_SUSPEND};
    assert_int_equal(gm_cblock_add(f->txn, &ctx, "demo", &b, MOD, NULL), GM_OK);
    json_t *list = NULL;
    assert_int_equal(gm_cblock_list(f->txn, "demo", &list), GM_OK);
    assert_int_equal(json_array_size(list), 2);
    json_t *first = json_array_get(list, 0), *second = json_array_get(list, 1);
    assert_string_equal(tu_jstr(first, "domain"), "aa.example");
    assert_string_equal(tu_jstr(first, "severity"), "suspend");
    assert_string_equal(tu_jstr(first, "reason"), "");
    assert_string_equal(tu_jstr(second, "domain"), "zz.example");
    assert_string_equal(tu_jstr(second, "severity"), "silence");
    assert_string_equal(tu_jstr(second, "reason"), "r");
    assert_string_equal(tu_jstr(second, "public_comment"), "p");
    assert_string_equal(tu_jstr(second, "by"), MOD);
    assert_int_equal(json_integer_value(json_object_get(second, "created")), MU_NOW);
    json_decref(list);
    /* replace: silence becomes suspend */
    b = (struct gm_block){.domain = "ZZ.example", .severity = GM_BLOCK_SUSPEND};
    assert_int_equal(gm_cblock_add(f->txn, &ctx, "demo", &b, MOD, NULL), GM_OK);
    enum gm_block_severity sev;
    assert_int_equal(gm_cblock_severity_url(f->txn, "demo", "https://zz.example/u", &sev), GM_OK);
    assert_int_equal(sev, GM_BLOCK_SUSPEND);
    assert_int_equal(gm_cblock_list(f->txn, "other", &list), GM_OK);
    assert_int_equal(json_array_size(list), 0);
    json_decref(list);
    /* remove */
    assert_int_equal(gm_cblock_remove(f->txn, &ctx, "demo", "zz.EXAMPLE", MOD), GM_OK);
    mu_assert_log(f->txn, "demo", "unblock", "zz.example");
    assert_int_equal(gm_cblock_remove(f->txn, &ctx, "demo", "zz.example", MOD), GM_ENOTFOUND);
    assert_int_equal(gm_cblock_remove(f->txn, &ctx, "other", "aa.example", MOD), GM_ENOTFOUND);
    assert_int_equal(gm_cblock_remove(f->txn, &ctx, "demo", "not a domain", MOD), GM_ENOTFOUND);
    assert_int_equal(gm_cblock_severity_url(f->txn, "demo", "https://zz.example/u", &sev),
                     GM_ENOTFOUND);
}

static void bad_input(void **state)
{
    struct tu_store *f = *state;
    struct gm_rules_ctx ctx = mu_ctx(NULL, MU_NOW);
    char long_text[GM_BLOCK_REASON_MAX + 2];
    memset(long_text, 'r', sizeof long_text - 1);
    long_text[sizeof long_text - 1] = '\0';
    const struct {
        const char *community, *domain, *reason, *pub;
        gm_err want;
    } cases[] = {
        {"demo", "not a domain", NULL, NULL, GM_EINVAL},
        {"demo", "", NULL, NULL, GM_EINVAL},
        {"demo", "ok.example", long_text, NULL, GM_EINVAL},
        {"demo", "ok.example", NULL, long_text, GM_EINVAL},
        {"nope", "ok.example", NULL, NULL, GM_ENOTFOUND},
    };
    for (size_t i = 0; i < TU_ARRAY_LEN(cases); i++) {
        struct gm_block b = {.severity = GM_BLOCK_SUSPEND,
                             .reason = (char *)cases[i].reason,
                             .public_comment = (char *)cases[i].pub};
        snprintf(b.domain, sizeof b.domain, "%s", cases[i].domain);
        size_t removed = 42;
        gm_err e = gm_cblock_add(f->txn, &ctx, cases[i].community, &b, MOD, &removed);
        if (e != cases[i].want)
            fail_msg("case %zu: %s, want %s", i, gm_strerror(e), gm_strerror(cases[i].want));
        assert_int_equal(removed, 42);
    }
    assert_int_equal(count_members(f, "demo"), 6);
    assert_int_equal(mu_log_len(f->txn, "demo"), 0);
}

/* Which severity applies where: node-wide and community blocks together. */
static void severity_combined(void **state)
{
    struct tu_store *f = *state;
    struct gm_rules_ctx ctx = mu_ctx(NULL, MU_NOW);
    struct gm_block nb[] = {
        {.domain = "nodesus.example", .severity = GM_BLOCK_SUSPEND},
        {.domain = "nodesil.example", .severity = GM_BLOCK_SILENCE},
        {.domain = "both.example", .severity = GM_BLOCK_SILENCE},
        {.domain = "both2.example", .severity = GM_BLOCK_SUSPEND},
    };
    for (size_t i = 0; i < TU_ARRAY_LEN(nb); i++)
        assert_int_equal(gm_block_set(f->txn, &nb[i]), GM_OK);
    struct gm_block cb[] = {
        {.domain = "comsus.example", .severity = GM_BLOCK_SUSPEND},
        {.domain = "comsil.example", .severity = GM_BLOCK_SILENCE},
        {.domain = "both.example", .severity = GM_BLOCK_SUSPEND},
        {.domain = "both2.example", .severity = GM_BLOCK_SILENCE},
        {.domain = "sub.nodesil.example", .severity = GM_BLOCK_SUSPEND},
    };
    for (size_t i = 0; i < TU_ARRAY_LEN(cb); i++)
        assert_int_equal(gm_cblock_add(f->txn, &ctx, "demo", &cb[i], MOD, NULL), GM_OK);
    enum { NONE = -1 };
    static const struct {
        const char *community, *url;
        int want; /* a gm_block_severity, or NONE */
    } cases[] = {
        {"demo", "https://nodesus.example/u", GM_BLOCK_SUSPEND},
        {"demo", "https://a.b.nodesus.example/u", GM_BLOCK_SUSPEND},
        {"demo", "https://nodesil.example/u", GM_BLOCK_SILENCE},
        {"demo", "https://comsus.example/u", GM_BLOCK_SUSPEND},
        {"demo", "https://deep.sub.comsus.example:8443/u", GM_BLOCK_SUSPEND},
        {"demo", "https://COMSIL.example/u", GM_BLOCK_SILENCE},
        {"demo", "https://comsus.example@fine.example/u", NONE},
        {"demo", "https://notcomsus.example/u", NONE},
        {"demo", "https://fine.example/u", NONE},
        /* the stricter of the two wins, whichever level says it */
        {"demo", "https://both.example/u", GM_BLOCK_SUSPEND},
        {"demo", "https://both2.example/u", GM_BLOCK_SUSPEND},
        {"demo", "https://sub.nodesil.example/u", GM_BLOCK_SUSPEND},
        {"demo", "https://other.nodesil.example/u", GM_BLOCK_SILENCE},
        /* another community sees only the node-wide blocks */
        {"other", "https://comsus.example/u", NONE},
        {"other", "https://both.example/u", GM_BLOCK_SILENCE},
        {"other", "https://nodesus.example/u", GM_BLOCK_SUSPEND},
        {NULL, "https://comsus.example/u", NONE},
        {NULL, "https://both2.example/u", GM_BLOCK_SUSPEND},
        {"demo", "not a url", NONE},
    };
    for (size_t i = 0; i < TU_ARRAY_LEN(cases); i++) {
        enum gm_block_severity sev = (enum gm_block_severity)77;
        gm_err e = gm_cblock_severity_url(f->txn, cases[i].community, cases[i].url, &sev);
        int got = e == GM_OK ? (int)sev : NONE;
        if (e != GM_OK && e != GM_ENOTFOUND)
            fail_msg("case %zu: %s", i, gm_strerror(e));
        if (got != cases[i].want)
            fail_msg("case %zu %s for %s: %d, want %d", i, cases[i].url,
                     cases[i].community ? cases[i].community : "(node)", got, cases[i].want);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(suspend_and_silence, setup, teardown),
        cmocka_unit_test_setup_teardown(list_replace_remove, setup, teardown),
        cmocka_unit_test_setup_teardown(bad_input, setup, teardown),
        cmocka_unit_test_setup_teardown(severity_combined, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
