/* SPDX-License-Identifier: Apache-2.0
 * test_stats.c - a community's figures from `gemeinde stats` and the admin API, against the
 * real daemon after the traffic of stats_world.h (fake remote servers on 127.0.0.2-4):
 *   `gemeinde stats --json` gives the counts the traffic determines (members, gained and lost,
 *     posts, replies, likes, answered, questions, unanswered, active members), the response
 *     time as a range (real clocks), cat's posts as unanswered (oldest first, not by id), the
 *     top contributors, the members per server and one entry per day;
 *   --csv has the header and today's row, the text and --digest forms say the same; bad
 *     options exit 2, an unknown community fails, each with a message;
 *   GET /api/v1/communities/NAME/stats gives the CLI's figures, honours daily, unanswered and
 *     unanswered_minutes, and answers 401, 400 and 404 where due.
 * The web side (/metrics, dashboard, public page) is in test_stats_web.c. */
#define STATS_WORLD_TESTS 4

#include "stats_world.h"

/* ---- the report, wherever it comes from ------------------------------------------------- */

struct want {
    const char *key;
    json_int_t value;
};

static void expect_counts(json_t *obj, const struct want *want, size_t n, const char *what)
{
    for (size_t i = 0; i < n; i++) {
        json_int_t got = inum(obj, want[i].key);
        if (got != want[i].value)
            fail_msg("%s.%s is %lld, want %lld", what, want[i].key, (long long)got,
                     (long long)want[i].value);
    }
}

/* Today's entry is exact only when the traffic and the report fell on one UTC day. */
static int one_day(struct world *w)
{
    w->day_after = utc_day();
    if (w->day_after != w->day_before)
        fprintf(stderr, "test_stats: UTC midnight passed: today's figures not checked\n");
    return w->day_after == w->day_before;
}

static void expect_unanswered(struct world *w, json_t *un)
{
    json_t *posts = json_object_get(un, "posts");
    assert_int_equal(inum(un, "older_than"), 0);
    assert_int_equal(inum(un, "total"), 2);
    assert_int_equal(json_array_size(posts), 2);
    json_t *first = json_array_get(posts, 0), *second = json_array_get(posts, 1);
    assert_string_equal(istr(first, "id"), w->plain_id); /* oldest first, though "b-" > "a-" */
    assert_string_equal(istr(first, "url"), w->plain_url);
    assert_string_equal(istr(first, "author"), w->cat.id);
    assert_true(json_is_false(json_object_get(first, "question")));
    assert_string_equal(istr(second, "id"), w->hostile_id);
    assert_string_equal(istr(second, "url"), w->hostile_id); /* no url: the id */
    assert_true(inum(first, "waiting") >= inum(second, "waiting") + 1);
    assert_true(inum(second, "waiting") >= 0 && inum(first, "waiting") <= 600);
}

/* The figures the traffic determines, in a report of `days` days with its daily entries. */
static void expect_report(struct world *w, json_t *r, json_int_t days)
{
    static const struct want now[] = {
        {"members", 2}, {"pending", 0}, {"held", 0}, {"open_reports", 0}};
    static const struct want period[] = {
        {"members_gained", 3}, {"members_lost", 1}, {"requests", 0},       {"posts", 3},
        {"replies", 1},        {"likes", 1},        {"answered", 1},       {"questions", 1},
        {"closed", 0},         {"unanswered", 2},   {"reports_opened", 0}, {"mod_actions", 1},
        {"members_start", 0},  {"members_end", 2},  {"active_members", 3}, {"active_posters", 2},
        {"active_repliers", 1}};
    assert_string_equal(istr(r, "community"), "town");
    assert_int_equal(inum(r, "days"), days);
    expect_counts(json_object_get(r, "now"), now, sizeof now / sizeof now[0], "now");
    json_t *p = json_object_get(r, "period");
    expect_counts(p, period, sizeof period / sizeof period[0], "period");
    double rate = json_number_value(json_object_get(p, "answer_rate"));
    assert_true(rate > 0.332 && rate < 0.334);

    json_t *rt = json_object_get(json_object_get(r, "response_time"), "period");
    assert_int_equal(inum(rt, "count"), 1);
    json_int_t median = inum(rt, "median"), p90 = inum(rt, "p90");
    if (median < 0 || median > 60 || p90 < median || p90 > 60)
        fail_msg("response time median %lld, p90 %lld: want 0 <= median <= p90 <= 60",
                 (long long)median, (long long)p90);
    assert_int_equal(inum(json_object_get(json_object_get(r, "response_time"), "7d"), "count"), 1);
    expect_unanswered(w, json_object_get(r, "unanswered"));

    json_t *top = json_object_get(r, "top_contributors");
    assert_int_equal(json_array_size(top), 3);
    static const struct want ana[] = {{"answered", 1}, {"posts", 1}, {"replies", 0}};
    static const struct want cat[] = {{"answered", 0}, {"posts", 2}, {"replies", 0}};
    static const struct want bob[] = {{"answered", 0}, {"posts", 0}, {"replies", 1}};
    assert_string_equal(istr(json_array_get(top, 0), "actor"), w->ana.id);
    expect_counts(json_array_get(top, 0), ana, 3, "top_contributors[0]");
    assert_string_equal(istr(json_array_get(top, 1), "actor"), w->cat.id);
    expect_counts(json_array_get(top, 1), cat, 3, "top_contributors[1]");
    assert_string_equal(istr(json_array_get(top, 2), "actor"), w->bob.id);
    expect_counts(json_array_get(top, 2), bob, 3, "top_contributors[2]");

    json_t *hosts = json_object_get(r, "members_by_server"); /* cat left: its server is gone */
    assert_int_equal(inum(r, "servers"), 2);
    assert_int_equal(json_array_size(hosts), 2);
    assert_string_equal(istr(json_array_get(hosts, 0), "host"), w->ana.host);
    assert_int_equal(inum(json_array_get(hosts, 0), "members"), 1);
    assert_string_equal(istr(json_array_get(hosts, 1), "host"), w->bob.host);
    assert_int_equal(inum(json_array_get(hosts, 1), "members"), 1);

    json_t *daily = json_object_get(r, "daily");
    assert_int_equal(json_array_size(daily), days);
    json_t *today = json_array_get(daily, (size_t)days - 1);
    assert_string_equal(istr(today, "date"), istr(r, "to"));
    if (!one_day(w))
        return;
    static const struct want day[] = {{"members_gained", 3}, {"members_lost", 1}, {"posts", 3},
                                      {"replies", 1},        {"likes", 1},        {"answered", 1},
                                      {"questions", 1},      {"posters", 2},      {"repliers", 1},
                                      {"members", 2}};
    expect_counts(today, day, sizeof day / sizeof day[0], "today");
    assert_int_equal(inum(json_object_get(today, "response"), "count"), 1);
    if (days > 1) { /* the day before: nothing yet */
        json_t *before = json_array_get(daily, (size_t)days - 2);
        assert_int_equal(inum(before, "posts"), 0);
        assert_int_equal(inum(before, "members"), 0);
    }
}

/* ---- the CLI ---------------------------------------------------------------------------- */

/* Column `name` of a CSV header line, or -1. */
static int csv_column(const char *header_line, const char *name)
{
    int col = 0;
    size_t n = strlen(name);
    for (const char *p = header_line; *p; col++) {
        size_t len = strcspn(p, ",\n");
        if (len == n && !strncmp(p, name, n))
            return col;
        if (p[len] != ',')
            break;
        p += len + 1;
    }
    return -1;
}

/* Field `col` of a CSV line, as a number (fails if absent). */
static long long csv_field(const char *line, int col)
{
    const char *p = line;
    for (int i = 0; i < col; i++) {
        p = strchr(p, ',');
        if (!p)
            fail_msg("no column %d in '%s'", col, line);
        p++;
    }
    return strtoll(p, NULL, 10);
}

static void test_cli_report(void **state)
{
    struct world *w = *state;
    json_t *r = cli_json(w, HDRS("stats", "town", "--days", "7", "--json"));
    expect_report(w, r, 7);
    json_decref(r);
    r = cli_json(w, HDRS("stats", "town", "--json")); /* 30 days by default */
    expect_report(w, r, 30);
    json_decref(r);
    w->passed++;
}

static void test_cli_forms(void **state)
{
    struct world *w = *state;
    struct gm_h_run run;
    CLI(w, 0, &run, "stats", "town", "--days", "3", "--csv");
    char *lines[8] = {NULL};
    size_t n = 0;
    for (char *save = NULL, *l = strtok_r(run.out, "\n", &save); l && n < 8;
         l = strtok_r(NULL, "\n", &save))
        lines[n++] = l;
    assert_int_equal(n, 4); /* the header and three days */
    assert_int_equal(strncmp(lines[0], "date,members_gained,members_lost,", 33), 0);
    assert_non_null(strstr(lines[0], ",response_count,response_median_s,response_p90_s"));
    int posts = csv_column(lines[0], "posts"), replies = csv_column(lines[0], "replies");
    int count = csv_column(lines[0], "response_count");
    assert_true(posts > 0 && replies > 0 && count > 0);
    char today[16];
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(today, sizeof today, "%Y-%m-%d", &tm);
    if (one_day(w)) {
        assert_int_equal(strncmp(lines[3], today, 10), 0);
        assert_int_equal(csv_field(lines[3], posts), 3);
        assert_int_equal(csv_field(lines[3], replies), 1);
        assert_int_equal(csv_field(lines[3], count), 1);
        assert_int_equal(csv_field(lines[2], posts), 0);
    }
    gm_h_run_clear(&run);

    CLI(w, 0, &run, "stats", "town");
    assert_non_null(strstr(run.out, "3 posts, 1 replies, 1 likes"));
    assert_non_null(strstr(run.out, "2 now; +3 joined, -1 left"));
    gm_h_run_clear(&run);
    CLI(w, 0, &run, "stats", "town", "--digest");
    assert_non_null(strstr(run.out, "Activity: 3 posts, 1 replies, 1 likes, 3 active members"));
    assert_non_null(strstr(run.out, "Waiting for an answer (2, oldest first)"));
    assert_non_null(strstr(run.out, w->plain_url));
    gm_h_run_clear(&run);

    /* refused: exit 2 and a message naming the problem */
    static const char *const bad_days[] = {"0", "x", "3651", "-1", "7d"};
    for (size_t i = 0; i < sizeof bad_days / sizeof bad_days[0]; i++) {
        CLI(w, 2, &run, "stats", "town", "--days", bad_days[i], "--json");
        if (!strstr(run.err, "--days") || run.out[0])
            fail_msg("--days %s: stderr '%s', stdout '%s'", bad_days[i], run.err, run.out);
        gm_h_run_clear(&run);
    }
    CLI(w, 2, &run, "stats", "town", "--bogus");
    assert_non_null(strstr(run.err, "usage"));
    gm_h_run_clear(&run);
    CLI(w, -2, &run, "stats", "nope", "--json");
    assert_non_null(strstr(run.err, "nope"));
    assert_string_equal(run.out, "");
    gm_h_run_clear(&run);
    w->passed++;
}

/* ---- the admin API ---------------------------------------------------------------------- */

static void test_api(void **state)
{
    struct world *w = *state;
    static const char *const same[] = {
        "now", "period", "top_contributors", "members_by_server", "servers", "daily", "from",
        "to",  "days"};
    json_t *cli = NULL, *api = NULL;
    for (int tries = 0; tries < 2; tries++) { /* again if UTC midnight fell between the two */
        json_decref(cli);
        json_decref(api);
        cli = cli_json(w, HDRS("stats", "town", "--days", "7", "--json"));
        api = api_json(w, "/api/v1/communities/town/stats?days=7");
        if (!strcmp(istr(cli, "to"), istr(api, "to")))
            break;
    }
    expect_report(w, api, 7);
    for (size_t i = 0; i < sizeof same / sizeof same[0]; i++) {
        if (json_equal(json_object_get(cli, same[i]), json_object_get(api, same[i])))
            continue;
        char *a = json_dumps(json_object_get(cli, same[i]), JSON_COMPACT);
        char *b = json_dumps(json_object_get(api, same[i]), JSON_COMPACT);
        fail_msg("'%s' differs:\n CLI %s\n API %s", same[i], a, b);
    }
    json_t *rc = json_object_get(json_object_get(cli, "response_time"), "period");
    json_t *ra = json_object_get(json_object_get(api, "response_time"), "period");
    assert_true(json_equal(rc, ra));
    json_decref(cli);
    json_decref(api);

    api = api_json(w, "/api/v1/communities/town/stats?days=7&daily=0&unanswered=1");
    assert_null(json_object_get(api, "daily"));
    json_t *un = json_object_get(api, "unanswered");
    assert_int_equal(inum(un, "total"), 2);
    assert_int_equal(json_array_size(json_object_get(un, "posts")), 1);
    assert_string_equal(istr(json_array_get(json_object_get(un, "posts"), 0), "id"), w->plain_id);
    json_decref(api);
    api = api_json(w, "/api/v1/communities/town/stats?unanswered_minutes=600");
    un = json_object_get(api, "unanswered");
    assert_int_equal(inum(un, "older_than"), 36000);
    assert_int_equal(inum(un, "total"), 0);
    assert_int_equal(inum(json_object_get(api, "period"), "unanswered"), 2); /* not listed */
    json_decref(api);

    assert_int_equal(status_of(&w->d, "GET", "/api/v1/communities/town/stats", NULL, NULL), 401);
    assert_int_equal(status_of(&w->d, "GET", "/api/v1/communities/town/stats",
                               HDRS("Authorization: Bearer not-the-token-at-all-0123456"), NULL),
                     401);
    static const char *const bad[] = {"days=0", "days=x", "days=3651", "daily=2", "unanswered=-1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char path[120];
        snprintf(path, sizeof path, "/api/v1/communities/town/stats?%s", bad[i]);
        long status = status_of(&w->d, "GET", path, HDRS(AUTH), NULL);
        if (status != 400)
            fail_msg("GET %s: status %ld, want 400", path, status);
    }
    assert_int_equal(status_of(&w->d, "GET", "/api/v1/communities/nope/stats", HDRS(AUTH), NULL),
                     404);
    w->passed++;
}

int main(int argc, char **argv)
{
    binary = gm_h_binary(argc, argv);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (stats_keys_new() != 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_traffic),
        cmocka_unit_test(test_cli_report),
        cmocka_unit_test(test_cli_forms),
        cmocka_unit_test(test_api),
    };
    int failed = cmocka_run_group_tests(tests, group_setup, group_teardown);
    stats_keys_free();
    curl_global_cleanup();
    return failed;
}
