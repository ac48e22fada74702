/* SPDX-License-Identifier: Apache-2.0
 * test_stats_report.c - the report of stats_report.h over real traffic: activities applied
 * through the rules (gm_rules_apply) and moderator calls at explicit times over three UTC
 * days, and the report, its CSV and its text compared with figures worked out by hand below.
 * Then what a held post (counted when approved), a banned member (not counted) and bad
 * queries do to the figures.
 *
 * Community "demo", open; days 1..3 = 2023-11-15..17 UTC (D = 1700006400 is the midnight
 * starting day 1). Times are day hh:mm.
 *   1 08:00-08:04  ana, bob (masto.example), cat (lemmy.example), dan (misskey.example), eve
 *                  (masto.example) follow
 *   1 09:00  P1 ana  Note "Is the ferry running today?"          question
 *   1 09:10  bob replies to P1                                    P1 answered after 600 s
 *   1 10:00  P2 cat  Lemmy Page name "How do I join the choir?"   question
 *   1 11:00  ana replies to P2                                    P2 answered after 3600 s
 *   1 12:00  P3 dan  Note "Photos from the market"                never answered
 *   1 13:00  P4 eve  Note "old bike for sale"; 15:00 eve deletes it (closed, day 1)
 *   1 14:00, 14:05  bob, cat like P1;   16:00 eve leaves (Undo Follow)
 *   2 08:00  P5 bob  Question "Meetup day"                        question (by type)
 *   2 09:00  R5 bob replies to his own P5 (not an answer)
 *   2 10:00  cat replies to R5: answers the thread P5, 7200 s after P5
 *   2 11:00  P6 dan  Note "Where can I park near the hall?"      question
 *   2 12:00  ana reports P3 (Flag)
 *   2 13:00  join=approval; 13:00 fox (lemmy.example), 13:30 gus (misskey.example) ask to join
 *   2 15:00  ana likes P5;   16:00 P7 ana Note "Thanks everyone ..." (removed on day 3)
 *   2 20:00  P9 dan  Note "see https://maps.example/?q=hall"      not a question (URL)
 *   3 08:00  a moderator approves fox (mod action)
 *   3 09:00  ana replies to P6: answered after 79200 s, counted on P6's day (2)
 *   3 10:00  a moderator removes P7 (mod action; closed on day 2, leaves the list)
 *   3 10:30  the report is resolved (mod action; 81000 s after it was opened)
 *   3 11:00  bob replies to a post the community never relayed (a reply; answers nothing)
 *   3 11:30  P8 cat  Lemmy Page "Choir practice moved to 7pm", url .../post/8
 *   3 11:45  dan likes P8 (counted); 11:50 gus (not a member) likes P8 (not counted)
 * Report at 3 12:00.
 *
 *  day| gain lost req| posts repl posters repliers likes| rep+ rep- mod| answ q closed| mem pend
 *  1  |  5    1    0 |   4    2     4       2       2   |  0    0    0 |  2   2   1   |  4   0
 *  2  |  0    0    2 |   4    2     3       2       1   |  1    0    0 |  2   2   1   |  4   2
 *  3  |  1    0    0 |   1    2     1       2       1   |  0    1    3 |  0   0   0   |  5   1
 *  Response samples by the post's day: 1 {600, 3600} -> median 2100, p90 600+0.9*3000 = 3300;
 *  2 {7200, 79200} -> 43200, 7200+0.9*72000 = 72000; 3 none.
 *  3 days: {600, 3600, 7200, 79200}: median rank 1.5 -> 3600+0.5*3600 = 5400; p90 rank 2.7 ->
 *  7200+0.7*72000 = 57600. Unanswered = 9 posts - 4 answered - 2 closed = 3; answer rate
 *  4/9 = 0.444; members 0 -> 5. Report resolution {81000}.
 *  Contributors (posts/replies/answered; all time): bob 1/3/2 (P5 and R5 answered), ana 2/2/1,
 *  cat 2/1/1, dan 3/0/1, eve 1/0/0 -> order by answered, then posts+replies, then actor:
 *  bob, ana, cat, dan, eve. Active over 3 days: 5 posted, 3 replied (ana, bob, cat), 5 in all;
 *  over day 3 only: cat posted; ana and bob replied -> 1, 2, 3.
 *  Members by server: lemmy.example 2 (cat, fox), masto.example 2, misskey.example 1.
 *  Unanswered at least 60 min (3 days): P3 (waiting 172800 s), P9 (57600 s); P8 (1800 s) is too
 *  recent. Day 3 with unanswered_minutes=20: P8 only. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "gemeinde/blocks.h"
#include "gemeinde/buf.h"
#include "gemeinde/community_blocks.h"
#include "gemeinde/members.h"
#include "gemeinde/membership.h"
#include "gemeinde/post_policy.h"
#include "gemeinde/removal.h"
#include "gemeinde/reports.h"
#include "gemeinde/stats_report.h"
#include "gemeinde/stats_store.h"
#include "mod_util.h"
#include "test_util.h"

#define D 1700006400 /* 2023-11-15T00:00:00Z */
#define AT(d, h, m) ((int64_t)D + ((d)-1) * 86400LL + (h)*3600LL + (m)*60LL)
#define DAY1 19676u

#define ANA "https://masto.example/users/ana"
#define BOB "https://masto.example/users/bob"
#define EVE "https://masto.example/users/eve"
#define CAT "https://lemmy.example/u/cat"
#define FOX "https://lemmy.example/u/fox"
#define DAN "https://misskey.example/users/dan"
#define GUS "https://misskey.example/users/gus"
#define NOTE(a, t) a "/notes/" t
#define MODERATOR "cli:mod"

static int setup(void **state)
{
    struct tu_store *f = tu_store_open(1);
    tu_add_community(f->txn, "demo");
    static const char *const actors[] = {ANA, BOB, EVE, CAT, FOX, DAN, GUS};
    for (size_t i = 0; i < TU_ARRAY_LEN(actors); i++)
        mu_actor(f->txn, actors[i], NULL, 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    tu_store_close(*state);
    return 0;
}

/* Apply `doc` (stolen) by `actor` at `t`, expecting `queued` deliveries or fan-outs. */
static void send(struct tu_store *f, const char *actor, int64_t t, json_t *doc, int queued)
{
    char what[700];
    snprintf(what, sizeof what, "%s %s", tu_jstr(doc, "type"), tu_jstr(doc, "id"));
    int got = mu_apply(f->txn, actor, t, doc);
    if (got != queued)
        fail_msg("%s by %s: %d queued, want %d", what, actor, got, queued);
}

static void follow(struct tu_store *f, const char *actor, int64_t t, int queued)
{
    send(f, actor, t, mu_follow(actor, "1"), queued);
}

static void post(struct tu_store *f, const char *actor, const char *tag, int64_t t,
                 const char *extra)
{
    send(f, actor, t, mu_post(actor, tag, extra), 1);
}

static void reply(struct tu_store *f, const char *actor, const char *tag, int64_t t,
                  const char *parent)
{
    char extra[300];
    snprintf(extra, sizeof extra, "\"inReplyTo\":\"%s\"", parent);
    post(f, actor, tag, t, extra);
}

static void simple(struct tu_store *f, const char *type, const char *actor, const char *tag,
                   int64_t t, const char *object, int queued)
{
    char id[300];
    snprintf(id, sizeof id, "%s/%s/%s", actor, type, tag);
    send(
        f, actor, t,
        json_pack("{s:s, s:s, s:s, s:s}", "id", id, "type", type, "actor", actor, "object", object),
        queued);
}

static struct gm_rules_ctx at_ctx(int64_t t)
{
    return mu_ctx(NULL, t);
}

static size_t unanswered_total(struct tu_store *f)
{
    json_t *page = NULL;
    size_t total = 0;
    assert_int_equal(gm_stats_unanswered_page(f->txn, "demo", 0, INT64_MAX, 0, &page, &total),
                     GM_OK);
    json_decref(page);
    return total;
}

static void build_fixture(struct tu_store *f)
{
    static const char *const joiners[] = {ANA, BOB, CAT, DAN, EVE};
    for (int i = 0; i < 5; i++)
        follow(f, joiners[i], AT(1, 8, i), 1);
    post(f, ANA, "p1", AT(1, 9, 0), "\"content\":\"<p>Is the ferry running today?</p>\"");
    reply(f, BOB, "r1", AT(1, 9, 10), NOTE(ANA, "p1"));
    post(f, CAT, "p2", AT(1, 10, 0),
         "\"type\":\"Page\",\"name\":\"How do I join the choir?\",\"content\":\"<p>I sing "
         "bass.</p>\",\"url\":\"https://lemmy.example/post/2\"");
    reply(f, ANA, "r2", AT(1, 11, 0), NOTE(CAT, "p2"));
    post(f, DAN, "p3", AT(1, 12, 0), "\"content\":\"<p>Photos from the market</p>\"");
    post(f, EVE, "p4", AT(1, 13, 0), "\"content\":\"<p>old bike for sale</p>\"");
    simple(f, "Like", BOB, "1", AT(1, 14, 0), NOTE(ANA, "p1"), 1);
    simple(f, "Like", CAT, "1", AT(1, 14, 5), NOTE(ANA, "p1"), 1);
    simple(f, "Delete", EVE, "1", AT(1, 15, 0), NOTE(EVE, "p4"), 1);
    send(f, EVE, AT(1, 16, 0),
         json_pack("{s:s, s:s, s:s, s:o}", "id", EVE "/undo/1", "type", "Undo", "actor", EVE,
                   "object", mu_follow(EVE, "1")),
         0);

    post(f, BOB, "p5", AT(2, 8, 0),
         "\"type\":\"Question\",\"name\":\"Meetup day\",\"content\":\"<p>vote below</p>\","
         "\"oneOf\":[{\"type\":\"Note\",\"name\":\"Fri\"},{\"type\":\"Note\",\"name\":\"Sat\"}]");
    reply(f, BOB, "r5", AT(2, 9, 0), NOTE(BOB, "p5"));
    reply(f, CAT, "r5b", AT(2, 10, 0), NOTE(BOB, "r5"));
    post(f, DAN, "p6", AT(2, 11, 0), "\"content\":\"<p>Where can I park near the hall?</p>\"");
    send(f, ANA, AT(2, 12, 0),
         json_pack("{s:s, s:s, s:s, s:s, s:s, s:[s]}", "id", ANA "/flag/1", "type", "Flag", "actor",
                   ANA, "object", NOTE(DAN, "p3"), "summary", "not for here", "to", MU_DEMO),
         0);
    mu_set(f->txn, "demo", "join", "approval");
    follow(f, FOX, AT(2, 13, 0), 0);
    follow(f, GUS, AT(2, 13, 30), 0);
    simple(f, "Like", ANA, "2", AT(2, 15, 0), NOTE(BOB, "p5"), 1);
    post(f, ANA, "p7", AT(2, 16, 0), "\"content\":\"<p>Thanks everyone for the market day</p>\"");
    post(f, DAN, "p9", AT(2, 20, 0), "\"content\":\"<p>see https://maps.example/?q=hall</p>\"");

    struct gm_rules_ctx ctx = at_ctx(AT(3, 8, 0));
    assert_int_equal(gm_membership_approve(f->txn, &ctx, "demo", FOX, MODERATOR), GM_OK);
    reply(f, ANA, "r6", AT(3, 9, 0), NOTE(DAN, "p6"));
    assert_int_equal(unanswered_total(f), 3); /* P3, P7, P9 */
    ctx = at_ctx(AT(3, 10, 0));
    assert_int_equal(gm_post_remove(f->txn, &ctx, "demo", NOTE(ANA, "p7"), MODERATOR, "off topic"),
                     GM_OK);
    assert_int_equal(unanswered_total(f), 2); /* P7 left the list */
    ctx = at_ctx(AT(3, 10, 30));
    assert_int_equal(gm_report_resolve(f->txn, &ctx, "demo", 1, MODERATOR, "talked to dan"), GM_OK);
    reply(f, BOB, "r9", AT(3, 11, 0), "https://elsewhere.example/notes/77");
    post(f, CAT, "p8", AT(3, 11, 30),
         "\"type\":\"Page\",\"name\":\"Choir practice moved to 7pm\",\"content\":\"<p>Room "
         "2 this week.</p>\",\"url\":\"https://lemmy.example/post/8\"");
    simple(f, "Like", DAN, "3", AT(3, 11, 45), NOTE(CAT, "p8"), 1);
    simple(f, "Like", GUS, "3", AT(3, 11, 50), NOTE(CAT, "p8"), 0);
}

/* ---- the report of the fixture ---------------------------------------------------------- */

/* JSON written with ' for " (readable in C), parsed. New reference. */
static json_t *jq(const char *text)
{
    char *s = strdup(text);
    assert_non_null(s);
    for (char *p = s; *p; p++)
        if (*p == '\'')
            *p = '"';
    json_error_t err;
    json_t *doc = json_loads(s, 0, &err);
    if (!doc)
        fail_msg("bad expected JSON (%s at %d): %s", err.text, err.position, s);
    free(s);
    return doc;
}

/* `got` equals `want` (stolen). */
static void assert_json(json_t *got, json_t *want)
{
    if (!json_equal(got, want)) {
        char *g = json_dumps(got, JSON_SORT_KEYS | JSON_INDENT(1));
        char *w = json_dumps(want, JSON_SORT_KEYS | JSON_INDENT(1));
        fprintf(stderr, "got:\n%s\nwant:\n%s\n", g, w);
        free(g);
        free(w);
        json_decref(want);
        fail_msg("report differs");
    }
    json_decref(want);
}

/* clang-format off */
/* The hand-computed table of the header, in the order of enum gm_stat. */
static const json_int_t want_days[3][GM_STAT_COUNT] = {
    /* gain lost req posts repl posters repliers likes rep+ rep- mod answ q closed mem pend */
    {5, 1, 0, 4, 2, 4, 2, 2, 0, 0, 0, 2, 2, 1, 4, 0},
    {0, 0, 2, 4, 2, 3, 2, 1, 1, 0, 0, 2, 2, 1, 4, 2},
    {1, 0, 0, 1, 2, 1, 2, 1, 0, 1, 3, 0, 0, 0, 5, 1},
};
static const char *const want_response[3] = {
    "{'count':2,'median':2100,'p90':3300}",
    "{'count':2,'median':43200,'p90':72000}",
    "{'count':0,'median':null,'p90':null}",
};

/* Daily entries of days first..3 from the table. New reference. */
static json_t *want_daily(int first)
{
    static const char *const dates[] = {"2023-11-15", "2023-11-16", "2023-11-17"};
    json_t *days = json_array();
    for (int d = first - 1; d < 3; d++) {
        json_t *e = json_pack("{s:s, s:o}", "date", dates[d], "response", jq(want_response[d]));
        for (int s = 0; s < GM_STAT_COUNT; s++)
            json_object_set_new(e, gm_stat_name(s), json_integer(want_days[d][s]));
        json_array_append_new(days, e);
    }
    return days;
}

#define WHO(a, p, r, n) "{'actor':'" a "','posts':" #p ",'replies':" #r ",'answered':" #n "}"
#define SERVERS                                                                                \
    "'members_by_server':[{'host':'lemmy.example','members':2},{'host':'masto.example',"       \
    "'members':2},{'host':'misskey.example','members':1}],'servers':3"
#define NOW "'now':{'members':5,'pending':1,'held':0,'open_reports':0}"
#define ALL_RESPONSES "{'count':4,'median':5400,'p90':57600}"
#define RESOLUTION "'report_resolution':{'count':1,'median':81000,'p90':81000}"

static const char *const want_3days =
    "{'community':'demo','generated_at':'2023-11-17T12:00:00Z','days':3,'from':'2023-11-15',"
    "'to':'2023-11-17'," NOW ","
    "'period':{'members_gained':6,'members_lost':1,'requests':2,'posts':9,'replies':6,"
    "'likes':4,'reports_opened':1,'reports_resolved':1,'mod_actions':3,'answered':4,"
    "'questions':4,'closed':2,'unanswered':3,'members_start':0,'members_end':5,"
    "'answer_rate':0.444,'active_posters':5,'active_repliers':3,'active_members':5},"
    "'response_time':{'period':" ALL_RESPONSES ",'7d':" ALL_RESPONSES ",'30d':" ALL_RESPONSES
    "}," RESOLUTION ","
    "'top_contributors':[" WHO(BOB, 1, 3, 2) "," WHO(ANA, 2, 2, 1) "," WHO(CAT, 2, 1, 1) ","
    WHO(DAN, 3, 0, 1) "," WHO(EVE, 1, 0, 0) "]," SERVERS ","
    "'unanswered':{'older_than':3600,'total':2,'posts':["
    "{'id':'" NOTE(DAN, "p3") "','url':'" NOTE(DAN, "p3") "','author':'" DAN "',"
    "'title':'Photos from the market','question':false,'at':1700049600,'waiting':172800},"
    "{'id':'" NOTE(DAN, "p9") "','url':'" NOTE(DAN, "p9") "','author':'" DAN "',"
    "'title':'see https://maps.example/?q=hall','question':false,'at':1700164800,"
    "'waiting':57600}]}}";

static const char *const want_1day =
    "{'community':'demo','generated_at':'2023-11-17T12:00:00Z','days':1,'from':'2023-11-17',"
    "'to':'2023-11-17'," NOW ","
    "'period':{'members_gained':1,'members_lost':0,'requests':0,'posts':1,'replies':2,"
    "'likes':1,'reports_opened':0,'reports_resolved':1,'mod_actions':3,'answered':0,"
    "'questions':0,'closed':0,'unanswered':1,'members_start':4,'members_end':5,"
    "'answer_rate':0.0,'active_posters':1,'active_repliers':2,'active_members':3},"
    "'response_time':{'period':{'count':0,'median':null,'p90':null},'7d':" ALL_RESPONSES
    ",'30d':" ALL_RESPONSES "}," RESOLUTION ","
    "'top_contributors':[" WHO(BOB, 1, 3, 2) "," WHO(ANA, 2, 2, 1) "]," SERVERS ","
    "'unanswered':{'older_than':1200,'total':1,'posts':["
    "{'id':'" NOTE(CAT, "p8") "','url':'https://lemmy.example/post/8','author':'" CAT "',"
    "'title':'Choir practice moved to 7pm','question':false,'at':1700220600,'waiting':1800}]}}";

/* clang-format on */

static json_t *report(struct tu_store *f, unsigned days, int64_t age, size_t umax, size_t top)
{
    struct gm_stats_query q = {.community = "demo",
                               .now = AT(3, 12, 0),
                               .days = days,
                               .unanswered_age = age,
                               .unanswered_max = umax,
                               .top_max = top,
                               .daily = 1};
    json_t *r = NULL;
    assert_int_equal(gm_stats_report(f->txn, &q, &r), GM_OK);
    return r;
}

static void fixture_three_days(void **state)
{
    struct tu_store *f = *state;
    build_fixture(f);
    assert_int_equal(AT(1, 12, 0), 1700049600); /* the times written in want_3days */
    assert_int_equal(AT(2, 20, 0), 1700164800);
    json_t *r = report(f, 3, 3600, 10, 10);
    json_t *want = jq(want_3days);
    json_object_set_new(want, "daily", want_daily(1));
    assert_json(r, want);
    json_decref(r);
    /* fewer listed, the same total; fewer contributors */
    r = report(f, 3, 3600, 1, 3);
    json_t *un = json_object_get(r, "unanswered");
    assert_int_equal(json_integer_value(json_object_get(un, "total")), 2);
    assert_int_equal(json_array_size(json_object_get(un, "posts")), 1);
    assert_string_equal(tu_jstr(json_array_get(json_object_get(un, "posts"), 0), "id"),
                        NOTE(DAN, "p3"));
    want = jq("[" WHO(BOB, 1, 3, 2) "," WHO(ANA, 2, 2, 1) "," WHO(CAT, 2, 1, 1) "]");
    assert_json(json_object_get(r, "top_contributors"), want);
    json_decref(r);
    /* with no age limit P8 is listed too */
    r = report(f, 3, 0, 10, 0);
    un = json_object_get(r, "unanswered");
    assert_int_equal(json_integer_value(json_object_get(un, "total")), 3);
    assert_string_equal(tu_jstr(json_array_get(json_object_get(un, "posts"), 2), "id"),
                        NOTE(CAT, "p8"));
    assert_int_equal(json_array_size(json_object_get(r, "top_contributors")), 0);
    json_decref(r);
}

static void fixture_one_day(void **state)
{
    struct tu_store *f = *state;
    build_fixture(f);
    assert_int_equal(AT(3, 11, 30), 1700220600);
    mu_set(f->txn, "demo", "unanswered_minutes", "20");
    json_t *r = report(f, 1, -1, 10, 2);
    json_t *want = jq(want_1day);
    json_object_set_new(want, "daily", want_daily(3));
    assert_json(r, want);
    json_decref(r);
}

/* clang-format off */
static const char *const want_csv =
    "date,members_gained,members_lost,requests,posts,replies,posters,repliers,likes,"
    "reports_opened,reports_resolved,mod_actions,answered,questions,closed,members,pending,"
    "response_count,response_median_s,response_p90_s\n"
    "2023-11-15,5,1,0,4,2,4,2,2,0,0,0,2,2,1,4,0,2,2100,3300\n"
    "2023-11-16,0,0,2,4,2,3,2,1,1,0,0,2,2,1,4,2,2,43200,72000\n"
    "2023-11-17,1,0,0,1,2,1,2,1,0,1,3,0,0,0,5,1,0,,\n";

static const char *const want_text =
    "demo: last 3 days (2023-11-15 to 2023-11-17, UTC)\n"
    "\n"
    "Members      5 now; +6 joined, -1 left; 1 requests waiting\n"
    "Activity     9 posts, 6 replies, 4 likes; 5 active members (5 posted, 3 replied)\n"
    "Answers      4 of 9 posts answered (44%), 4 questions; 3 waiting\n"
    "Response     first answer: median 1h 30m, 90% within 16h 00m (4 posts)\n"
    "             last 7 days 1h 30m / 16h 00m, last 30 days 1h 30m / 16h 00m\n"
    "Reports      1 opened, 1 resolved (median 22h 30m); 0 open now\n"
    "Moderation   3 actions; 0 posts held for review\n"
    "Servers      3: lemmy.example 2, masto.example 2, misskey.example 1\n"
    "\n"
    "Top contributors (posts and replies others answered)\n"
    "   1. " BOB "  2 answered, 1 posts, 3 replies\n"
    "   2. " ANA "  1 answered, 2 posts, 2 replies\n"
    "\n"
    "Unanswered for more than 1h 00m: 2 (oldest first)\n"
    "  2d 0h      Photos from the market\n"
    "           " NOTE(DAN, "p3") "\n"
    "  16h 00m    see https://maps.example/?q=hall\n"
    "           " NOTE(DAN, "p9") "\n";

/* clang-format on */

static void fixture_csv_and_text(void **state)
{
    struct tu_store *f = *state;
    build_fixture(f);
    json_t *r = report(f, 3, 3600, 10, 2);
    struct gm_buf b;
    char *out = NULL;
    size_t len = 0;
    gm_buf_init(&b, 1 << 16);
    gm_stats_format_csv(r, &b);
    assert_int_equal(gm_buf_take(&b, &out, &len), GM_OK);
    assert_string_equal(out, want_csv);
    free(out);
    gm_buf_init(&b, 1 << 16);
    gm_stats_format_text(r, &b);
    assert_int_equal(gm_buf_take(&b, &out, &len), GM_OK);
    assert_string_equal(out, want_text);
    free(out);
    json_decref(r);
}

/* ---- held, banned, bad queries ---------------------------------------------------------- */

/* The counters of day `d` (1..3) that are not 0, as "name=value ...". */
static void figures(struct tu_store *f, int d, char *out, size_t size)
{
    uint64_t c[GM_STAT_COUNT];
    size_t len = 0;
    assert_int_equal(
        gm_stats_range(f->txn, "demo", DAY1 + (uint32_t)d - 1, DAY1 + (uint32_t)d - 1, c), GM_OK);
    out[0] = '\0';
    for (int s = 0; s < GM_STAT_COUNT; s++)
        if (c[s])
            len += (size_t)snprintf(out + len, size - len, "%s%s=%llu", len ? " " : "",
                                    gm_stat_name(s), (unsigned long long)c[s]);
}

static void expect_day(struct tu_store *f, int d, const char *want)
{
    char got[400];
    figures(f, d, got, sizeof got);
    if (strcmp(got, want) != 0)
        fail_msg("day %d: [%s], want [%s]", d, got, want);
}

/* A held post counts when a moderator approves it, at that time: its day, its list entry and
 * the response time from the approval. */
static void held_counts_on_approval(void **state)
{
    struct tu_store *f = *state;
    follow(f, ANA, AT(1, 8, 0), 1);
    follow(f, BOB, AT(1, 8, 1), 1);
    mu_set(f->txn, "demo", "premoderation", "yes");
    send(f, ANA, AT(1, 10, 0), mu_post(ANA, "p1", "\"content\":\"<p>Bake sale?</p>\""), 0);
    expect_day(f, 1, "members_gained=2 members=2");
    assert_int_equal(unanswered_total(f), 0);
    struct gm_rules_ctx ctx = at_ctx(AT(2, 9, 0));
    assert_int_equal(gm_held_approve(f->txn, &ctx, "demo", NOTE(ANA, "p1"), MODERATOR), GM_OK);
    mu_set(f->txn, "demo", "premoderation", "no");
    reply(f, BOB, "r1", AT(2, 9, 30), NOTE(ANA, "p1"));
    expect_day(f, 1, "members_gained=2 members=2");
    expect_day(f, 2,
               "posts=1 replies=1 posters=1 repliers=1 mod_actions=1 answered=1 "
               "questions=1 members=2");
    uint32_t *vals = NULL;
    size_t n = 0;
    assert_int_equal(gm_stats_samples(f->txn, "demo", 'r', DAY1, DAY1 + 2, &vals, &n, NULL), GM_OK);
    assert_int_equal(n, 1);
    assert_int_equal(vals[0], 1800);
    free(vals);
    struct gm_stats_obj o = {0};
    assert_int_equal(gm_stats_obj_get(f->txn, "demo", NOTE(ANA, "p1"), &o), GM_OK);
    assert_int_equal(o.at, AT(2, 9, 0));
    assert_int_equal(o.flags, GM_STATS_OBJ_TOP | GM_STATS_OBJ_QUESTION | GM_STATS_OBJ_ANSWERED);
    gm_stats_obj_clear(&o);
    /* a held post rejected never counts */
    mu_set(f->txn, "demo", "premoderation", "yes");
    send(f, ANA, AT(2, 11, 0), mu_post(ANA, "p2", ""), 0);
    ctx = at_ctx(AT(2, 12, 0));
    assert_int_equal(gm_held_reject(f->txn, &ctx, "demo", NOTE(ANA, "p2"), MODERATOR, "no"), GM_OK);
    expect_day(f, 2,
               "posts=1 replies=1 posters=1 repliers=1 mod_actions=2 answered=1 "
               "questions=1 members=2");
}

/* A banned account's posts, replies and likes are not counted and answer nothing. Moderators'
 * removals count at their own time, not at that of the last activity applied. */
static void banned_not_counted(void **state)
{
    struct tu_store *f = *state;
    follow(f, ANA, AT(1, 8, 0), 1);
    follow(f, BOB, AT(1, 8, 1), 1);
    follow(f, CAT, AT(1, 8, 2), 1);
    post(f, ANA, "p1", AT(1, 9, 0), "");
    struct gm_rules_ctx ctx = at_ctx(AT(2, 8, 0));
    assert_int_equal(gm_membership_ban(f->txn, &ctx, "demo", BOB, 0, MODERATOR, "spam"), GM_OK);
    send(f, BOB, AT(2, 10, 0), mu_post(BOB, "r1", "\"inReplyTo\":\"" NOTE(ANA, "p1") "\""), 0);
    send(f, BOB, AT(2, 10, 5), mu_post(BOB, "p2", ""), 0);
    simple(f, "Like", BOB, "1", AT(2, 10, 10), NOTE(ANA, "p1"), 0);
    expect_day(f, 1, "members_gained=3 posts=1 posters=1 members=3");
    expect_day(f, 2, "members_lost=1 mod_actions=1 members=2");
    assert_int_equal(unanswered_total(f), 1);
    struct gm_stats_who w;
    assert_int_equal(gm_stats_who_get(f->txn, "demo", BOB, &w), GM_ENOTFOUND);
    /* the control: a member's answer counts */
    reply(f, CAT, "r2", AT(2, 11, 0), NOTE(ANA, "p1"));
    expect_day(f, 1, "members_gained=3 posts=1 posters=1 answered=1 members=3");
    expect_day(f, 2, "members_lost=1 replies=1 repliers=1 mod_actions=1 members=2");
    assert_int_equal(unanswered_total(f), 0);
    /* the community suspends cat's server on day 3 */
    struct gm_block b = {.domain = "lemmy.example", .severity = GM_BLOCK_SUSPEND};
    size_t removed = 0;
    ctx = at_ctx(AT(3, 9, 0));
    assert_int_equal(gm_cblock_add(f->txn, &ctx, "demo", &b, MODERATOR, &removed), GM_OK);
    assert_int_equal(removed, 1);
    expect_day(f, 2, "members_lost=1 replies=1 repliers=1 mod_actions=1 members=2");
    expect_day(f, 3, "members_lost=1 mod_actions=1 members=1");
}

static void durations(void **state)
{
    (void)state;
    static const struct {
        int64_t s;
        const char *want;
    } cases[] = {{-1, "-"},         {0, "0s"},        {59, "59s"},      {60, "1m 00s"},
                 {3599, "59m 59s"}, {3600, "1h 00m"}, {7500, "2h 05m"}, {86399, "23h 59m"},
                 {86400, "1d 0h"},  {273600, "3d 4h"}};
    char buf[32];
    for (size_t i = 0; i < TU_ARRAY_LEN(cases); i++)
        assert_string_equal(gm_stats_duration(cases[i].s, buf, sizeof buf), cases[i].want);
}

static void bad_queries(void **state)
{
    struct tu_store *f = *state;
    json_t *r = (json_t *)1;
    static const struct {
        const char *community;
        unsigned days;
        int64_t now;
        gm_err want;
    } cases[] = {
        {"demo", 0, AT(3, 12, 0), GM_EINVAL},
        {"demo", GM_STATS_DAYS_MAX + 1, AT(3, 12, 0), GM_EINVAL},
        {"demo", GM_STATS_DAYS_MAX, AT(3, 12, 0), GM_OK},
        {"demo", 3, 33 * 86400 - 1, GM_EINVAL}, /* the samples' 30 days before 1970 */
        {"demo", 3, 33 * 86400, GM_OK},
        {NULL, 3, AT(3, 12, 0), GM_EINVAL},
        {"nope", 3, AT(3, 12, 0), GM_ENOTFOUND},
    };
    for (size_t i = 0; i < TU_ARRAY_LEN(cases); i++) {
        struct gm_stats_query q = {.community = cases[i].community,
                                   .now = cases[i].now,
                                   .days = cases[i].days,
                                   .unanswered_max = 5,
                                   .top_max = 5};
        gm_err e = gm_stats_report(f->txn, &q, &r);
        if (e != cases[i].want)
            fail_msg("case %zu: %s, want %s", i, gm_strerror(e), gm_strerror(cases[i].want));
        if (e == GM_OK) {
            assert_int_equal(json_integer_value(json_object_get(r, "days")), cases[i].days);
            json_decref(r);
        }
    }
    /* an empty community: zeros, no medians, nobody */
    struct gm_stats_query q = {.community = "demo",
                               .now = AT(3, 12, 0),
                               .days = 2,
                               .unanswered_age = -1,
                               .unanswered_max = 5,
                               .top_max = 5};
    assert_int_equal(gm_stats_report(f->txn, &q, &r), GM_OK);
    assert_null(json_object_get(r, "daily"));
    assert_json(json_object_get(r, "response_time"),
                jq("{'period':{'count':0,'median':null,'p90':null},'7d':{'count':0,'median':"
                   "null,'p90':null},'30d':{'count':0,'median':null,'p90':null}}"));
    assert_json(json_object_get(r, "unanswered"), jq("{'older_than':3600,'total':0,'posts':[]}"));
    assert_true(json_is_null(json_object_get(json_object_get(r, "period"), "answer_rate")));
    json_decref(r);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(fixture_three_days),       T(fixture_one_day),    T(fixture_csv_and_text),
        T(held_counts_on_approval),  T(banned_not_counted), T(bad_queries),
        cmocka_unit_test(durations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
