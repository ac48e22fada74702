/* SPDX-License-Identifier: Apache-2.0
 * bench_inbox.c - inbox throughput of the real daemon. A temporary node with one community
 * and a key cache pre-seeded with ACTORS remote actors (so no key is fetched); N unique Create
 * activities pre-signed (draft-cavage, RSA-2048: signing is the sender's cost and is not timed)
 * and posted by bu_drive (bench_util.h) over C keep-alive HTTP/1.1 connections on loopback, C
 * requests always in flight. Reported: accepted activities/s, latency percentiles (add to done),
 * errors, connections opened, CPU used by client, daemon and anything else on the machine, the
 * daemon's peak RSS, LMDB write transactions (= fsyncs) and data size; then, after a clean stop,
 * the stored count is checked against the accepted count. In the same run, for scale: a bare
 * libmicrohttpd handler (same thread pool, same "queue on a later callback" pattern, body read,
 * 202) driven by the same client and requests, and `openssl speed rsa2048`. Loopback only; bounded
 * by a global alarm.
 *
 *   bench_inbox GEMEINDE_BINARY [--requests N] [--connections C] [--threads T]
 *
 * Exit status: 0 when the run completed and every accepted activity was found stored (targets
 * are reported, not enforced), 1 otherwise, 2 on a usage error. */
#define _XOPEN_SOURCE 700 /* nftw, in bench_util.h */
#include <curl/curl.h>
#include <microhttpd.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include "gemeinde/activity_store.h"
#include "gemeinde/digest.h"
#include "gemeinde/http_server.h"
#include "gemeinde/httpsig.h"
#include "gemeinde/keygen.h"
#include "gemeinde/remote.h"
#include "gemeinde/store.h"

#define ACTORS 8
#define ORIGIN "http://127.0.0.2:1" /* the remote actors' origin: never contacted */
#define COMMUNITY "bench"
#define TARGET "/c/" COMMUNITY "/inbox"
#define ALARM_S 300
#define MAP_SIZE_MB 1024 /* the daemon's default map_size_mb */
#define BARE_RUNS 3      /* the bare handler's run is short and noisy: report the median of 3 */
#define PUBLIC "https://www.w3.org/ns/activitystreams#Public"

struct opts {
    const char *binary;
    size_t requests;
    unsigned conns, threads;
};

struct actor {
    char id[128], key_id[160];
    char *public_pem;
    EVP_PKEY *key;
};

/* The node: bench_util.h's, with this benchmark's thread count. */
static int node_init(struct bu_node *n, const struct opts *o)
{
    char extra[64];
    snprintf(extra, sizeof extra, "threads = %u\n", o->threads);
    if (bu_node_init(n, extra) != 0)
        return -1;
    bu_alarm_describe("bench_inbox", ALARM_S, n->dir);
    return 0;
}

static int node_start(struct bu_node *n, const char *binary)
{
    int rc = bu_node_start(n, binary);
    bu_alarm_daemon = n->pid;
    return rc;
}

static int node_stop(struct bu_node *n)
{
    int rc = bu_node_stop(n);
    bu_alarm_daemon = 0;
    return rc;
}


/* ---- remote actors: keys in the cache, requests signed with them ------------------------- */

static int actors_make(struct actor *a)
{
    for (int i = 0; i < ACTORS; i++) {
        char *priv = NULL;
        snprintf(a[i].id, sizeof a[i].id, ORIGIN "/users/a%d", i);
        snprintf(a[i].key_id, sizeof a[i].key_id, ORIGIN "/users/a%d#main-key", i);
        if (gm_keygen_rsa(2048, &priv, &a[i].public_pem) != GM_OK ||
            gm_httpsig_load_private_pem(priv, strlen(priv), &a[i].key) != GM_OK) {
            gm_keygen_wipe_free(priv);
            fprintf(stderr, "bench_inbox: cannot make the actors' keys\n");
            return -1;
        }
        gm_keygen_wipe_free(priv);
    }
    return 0;
}

static void actors_free(struct actor *a)
{
    for (int i = 0; i < ACTORS; i++) {
        free(a[i].public_pem);
        EVP_PKEY_free(a[i].key);
    }
}

/* Put every actor's key in the node's key cache (before the daemon runs). */
static int seed_keys(const struct bu_node *n, const struct actor *a)
{
    struct gm_store *st = NULL;
    struct gm_txn *txn = NULL;
    char err[512] = "";
    gm_err e = gm_store_open(n->data_dir, MAP_SIZE_MB, &st, err, sizeof err);
    if (e == GM_OK)
        e = gm_txn_begin(st, true, &txn);
    for (int i = 0; e == GM_OK && i < ACTORS; i++) {
        struct gm_remote_key k = {.key_id = (char *)a[i].key_id,
                                  .owner = (char *)a[i].id,
                                  .pem = a[i].public_pem,
                                  .fetched_at = (int64_t)time(NULL)};
        e = gm_remote_key_put(txn, &k);
    }
    if (e == GM_OK)
        e = gm_txn_commit(txn);
    else
        gm_txn_abort(txn);
    gm_store_close(st);
    if (e != GM_OK)
        fprintf(stderr, "bench_inbox: seeding the key cache: %s %s\n", gm_strerror(e), err);
    return e == GM_OK ? 0 : -1;
}

struct sign_job {
    struct bu_req *reqs;
    size_t from, to, step;
    const struct actor *actors;
    const char *host, *base, *run;
    int failed;
};

static int add_header(struct curl_slist **list, const char *name, const char *value)
{
    char line[GM_HTTPSIG_MAX_HEADER + 64];
    snprintf(line, sizeof line, "%s: %s", name, value);
    struct curl_slist *grown = curl_slist_append(*list, line);
    if (!grown)
        return -1;
    *list = grown;
    return 0;
}

static int sign_one(const struct sign_job *j, size_t i, struct bu_req *r)
{
    static const char *const covered[] = {"(request-target)", "host", "date", "digest"};
    const struct actor *a = &j->actors[i % ACTORS];
    char body[2048], date[64];
    int len = snprintf(
        body, sizeof body,
        "{\"@context\":\"https://www.w3.org/ns/activitystreams\",\"id\":\"" ORIGIN
        "/activities/%s-%zu\",\"type\":\"Create\",\"actor\":\"%s\",\"to\":[\"" PUBLIC
        "\"],\"cc\":[\"%s/c/" COMMUNITY "\"],\"object\":{\"id\":\"" ORIGIN
        "/notes/%s-%zu\",\"type\":\"Note\",\"attributedTo\":\"%s\",\"content\":\"hello %zu\","
        "\"to\":[\"" PUBLIC "\"],\"cc\":[\"%s/c/" COMMUNITY "\"]}}",
        j->run, i, a->id, j->base, j->run, i, a->id, i, j->base);
    time_t now = time(NULL);
    struct tm tm;
    strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", gmtime_r(&now, &tm));
    char *digest = NULL, *sig = NULL;
    int rc = -1;
    if (len <= 0 || (size_t)len >= sizeof body ||
        gm_digest_format_legacy(body, (size_t)len, &digest) != GM_OK)
        goto out;
    struct bu_sign_view view = {j->host, date, digest};
    struct gm_httpsig_msg msg = {.method = "POST",
                                 .target = TARGET,
                                 .authority = j->host,
                                 .scheme = "http",
                                 .get_header = bu_view_header,
                                 .ctx = &view};
    if (gm_httpsig_sign_cavage(&msg, covered, 4, a->key_id, a->key, &sig) != GM_OK)
        goto out;
    if (!(r->body = strdup(body)))
        goto out;
    r->len = (size_t)len;
    if (add_header(&r->hdrs, "Host", j->host) || add_header(&r->hdrs, "Date", date) ||
        add_header(&r->hdrs, "Digest", digest) || add_header(&r->hdrs, "Signature", sig) ||
        add_header(&r->hdrs, "Content-Type", "application/activity+json") ||
        add_header(&r->hdrs, "Accept", "application/json") ||
        !(r->hdrs = curl_slist_append(r->hdrs, "Expect:")))
        goto out;
    rc = 0;
out:
    free(digest);
    free(sig);
    return rc;
}

static void *sign_worker(void *arg)
{
    struct sign_job *j = arg;
    for (size_t i = j->from; i < j->to && !j->failed; i += j->step)
        if (sign_one(j, i, &j->reqs[i]) != 0)
            j->failed = 1;
    return NULL;
}

/* Sign n requests for the node at `port`, on as many threads as there are CPUs. */
static int sign_all(struct bu_req *reqs, size_t n, const struct actor *actors, unsigned port)
{
    char host[64], base[96], run[32];
    snprintf(host, sizeof host, "127.0.0.1:%u", port);
    snprintf(base, sizeof base, "http://%s", host);
    snprintf(run, sizeof run, "%ld-%ld", (long)getpid(), (long)time(NULL));
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    size_t nt = cpus < 1 ? 1 : cpus > 16 ? 16 : (size_t)cpus;
    struct sign_job jobs[16];
    pthread_t th[16];
    int failed = 0;
    for (size_t t = 0; t < nt; t++) {
        jobs[t] = (struct sign_job){reqs, t, n, nt, actors, host, base, run, 0};
        if (pthread_create(&th[t], NULL, sign_worker, &jobs[t]) != 0) {
            sign_worker(&jobs[t]);
            th[t] = 0;
        }
    }
    for (size_t t = 0; t < nt; t++) {
        if (th[t])
            pthread_join(th[t], NULL);
        failed |= jobs[t].failed;
    }
    if (failed)
        fprintf(stderr, "bench_inbox: signing failed\n");
    return failed ? -1 : 0;
}

static void reqs_free(struct bu_req *reqs, size_t n)
{
    for (size_t i = 0; reqs && i < n; i++) {
        free(reqs[i].body);
        curl_slist_free_all(reqs[i].hdrs);
    }
    free(reqs);
}

/* ---- the bare handler: libmicrohttpd as the daemon configures it, answering 202 ---------- */

struct bare_req {
    char *uri, *body;
    size_t len, cap;
    int started;
};

static void *bare_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
    struct bare_req *r = calloc(1, sizeof *r);
    if (r && !(r->uri = strdup(uri ? uri : ""))) {
        free(r);
        r = NULL;
    }
    return r;
}

static enum MHD_Result bare_request(void *cls, struct MHD_Connection *conn, const char *url,
                                    const char *method, const char *version, const char *upload,
                                    size_t *upload_size, void **con_cls)
{
    static const char reply[] = "{\"status\":\"accepted\"}";
    struct bare_req *r = *con_cls;
    if (!r)
        return MHD_NO;
    if (!r->started) { /* queue nothing on the first call: that would close the connection */
        r->started = 1;
        return MHD_YES;
    }
    if (*upload_size) {
        if (r->len + *upload_size > r->cap) {
            size_t cap = r->cap ? r->cap : 4096;
            while (cap < r->len + *upload_size)
                cap *= 2;
            char *grown = realloc(r->body, cap);
            if (!grown)
                return MHD_NO;
            r->body = grown;
            r->cap = cap;
        }
        memcpy(r->body + r->len, upload, *upload_size);
        r->len += *upload_size;
        *upload_size = 0;
        return MHD_YES;
    }
    char *copy = strdup(reply);
    struct MHD_Response *resp =
        copy ? MHD_create_response_from_buffer(sizeof reply - 1, copy, MHD_RESPMEM_MUST_FREE)
             : NULL;
    if (!resp) {
        free(copy);
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    enum MHD_Result ret = MHD_queue_response(conn, 202, resp);
    MHD_destroy_response(resp);
    return ret;
}

static void bare_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                           enum MHD_RequestTerminationCode toe)
{
    struct bare_req *r = *con_cls;
    if (r) {
        free(r->uri);
        free(r->body);
        free(r);
    }
    *con_cls = NULL;
}

static struct MHD_Daemon *bare_start(unsigned threads, unsigned *port)
{
    int fd;
    if (gm_http_listen("127.0.0.1", 0, &fd, port) != GM_OK)
        return NULL;
    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG, 0, NULL, NULL,
        bare_request, NULL, MHD_OPTION_URI_LOG_CALLBACK, bare_uri, NULL, MHD_OPTION_LISTEN_SOCKET,
        fd, MHD_OPTION_THREAD_POOL_SIZE, threads, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        (size_t)(64 * 1024), MHD_OPTION_CONNECTION_LIMIT, (unsigned int)4000,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)30, MHD_OPTION_NOTIFY_COMPLETED,
        bare_completed, NULL, MHD_OPTION_END);
    if (!d) {
        close(fd);
        fprintf(stderr, "bench_inbox: cannot start the bare libmicrohttpd server\n");
    }
    return d;
}

/* ---- report ------------------------------------------------------------------------------ */

struct report {
    const struct opts *o;
    double sign_wall_s;
    struct bu_result inbox, bare, bare_runs[BARE_RUNS];
    double daemon_cpu_s, other_cpu_s; /* other: neither the bench nor the daemon */
    long rss_kb, txns, data_bytes;
    size_t stored;
    int stored_ok;
    double rsa_sign, rsa_verify;
};

static void row(const char *name, int decimals, double a, double b)
{
    char x[32], y[32];
    snprintf(x, sizeof x, "%.*f", decimals, a);
    snprintf(y, sizeof y, "%.*f", decimals, b);
    printf("  %-28s %16s %16s\n", name, x, y);
}

static void print_errors(const char *who, const struct bu_result *r)
{
    if (r->errors)
        printf("  %s: first error: status %ld: %s\n", who, r->first_bad_status, r->first_bad_body);
}

static double rate_of(const struct bu_result *r)
{
    return r->wall_s > 0 ? (double)r->ok / r->wall_s : 0;
}

static double nonneg(double x)
{
    return x < 0 ? 0 : x;
}

static double per_req_us(double cpu_s, const struct bu_result *r)
{
    return cpu_s * 1e6 / (double)(r->done ? r->done : 1);
}

/* The side-by-side table of the daemon's run and the bare handler's median run. */
static void print_table(const struct report *rp)
{
    const struct bu_result *a = &rp->inbox, *b = &rp->bare;
    double ncpu = (double)sysconf(_SC_NPROCESSORS_ONLN);
    printf("\ngemeinde inbox benchmark: %zu requests, %u connections, %u server threads, "
           "%.0f CPUs\n",
           rp->o->requests, rp->o->conns, rp->o->threads, ncpu);
    printf("  pre-signing (not timed): %.1f s\n\n", rp->sign_wall_s);
    printf("  %-28s %16s %16s\n", "", "gemeinde inbox", "bare MHD 202");
    row("answered 202", 0, (double)a->ok, (double)b->ok);
    row("errors (other answers)", 0, (double)a->errors, (double)b->errors);
    row("wall time (s)", 3, a->wall_s, b->wall_s);
    row("throughput (req/s)", 0, rate_of(a), rate_of(b));
    row("latency p50 (ms)", 2, a->p50, b->p50);
    row("latency p90 (ms)", 2, a->p90, b->p90);
    row("latency p99 (ms)", 2, a->p99, b->p99);
    row("latency max (ms)", 2, a->max, b->max);
    row("connections opened", 0, (double)a->connects, (double)b->connects);
    row("client CPU (us/req)", 1, per_req_us(a->client_cpu_s, a), per_req_us(b->client_cpu_s, b));
    row("server CPU (us/req)", 1, per_req_us(rp->daemon_cpu_s, a), per_req_us(b->server_cpu_s, b));
    /* /proc/stat counts in clock ticks: small negative values are rounding, shown as 0 */
    row("other load (% of the box)", 1, nonneg(100 * rp->other_cpu_s / (a->wall_s * ncpu)),
        nonneg(100 * b->outside_cpu_s / (b->wall_s * ncpu)));
    print_errors("gemeinde", a);
    print_errors("bare", b);
    printf("  bare handler: median of %d runs (%.0f to %.0f req/s)\n", BARE_RUNS,
           rate_of(&rp->bare_runs[0]), rate_of(&rp->bare_runs[BARE_RUNS - 1]));
    if (rp->other_cpu_s > 0.1 * a->wall_s * ncpu)
        printf("  WARNING: other processes (or loopback softirq) used over 10%% of the "
               "CPUs during the inbox run; figures are low\n");
}

static void print_report(const struct report *rp)
{
    const struct bu_result *a = &rp->inbox;
    double rate = rate_of(a), bare = rate_of(&rp->bare);
    double share = bare > 0 ? 100.0 * rate / bare : 0;
    print_table(rp);
    printf("\n  daemon peak RSS (VmHWM)      %ld kB\n", rp->rss_kb);
    printf("  LMDB data.mdb                %.1f MiB\n", (double)rp->data_bytes / 1048576.0);
    if (rp->txns > 0)
        printf("  LMDB write txns (fsyncs)     %ld, %.1f activities per commit\n", rp->txns,
               (double)a->ok / (double)rp->txns);
    printf("  stored after restart         %zu (%s)\n", rp->stored,
           rp->stored_ok ? "= accepted, durable" : "MISMATCH with accepted");
    printf("  openssl speed rsa2048        sign %.0f/s, verify %.0f/s (one core)\n\n", rp->rsa_sign,
           rp->rsa_verify);
    printf("targets:\n");
    printf("  %-4s accepted and stored >= 5000/s   %.0f/s\n",
           rate >= 5000 && rp->stored_ok ? "PASS" : "MISS", rate);
    printf("  %-4s p99 latency < 50 ms           %.2f ms\n", a->p99 < 50 ? "PASS" : "MISS", a->p99);
    printf("  %-4s >= 30%% of the bare handler    %.1f%% (%.0f of %.0f req/s)\n",
           share >= 30 ? "PASS" : "MISS", share, rate, bare);
}

/* ---- main -------------------------------------------------------------------------------- */

static int parse_args(int argc, char **argv, struct opts *o)
{
    *o = (struct opts){.requests = 20000, .conns = 32, .threads = 16};
    if (argc < 2 || argv[1][0] == '-')
        return -1;
    o->binary = argv[1];
    for (int i = 2; i < argc; i++) {
        unsigned long v = i + 1 < argc ? strtoul(argv[i + 1], NULL, 10) : 0;
        if (!strcmp(argv[i], "--requests") && v >= 1 && v <= 10000000)
            o->requests = v;
        else if (!strcmp(argv[i], "--connections") && v >= 1 && v <= 1000)
            o->conns = (unsigned)v;
        else if (!strcmp(argv[i], "--threads") && v >= 1 && v <= 256)
            o->threads = (unsigned)v;
        else
            return -1;
        i++;
    }
    return 0;
}

static long file_size(const char *dir, const char *name)
{
    char path[400];
    struct stat sb;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return stat(path, &sb) == 0 ? (long)sb.st_size : -1;
}

static int count_stored(const struct bu_node *n, size_t *count)
{
    struct gm_store *st = NULL;
    struct gm_txn *txn = NULL;
    char err[512] = "";
    gm_err e = gm_store_open(n->data_dir, MAP_SIZE_MB, &st, err, sizeof err);
    if (e == GM_OK && (e = gm_txn_begin(st, false, &txn)) == GM_OK) {
        e = gm_activity_count(txn, count);
        gm_txn_abort(txn);
    }
    gm_store_close(st);
    if (e != GM_OK)
        fprintf(stderr, "bench_inbox: reading the store: %s %s\n", gm_strerror(e), err);
    return e == GM_OK ? 0 : -1;
}

/* The daemon part: seed, start, sign, drive, measure, stop, count. */
static int run_inbox(const struct opts *o, struct bu_node *n, struct actor *actors,
                     struct bu_req **reqs_out, struct report *rp)
{
    char url[128];
    struct bu_req *reqs = calloc(o->requests, sizeof *reqs);
    *reqs_out = reqs;
    if (!reqs || bu_node_cli(n, o->binary, "community", "create", COMMUNITY) != 0 ||
        seed_keys(n, actors) != 0 || node_start(n, o->binary) != 0)
        return -1;
    double t = bu_now_s();
    if (sign_all(reqs, o->requests, actors, n->port) != 0)
        return -1;
    rp->sign_wall_s = bu_now_s() - t;
    snprintf(url, sizeof url, "http://127.0.0.1:%u" TARGET, n->port);
    long txn0 = bu_last_txnid(n->data_dir);
    double cpu0 = bu_proc_cpu_s(n->pid);
    if (bu_drive(url, reqs, o->requests, o->conns, 202, &rp->inbox) != 0)
        return -1;
    rp->daemon_cpu_s = bu_proc_cpu_s(n->pid) - cpu0;
    rp->other_cpu_s = rp->inbox.outside_cpu_s - rp->daemon_cpu_s;
    long txn1 = bu_last_txnid(n->data_dir);
    rp->txns = txn0 >= 0 && txn1 >= txn0 ? txn1 - txn0 : -1;
    rp->rss_kb = bu_proc_status_kb(n->pid, "VmHWM");
    if (node_stop(n) != 0)
        return -1;
    bu_dump_log(n->log); /* log_level = warn: anything here is worth seeing */
    rp->data_bytes = file_size(n->data_dir, "data.mdb");
    if (count_stored(n, &rp->stored) != 0)
        return -1;
    rp->stored_ok = rp->stored == rp->inbox.ok;
    return 0;
}

static int by_rate(const void *a, const void *b)
{
    const struct bu_result *x = a, *y = b;
    double rx = x->wall_s > 0 ? (double)x->ok / x->wall_s : 0;
    double ry = y->wall_s > 0 ? (double)y->ok / y->wall_s : 0;
    return rx < ry ? -1 : rx > ry;
}

/* The same requests against the bare handler, BARE_RUNS times; rp->bare is the median run. */
static int run_bare(const struct opts *o, const struct bu_req *reqs, struct report *rp)
{
    unsigned port;
    char url[128];
    int rc = 0;
    struct MHD_Daemon *d = bare_start(o->threads, &port);
    if (!d)
        return -1;
    snprintf(url, sizeof url, "http://127.0.0.1:%u" TARGET, port);
    for (int i = 0; rc == 0 && i < BARE_RUNS; i++)
        rc = bu_drive(url, reqs, o->requests, o->conns, 202, &rp->bare_runs[i]);
    MHD_stop_daemon(d);
    qsort(rp->bare_runs, BARE_RUNS, sizeof rp->bare_runs[0], by_rate);
    rp->bare = rp->bare_runs[BARE_RUNS / 2];
    return rc;
}

int main(int argc, char **argv)
{
    struct opts o;
    if (parse_args(argc, argv, &o) != 0) {
        fprintf(stderr, "usage: bench_inbox GEMEINDE_BINARY [--requests N (20000)] "
                        "[--connections C (32)] [--threads T (16)]\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    bu_alarm_arm(ALARM_S);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    struct bu_node n = {0};
    struct actor actors[ACTORS] = {0};
    struct report rp = {.o = &o};
    struct bu_req *reqs = NULL;
    int rc = 1;
    if (node_init(&n, &o) != 0 || actors_make(actors) != 0)
        goto out;
    if (run_inbox(&o, &n, actors, &reqs, &rp) != 0 || run_bare(&o, reqs, &rp) != 0)
        goto out;
    bu_openssl_speed(&rp.rsa_sign, &rp.rsa_verify);
    print_report(&rp);
    rc = rp.stored_ok ? 0 : 1;
out:
    node_stop(&n);
    reqs_free(reqs, o.requests);
    actors_free(actors);
    bu_rmtree(n.dir);
    curl_global_cleanup();
    return rc;
}
