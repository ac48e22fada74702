/* SPDX-License-Identifier: Apache-2.0
 * test_relay_crash.c - a fan-out to 200 destination servers survives SIGKILL in its middle.
 * The destinations are 200 libmicrohttpd daemons in this process on 127.0.0.2, one port each
 * (a distinct host:port, so a distinct destination for the node), one polling thread each;
 * each counts the Announces it receives by activity id, and most answer after 300 ms so the
 * kill lands mid-fan-out. 200 members (one per server; member 0 is the poster, whose actor
 * document server 0 serves) are written into the store before the daemon starts. The poster's
 * Note is relayed; once KILL_AT servers have the Announce the daemon is SIGKILLed and started
 * again on the same data. Jobs in flight at the kill are leased for 300 s, so the queue is made
 * due now from the test process before the restart. Every server must then get the Announce
 * (at least once: duplicates are counted and reported, not failed). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "fake_peer.h"
#include "gemeinde/members.h"
#include "gemeinde/remote.h"
#include "gemeinde/store.h"
#include "harness.h"

#define N_DEST 200
#define KILL_AT 80          /* kill once this many servers have the Announce (1 <= it < 200) */
#define SLOW_MS 300         /* most servers answer after this; every 4th at once */
#define FIRST_WAIT_MS 30000 /* until KILL_AT servers have it */
#define AFTER_WAIT_MS 60000 /* after the restart, until all have it */
#define MAX_BODY (256 * 1024)

static const char *binary;
static struct gm_fp_key poster_k;

/* One destination server. */
struct dest {
    struct MHD_Daemon *mhd;
    unsigned index;
    unsigned delay_ms;
    char origin[64]; /* http://127.0.0.2:PORT */
    char actor[128], inbox_path[64];
};

/* What all servers received, under mu. */
static struct {
    pthread_mutex_t mu;
    char announce_id[512]; /* the first Announce id seen */
    unsigned got[N_DEST];  /* Announces with that id, per server */
    unsigned others;       /* Announces with another id, anywhere */
    unsigned with;         /* servers with got >= 1 */
} seen = {.mu = PTHREAD_MUTEX_INITIALIZER};

static char *poster_doc; /* actor document of member 0 */

struct body {
    char *data;
    size_t len;
};

static void msleep(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void count_announce(const struct dest *d, const struct body *b)
{
    json_t *doc = b->data ? json_loadb(b->data, b->len, 0, NULL) : NULL;
    const char *type = json_string_value(json_object_get(doc, "type"));
    const char *id = json_string_value(json_object_get(doc, "id"));
    if (type && id && !strcmp(type, "Announce")) {
        pthread_mutex_lock(&seen.mu);
        if (!seen.announce_id[0])
            snprintf(seen.announce_id, sizeof seen.announce_id, "%s", id);
        if (!strcmp(seen.announce_id, id)) {
            if (seen.got[d->index]++ == 0)
                seen.with++;
        } else {
            seen.others++;
        }
        pthread_mutex_unlock(&seen.mu);
    }
    json_decref(doc);
}

static enum MHD_Result answer(struct MHD_Connection *conn, unsigned status, const char *type,
                              const char *text)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, "Content-Type", type);
    enum MHD_Result ret = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
    struct dest *d = cls;
    struct body *b = *con_cls;
    (void)version;
    if (!b) {
        if (!(b = calloc(1, sizeof *b)))
            return MHD_NO;
        *con_cls = b;
        return MHD_YES;
    }
    if (*upload_size) {
        size_t n = *upload_size;
        char *grown = b->len + n <= MAX_BODY ? realloc(b->data, b->len + n + 1) : NULL;
        if (grown) {
            memcpy(grown + b->len, upload, n);
            b->data = grown;
            b->len += n;
        }
        *upload_size = 0;
        return MHD_YES;
    }
    if (!strcmp(method, "POST") && !strcmp(url, d->inbox_path)) {
        count_announce(d, b);
        if (d->delay_ms)
            msleep(d->delay_ms); /* blocks this server only: one destination, one thread */
        return answer(conn, 202, "application/json", "{}");
    }
    if (!strcmp(method, "GET") && d->index == 0 && !strcmp(url, "/users/m0"))
        return answer(conn, 200, GM_FP_AP_TYPE, poster_doc);
    return answer(conn, 404, "application/json", "{\"error\":\"not found\"}");
}

static void request_done(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode code)
{
    struct body *b = *con_cls;
    (void)cls, (void)conn, (void)code;
    if (b) {
        free(b->data);
        free(b);
    }
    *con_cls = NULL;
}

static int dest_start(struct dest *d, unsigned index)
{
    struct sockaddr_in sa = {.sin_family = AF_INET};
    socklen_t len = sizeof sa;
    int s = -1, one = 1;
    memset(d, 0, sizeof *d);
    d->index = index;
    d->delay_ms = index % 4 ? SLOW_MS : 0;
    inet_pton(AF_INET, "127.0.0.2", &sa.sin_addr);
    if ((s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
        setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        bind(s, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(s, 64) != 0 ||
        getsockname(s, (struct sockaddr *)&sa, &len) != 0) {
        fprintf(stderr, "relay_crash: cannot listen on 127.0.0.2: %s\n", strerror(errno));
        if (s >= 0)
            close(s);
        return -1;
    }
    snprintf(d->origin, sizeof d->origin, "http://127.0.0.2:%u", (unsigned)ntohs(sa.sin_port));
    snprintf(d->actor, sizeof d->actor, "%s/users/m%u", d->origin, index);
    snprintf(d->inbox_path, sizeof d->inbox_path, "/users/m%u/inbox", index);
    d->mhd =
        MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL, 0, NULL, NULL, on_request,
                         d, MHD_OPTION_LISTEN_SOCKET, s, MHD_OPTION_NOTIFY_COMPLETED, request_done,
                         NULL, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30, MHD_OPTION_END);
    if (!d->mhd) {
        fprintf(stderr, "relay_crash: cannot start server %u\n", index);
        close(s);
        return -1;
    }
    return 0;
}

/* The world: node folder, daemon, servers. */
struct world {
    struct gm_h_env env;
    struct gm_h_daemon d;
    struct dest dests[N_DEST];
    size_t n_dests;
};

/* Members 0..N_DEST-1 with their personal inboxes, written while the daemon is stopped. */
static int seed_members(struct world *w)
{
    struct gm_store *st = NULL;
    struct gm_txn *txn = NULL;
    char err[256] = "", inbox[200], follow_id[200];
    int64_t now = (int64_t)time(NULL);
    gm_err e = gm_store_open(w->env.data_dir, 1024, &st, err, sizeof err);
    if (e == GM_OK)
        e = gm_txn_begin(st, true, &txn);
    for (size_t i = 0; e == GM_OK && i < w->n_dests; i++) {
        const struct dest *d = &w->dests[i];
        snprintf(inbox, sizeof inbox, "%s%s", d->origin, d->inbox_path);
        snprintf(follow_id, sizeof follow_id, "%s/follows/1", d->actor);
        struct gm_remote_actor a = {.id = (char *)d->actor, .inbox = inbox, .fetched_at = now};
        struct gm_member m = {
            .actor = (char *)d->actor, .inbox = inbox, .follow_id = follow_id, .since = now};
        e = gm_remote_actor_put(txn, &a);
        if (e == GM_OK)
            e = gm_member_put(txn, "town", &m);
    }
    if (e == GM_OK) {
        e = gm_txn_commit(txn);
        txn = NULL;
    }
    gm_txn_abort(txn);
    gm_store_close(st);
    if (e != GM_OK)
        fprintf(stderr, "relay_crash: seeding failed: %s %s\n", gm_strerror(e), err);
    return e == GM_OK ? 0 : -1;
}

static int teardown(void **state)
{
    struct world *w = *state;
    int rc = 0;
    if (w->d.pid)
        rc = gm_h_serve_stop(&w->d, SIGTERM) == 0 ? 0 : -1;
    for (size_t i = 0; i < w->n_dests; i++)
        MHD_stop_daemon(w->dests[i].mhd);
    gm_h_env_clear(&w->env);
    free(poster_doc);
    poster_doc = NULL;
    free(w);
    return rc;
}

static int setup(void **state)
{
    struct world *w = calloc(1, sizeof *w);
    struct gm_h_run run;
    char key_id[200];
    if (!w)
        return -1;
    *state = w;
    if (gm_h_env_init(&w->env, binary,
                      "allow_http_fetch = true\nallow_private_addresses = true\nthreads = 4\n") !=
        0)
        goto fail;
    int rc = gm_h_cli(&w->env, &run, "community", "create", "town", NULL);
    gm_h_run_clear(&run);
    if (rc != 0)
        goto fail;
    for (; w->n_dests < N_DEST; w->n_dests++)
        if (dest_start(&w->dests[w->n_dests], (unsigned)w->n_dests) != 0)
            goto fail;
    snprintf(key_id, sizeof key_id, "%s#main-key", w->dests[0].actor);
    if (!(poster_doc = gm_fp_actor_json(w->dests[0].actor, key_id, poster_k.pem)) ||
        seed_members(w) != 0 || gm_h_serve_start(&w->env, &w->d) != 0)
        goto fail;
    return 0;
fail:
    fprintf(stderr, "relay_crash: setup failed\n");
    teardown(state);
    return -1;
}

static unsigned servers_with(unsigned *total, unsigned *others)
{
    pthread_mutex_lock(&seen.mu);
    unsigned n = seen.with, sum = 0;
    for (size_t i = 0; i < N_DEST; i++)
        sum += seen.got[i];
    if (total)
        *total = sum;
    if (others)
        *others = seen.others;
    pthread_mutex_unlock(&seen.mu);
    return n;
}

/* Wait until `n` servers have the Announce; the time it took, or -1 on timeout. */
static double wait_servers(unsigned n, int timeout_ms)
{
    double start = now_s();
    while (servers_with(NULL, NULL) < n) {
        if ((now_s() - start) * 1000 > timeout_ms)
            return -1;
        msleep(2);
    }
    return now_s() - start;
}

static char *create_note(const struct world *w)
{
    char community[200], id[300], note[300];
    snprintf(community, sizeof community, "%s/c/town", w->d.base_url);
    snprintf(id, sizeof id, "%s/activities/crash", w->dests[0].actor);
    snprintf(note, sizeof note, "%s/notes/crash", w->dests[0].actor);
    json_t *doc =
        json_pack("{s:s, s:s, s:s, s:s, s:[s], s:[s], s:{s:s, s:s, s:s, s:s, s:[s], s:[s]}}",
                  "@context", "https://www.w3.org/ns/activitystreams", "id", id, "type", "Create",
                  "actor", w->dests[0].actor, "to", GM_FP_PUBLIC, "cc", community, "object", "id",
                  note, "type", "Note", "attributedTo", w->dests[0].actor, "content", "to all 200",
                  "to", GM_FP_PUBLIC, "cc", community);
    char *s = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    return s;
}

static void test_sigkill_mid_fanout(void **state)
{
    struct world *w = *state;
    char key_id[200];
    snprintf(key_id, sizeof key_id, "%s#main-key", w->dests[0].actor);
    struct gm_fp_sig s = {.key_id = key_id, .key = poster_k.key};
    char *body = create_note(w), *answer = NULL;
    assert_non_null(body);
    double t0 = now_s();
    long status = gm_fp_post(&w->d, "/c/town/inbox", body, &s, &answer);
    if (status != 202 || !answer || !strstr(answer, "accepted"))
        fail_msg("the post: status %ld, answer %s", status, answer ? answer : "(none)");
    free(answer);
    free(body);

    if (wait_servers(KILL_AT, FIRST_WAIT_MS) < 0)
        fail_msg("only %u servers had the Announce after %d ms", servers_with(NULL, NULL),
                 FIRST_WAIT_MS);
    assert_int_equal(gm_h_serve_stop(&w->d, SIGKILL), 128 + SIGKILL);
    double t_kill = now_s();
    msleep(SLOW_MS + 100); /* requests that arrived before the kill are counted */
    unsigned at_kill = servers_with(NULL, NULL);
    if (at_kill < 1 || at_kill >= N_DEST)
        fail_msg("the kill did not land mid-fan-out: %u of %d servers had it", at_kill, N_DEST);
    long queued = gm_fp_queue_peek(w->env.data_dir, NULL, NULL, NULL);
    assert_true(queued > 0);
    long moved = gm_fp_queue_due_now(w->env.data_dir); /* leases of the dead daemon */
    assert_int_equal(moved, queued);

    double t_restart = now_s();
    assert_int_equal(gm_h_serve_start(&w->env, &w->d), 0);
    double took = wait_servers(N_DEST, AFTER_WAIT_MS);
    if (took < 0)
        fail_msg("after the restart only %u of %d servers had the Announce within %d ms",
                 servers_with(NULL, NULL), N_DEST, AFTER_WAIT_MS);
    double t_all = now_s();
    long left = -1;
    for (int waited = 0; waited < 10000 && left != 0; waited += 50) {
        left = gm_fp_queue_peek(w->env.data_dir, NULL, NULL, NULL);
        if (left != 0)
            msleep(50);
    }
    assert_int_equal(left, 0);
    msleep(500);
    unsigned total = 0, others = 0, with = servers_with(&total, &others), acked = 0;
    assert_int_equal(with, N_DEST);
    assert_int_equal(others, 0);
    pthread_mutex_lock(&seen.mu);
    for (size_t i = 0; i < N_DEST; i++)
        if (!w->dests[i].delay_ms && seen.got[i] > 1)
            acked += seen.got[i] - 1;
    pthread_mutex_unlock(&seen.mu);
    printf("relay crash: %d servers; SIGKILL %.2f s after the post with %u/%d delivered and "
           "%ld jobs queued; restart; all %d had it %.2f s after the restart (%.2f s after the "
           "post, %.2f s from kill to restart); %u Announces received, %u duplicates, %u of "
           "them to servers that had answered 202 at once\n",
           N_DEST, t_kill - t0, at_kill, N_DEST, queued, N_DEST, t_all - t_restart, t_all - t0,
           t_restart - t_kill, total, total - N_DEST, acked);
    fflush(stdout);
}

int main(int argc, char **argv)
{
    binary = gm_h_binary(argc, argv);
    signal(SIGPIPE, SIG_IGN);
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max; /* 200 servers and their connections; the daemon inherits */
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (gm_fp_key_rsa(&poster_k) != 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_sigkill_mid_fanout, setup, teardown),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    gm_fp_key_clear(&poster_k);
    curl_global_cleanup();
    return failed;
}
