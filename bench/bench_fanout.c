/* SPDX-License-Identifier: Apache-2.0
 * bench_fanout.c - how fast the real daemon relays one post to many servers. For each scenario
 * a temporary node gets one community whose members (seeded into the store before the daemon
 * starts) live on S fake destination servers, M members per server, each member's inbox (or
 * the server's sharedInbox) on its server. The fake servers are one epoll loop in this process
 * with S listening sockets on 127.0.0.2 (distinct ports = distinct servers); it answers every
 * request 202 with keep-alive and counts, per server, connections accepted, connections open at
 * once, and Announces received. One member (its key pre-seeded in the key cache) posts a signed
 * public Create to the community inbox; the clock runs from the 202 until every server has all
 * the Announces it is owed. Reported per scenario: that time, deliveries/s, connections, errors,
 * the daemon's CPU per delivery and its busiest thread's share of the wall time, CPU used by
 * other programs, LMDB write transactions, jobs left in the queue, peak RSS; and `openssl speed
 * rsa2048` from the same run. Loopback only; bounded by a global alarm.
 *
 *   bench_fanout GEMEINDE_BINARY [--scenarios abc] [--servers S --per-server M [--no-shared]]
 *
 * Exit status: 0 when every scenario completed and every server got its Announces (targets are
 * reported, not enforced), 1 otherwise, 2 on a usage error. */
#define _XOPEN_SOURCE 700 /* nftw, in bench_util.h */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "bench_util.h"
#include "gemeinde/digest.h"
#include "gemeinde/httpsig.h"
#include "gemeinde/keygen.h"
#include "gemeinde/members.h"
#include "gemeinde/queue.h"
#include "gemeinde/remote.h"
#include "gemeinde/store.h"

#define COMMUNITY "bench"
#define TARGET "/c/" COMMUNITY "/inbox"
#define FARM_ADDR "127.0.0.2"
#define FARM_PORT 10000 /* first port tried; the farm stays below the ephemeral range */
#define ALARM_S 1200
#define WAIT_MAX_S 240   /* per scenario, from the 202 */
#define STALL_S 20       /* no Announce for this long: give up (retries come after 60 s) */
#define SETTLE_MS 300    /* after the last Announce: let the worker record its batch */
#define MAP_SIZE_MB 1024 /* the daemon's default map_size_mb */
#define CONN_BUF 16384   /* one request (headers + body) must fit */
#define MAX_SCENARIOS 4
#define PUBLIC "https://www.w3.org/ns/activitystreams#Public"

struct scenario {
    char name[8];
    unsigned servers, per_server;
    int shared; /* members of a server share one sharedInbox */
};

struct opts {
    const char *binary;
    struct scenario sc[MAX_SCENARIOS];
    size_t nsc;
};

/* ---- the fake destination servers: one epoll loop, many listening sockets ---------------- */

enum { K_LISTEN, K_CONN };

struct dest { /* one destination server = one listening socket */
    int kind; /* K_LISTEN; first, so an epoll pointer tells dest from conn */
    int fd;
    unsigned port, expected; /* Announces owed */
    unsigned got, bad;       /* Announce POSTs; anything else (or the wrong inbox) */
    unsigned accepted, open, max_open;
    double done_s; /* when it had all it is owed (0: never) */
};

struct conn {
    int kind; /* K_CONN */
    int fd;
    struct dest *d;
    size_t len;
    char buf[CONN_BUF];
};

struct farm {
    struct dest *d;
    size_t n;
    struct conn **conns; /* by file descriptor, to close what is left at the end */
    long nconns;         /* size of conns: the descriptor limit */
    int shared, ep;
    atomic_uint servers_done, posts;
    atomic_int stop;
    double cpu_s; /* of the loop thread, when it ends */
};

static const char reply_202[] = "HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n";

static const char *find(const char *hay, size_t len, const char *needle)
{
    size_t k = strlen(needle);
    for (size_t i = 0; k <= len && i <= len - k; i++)
        if (hay[i] == needle[0] && !memcmp(hay + i, needle, k))
            return hay + i;
    return NULL;
}

/* Content-Length of a header block: 0 if absent, -1 for a chunked body (not expected). */
static long content_length(const char *h, size_t len)
{
    for (const char *p = h; p && p < h + len; p = find(p, (size_t)(h + len - p), "\n")) {
        p += *p == '\n';
        if ((size_t)(h + len - p) > 18 && !strncasecmp(p, "transfer-encoding:", 18))
            return -1;
        if ((size_t)(h + len - p) > 15 && !strncasecmp(p, "content-length:", 15))
            return strtol(p + 15, NULL, 10);
    }
    return 0;
}

/* One whole request in c->buf[0..total): count it and answer 202. */
static int answer(struct farm *f, struct conn *c, size_t head, size_t total)
{
    struct dest *d = c->d;
    const char *path = c->buf + 5, *sp = memchr(path, ' ', head - 5);
    size_t plen = sp ? (size_t)(sp - path) : 0;
    int post = !strncmp(c->buf, "POST /", 6);
    int right_inbox = f->shared ? plen == 6 && !memcmp(path, "/inbox", 6)
                                : plen > 13 && !memcmp(path, "/users/", 7) &&
                                      !memcmp(path + plen - 6, "/inbox", 6);
    int announce = post && find(c->buf + head, total - head, "\"type\":\"Announce\"");
    if (announce && right_inbox) {
        atomic_fetch_add(&f->posts, 1);
        if (++d->got == d->expected) {
            d->done_s = bu_now_s();
            atomic_fetch_add(&f->servers_done, 1);
        }
    } else {
        d->bad++;
    }
    return write(c->fd, reply_202, sizeof reply_202 - 1) == (ssize_t)(sizeof reply_202 - 1)
               ? 0
               : -1; /* tiny answers on loopback: a short write is an error */
}

/* Answer every whole request in the buffer; keep the start of the next one. */
static int serve_buffer(struct farm *f, struct conn *c)
{
    for (;;) {
        const char *end = find(c->buf, c->len, "\r\n\r\n");
        if (!end)
            return c->len < sizeof c->buf ? 0 : -1;
        size_t head = (size_t)(end - c->buf) + 4;
        long cl = content_length(c->buf, head);
        if (cl < 0 || (size_t)cl > sizeof c->buf - head || head < 8)
            return -1;
        if (c->len < head + (size_t)cl)
            return 0;
        if (answer(f, c, head, head + (size_t)cl) != 0)
            return -1;
        memmove(c->buf, c->buf + head + cl, c->len - head - (size_t)cl);
        c->len -= head + (size_t)cl;
    }
}

static void conn_close(struct farm *f, struct conn *c)
{
    f->conns[c->fd] = NULL;
    c->d->open--;
    close(c->fd); /* also leaves the epoll set */
    free(c);
}

static void conn_readable(struct farm *f, struct conn *c)
{
    for (;;) {
        ssize_t r = read(c->fd, c->buf + c->len, sizeof c->buf - c->len);
        if (r > 0) {
            c->len += (size_t)r;
            if (serve_buffer(f, c) != 0) {
                c->d->bad++;
                break;
            }
            continue;
        }
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        break; /* EOF or error */
    }
    conn_close(f, c);
}

static void dest_accept(struct farm *f, struct dest *d)
{
    int fd;
    while ((fd = accept(d->fd, NULL, NULL)) >= 0) {
        struct conn *c = malloc(sizeof *c);
        struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP};
        if (!c || fd >= f->nconns || fcntl(fd, F_SETFL, O_NONBLOCK) != 0) {
            free(c);
            close(fd);
            continue;
        }
        *c = (struct conn){.kind = K_CONN, .fd = fd, .d = d};
        ev.data.ptr = c;
        f->conns[fd] = c;
        d->accepted++;
        if (++d->open > d->max_open)
            d->max_open = d->open;
        if (epoll_ctl(f->ep, EPOLL_CTL_ADD, fd, &ev) != 0)
            conn_close(f, c);
    }
}

static void *farm_loop(void *arg)
{
    struct farm *f = arg;
    struct epoll_event evs[256];
    while (!atomic_load(&f->stop)) {
        int k = epoll_wait(f->ep, evs, 256, 50);
        for (int i = 0; i < k; i++) {
            int *kind = evs[i].data.ptr;
            if (*kind == K_LISTEN)
                dest_accept(f, evs[i].data.ptr);
            else
                conn_readable(f, evs[i].data.ptr);
        }
    }
    f->cpu_s = bu_clock_s(CLOCK_THREAD_CPUTIME_ID);
    return NULL;
}

/* The first free port from *next up to the start of the ephemeral range, so that thousands of
 * listeners do not crowd the ports the daemon's connect() picks from; else one the kernel
 * picks. */
static int bind_port(int fd, struct sockaddr_in *a, unsigned *next)
{
    char *range = bu_read_file("/proc/sys/net/ipv4/ip_local_port_range", 64);
    unsigned low = range ? (unsigned)strtoul(range, NULL, 10) : 32768;
    free(range);
    for (; *next < low && *next < 65536; (*next)++) {
        a->sin_port = htons((unsigned short)*next);
        if (bind(fd, (struct sockaddr *)a, sizeof *a) == 0) {
            (*next)++;
            return 0;
        }
        if (errno != EADDRINUSE)
            return -1;
    }
    a->sin_port = 0;
    return bind(fd, (struct sockaddr *)a, sizeof *a);
}

/* S listening sockets on FARM_ADDR (bind_port). */
static int farm_open(struct farm *f, const struct scenario *sc)
{
    memset(f, 0, sizeof *f);
    f->shared = sc->shared;
    f->ep = epoll_create1(EPOLL_CLOEXEC);
    f->nconns = bu_raise_nofile();
    unsigned next_port = FARM_PORT;
    if (f->ep < 0 || f->nconns < 1 || !(f->d = calloc(sc->servers, sizeof *f->d)) ||
        !(f->conns = calloc((size_t)f->nconns, sizeof *f->conns)))
        return -1;
    for (; f->n < sc->servers; f->n++) {
        struct dest *d = &f->d[f->n];
        struct sockaddr_in a = {.sin_family = AF_INET};
        socklen_t alen = sizeof a;
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = d};
        inet_pton(AF_INET, FARM_ADDR, &a.sin_addr);
        d->kind = K_LISTEN;
        d->expected = sc->shared ? 1 : sc->per_server;
        if ((d->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
            bind_port(d->fd, &a, &next_port) != 0 || listen(d->fd, SOMAXCONN) != 0 ||
            getsockname(d->fd, (struct sockaddr *)&a, &alen) != 0 ||
            fcntl(d->fd, F_SETFL, O_NONBLOCK) != 0 ||
            epoll_ctl(f->ep, EPOLL_CTL_ADD, d->fd, &ev) != 0) {
            fprintf(stderr, "bench_fanout: listening socket %zu: %s\n", f->n, strerror(errno));
            if (d->fd >= 0)
                close(d->fd);
            return -1;
        }
        d->port = ntohs(a.sin_port);
    }
    return 0;
}

/* After the loop thread has ended: close the listening sockets and what is still open. */
static void farm_close(struct farm *f)
{
    for (size_t i = 0; i < f->n; i++)
        close(f->d[i].fd);
    for (long fd = 0; f->conns && fd < f->nconns; fd++)
        if (f->conns[fd])
            conn_close(f, f->conns[fd]);
    if (f->ep >= 0)
        close(f->ep);
    free(f->conns);
    free(f->d);
    f->conns = NULL;
    f->d = NULL;
}

/* ---- the node: a community, members on the farm, the poster's key in the cache ----------- */

struct poster {
    char id[128], key_id[160];
    char *public_pem;
    EVP_PKEY *key;
};

static void member_urls(const struct farm *f, size_t server, unsigned k, char *actor, char *inbox,
                        char *shared, size_t size)
{
    unsigned port = f->d[server].port;
    snprintf(actor, size, "http://" FARM_ADDR ":%u/users/u%u", port, k);
    snprintf(inbox, size, "http://" FARM_ADDR ":%u/users/u%u/inbox", port, k);
    snprintf(shared, size, "http://" FARM_ADDR ":%u/inbox", port);
}

/* Members (member 0 of server 0 is the poster) and the poster's key, in one transaction. */
static int seed(const struct bu_node *n, const struct farm *f, const struct scenario *sc,
                struct poster *p)
{
    struct gm_store *st = NULL;
    struct gm_txn *txn = NULL;
    char err[512] = "", actor[128], inbox[160], shared[128];
    gm_err e = gm_store_open(n->data_dir, MAP_SIZE_MB, &st, err, sizeof err);
    if (e == GM_OK)
        e = gm_txn_begin(st, true, &txn);
    for (size_t s = 0; e == GM_OK && s < f->n; s++)
        for (unsigned k = 0; e == GM_OK && k < sc->per_server; k++) {
            member_urls(f, s, k, actor, inbox, shared, sizeof inbox);
            struct gm_member m = {.actor = actor,
                                  .inbox = inbox,
                                  .shared_inbox = sc->shared ? shared : NULL,
                                  .since = (int64_t)time(NULL)};
            e = gm_member_put(txn, COMMUNITY, &m);
        }
    member_urls(f, 0, 0, p->id, inbox, shared, sizeof p->id);
    snprintf(p->key_id, sizeof p->key_id, "%s#main-key", p->id);
    struct gm_remote_key k = {.key_id = p->key_id,
                              .owner = p->id,
                              .pem = p->public_pem,
                              .fetched_at = (int64_t)time(NULL)};
    if (e == GM_OK)
        e = gm_remote_key_put(txn, &k);
    if (e == GM_OK)
        e = gm_txn_commit(txn);
    else
        gm_txn_abort(txn);
    gm_store_close(st);
    if (e != GM_OK)
        fprintf(stderr, "bench_fanout: seeding the store: %s %s\n", gm_strerror(e), err);
    return e == GM_OK ? 0 : -1;
}

/* Jobs left in the delivery queue (-1 on failure); the daemon must be stopped. */
static long queue_left(const struct bu_node *n)
{
    struct gm_store *st = NULL;
    struct gm_txn *txn = NULL;
    size_t count = 0;
    int64_t next_due;
    gm_err e = gm_store_open(n->data_dir, MAP_SIZE_MB, &st, NULL, 0);
    if (e == GM_OK && (e = gm_txn_begin(st, false, &txn)) == GM_OK) {
        e = gm_queue_stat(txn, &count, &next_due);
        gm_txn_abort(txn);
    }
    gm_store_close(st);
    return e == GM_OK ? (long)count : -1;
}


/* ---- the post ---------------------------------------------------------------------------- */

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

/* A public Create{Note} from the poster, cc the community, signed the way Mastodon signs. */
static int sign_post(const struct poster *p, unsigned port, char *body, size_t size,
                     struct curl_slist **hdrs)
{
    static const char *const covered[] = {"(request-target)", "host", "date", "digest"};
    char host[64], date[64];
    snprintf(host, sizeof host, "127.0.0.1:%u", port);
    int len =
        snprintf(body, size,
                 "{\"@context\":\"https://www.w3.org/ns/activitystreams\",\"id\":\"%s/"
                 "posts/1/activity\",\"type\":\"Create\",\"actor\":\"%s\",\"to\":[\"" PUBLIC
                 "\"],\"cc\":[\"http://%s/c/" COMMUNITY "\"],\"object\":{\"id\":\"%s/"
                 "posts/1\",\"type\":\"Note\",\"attributedTo\":\"%s\",\"content\":\"hello "
                 "everyone\",\"to\":[\"" PUBLIC "\"],\"cc\":[\"http://%s/c/" COMMUNITY "\"]}}",
                 p->id, p->id, host, p->id, p->id, host);
    time_t now = time(NULL);
    struct tm tm;
    strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", gmtime_r(&now, &tm));
    char *digest = NULL, *sig = NULL;
    int rc = -1;
    if (len <= 0 || (size_t)len >= size ||
        gm_digest_format_legacy(body, (size_t)len, &digest) != GM_OK)
        goto out;
    struct bu_sign_view view = {host, date, digest};
    struct gm_httpsig_msg msg = {.method = "POST",
                                 .target = TARGET,
                                 .authority = host,
                                 .scheme = "http",
                                 .get_header = bu_view_header,
                                 .ctx = &view};
    if (gm_httpsig_sign_cavage(&msg, covered, 4, p->key_id, p->key, &sig) != GM_OK)
        goto out;
    if (add_header(hdrs, "Host", host) || add_header(hdrs, "Date", date) ||
        add_header(hdrs, "Digest", digest) || add_header(hdrs, "Signature", sig) ||
        add_header(hdrs, "Content-Type", "application/activity+json") ||
        !(*hdrs = curl_slist_append(*hdrs, "Expect:")))
        goto out;
    rc = 0;
out:
    free(digest);
    free(sig);
    return rc;
}

static size_t discard(char *data, size_t size, size_t n, void *ud)
{
    (void)data, (void)ud;
    return size * n;
}

/* POST the Create; 0 when the node answered 202. */
static int post_create(const struct poster *p, unsigned port)
{
    char url[96], body[2048];
    struct curl_slist *hdrs = NULL;
    long status = 0;
    CURL *h = curl_easy_init();
    int rc = -1;
    snprintf(url, sizeof url, "http://127.0.0.1:%u" TARGET, port);
    if (!h || sign_post(p, port, body, sizeof body, &hdrs) != 0)
        goto out;
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 30000L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
    CURLcode cc = curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    if (cc == CURLE_OK && status == 202)
        rc = 0;
    else
        fprintf(stderr, "bench_fanout: the post was answered %ld (%s)\n", status,
                curl_easy_strerror(cc));
out:
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(h);
    return rc;
}

/* ---- one scenario ------------------------------------------------------------------------ */

struct outcome {
    int ran;     /* the post was accepted and the wait ended */
    size_t owed; /* deliveries owed (distinct inboxes) */
    unsigned got, missing, bad, servers_short;
    unsigned conns, max_conns, max_open; /* accepted; most per server; most open at once */
    double t202, post_ms;                /* when the 202 came; its latency */
    double first_s, last_s;              /* from the 202 until the first / last server done */
    double daemon_cpu_s, farm_cpu_s;
    double busiest_cpu_s; /* the daemon thread that used the most CPU (the delivery worker) */
    double other_pct;     /* CPU used by neither the daemon nor this process, % of the box */
    long txns, queue_left, rss_kb;
};

#define MAX_THREADS 256

/* CPU used since `before` by the daemon's busiest thread. */
static double busiest_thread(pid_t pid, const long *tids0, const double *cpu0, int n0)
{
    long tids[MAX_THREADS];
    double cpu[MAX_THREADS], most = 0;
    int n = bu_proc_threads_cpu(pid, tids, cpu, MAX_THREADS);
    for (int i = 0; i < n; i++) {
        double was = 0;
        for (int j = 0; j < n0; j++)
            if (tids0[j] == tids[i])
                was = cpu0[j];
        most = cpu[i] - was > most ? cpu[i] - was : most;
    }
    return most;
}

/* Wait until every server is done, nothing arrived for STALL_S, or WAIT_MAX_S passed. */
static void wait_done(struct farm *f, double t0)
{
    unsigned seen = 0;
    double last_progress = t0;
    while (atomic_load(&f->servers_done) < f->n) {
        double now = bu_now_s();
        unsigned posts = atomic_load(&f->posts);
        if (posts != seen)
            seen = posts, last_progress = now;
        if (now - last_progress > STALL_S || now - t0 > WAIT_MAX_S) {
            fprintf(stderr, "bench_fanout: giving up waiting (%u of %zu servers done)\n",
                    atomic_load(&f->servers_done), f->n);
            return;
        }
        bu_sleep_ms(2);
    }
}

/* Per-server counters into totals; after the farm thread has ended. */
static void tally(const struct farm *f, struct outcome *o)
{
    o->first_s = -1;
    for (size_t i = 0; i < f->n; i++) {
        const struct dest *d = &f->d[i];
        o->got += d->got;
        o->bad += d->bad;
        o->missing += d->got < d->expected ? d->expected - d->got : 0;
        o->servers_short += d->got < d->expected;
        o->conns += d->accepted;
        o->max_conns = d->accepted > o->max_conns ? d->accepted : o->max_conns;
        o->max_open = d->max_open > o->max_open ? d->max_open : o->max_open;
        if (d->done_s > 0) {
            double t = d->done_s - o->t202;
            o->last_s = t > o->last_s ? t : o->last_s;
            o->first_s = o->first_s < 0 || t < o->first_s ? t : o->first_s;
        }
    }
}

/* Post, wait for the Announces, measure the daemon (still running). */
static int drive(struct bu_node *n, struct farm *f, const struct poster *p, struct outcome *o)
{
    long txn0 = bu_last_txnid(n->data_dir), tids0[MAX_THREADS];
    double thread_cpu0[MAX_THREADS];
    int nt0 = bu_proc_threads_cpu(n->pid, tids0, thread_cpu0, MAX_THREADS);
    double cpu0 = bu_proc_cpu_s(n->pid), t0 = bu_now_s();
    double m0 = bu_machine_busy_s(), p0 = bu_clock_s(CLOCK_PROCESS_CPUTIME_ID);
    if (post_create(p, n->port) != 0)
        return -1;
    o->t202 = bu_now_s();
    o->post_ms = (o->t202 - t0) * 1000;
    wait_done(f, o->t202);
    bu_sleep_ms(SETTLE_MS);
    o->daemon_cpu_s = bu_proc_cpu_s(n->pid) - cpu0;
    o->busiest_cpu_s = busiest_thread(n->pid, tids0, thread_cpu0, nt0);
    double own = bu_clock_s(CLOCK_PROCESS_CPUTIME_ID) - p0, wall = bu_now_s() - t0;
    double other = bu_machine_busy_s() - m0 - own - o->daemon_cpu_s;
    o->other_pct = 100 * other / (wall * (double)sysconf(_SC_NPROCESSORS_ONLN));
    o->other_pct = o->other_pct < 0 ? 0 : o->other_pct; /* clock-tick rounding */
    o->rss_kb = bu_proc_status_kb(n->pid, "VmHWM");
    long txn1 = bu_last_txnid(n->data_dir);
    o->txns = txn0 >= 0 && txn1 >= txn0 ? txn1 - txn0 : -1;
    o->ran = 1;
    return 0;
}

static int run_scenario(const struct opts *op, const struct scenario *sc, struct poster *p,
                        struct outcome *o)
{
    struct farm f;
    struct bu_node n = {0};
    pthread_t th;
    int started = 0, rc = -1;
    memset(o, 0, sizeof *o);
    o->owed = (size_t)sc->servers * (sc->shared ? 1 : sc->per_server);
    o->queue_left = -1;
    fprintf(stderr, "bench_fanout: scenario %s: %u members on %u servers%s\n", sc->name,
            sc->servers * sc->per_server, sc->servers, sc->shared ? ", shared inboxes" : "");
    if (farm_open(&f, sc) != 0 || bu_node_init(&n, "threads = 4\n") != 0)
        goto out;
    bu_alarm_describe("bench_fanout", ALARM_S, n.dir);
    if (bu_node_cli(&n, op->binary, "community", "create", COMMUNITY) != 0 ||
        seed(&n, &f, sc, p) != 0 || bu_node_start(&n, op->binary) != 0)
        goto out;
    bu_alarm_daemon = n.pid;
    if (pthread_create(&th, NULL, farm_loop, &f) != 0)
        goto out;
    started = 1;
    rc = drive(&n, &f, p, o);
out:
    if (bu_node_stop(&n) != 0)
        rc = -1;
    bu_alarm_daemon = 0;
    if (started) {
        atomic_store(&f.stop, 1);
        pthread_join(th, NULL);
        o->farm_cpu_s = f.cpu_s;
        tally(&f, o);
    }
    if (n.log[0])
        bu_dump_log(n.log); /* log_level = warn: anything here is worth seeing */
    if (rc == 0)
        o->queue_left = queue_left(&n);
    farm_close(&f);
    bu_rmtree(n.dir);
    return rc;
}

/* ---- report ------------------------------------------------------------------------------ */

static double rate(const struct outcome *o)
{
    return o->last_s > 0 ? (double)o->owed / o->last_s : 0;
}

static void print_row(const char *label, const struct outcome *o, size_t n, int dec,
                      double (*get)(const struct outcome *))
{
    printf("  %-30s", label);
    for (size_t i = 0; i < n; i++)
        printf(" %14.*f", dec, o[i].ran ? get(&o[i]) : 0.0);
    printf("\n");
}

#define FIELD(name, expr)                                                                          \
    static double name(const struct outcome *o)                                                    \
    {                                                                                              \
        return (double)(expr);                                                                     \
    }
FIELD(f_owed, o->owed)
FIELD(f_got, o->got)
FIELD(f_missing, o->missing)
FIELD(f_bad, o->bad)
FIELD(f_post, o->post_ms)
FIELD(f_first, o->first_s * 1000)
FIELD(f_last, o->last_s)
FIELD(f_rate, rate(o))
FIELD(f_conns, o->conns)
FIELD(f_maxc, o->max_conns)
FIELD(f_maxo, o->max_open)
FIELD(f_cpu, o->daemon_cpu_s * 1e6 / (double)(o->owed ? o->owed : 1))
FIELD(f_dcpu, o->daemon_cpu_s)
FIELD(f_fcpu, o->farm_cpu_s)
FIELD(f_busy, o->last_s > 0 ? 100 * o->busiest_cpu_s / o->last_s : 0)
FIELD(f_other, o->other_pct)
FIELD(f_txns, o->txns)
FIELD(f_per_txn, o->txns > 0 ? (double)o->owed / (double)o->txns : 0)
FIELD(f_left, o->queue_left)
FIELD(f_rss, (double)o->rss_kb / 1024.0)

static void print_report(const struct opts *op, const struct outcome *o, double sign_s,
                         double verify_s)
{
    size_t n = op->nsc;
    printf("\ngemeinde fan-out benchmark: one post, %ld CPUs, openssl speed rsa2048 %.0f sign/s "
           "%.0f verify/s (one core)\n\n  %-30s",
           sysconf(_SC_NPROCESSORS_ONLN), sign_s, verify_s, "scenario");
    for (size_t i = 0; i < n; i++)
        printf(" %14s", op->sc[i].name);
    printf("\n  %-30s", "members / servers");
    for (size_t i = 0; i < n; i++) {
        char cell[32];
        snprintf(cell, sizeof cell, "%u/%u%s", op->sc[i].servers * op->sc[i].per_server,
                 op->sc[i].servers, op->sc[i].shared ? " sh" : "");
        printf(" %14s", cell);
    }
    printf("\n");
    print_row("deliveries owed", o, n, 0, f_owed);
    print_row("Announces received", o, n, 0, f_got);
    print_row("missing", o, n, 0, f_missing);
    print_row("other requests (errors)", o, n, 0, f_bad);
    print_row("POST -> 202 (ms)", o, n, 1, f_post);
    print_row("202 -> first server (ms)", o, n, 1, f_first);
    print_row("202 -> last server (s)", o, n, 3, f_last);
    print_row("deliveries/s", o, n, 0, f_rate);
    print_row("TCP connections accepted", o, n, 0, f_conns);
    print_row("  most to one server", o, n, 0, f_maxc);
    print_row("  most open at once, one server", o, n, 0, f_maxo);
    print_row("daemon CPU (s)", o, n, 2, f_dcpu);
    print_row("daemon CPU per delivery (us)", o, n, 0, f_cpu);
    print_row("  busiest thread, % of 202->last", o, n, 0, f_busy);
    print_row("fake servers' CPU (s)", o, n, 2, f_fcpu);
    print_row("other load (% of the box)", o, n, 1, f_other);
    print_row("LMDB write txns", o, n, 0, f_txns);
    print_row("  deliveries per txn", o, n, 1, f_per_txn);
    print_row("queue left after stop", o, n, 0, f_left);
    print_row("daemon peak RSS (MiB)", o, n, 1, f_rss);
    for (size_t i = 0; i < n; i++)
        if (o[i].ran && o[i].other_pct > 10)
            printf("  WARNING: %s: other processes used %.0f%% of the CPUs during the run; "
                   "figures are low\n",
                   op->sc[i].name, o[i].other_pct);
    printf("\ntargets:\n");
    for (size_t i = 0; i < n; i++) {
        const struct outcome *x = &o[i];
        const struct scenario *sc = &op->sc[i];
        double share = sign_s > 0 ? 100 * rate(x) / sign_s : 0;
        int complete = x->ran && x->missing == 0;
        printf("  %s %-4s deliveries/s >= 50%% of sign/s   %.0f/s = %.0f%% of %.0f\n", sc->name,
               complete && share >= 50 ? "PASS" : "MISS", rate(x), share, sign_s);
        printf("  %s %-4s one connection per server       %u connections, %u servers, at most "
               "%u to one\n",
               sc->name, complete && x->conns == sc->servers && x->max_conns == 1 ? "PASS" : "MISS",
               x->conns, sc->servers, x->max_conns);
        if (sc->servers * sc->per_server >= 10000)
            printf("  %s %-4s peak RSS < 64 MiB (%u members)  %.1f MiB\n", sc->name,
                   x->ran && x->rss_kb > 0 && x->rss_kb < 64 * 1024 ? "PASS" : "MISS",
                   sc->servers * sc->per_server, (double)x->rss_kb / 1024.0);
    }
}

/* ---- main -------------------------------------------------------------------------------- */

static const struct scenario presets[] = {
    {"a", 1000, 1, 0}, {"b", 5000, 1, 0}, {"c", 1000, 10, 1}, {"d", 1000, 10, 0}};

static int parse_args(int argc, char **argv, struct opts *o)
{
    const char *which = "abc";
    struct scenario custom = {"x", 0, 1, 1};
    memset(o, 0, sizeof *o);
    if (argc < 2 || argv[1][0] == '-')
        return -1;
    o->binary = argv[1];
    for (int i = 2; i < argc; i++) {
        const char *val = i + 1 < argc ? argv[i + 1] : "";
        unsigned long v = strtoul(val, NULL, 10);
        if (!strcmp(argv[i], "--no-shared")) {
            custom.shared = 0;
            continue;
        }
        if (!strcmp(argv[i], "--scenarios") && val[0] && strspn(val, "abcd") == strlen(val) &&
            strlen(val) <= MAX_SCENARIOS)
            which = val;
        else if (!strcmp(argv[i], "--servers") && v >= 1 && v <= 8000)
            custom.servers = (unsigned)v;
        else if (!strcmp(argv[i], "--per-server") && v >= 1 && v <= 1000)
            custom.per_server = (unsigned)v;
        else
            return -1;
        i++;
    }
    if (custom.servers) {
        o->sc[o->nsc++] = custom;
        return 0;
    }
    for (const char *c = which; *c; c++)
        o->sc[o->nsc++] = presets[*c - 'a'];
    return 0;
}

static int poster_make(struct poster *p)
{
    char *priv = NULL;
    int rc = gm_keygen_rsa(2048, &priv, &p->public_pem) == GM_OK &&
                     gm_httpsig_load_private_pem(priv, strlen(priv), &p->key) == GM_OK
                 ? 0
                 : -1;
    gm_keygen_wipe_free(priv);
    if (rc != 0)
        fprintf(stderr, "bench_fanout: cannot make the poster's key\n");
    return rc;
}

int main(int argc, char **argv)
{
    struct opts op;
    if (parse_args(argc, argv, &op) != 0) {
        fprintf(stderr, "usage: bench_fanout GEMEINDE_BINARY [--scenarios abcd (abc)]\n"
                        "       bench_fanout GEMEINDE_BINARY --servers S [--per-server M (1)] "
                        "[--no-shared]\n"
                        "  a: 1,000 servers x 1 member   b: 5,000 x 1   "
                        "c: 1,000 x 10, shared inboxes   d: 1,000 x 10, personal inboxes\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    bu_alarm_arm(ALARM_S);
    setvbuf(stdout, NULL, _IOLBF, 0);
    long nofile = bu_raise_nofile(); /* before the daemon starts: it inherits the limit */
    for (size_t i = 0; i < op.nsc; i++)
        if ((long)op.sc[i].servers * 2 + 64 > nofile) {
            fprintf(stderr,
                    "bench_fanout: %u servers need about %u file descriptors, the "
                    "limit is %ld\n",
                    op.sc[i].servers, op.sc[i].servers * 2 + 64, nofile);
            return 1;
        }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    struct poster p = {0};
    struct outcome out[MAX_SCENARIOS] = {0};
    int made = poster_make(&p) == 0, ok = made;
    for (size_t i = 0; made && i < op.nsc; i++) /* one that fails does not stop the rest */
        if (run_scenario(&op, &op.sc[i], &p, &out[i]) != 0 || out[i].missing)
            ok = 0;
    double sign_s, verify_s;
    int any = 0;
    for (size_t i = 0; i < op.nsc; i++)
        any |= out[i].ran;
    if (any) {
        bu_openssl_speed(&sign_s, &verify_s);
        print_report(&op, out, sign_s, verify_s);
    }
    free(p.public_pem);
    EVP_PKEY_free(p.key);
    curl_global_cleanup();
    return ok ? 0 : 1;
}
