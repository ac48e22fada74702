/* SPDX-License-Identifier: Apache-2.0
 * test_delivery.c - the delivery worker against a real HTTP server on 127.0.0.2: a signed POST
 * that verifies with the community's key; double-knocking (an inbox that accepts only RFC 9421
 * gets a draft-cavage POST, answers 401, and the retry with RFC 9421 succeeds and is remembered
 * for the host); 500 twice then 202 (retried, delivered once); 410 (dropped, never again);
 * a host that stays down is marked failing. Retries are made due at once by re-leasing the job,
 * so the test does not wait for the real backoff. */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <microhttpd.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <cmocka.h>

#include "gemeinde/app.h"
#include "gemeinde/blocks.h"
#include "gemeinde/community.h"
#include "gemeinde/delivery.h"
#include "gemeinde/hosts.h"
#include "gemeinde/httpsig.h"
#include "gemeinde/keygen.h"
#include "gemeinde/queue.h"
#include "test_util.h"

struct server {
    struct MHD_Daemon *daemon;
    unsigned port;
    pthread_mutex_t mu;
    int hits_9421_only, hits_flaky, hits_gone, hits_fast, slow_answered, verified;
    EVP_PKEY *pub; /* the community's public key */
};

static const char *hdr(void *ctx, const char *name)
{
    return MHD_lookup_connection_value(ctx, MHD_HEADER_KIND, name);
}

static enum MHD_Result on_req(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *data,
                              size_t *size, void **state)
{
    struct server *s = cls;
    if (!*state) {
        *state = (void *)1;
        return MHD_YES;
    }
    if (*size) {
        *size = 0;
        return MHD_YES;
    }
    unsigned status = 202;
    char target[256];
    snprintf(target, sizeof target, "%s", url);
    struct gm_httpsig_msg msg = {.method = method, .target = target, .scheme = "http",
                                 .get_header = hdr, .ctx = c};
    struct gm_httpsig *sig = NULL;
    int ok = gm_httpsig_parse(&msg, NULL, &sig) == GM_OK &&
             gm_httpsig_verify(sig, s->pub, NULL) == GM_OK;
    int is9421 = sig && gm_httpsig_scheme(sig) == GM_HTTPSIG_RFC9421;
    gm_httpsig_free(sig);
    pthread_mutex_lock(&s->mu);
    s->verified += ok;
    if (!strcmp(url, "/only9421")) {
        s->hits_9421_only++;
        status = is9421 && ok ? 202 : 401;
    } else if (!strcmp(url, "/flaky")) {
        status = ++s->hits_flaky <= 2 ? 500 : 202;
    } else if (!strcmp(url, "/gone")) {
        s->hits_gone++;
        status = 410;
    } else if (!strcmp(url, "/fast")) {
        s->hits_fast++;
    }
    pthread_mutex_unlock(&s->mu);
    if (!strcmp(url, "/slow")) { /* a destination that takes its time (thread per connection) */
        nanosleep(&(struct timespec){3, 0}, NULL);
        pthread_mutex_lock(&s->mu);
        s->slow_answered = 1;
        pthread_mutex_unlock(&s->mu);
    }
    struct MHD_Response *r = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

struct fixture {
    char dir[TU_PATH_MAX];
    struct gm_store *st;
    struct gm_config cfg;
    struct gm_app app;
    struct server srv;
    struct gm_delivery *d;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    char *priv = NULL, *pub = NULL;
    tu_mkdtemp(f->dir);
    assert_int_equal(gm_store_open(f->dir, 64, &f->st, NULL, 0), GM_OK);
    assert_int_equal(gm_config_init(&f->cfg), GM_OK);
    f->cfg.allow_private_addresses = true;
    f->cfg.allow_http_fetch = true;
    assert_int_equal(gm_app_init(&f->app, &f->cfg, f->st, "https://groups.example"), GM_OK);
    assert_int_equal(gm_keygen_rsa(2048, &priv, &pub), GM_OK);
    struct gm_community *c;
    struct gm_txn *txn;
    assert_int_equal(gm_community_new("demo", &c), GM_OK);
    c->public_key_pem = pub;
    assert_int_equal(gm_txn_begin(f->st, true, &txn), GM_OK);
    assert_int_equal(gm_community_create(txn, c, priv), GM_OK);
    assert_int_equal(gm_txn_commit(txn), GM_OK);
    assert_int_equal(gm_httpsig_load_public_pem(pub, strlen(pub), &f->srv.pub), GM_OK);
    gm_community_free(c);
    gm_keygen_wipe_free(priv);

    struct sockaddr_in sa = {.sin_family = AF_INET};
    inet_pton(AF_INET, "127.0.0.2", &sa.sin_addr);
    pthread_mutex_init(&f->srv.mu, NULL);
    f->srv.daemon = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD,
                                     0, NULL, NULL, on_req,
                                     &f->srv, MHD_OPTION_SOCK_ADDR, &sa, MHD_OPTION_END);
    assert_non_null(f->srv.daemon);
    f->srv.port = MHD_get_daemon_info(f->srv.daemon, MHD_DAEMON_INFO_BIND_PORT)->port;
    assert_int_equal(gm_delivery_start(&f->app, &f->d), GM_OK);
    f->app.delivery = f->d;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    gm_delivery_stop(f->d);
    MHD_stop_daemon(f->srv.daemon);
    EVP_PKEY_free(f->srv.pub);
    pthread_mutex_destroy(&f->srv.mu);
    gm_app_clear(&f->app);
    gm_config_clear(&f->cfg);
    gm_store_close(f->st);
    assert_int_equal(tu_rmrf(f->dir), 0);
    free(f);
    return 0;
}

static void push(struct fixture *f, const char *path)
{
    char inbox[128];
    struct gm_txn *txn;
    snprintf(inbox, sizeof inbox, "http://127.0.0.2:%u%s", f->srv.port, path);
    assert_int_equal(gm_txn_begin(f->st, true, &txn), GM_OK);
    assert_int_equal(gm_queue_push(txn, "demo", inbox, "{\"type\":\"Accept\"}", time(NULL)),
                     GM_OK);
    assert_int_equal(gm_txn_commit(txn), GM_OK);
    gm_delivery_kick(f->d);
}

/* Make every queued job due now (as if its backoff had passed); returns the queue length. */
static size_t fast_forward(struct fixture *f)
{
    struct gm_txn *txn;
    struct gm_job **jobs;
    size_t n, count;
    int64_t next;
    int64_t now = time(NULL);
    assert_int_equal(gm_txn_begin(f->st, true, &txn), GM_OK);
    assert_int_equal(gm_queue_take_due(txn, now + 30 * 86400, now, 1000, &jobs, &n), GM_OK);
    assert_int_equal(gm_queue_stat(txn, &count, &next), GM_OK);
    assert_int_equal(gm_txn_commit(txn), GM_OK);
    gm_jobs_free(jobs, n);
    gm_delivery_kick(f->d);
    return count;
}

static size_t queue_len(struct fixture *f)
{
    struct gm_txn *txn;
    size_t count;
    int64_t next;
    assert_int_equal(gm_txn_begin(f->st, false, &txn), GM_OK);
    assert_int_equal(gm_queue_stat(txn, &count, &next), GM_OK);
    gm_txn_abort(txn);
    return count;
}

/* Wait (at most 10 s) until `cond` holds. */
#define WAIT_UNTIL(cond)                                                                       \
    do {                                                                                       \
        for (int i_ = 0; i_ < 200 && !(cond); i_++)                                            \
            nanosleep(&(struct timespec){0, 50000000}, NULL);                               \
        assert_true(cond);                                                                     \
    } while (0)

static int hits(struct fixture *f, int *field)
{
    pthread_mutex_lock(&f->srv.mu);
    int v = *field;
    pthread_mutex_unlock(&f->srv.mu);
    return v;
}

static void double_knock(void **state)
{
    struct fixture *f = *state;
    push(f, "/only9421");
    WAIT_UNTIL(queue_len(f) == 0);
    assert_int_equal(hits(f, &f->srv.hits_9421_only), 2); /* cavage 401, then RFC 9421 202 */
    assert_int_equal(hits(f, &f->srv.verified), 2);       /* both signatures verify */
    struct gm_txn *txn;
    struct gm_host h;
    char host[64];
    snprintf(host, sizeof host, "127.0.0.2:%u", f->srv.port);
    assert_int_equal(gm_txn_begin(f->st, false, &txn), GM_OK);
    assert_int_equal(gm_host_get(txn, host, &h), GM_OK);
    gm_txn_abort(txn);
    assert_int_equal(h.scheme, GM_SIG_RFC9421);
    /* the next delivery to that host starts with RFC 9421: one request */
    push(f, "/only9421");
    WAIT_UNTIL(queue_len(f) == 0);
    assert_int_equal(hits(f, &f->srv.hits_9421_only), 3);
}

static int host_failing(struct fixture *f, const char *host)
{
    struct gm_txn *txn;
    struct gm_host h = {0};
    if (gm_txn_begin(f->st, false, &txn) != GM_OK)
        return 0;
    int ok = gm_host_get(txn, host, &h) == GM_OK && h.failing_since > 0;
    gm_txn_abort(txn);
    return ok;
}

static void retry_then_success_and_gone(void **state)
{
    struct fixture *f = *state;
    push(f, "/flaky");
    push(f, "/gone");
    WAIT_UNTIL(hits(f, &f->srv.hits_flaky) == 1 && hits(f, &f->srv.hits_gone) == 1);
    WAIT_UNTIL(queue_len(f) == 1); /* 410 dropped; the 500 waits for its retry */
    assert_int_equal(fast_forward(f), 1);
    WAIT_UNTIL(hits(f, &f->srv.hits_flaky) == 2);
    WAIT_UNTIL(queue_len(f) == 1);
    /* after a 500 the host is marked failing (outcomes are recorded in batches: wait) */
    struct gm_txn *txn;
    struct gm_host h;
    char host[64];
    snprintf(host, sizeof host, "127.0.0.2:%u", f->srv.port);
    WAIT_UNTIL(host_failing(f, host));
    fast_forward(f);
    WAIT_UNTIL(queue_len(f) == 0);
    assert_int_equal(hits(f, &f->srv.hits_flaky), 3);
    assert_int_equal(hits(f, &f->srv.hits_gone), 1);
    assert_int_equal(gm_txn_begin(f->st, false, &txn), GM_OK);
    assert_int_equal(gm_host_get(txn, host, &h), GM_OK);
    gm_txn_abort(txn);
    assert_int_equal(h.failing_since, 0); /* it answered 202: healthy again */
}

static void unavailable_host_is_skipped(void **state)
{
    struct fixture *f = *state;
    struct gm_txn *txn;
    char host[64];
    int64_t now = time(NULL);
    snprintf(host, sizeof host, "127.0.0.2:%u", f->srv.port);
    struct gm_host h = {.scheme = GM_SIG_CAVAGE,
                        .failing_since = now - GM_HOST_UNAVAILABLE_AFTER - 10,
                        .last_probe = now - 60};
    assert_int_equal(gm_txn_begin(f->st, true, &txn), GM_OK);
    assert_int_equal(gm_host_put(txn, host, &h), GM_OK);
    assert_int_equal(gm_txn_commit(txn), GM_OK);
    push(f, "/gone");
    WAIT_UNTIL(queue_len(f) == 0); /* dropped without a request */
    assert_int_equal(hits(f, &f->srv.hits_gone), 0);
    /* once it speaks to us, it is reachable again */
    assert_int_equal(gm_txn_begin(f->st, true, &txn), GM_OK);
    assert_int_equal(gm_host_heard_from(txn, host), GM_OK);
    assert_int_equal(gm_txn_commit(txn), GM_OK);
    push(f, "/gone");
    WAIT_UNTIL(hits(f, &f->srv.hits_gone) == 1);
}

/* One slow destination does not hold up the others: their outcomes are recorded while it is
 * still answering (the queue drops to the slow job alone). */
static void slow_destination_blocks_nobody(void **state)
{
    struct fixture *f = *state;
    push(f, "/slow");
    for (int i = 0; i < 20; i++)
        push(f, "/fast");
    WAIT_UNTIL(hits(f, &f->srv.hits_fast) == 20 && queue_len(f) == 1);
    assert_int_equal(hits(f, &f->srv.slow_answered), 0); /* recorded while it still works */
    WAIT_UNTIL(queue_len(f) == 0);
}

/* A destination on a blocked domain: dropped without a request (queued before the block). */
static void blocked_destination_never_contacted(void **state)
{
    struct fixture *f = *state;
    struct gm_txn *txn;
    assert_int_equal(gm_txn_begin(f->st, true, &txn), GM_OK);
    assert_int_equal(gm_block_put(txn, "127.0.0.2", "test"), GM_OK);
    assert_int_equal(gm_txn_commit(txn), GM_OK);
    push(f, "/gone");
    WAIT_UNTIL(queue_len(f) == 0);
    assert_int_equal(hits(f, &f->srv.hits_gone), 0);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(double_knock, setup, teardown),
        cmocka_unit_test_setup_teardown(retry_then_success_and_gone, setup, teardown),
        cmocka_unit_test_setup_teardown(unavailable_host_is_skipped, setup, teardown),
        cmocka_unit_test_setup_teardown(slow_destination_blocks_nobody, setup, teardown),
        cmocka_unit_test_setup_teardown(blocked_destination_never_contacted, setup, teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
