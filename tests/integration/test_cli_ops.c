/* SPDX-License-Identifier: Apache-2.0
 * test_cli_ops.c - the operator commands through the real binary: `members` (list, --json,
 * --remove, errors) and `queue` (text and --json), on an empty node and with data. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <jansson.h>
#include <string.h>

#include "gemeinde/members.h"
#include "gemeinde/queue.h"
#include "gemeinde/store.h"
#include "harness.h"

static const char *binary;

static int setup(void **state)
{
    struct gm_h_env *env = calloc(1, sizeof *env);
    assert_int_equal(gm_h_env_init(env, binary, NULL), 0);
    struct gm_h_run run;
    assert_int_equal(gm_h_cli(env, &run, "community", "create", "demo", NULL), 0);
    gm_h_run_clear(&run);
    *state = env;
    return 0;
}

static int teardown(void **state)
{
    gm_h_env_clear(*state);
    free(*state);
    return 0;
}

static void seed(struct gm_h_env *env)
{
    struct gm_store *st;
    struct gm_txn *txn;
    struct gm_member m = {.actor = "https://a.example/users/alice",
                          .inbox = "https://a.example/users/alice/inbox",
                          .shared_inbox = "https://a.example/inbox", .since = 1700000000};
    assert_int_equal(gm_store_open(env->data_dir, 1024, &st, NULL, 0), GM_OK);
    assert_int_equal(gm_txn_begin(st, true, &txn), GM_OK);
    assert_int_equal(gm_member_put(txn, "demo", &m), GM_OK);
    assert_int_equal(gm_queue_push(txn, "demo", "https://a.example/inbox", "{}", 1700000000),
                     GM_OK);
    assert_int_equal(gm_txn_commit(txn), GM_OK);
    gm_store_close(st);
}

static void members_commands(void **state)
{
    struct gm_h_env *env = *state;
    struct gm_h_run run;
    assert_int_equal(gm_h_cli(env, &run, "members", "demo", NULL), 0);
    assert_non_null(strstr(run.out, "no members yet"));
    gm_h_run_clear(&run);
    seed(env);
    assert_int_equal(gm_h_cli(env, &run, "members", "demo", "--json", NULL), 0);
    json_t *arr = json_loads(run.out, 0, NULL);
    gm_h_run_clear(&run);
    assert_int_equal(json_array_size(arr), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(arr, 0), "actor")),
                        "https://a.example/users/alice");
    assert_string_equal(json_string_value(json_object_get(json_array_get(arr, 0), "since")),
                        "2023-11-14T22:13:20Z");
    json_decref(arr);
    /* errors: unknown community, unknown member, bad option */
    assert_int_equal(gm_h_cli(env, &run, "members", "nope", NULL), 2);
    assert_non_null(strstr(run.err, "does not exist"));
    gm_h_run_clear(&run);
    assert_int_equal(gm_h_cli(env, &run, "members", "demo", "--remove", "https://x/y", NULL), 2);
    assert_non_null(strstr(run.err, "not a member"));
    gm_h_run_clear(&run);
    assert_int_equal(gm_h_cli(env, &run, "members", "demo", "--bogus", NULL), 2);
    gm_h_run_clear(&run);
    assert_int_equal(gm_h_cli(env, &run, "members", "demo", "--remove",
                              "https://a.example/users/alice", NULL),
                     0);
    gm_h_run_clear(&run);
    assert_int_equal(gm_h_cli(env, &run, "members", "demo", "--json", NULL), 0);
    assert_non_null(strstr(run.out, "[]"));
    gm_h_run_clear(&run);
}

static void queue_command(void **state)
{
    struct gm_h_env *env = *state;
    struct gm_h_run run;
    assert_int_equal(gm_h_cli(env, &run, "queue", NULL), 0);
    assert_non_null(strstr(run.out, "jobs queued: 0"));
    gm_h_run_clear(&run);
    seed(env);
    assert_int_equal(gm_h_cli(env, &run, "queue", "--json", NULL), 0);
    json_t *q = json_loads(run.out, 0, NULL);
    gm_h_run_clear(&run);
    assert_non_null(q);
    assert_int_equal(json_integer_value(json_object_get(q, "jobs")), 1);
    assert_int_equal(json_integer_value(json_object_get(q, "due_now")), 1);
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(json_object_get(q, "next_jobs"), 0), "inbox")),
                        "https://a.example/inbox");
    json_decref(q);
    assert_int_equal(gm_h_cli(env, &run, "queue", "--bogus", NULL), 2);
    gm_h_run_clear(&run);
}

static void block_commands(void **state)
{
    struct gm_h_env *env = *state;
    struct gm_h_run run;
    char csv_path[GM_H_PATH];
    seed(env); /* alice on a.example is a member */
    assert_int_equal(gm_h_cli(env, &run, "block", "list", NULL), 0);
    assert_non_null(strstr(run.out, "no blocks"));
    gm_h_run_clear(&run);
    assert_int_equal(gm_h_cli(env, &run, "block", "add", "A.Example", "--reason", "spam",
                              "--public-comment", "spam, ads", NULL),
                     0);
    assert_non_null(strstr(run.out, "suspended a.example (1 membership ended)"));
    gm_h_run_clear(&run);
    assert_int_equal(gm_h_cli(env, &run, "members", "demo", "--json", NULL), 0);
    assert_non_null(strstr(run.out, "[]"));
    gm_h_run_clear(&run);
    assert_int_equal(gm_h_cli(env, &run, "block", "add", "q.example", "--severity", "silence",
                              NULL),
                     0);
    gm_h_run_clear(&run);
    assert_int_equal(gm_h_cli(env, &run, "block", "export", NULL), 0);
    assert_non_null(strstr(run.out, "a.example,suspend,false,false,\"spam, ads\",false\n"));
    assert_non_null(strstr(run.out, "q.example,silence,false,false,,false\n"));
    gm_h_run_clear(&run);
    assert_int_equal(gm_h_cli(env, &run, "block", "list", "--json", NULL), 0);
    json_t *arr = json_loads(run.out, 0, NULL);
    gm_h_run_clear(&run);
    assert_int_equal(json_array_size(arr), 2);
    json_decref(arr);
    /* import: a good file, then a bad one that changes nothing */
    assert_int_equal(gm_h_env_file(env, "blocks.csv", "#domain,#severity\nc.example,suspend\n",
                                   csv_path, sizeof csv_path),
                     0);
    assert_int_equal(gm_h_cli(env, &run, "block", "import", csv_path, NULL), 0);
    assert_non_null(strstr(run.out, "imported 1 block"));
    gm_h_run_clear(&run);
    assert_int_equal(gm_h_env_file(env, "bad.csv", "d.example,suspend\nno good,suspend\n",
                                   csv_path, sizeof csv_path),
                     0);
    assert_int_equal(gm_h_cli(env, &run, "block", "import", csv_path, NULL), 2);
    assert_non_null(strstr(run.err, "line 2"));
    gm_h_run_clear(&run);
    /* errors */
    assert_int_equal(gm_h_cli(env, &run, "block", "add", "not a domain", NULL), 2);
    gm_h_run_clear(&run);
    assert_int_equal(gm_h_cli(env, &run, "block", "add", "x.example", "--severity", "nuke", NULL),
                     2);
    gm_h_run_clear(&run);
    assert_int_equal(gm_h_cli(env, &run, "block", "remove", "a.example", NULL), 0);
    gm_h_run_clear(&run);
    assert_int_equal(gm_h_cli(env, &run, "block", "remove", "a.example", NULL), 2);
    gm_h_run_clear(&run);
    assert_int_equal(gm_h_cli(env, &run, "block", "frobnicate", NULL), 2);
    gm_h_run_clear(&run);
}

int main(int argc, char **argv)
{
    binary = gm_h_binary(argc, argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(members_commands, setup, teardown),
        cmocka_unit_test_setup_teardown(queue_command, setup, teardown),
        cmocka_unit_test_setup_teardown(block_commands, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
