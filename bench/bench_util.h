/* SPDX-License-Identifier: Apache-2.0
 * bench_util.h - what the benchmarks share, header-only because bench/CMakeLists.txt builds each
 * bench_*.c on its own: monotonic and CPU clocks, a child process with its output in a file and
 * a bounded wait, /proc readings (peak RSS, CPU time of another process), percentiles, removing
 * a temporary folder, and an HTTP load client (bu_drive: libcurl multi driven through
 * curl_multi_socket_action on epoll, C requests in flight over C keep-alive HTTP/1.1
 * connections, per-request latency), a temporary node (bu_node: config, CLI commands, `serve`
 * started and stopped), `openssl speed rsa2048`, and raising the file descriptor limit.
 * Functions return -1 on failure after saying why on stderr. Needs _XOPEN_SOURCE 700 (nftw)
 * before any include; Linux (epoll, /proc). */
#ifndef GEMEINDE_BENCH_UTIL_H
#define GEMEINDE_BENCH_UTIL_H

#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "gemeinde/store.h"

extern char **environ;

static inline double bu_clock_s(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline double bu_now_s(void)
{
    return bu_clock_s(CLOCK_MONOTONIC);
}

static inline void bu_sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* Start argv[0] (a path) with argv, stdin from /dev/null and stdout + stderr appended to
 * `log_path`. Returns the child's pid, or -1. */
static inline pid_t bu_spawn(char *const argv[], const char *log_path)
{
    posix_spawn_file_actions_t fa;
    pid_t pid = -1;
    if (posix_spawn_file_actions_init(&fa) != 0)
        return -1;
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, log_path, O_WRONLY | O_CREAT | O_APPEND, 0600);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    int rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) {
        fprintf(stderr, "bench: cannot start %s: %s\n", argv[0], strerror(rc));
        return -1;
    }
    return pid;
}

/* Wait at most timeout_ms for pid; on timeout SIGKILL it. Returns the exit status (128 + signal
 * when killed by one), or -1 on timeout or waitpid failure. */
static inline int bu_wait(pid_t pid, long timeout_ms)
{
    double deadline = bu_now_s() + (double)timeout_ms / 1000.0;
    int ws;
    for (;;) {
        pid_t r = waitpid(pid, &ws, WNOHANG);
        if (r == pid)
            return WIFEXITED(ws) ? WEXITSTATUS(ws) : WIFSIGNALED(ws) ? 128 + WTERMSIG(ws) : -1;
        if (r < 0 && errno != EINTR)
            return -1;
        if (bu_now_s() >= deadline)
            break;
        bu_sleep_ms(5);
    }
    kill(pid, SIGKILL);
    while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
        ;
    return -1;
}

/* The whole of a small text file (NUL-terminated, yours to free), or NULL. */
static inline char *bu_read_file(const char *path, size_t max)
{
    FILE *f = fopen(path, "r");
    char *buf = f ? malloc(max + 1) : NULL;
    size_t n = buf ? fread(buf, 1, max, f) : 0;
    if (f)
        fclose(f);
    if (buf)
        buf[n] = '\0';
    return buf;
}

static inline int bu_write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "bench: cannot write %s: %s\n", path, strerror(errno));
        return -1;
    }
    int ok = fputs(text, f) >= 0;
    return (fclose(f) == 0 && ok) ? 0 : -1;
}

/* A "Name:   N kB" line of /proc/PID/status, in kB; -1 if absent. */
static inline long bu_proc_status_kb(pid_t pid, const char *name)
{
    char path[64], line[256];
    long kb = -1;
    snprintf(path, sizeof path, "/proc/%ld/status", (long)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t nl = strlen(name);
    while (fgets(line, sizeof line, f))
        if (strncmp(line, name, nl) == 0 && line[nl] == ':') {
            kb = strtol(line + nl + 1, NULL, 10);
            break;
        }
    fclose(f);
    return kb;
}

/* User + system CPU seconds a process has used so far (/proc/PID/stat); -1 on failure. */
static inline double bu_proc_cpu_s(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
    char *text = bu_read_file(path, 4096);
    char *p = text ? strrchr(text, ')') : NULL; /* the command name may hold spaces */
    unsigned long long ut = 0, st = 0;
    int ok =
        p && sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) == 2;
    free(text);
    long hz = sysconf(_SC_CLK_TCK);
    return ok && hz > 0 ? (double)(ut + st) / (double)hz : -1.0;
}

/* User + system CPU seconds of each thread of a process (/proc/PID/task/TID/stat): up to `max`
 * (tid, seconds) pairs. Returns how many, or -1. */
static inline int bu_proc_threads_cpu(pid_t pid, long *tids, double *cpu, int max)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%ld/task", (long)pid);
    DIR *dir = opendir(path);
    struct dirent *e;
    int n = 0;
    if (!dir)
        return -1;
    while (n < max && (e = readdir(dir)))
        if (e->d_name[0] >= '0' && e->d_name[0] <= '9') {
            char stat_path[320];
            snprintf(stat_path, sizeof stat_path, "/proc/%ld/task/%s/stat", (long)pid, e->d_name);
            char *text = bu_read_file(stat_path, 4096);
            char *p = text ? strrchr(text, ')') : NULL;
            unsigned long long ut = 0, st = 0;
            long hz = sysconf(_SC_CLK_TCK);
            if (p && hz > 0 &&
                sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) ==
                    2) {
                tids[n] = strtol(e->d_name, NULL, 10);
                cpu[n++] = (double)(ut + st) / (double)hz;
            }
            free(text);
        }
    closedir(dir);
    return n;
}

/* CPU seconds the whole machine has been busy (all CPUs, /proc/stat); -1 on failure. */
static inline double bu_machine_busy_s(void)
{
    char *text = bu_read_file("/proc/stat", 4096);
    unsigned long long v[8] = {0};
    int ok = text && sscanf(text, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1],
                            &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) == 8;
    free(text);
    long hz = sysconf(_SC_CLK_TCK);
    /* user nice system [idle iowait] irq softirq steal */
    return ok && hz > 0 ? (double)(v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / (double)hz : -1.0;
}

static inline int bu_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The p-th percentile (0..100, nearest rank) of n sorted values; 0 when n is 0. */
static inline double bu_percentile(const double *sorted, size_t n, double p)
{
    if (n == 0)
        return 0.0;
    size_t rank = (size_t)(p / 100.0 * (double)n + 0.999999);
    if (rank < 1)
        rank = 1;
    return sorted[(rank > n ? n : rank) - 1];
}

static inline int bu_rm_entry(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
    (void)sb;
    (void)ftw;
    if ((type == FTW_DP ? rmdir(path) : unlink(path)) != 0)
        fprintf(stderr, "bench: cannot remove %s: %s\n", path, strerror(errno));
    return 0;
}

/* Remove `dir` and everything in it (no symlinks followed). */
static inline void bu_rmtree(const char *dir)
{
    if (dir && dir[0])
        nftw(dir, bu_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- an HTTP load client ---------------------------------------------------------------- */

#define BU_REQ_TIMEOUT_MS 60000
#define BU_ERRBODY_MAX 300

/* One pre-signed POST: the body and its header list (Host, Date, Digest, Signature ...). */
struct bu_req {
    char *body;
    size_t len;
    struct curl_slist *hdrs;
};

/* What one drive of a server gave. lat_ms[i] is request i's latency (done requests only). */
struct bu_result {
    size_t ok, errors, done;
    long first_bad_status;
    char first_bad_body[BU_ERRBODY_MAX + 1];
    long connects;
    double wall_s, client_cpu_s, server_cpu_s;
    double outside_cpu_s; /* CPU the machine used outside this process during the run */
    double p50, p90, p99, max;
};

/* One transfer slot: a reused easy handle, the request it carries, the start of the answer. */
struct bu_slot {
    CURL *h;
    size_t idx;
    double t0;
    char body[BU_ERRBODY_MAX + 1];
    size_t body_len;
};

static inline size_t bu_keep_body(char *p, size_t size, size_t n, void *ud)
{
    struct bu_slot *s = ud;
    size_t len = size * n, room = BU_ERRBODY_MAX - s->body_len;
    memcpy(s->body + s->body_len, p, len < room ? len : room);
    s->body_len += len < room ? len : room;
    s->body[s->body_len] = '\0';
    return len;
}

static inline int bu_slot_start(CURLM *m, struct bu_slot *s, const struct bu_req *r, size_t idx)
{
    s->idx = idx;
    s->body_len = 0;
    s->body[0] = '\0';
    curl_easy_setopt(s->h, CURLOPT_POSTFIELDS, r->body);
    curl_easy_setopt(s->h, CURLOPT_POSTFIELDSIZE, (long)r->len);
    curl_easy_setopt(s->h, CURLOPT_HTTPHEADER, r->hdrs);
    s->t0 = bu_now_s();
    return curl_multi_add_handle(m, s->h) == CURLM_OK ? 0 : -1;
}

static inline CURL *bu_slot_handle(struct bu_slot *s, const char *url, unsigned conns)
{
    CURL *h = curl_easy_init();
    if (!h)
        return NULL;
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http");
    curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(h, CURLOPT_MAXCONNECTS, (long)conns);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)BU_REQ_TIMEOUT_MS);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, bu_keep_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, s);
    curl_easy_setopt(h, CURLOPT_PRIVATE, s);
    return h;
}

/* Record a finished transfer; returns its latency in ms. */
static inline double bu_slot_done(struct bu_slot *s, CURLcode cc, long expect,
                                  struct bu_result *res)
{
    double ms = (bu_now_s() - s->t0) * 1000.0;
    long status = 0, connects = 0;
    curl_easy_getinfo(s->h, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo(s->h, CURLINFO_NUM_CONNECTS, &connects);
    res->connects += connects;
    res->done++;
    if (cc == CURLE_OK && status == expect) {
        res->ok++;
    } else if (res->errors++ == 0) {
        res->first_bad_status = cc == CURLE_OK ? status : -(long)cc;
        snprintf(res->first_bad_body, sizeof res->first_bad_body, "%s",
                 cc == CURLE_OK ? s->body : curl_easy_strerror(cc));
    }
    return ms;
}

static inline void bu_finish_latencies(double *lat, struct bu_result *res)
{
    qsort(lat, res->done, sizeof *lat, bu_cmp_double);
    res->p50 = bu_percentile(lat, res->done, 50);
    res->p90 = bu_percentile(lat, res->done, 90);
    res->p99 = bu_percentile(lat, res->done, 99);
    res->max = res->done ? lat[res->done - 1] : 0;
}

/* The client's event loop: libcurl multi driven by curl_multi_socket_action over epoll, so a
 * wake-up costs what is ready, not what is open (curl_multi_perform walks every transfer). */
struct bu_client {
    CURLM *m;
    int ep;
    double deadline; /* of libcurl's timer, monotonic seconds; < 0: none */
};

static inline int bu_on_socket(CURL *e, curl_socket_t fd, int what, void *userp, void *socketp)
{
    struct bu_client *c = userp;
    struct epoll_event ev = {.data.fd = fd};
    (void)e;
    (void)socketp;
    if (what == CURL_POLL_REMOVE) {
        epoll_ctl(c->ep, EPOLL_CTL_DEL, fd, NULL); /* may be closed already: ignore */
        return 0;
    }
    ev.events = (what & CURL_POLL_IN ? EPOLLIN : 0u) | (what & CURL_POLL_OUT ? EPOLLOUT : 0u);
    if (epoll_ctl(c->ep, EPOLL_CTL_MOD, fd, &ev) != 0 && errno == ENOENT)
        epoll_ctl(c->ep, EPOLL_CTL_ADD, fd, &ev);
    return 0;
}

static inline int bu_on_timer(CURLM *m, long timeout_ms, void *userp)
{
    struct bu_client *c = userp;
    (void)m;
    c->deadline = timeout_ms < 0 ? -1.0 : bu_now_s() + (double)timeout_ms / 1000.0;
    return 0;
}

/* Let libcurl act on one socket event, or on its timer (fd CURL_SOCKET_TIMEOUT). */
static inline int bu_client_act(struct bu_client *c, curl_socket_t fd, unsigned events)
{
    int running, flags = (events & EPOLLIN ? CURL_CSELECT_IN : 0) |
                         (events & EPOLLOUT ? CURL_CSELECT_OUT : 0) |
                         (events & (EPOLLERR | EPOLLHUP) ? CURL_CSELECT_ERR : 0);
    if (fd == CURL_SOCKET_TIMEOUT)
        c->deadline = -1.0;
    return curl_multi_socket_action(c->m, fd, flags, &running) == CURLM_OK ? 0 : -1;
}

/* Wait for sockets or the timer (at most 100 ms) and let libcurl act on what is ready. */
static inline int bu_client_step(struct bu_client *c)
{
    struct epoll_event evs[64];
    int wait = 100;
    if (c->deadline >= 0) {
        double left_ms = (c->deadline - bu_now_s()) * 1000.0;
        wait = left_ms <= 0 ? 0 : left_ms < 100 ? (int)left_ms + 1 : 100;
    }
    int k = epoll_wait(c->ep, evs, 64, wait);
    if (k < 0 && errno != EINTR)
        return -1;
    for (int i = 0; i < k; i++)
        if (bu_client_act(c, evs[i].data.fd, evs[i].events) != 0)
            return -1;
    if (c->deadline >= 0 && bu_now_s() >= c->deadline)
        return bu_client_act(c, CURL_SOCKET_TIMEOUT, 0);
    return 0;
}

/* Record finished transfers and start the next requests on their handles. */
static inline int bu_client_reap(struct bu_client *c, const struct bu_req *reqs, size_t n,
                                 size_t *next, long expect, double *lat, struct bu_result *res)
{
    CURLMsg *msg;
    int queued;
    while ((msg = curl_multi_info_read(c->m, &queued))) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        struct bu_slot *s;
        CURL *h = msg->easy_handle;
        CURLcode cc = msg->data.result;
        curl_easy_getinfo(h, CURLINFO_PRIVATE, (char **)&s);
        lat[res->done] = bu_slot_done(s, cc, expect, res);
        curl_multi_remove_handle(c->m, h);
        if (*next < n && bu_slot_start(c->m, s, &reqs[*next], *next) != 0)
            return -1;
        *next += *next < n;
    }
    return 0;
}

/* POST every request to url, `conns` at a time; 'expect' is the status that counts as ok. */
static inline int bu_drive(const char *url, const struct bu_req *reqs, size_t n, unsigned conns,
                           long expect, struct bu_result *res)
{
    struct bu_client c = {
        .m = curl_multi_init(), .ep = epoll_create1(EPOLL_CLOEXEC), .deadline = -1.0};
    struct bu_slot *slots = calloc(conns, sizeof *slots);
    double *lat = calloc(n ? n : 1, sizeof *lat);
    size_t next = 0, nslots = 0;
    int rc = -1;
    memset(res, 0, sizeof *res);
    if (!c.m || c.ep < 0 || !slots || !lat)
        goto out;
    curl_multi_setopt(c.m, CURLMOPT_SOCKETFUNCTION, bu_on_socket);
    curl_multi_setopt(c.m, CURLMOPT_SOCKETDATA, &c);
    curl_multi_setopt(c.m, CURLMOPT_TIMERFUNCTION, bu_on_timer);
    curl_multi_setopt(c.m, CURLMOPT_TIMERDATA, &c);
    curl_multi_setopt(c.m, CURLMOPT_MAX_HOST_CONNECTIONS, (long)conns);
    curl_multi_setopt(c.m, CURLMOPT_MAXCONNECTS, (long)conns);
    curl_multi_setopt(c.m, CURLMOPT_PIPELINING, (long)CURLPIPE_NOTHING);
    for (; nslots < conns; nslots++)
        if (!(slots[nslots].h = bu_slot_handle(&slots[nslots], url, conns)))
            goto out;
    double t0 = bu_now_s(), c0 = bu_clock_s(CLOCK_THREAD_CPUTIME_ID);
    double p0 = bu_clock_s(CLOCK_PROCESS_CPUTIME_ID), m0 = bu_machine_busy_s();
    for (size_t k = 0; k < conns && next < n; k++, next++)
        if (bu_slot_start(c.m, &slots[k], &reqs[next], next) != 0)
            goto out;
    while (res->done < n)
        if (bu_client_step(&c) != 0 || bu_client_reap(&c, reqs, n, &next, expect, lat, res) != 0)
            goto out;
    res->wall_s = bu_now_s() - t0;
    res->client_cpu_s = bu_clock_s(CLOCK_THREAD_CPUTIME_ID) - c0;
    /* In-process server threads (the bare handler) show up in the process clock. */
    double own = bu_clock_s(CLOCK_PROCESS_CPUTIME_ID) - p0;
    res->server_cpu_s = own - res->client_cpu_s;
    res->outside_cpu_s = bu_machine_busy_s() - m0 - own;
    bu_finish_latencies(lat, res);
    rc = 0;
out:
    for (size_t k = 0; k < nslots; k++) {
        curl_multi_remove_handle(c.m, slots[k].h);
        curl_easy_cleanup(slots[k].h);
    }
    curl_multi_cleanup(c.m);
    if (c.ep >= 0)
        close(c.ep);
    free(slots);
    free(lat);
    if (rc != 0)
        fprintf(stderr, "bench_inbox: the client failed\n");
    return rc;
}

/* The daemon's last committed write-transaction id (each is one fsync), read through the
 * store's API from an environment of our own; -1 on failure. */
static inline long bu_last_txnid(const char *data_dir)
{
    struct gm_store *st;
    uint64_t id = 0;
    if (gm_store_open(data_dir, 1024, &st, NULL, 0) != GM_OK)
        return -1;
    gm_err e = gm_store_last_txnid(st, &id);
    gm_store_close(st);
    return e == GM_OK ? (long)id : -1;
}

/* ---- the global time limit -------------------------------------------------------------- */

/* The daemon to kill and the message to print when the limit is reached. */
static volatile pid_t bu_alarm_daemon;
static char bu_alarm_msg[400] = "bench: global time limit reached, giving up\n";

/* Only async-signal-safe calls here: the temporary folder is named, not removed. */
static inline void bu_on_alarm(int sig)
{
    (void)sig;
    if (bu_alarm_daemon > 0)
        kill(bu_alarm_daemon, SIGKILL);
    (void)!write(2, bu_alarm_msg, strlen(bu_alarm_msg));
    _exit(1);
}

/* Give the whole run `seconds`; past that the daemon is killed and the program exits 1. */
static inline void bu_alarm_arm(unsigned seconds)
{
    signal(SIGALRM, bu_on_alarm);
    alarm(seconds);
}

/* The message names the program, the limit and the folder left behind. */
static inline void bu_alarm_describe(const char *prog, unsigned seconds, const char *dir)
{
    snprintf(bu_alarm_msg, sizeof bu_alarm_msg,
             "%s: global time limit (%u s) reached, giving up; remove %s\n", prog, seconds, dir);
}

/* ---- a temporary node ------------------------------------------------------------------- */

#define BU_CLI_TIMEOUT_MS 60000
#define BU_START_TIMEOUT_MS 10000
#define BU_STOP_TIMEOUT_MS 30000

/* A node in a temporary folder: its configuration, data, port file and logs. */
struct bu_node {
    char dir[256], config[320], data_dir[320], port_file[320], log[320], cli_log[320];
    pid_t pid; /* of `serve`, 0 when not running */
    unsigned port;
};

/* Make the folder ($TMPDIR or /tmp, "gm-bench-XXXXXX") and write a configuration with
 * data_dir, `listen = 127.0.0.1:0`, loopback fetches allowed, log_level = warn, then
 * `extra` (more "key = value\n" lines, may be ""). Remove n->dir with bu_rmtree. */
static inline int bu_node_init(struct bu_node *n, const char *extra)
{
    const char *tmp = getenv("TMPDIR");
    char text[2048];
    memset(n, 0, sizeof *n);
    snprintf(n->dir, sizeof n->dir, "%s/gm-bench-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(n->dir)) {
        fprintf(stderr, "bench: mkdtemp: %s\n", strerror(errno));
        n->dir[0] = '\0';
        return -1;
    }
    snprintf(n->config, sizeof n->config, "%s/gemeinde.conf", n->dir);
    snprintf(n->data_dir, sizeof n->data_dir, "%s/data", n->dir);
    snprintf(n->port_file, sizeof n->port_file, "%s/port", n->dir);
    snprintf(n->log, sizeof n->log, "%s/serve.log", n->dir);
    snprintf(n->cli_log, sizeof n->cli_log, "%s/cli.log", n->dir);
    snprintf(text, sizeof text,
             "data_dir = %s\nlisten = 127.0.0.1:0\nallow_private_addresses = true\n"
             "allow_http_fetch = true\nlog_level = warn\n%s",
             n->data_dir, extra ? extra : "");
    return bu_write_file(n->config, text);
}

/* Print a log file (its first 8 kB) to stderr when it is not empty. */
static inline void bu_dump_log(const char *path)
{
    char *text = bu_read_file(path, 8192);
    if (text && text[0])
        fprintf(stderr, "--- %s ---\n%s\n---\n", path, text);
    free(text);
}

/* Run `binary -c CONFIG sub verb arg` and wait for it; 0 when it exits with 0. */
static inline int bu_node_cli(const struct bu_node *n, const char *binary, const char *sub,
                              const char *verb, const char *arg)
{
    char *argv[] = {(char *)binary, "-c", (char *)n->config, (char *)sub, (char *)verb,
                    (char *)arg,    NULL};
    pid_t pid = bu_spawn(argv, n->cli_log);
    int st = pid > 0 ? bu_wait(pid, BU_CLI_TIMEOUT_MS) : -1;
    if (st != 0) {
        fprintf(stderr, "bench: `gemeinde %s %s %s` failed (%d)\n", sub, verb, arg, st);
        bu_dump_log(n->cli_log);
        return -1;
    }
    return 0;
}

/* Start `binary -c CONFIG serve --port-file F` and wait for the bound port (n->port). */
static inline int bu_node_start(struct bu_node *n, const char *binary)
{
    char *argv[] = {(char *)binary, "-c", n->config, "serve", "--port-file", n->port_file, NULL};
    unlink(n->port_file);
    if ((n->pid = bu_spawn(argv, n->log)) < 0) {
        n->pid = 0;
        return -1;
    }
    double deadline = bu_now_s() + BU_START_TIMEOUT_MS / 1000.0;
    while (bu_now_s() < deadline) {
        char *text = bu_read_file(n->port_file, 32);
        n->port = text ? (unsigned)strtoul(text, NULL, 10) : 0;
        free(text);
        if (n->port)
            return 0;
        if (waitpid(n->pid, NULL, WNOHANG) == n->pid) {
            n->pid = 0;
            break;
        }
        bu_sleep_ms(10);
    }
    fprintf(stderr, "bench: the daemon did not start\n");
    bu_dump_log(n->log);
    return -1;
}

/* SIGTERM and wait; 0 on a clean exit (or when it was not running). */
static inline int bu_node_stop(struct bu_node *n)
{
    if (n->pid <= 0)
        return 0;
    kill(n->pid, SIGTERM);
    int st = bu_wait(n->pid, BU_STOP_TIMEOUT_MS);
    n->pid = 0;
    if (st != 0) {
        fprintf(stderr, "bench: the daemon did not stop cleanly (%d)\n", st);
        bu_dump_log(n->log);
    }
    return st == 0 ? 0 : -1;
}

/* The headers a request signature covers, as gm_httpsig_msg.get_header reads them. */
struct bu_sign_view {
    const char *host, *date, *digest;
};

static inline const char *bu_view_header(void *ctx, const char *name)
{
    const struct bu_sign_view *v = ctx;
    return !strcmp(name, "host")     ? v->host
           : !strcmp(name, "date")   ? v->date
           : !strcmp(name, "digest") ? v->digest
                                     : NULL;
}

/* sign/s and verify/s of `openssl speed -seconds 3 rsa2048` (one core); -1 if unavailable. */
static inline void bu_openssl_speed(double *sign_s, double *verify_s)
{
    char line[512];
    *sign_s = *verify_s = -1;
    FILE *p = popen("openssl speed -seconds 3 rsa2048 2>/dev/null </dev/null", "r");
    if (!p)
        return;
    while (fgets(line, sizeof line, p)) {
        unsigned bits;
        double ts, tv, s, v;
        if (sscanf(line, "rsa %u bits %lfs %lfs %lf %lf", &bits, &ts, &tv, &s, &v) == 5 &&
            bits == 2048) {
            *sign_s = s;
            *verify_s = v;
        }
    }
    pclose(p);
}

/* Raise the soft RLIMIT_NOFILE to the hard limit (children started later inherit it).
 * Returns the new soft limit, or -1. */
static inline long bu_raise_nofile(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return -1;
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
            fprintf(stderr, "bench: setrlimit(RLIMIT_NOFILE): %s\n", strerror(errno));
        getrlimit(RLIMIT_NOFILE, &rl);
    }
    return rl.rlim_cur == RLIM_INFINITY ? 1L << 30 : (long)rl.rlim_cur;
}

#endif
