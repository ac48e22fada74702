/* SPDX-License-Identifier: Apache-2.0
 * harness.c - the integration test harness: temporary node folders, CLI runs through
 * posix_spawn with captured output and a deadline, `serve` in the background with its stderr in
 * a file, libcurl requests to 127.0.0.1 only, bounded shutdown. No test logic here. */
#define _XOPEN_SOURCE 700 /* nftw */
#include "harness.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define CAPTURE_MAX (8u << 20) /* bytes kept of a child's stdout or stderr, or an HTTP body */
#define MAX_ARGS 160

/* ---- small helpers ---------------------------------------------------------------------- */

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

struct growbuf {
    char *data;
    size_t len, cap, max;
};

/* Append, keeping at most g->max bytes (the rest is dropped, never blocks the writer). */
static int grow_append(struct growbuf *g, const char *p, size_t n)
{
    if (n > g->max - g->len)
        n = g->max - g->len;
    if (g->len + n + 1 > g->cap) {
        size_t cap = g->cap ? g->cap : 4096;
        while (cap < g->len + n + 1)
            cap *= 2;
        char *grown = realloc(g->data, cap);
        if (!grown)
            return -1;
        g->data = grown;
        g->cap = cap;
    }
    memcpy(g->data + g->len, p, n);
    g->len += n;
    g->data[g->len] = '\0';
    return 0;
}

/* A NUL-terminated copy of g (never NULL unless out of memory); g is emptied. */
static char *grow_take(struct growbuf *g)
{
    char *s = g->data ? g->data : strdup("");
    memset(g, 0, sizeof *g);
    return s;
}

static char *read_file(const char *path)
{
    struct growbuf g = {.max = CAPTURE_MAX};
    char chunk[4096];
    FILE *f = fopen(path, "r");
    size_t n;
    if (f) {
        while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
            grow_append(&g, chunk, n);
        fclose(f);
    }
    return grow_take(&g);
}

static int decode_status(int ws)
{
    if (WIFEXITED(ws))
        return WEXITSTATUS(ws);
    if (WIFSIGNALED(ws))
        return 128 + WTERMSIG(ws);
    return -1;
}

/* Wait for pid at most timeout_ms; on timeout SIGKILL it. Returns the decoded status, -1 on
 * timeout, -2 on waitpid failure. */
static int wait_bounded(pid_t pid, int timeout_ms)
{
    long long deadline = now_ms() + timeout_ms;
    int ws;
    for (;;) {
        pid_t r = waitpid(pid, &ws, WNOHANG);
        if (r == pid)
            return decode_status(ws);
        if (r < 0 && errno != EINTR)
            return -2;
        if (now_ms() >= deadline)
            break;
        sleep_ms(10);
    }
    kill(pid, SIGKILL);
    while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
        ;
    return -1;
}

int gm_h_sanitizer_report(const char *text)
{
    static const char *const marks[] = {
        "ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "UndefinedBehaviorSanitizer",
        "ThreadSanitizer",         ": runtime error: ",    "AddressSanitizer:DEADLYSIGNAL",
    };
    for (size_t i = 0; text && i < sizeof marks / sizeof marks[0]; i++)
        if (strstr(text, marks[i]))
            return 1;
    return 0;
}

const char *gm_h_binary(int argc, char **argv)
{
#ifdef GM_BINARY
    (void)argc;
    (void)argv;
    return GM_BINARY;
#else
    return argc > 1 ? argv[1] : NULL;
#endif
}

/* ---- node folders ----------------------------------------------------------------------- */

int gm_h_env_file(const struct gm_h_env *env, const char *name, const char *text, char *path,
                  size_t path_size)
{
    char p[GM_H_PATH];
    if (snprintf(p, sizeof p, "%s/%s", env->dir, name) >= (int)sizeof p)
        return -1;
    FILE *f = fopen(p, "w");
    if (!f) {
        fprintf(stderr, "harness: cannot write %s: %s\n", p, strerror(errno));
        return -1;
    }
    int ok = fputs(text, f) >= 0;
    ok = fclose(f) == 0 && ok;
    if (path)
        snprintf(path, path_size, "%s", p);
    return ok ? 0 : -1;
}

int gm_h_env_init(struct gm_h_env *env, const char *binary, const char *extra)
{
    memset(env, 0, sizeof *env);
    env->binary = binary;
    if (!binary || access(binary, X_OK) != 0) {
        fprintf(stderr, "harness: no executable gemeinde binary at '%s'\n",
                binary ? binary : "(none)");
        return -1;
    }
    const char *tmp = getenv("TMPDIR");
    int n =
        snprintf(env->dir, sizeof env->dir, "%s/gemeinde-it-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (n < 0 || (size_t)n >= sizeof env->dir || !mkdtemp(env->dir)) {
        fprintf(stderr, "harness: mkdtemp %s: %s\n", env->dir, strerror(errno));
        env->dir[0] = '\0';
        return -1;
    }
    snprintf(env->data_dir, sizeof env->data_dir, "%s/data", env->dir);
    char text[GM_H_PATH * 2 + 4096];
    snprintf(text, sizeof text,
             "# written by the integration harness\nlisten = 127.0.0.1:0\ndata_dir = %s\n"
             "log_level = debug\n%s",
             env->data_dir, extra ? extra : "");
    return gm_h_env_file(env, "gemeinde.conf", text, env->config, sizeof env->config);
}

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    chmod(path, 0700); /* a test may have made something unreadable */
    return remove(path) == 0 || errno == ENOENT ? 0 : -1;
}

void gm_h_env_clear(struct gm_h_env *env)
{
    if (env->dir[0] && strstr(env->dir, "/gemeinde-it-"))
        nftw(env->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    memset(env, 0, sizeof *env);
}

/* ---- CLI runs --------------------------------------------------------------------------- */

static int cloexec_pipe(int fds[2])
{
    if (pipe(fds) != 0)
        return -1;
    fcntl(fds[0], F_SETFD, FD_CLOEXEC);
    fcntl(fds[1], F_SETFD, FD_CLOEXEC);
    return 0;
}

/* Read both pipes until EOF on both or the deadline. Returns 0, or -1 on the deadline. */
static int drain(int out_fd, int err_fd, struct growbuf *out, struct growbuf *err,
                 long long deadline)
{
    struct pollfd pfd[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
    struct growbuf *dst[2] = {out, err};
    int open_count = 2;
    char chunk[8192];
    while (open_count > 0) {
        long long left = deadline - now_ms();
        if (left <= 0)
            return -1;
        int r = poll(pfd, 2, (int)(left > 1000 ? 1000 : left));
        if (r < 0 && errno != EINTR)
            return -1;
        for (int i = 0; r > 0 && i < 2; i++) {
            if (pfd[i].fd < 0 || !pfd[i].revents)
                continue;
            ssize_t n = read(pfd[i].fd, chunk, sizeof chunk);
            if (n > 0) {
                grow_append(dst[i], chunk, (size_t)n);
            } else if (n == 0 || errno != EINTR) {
                pfd[i].fd = -1;
                open_count--;
            }
        }
    }
    return 0;
}

int gm_h_run_argv(const char *binary, const char *const *argv, int timeout_ms, struct gm_h_run *run)
{
    const char *args[MAX_ARGS + 2];
    int n = 0, out_p[2] = {-1, -1}, err_p[2] = {-1, -1}, rc = -1;
    pid_t pid = 0;
    memset(run, 0, sizeof *run);
    run->status = -1;
    args[n++] = binary;
    for (; argv && argv[n - 1] && n <= MAX_ARGS; n++)
        args[n] = argv[n - 1];
    args[n] = NULL;

    posix_spawn_file_actions_t fa;
    if (cloexec_pipe(out_p) != 0 || cloexec_pipe(err_p) != 0)
        goto fail;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, out_p[1], 1);
    posix_spawn_file_actions_adddup2(&fa, err_p[1], 2);
    int e = posix_spawn(&pid, binary, &fa, NULL, (char *const *)args, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(out_p[1]);
    close(err_p[1]);
    out_p[1] = err_p[1] = -1;
    if (e != 0) {
        fprintf(stderr, "harness: cannot run %s: %s\n", binary, strerror(e));
        goto fail;
    }
    long long deadline = now_ms() + timeout_ms;
    struct growbuf out = {.max = CAPTURE_MAX}, err = {.max = CAPTURE_MAX};
    int drained = drain(out_p[0], err_p[0], &out, &err, deadline);
    long long left = deadline - now_ms();
    int status = wait_bounded(pid, drained == 0 && left > 0 ? (int)left : 0);
    run->out = grow_take(&out);
    run->err = grow_take(&err);
    run->status = status;
    rc = status;
    if (status < 0)
        fprintf(stderr, "harness: '%s %s ...' did not finish within %d ms; killed\n", binary,
                args[1] ? args[1] : "", timeout_ms);
    else if (gm_h_sanitizer_report(run->err))
        rc = -1;
    if (rc < 0)
        fprintf(stderr, "---- stderr of %s (exit %d) ----\n%s---- end ----\n", binary, status,
                run->err ? run->err : "");
fail:
    for (int i = 0; i < 2; i++) {
        if (out_p[i] >= 0)
            close(out_p[i]);
        if (err_p[i] >= 0)
            close(err_p[i]);
    }
    return rc;
}

int gm_h_cli(const struct gm_h_env *env, struct gm_h_run *run, ...)
{
    const char *argv[MAX_ARGS + 1];
    int n = 0;
    argv[n++] = "-c";
    argv[n++] = env->config;
    va_list ap;
    va_start(ap, run);
    const char *a;
    while ((a = va_arg(ap, const char *)) && n < MAX_ARGS)
        argv[n++] = a;
    va_end(ap);
    argv[n] = NULL;
    return gm_h_run_argv(env->binary, argv, GM_H_CLI_TIMEOUT_MS, run);
}

void gm_h_run_clear(struct gm_h_run *run)
{
    free(run->out);
    free(run->err);
    memset(run, 0, sizeof *run);
}

/* ---- the daemon ------------------------------------------------------------------------- */

/* A watchdog process outlives a test process that crashes or is killed (by ctest's timeout or
 * a sanitizer abort, where no teardown runs) and SIGKILLs the daemons it was told about. It
 * learns "+PID" and "-PID" lines on a pipe and acts on EOF; it does nothing else. */
static int watch_fd = -1;

static void watchdog_loop(int fd)
{
    pid_t pids[64];
    size_t n = 0, len = 0;
    char line[32];
    for (;;) {
        char ch;
        ssize_t r = read(fd, &ch, 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        if (ch != '\n') {
            if (len < sizeof line - 1)
                line[len++] = ch;
            continue;
        }
        line[len] = '\0';
        len = 0;
        pid_t pid = (pid_t)atol(line + 1);
        if (line[0] == '+' && n < sizeof pids / sizeof pids[0]) {
            pids[n++] = pid;
        } else if (line[0] == '-') {
            for (size_t i = 0; i < n; i++)
                if (pids[i] == pid)
                    pids[i] = pids[--n];
        }
    }
    for (size_t i = 0; i < n; i++)
        kill(pids[i], SIGKILL);
    _exit(0);
}

static void watch(char sign, pid_t pid)
{
    if (watch_fd < 0) {
        int p[2];
        if (pipe(p) != 0)
            return;
        pid_t w = fork();
        if (w == 0) {
            close(p[1]);
            watchdog_loop(p[0]);
        }
        close(p[0]);
        if (w < 0) {
            close(p[1]);
            return;
        }
        fcntl(p[1], F_SETFD, FD_CLOEXEC);
        watch_fd = p[1];
    }
    char line[32];
    int n = snprintf(line, sizeof line, "%c%ld\n", sign, (long)pid);
    ssize_t w = write(watch_fd, line, (size_t)n);
    (void)w;
}

void gm_h_serve_dump(const struct gm_h_daemon *d)
{
    char *text = read_file(d->err_path);
    fprintf(stderr, "---- daemon stderr (%s) ----\n%s---- end ----\n", d->err_path,
            text ? text : "");
    free(text);
}

char *gm_h_serve_log(const struct gm_h_daemon *d)
{
    return read_file(d->err_path);
}

static int read_port(const char *path, unsigned *port)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    int ok = fscanf(f, "%u", port) == 1 && *port > 0 && *port < 65536;
    fclose(f);
    return ok ? 0 : -1;
}

int gm_h_serve_start(struct gm_h_env *env, struct gm_h_daemon *d)
{
    char port_path[GM_H_PATH], out_path[GM_H_PATH];
    int n = ++env->serve_count;
    memset(d, 0, sizeof *d);
    d->env = env;
    snprintf(d->err_path, sizeof d->err_path, "%s/serve-%d.err", env->dir, n);
    snprintf(out_path, sizeof out_path, "%s/serve-%d.out", env->dir, n);
    snprintf(port_path, sizeof port_path, "%s/port-%d", env->dir, n);
    const char *args[] = {env->binary, "-c", env->config, "serve", "--port-file", port_path, NULL};
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&fa, 2, d->err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int e = posix_spawn(&d->pid, env->binary, &fa, NULL, (char *const *)args, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (e != 0) {
        fprintf(stderr, "harness: cannot start %s serve: %s\n", env->binary, strerror(e));
        d->pid = 0;
        return -1;
    }
    watch('+', d->pid);
    long long deadline = now_ms() + GM_H_START_TIMEOUT_MS;
    while (read_port(port_path, &d->port) != 0) {
        int ws;
        if (waitpid(d->pid, &ws, WNOHANG) == d->pid) {
            fprintf(stderr, "harness: serve exited with status %d before writing its port\n",
                    decode_status(ws));
            watch('-', d->pid);
            d->pid = 0;
            gm_h_serve_dump(d);
            return -1;
        }
        if (now_ms() >= deadline) {
            fprintf(stderr, "harness: serve wrote no port within %d ms\n", GM_H_START_TIMEOUT_MS);
            wait_bounded(d->pid, 0);
            watch('-', d->pid);
            d->pid = 0;
            gm_h_serve_dump(d);
            return -1;
        }
        sleep_ms(20);
    }
    snprintf(d->host, sizeof d->host, "127.0.0.1:%u", d->port);
    snprintf(d->base_url, sizeof d->base_url, "http://%s", d->host);
    return 0;
}

int gm_h_serve_stop(struct gm_h_daemon *d, int sig)
{
    if (!d->pid)
        return 0;
    kill(d->pid, sig);
    int status = wait_bounded(d->pid, GM_H_STOP_TIMEOUT_MS);
    watch('-', d->pid);
    d->pid = 0;
    if (status == -1)
        fprintf(stderr, "harness: serve did not stop within %d ms of signal %d; killed\n",
                GM_H_STOP_TIMEOUT_MS, sig);
    char *text = read_file(d->err_path);
    int report = gm_h_sanitizer_report(text);
    free(text);
    if (report) {
        fprintf(stderr, "harness: sanitizer report in the daemon's stderr\n");
        status = -1;
    }
    if (status != 0) {
        fprintf(stderr, "harness: serve stopped with status %d\n", status);
        gm_h_serve_dump(d);
    }
    return status < 0 ? -1 : status;
}

int gm_h_serve_alive(struct gm_h_daemon *d)
{
    int ws;
    if (!d->pid)
        return 0;
    pid_t r = waitpid(d->pid, &ws, WNOHANG);
    if (r == 0)
        return 1;
    fprintf(stderr, "harness: serve died (status %d)\n", r == d->pid ? decode_status(ws) : -1);
    watch('-', d->pid);
    d->pid = 0;
    gm_h_serve_dump(d);
    return 0;
}

/* ---- HTTP ------------------------------------------------------------------------------- */

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    return grow_append(ud, p, size * n) == 0 ? size * n : 0;
}

/* Keep only the header block of the last response (after 100 Continue or a redirect). */
static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
    struct growbuf *g = ud;
    if (size * n >= 5 && strncmp(p, "HTTP/", 5) == 0)
        g->len = 0;
    return grow_append(g, p, size * n) == 0 ? size * n : 0;
}

CURL *gm_h_curl_new(void)
{
    CURL *c = curl_easy_init();
    if (!c)
        return NULL;
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http");
#endif
    curl_easy_setopt(c, CURLOPT_PROXY, "");
    curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)GM_H_HTTP_TIMEOUT_MS);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)GM_H_HTTP_TIMEOUT_MS);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L);
    curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, NULL);
    return c;
}

static void set_method(CURL *c, const char *method, const char *body, size_t body_len)
{
    curl_easy_setopt(c, CURLOPT_HTTPGET, 1L); /* resets NOBODY, POST and UPLOAD */
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, NULL);
    if (!strcmp(method, "HEAD")) {
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
        return;
    }
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    }
    if (strcmp(method, "GET") != 0 && (strcmp(method, "POST") != 0 || !body))
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
}

static int contains_private_key(const char *s, size_t len)
{
    static const char mark[] = "PRIVATE KEY";
    for (size_t i = 0; s && len >= sizeof mark - 1 && i <= len - (sizeof mark - 1); i++)
        if (memcmp(s + i, mark, sizeof mark - 1) == 0)
            return 1;
    return 0;
}

int gm_h_http(const struct gm_h_daemon *d, CURL *curl, const char *method, const char *path,
              const char *const *headers, const char *body, size_t body_len, struct gm_h_resp *resp)
{
    memset(resp, 0, sizeof *resp);
    CURL *c = curl ? curl : gm_h_curl_new();
    struct curl_slist *list = NULL;
    struct growbuf b = {.max = CAPTURE_MAX}, h = {.max = 1u << 20};
    size_t url_len = strlen(d->base_url) + strlen(path) + 1;
    char *url = malloc(url_len);
    int rc = -1;
    if (!c || !url)
        goto out;
    snprintf(url, url_len, "%s%s", d->base_url, path);
    for (size_t i = 0; headers && headers[i]; i++) {
        struct curl_slist *grown = curl_slist_append(list, headers[i]);
        if (!grown)
            goto out;
        list = grown;
    }
    set_method(c, method, body, body_len);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &h);
    CURLcode cc = curl_easy_perform(c);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, NULL);
    if (cc != CURLE_OK) {
        fprintf(stderr, "harness: %s %s: %s\n", method, url, curl_easy_strerror(cc));
        goto out;
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp->status);
    resp->len = b.len;
    resp->body = grow_take(&b);
    resp->headers_len = h.len;
    resp->headers = grow_take(&h);
    if (!resp->body || !resp->headers)
        goto out;
    if (contains_private_key(resp->body, resp->len) ||
        contains_private_key(resp->headers, resp->headers_len)) {
        fprintf(stderr, "harness: %s %s: response contains PRIVATE KEY material:\n%s\n", method,
                url, resp->body);
        goto out;
    }
    rc = 0;
out:
    if (rc != 0)
        gm_h_resp_clear(resp);
    free(b.data);
    free(h.data);
    curl_slist_free_all(list);
    if (c && c != curl)
        curl_easy_cleanup(c);
    free(url);
    return rc;
}

int gm_h_get(const struct gm_h_daemon *d, const char *path, const char *accept,
             struct gm_h_resp *resp)
{
    char line[512];
    snprintf(line, sizeof line, "Accept:%s%s", accept ? " " : "", accept ? accept : "");
    const char *headers[] = {line, NULL};
    return gm_h_http(d, NULL, "GET", path, headers, NULL, 0, resp);
}

int gm_h_resp_header(const struct gm_h_resp *resp, const char *name, char *out, size_t size)
{
    size_t nlen = strlen(name);
    for (const char *p = resp->headers; p && *p;) {
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        if (len > nlen && strncasecmp(p, name, nlen) == 0 && p[nlen] == ':') {
            const char *v = p + nlen + 1, *end = p + len;
            while (v < end && (*v == ' ' || *v == '\t'))
                v++;
            while (end > v && (end[-1] == '\r' || end[-1] == ' '))
                end--;
            snprintf(out, size, "%.*s", (int)(end - v), v);
            return 0;
        }
        p += len + (eol ? 1 : 0);
    }
    return -1;
}

void gm_h_resp_clear(struct gm_h_resp *resp)
{
    free(resp->body);
    free(resp->headers);
    memset(resp, 0, sizeof *resp);
}

long gm_h_raw(const struct gm_h_daemon *d, const char *req, size_t len, char *out, size_t size)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)d->port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int s = socket(AF_INET, SOCK_STREAM, 0);
    if (s < 0)
        return -1;
    fcntl(s, F_SETFD, FD_CLOEXEC);
    struct timeval tv = {GM_H_HTTP_TIMEOUT_MS / 1000, 0};
    setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (connect(s, (struct sockaddr *)&sa, sizeof sa) != 0) {
        close(s);
        return -1;
    }
    for (size_t sent = 0; sent < len;) {
        ssize_t n = send(s, req + sent, len - sent, MSG_NOSIGNAL);
        if (n <= 0)
            break; /* the server may close early on garbage: read what it said */
        sent += (size_t)n;
    }
    long got = 0;
    long long deadline = now_ms() + GM_H_HTTP_TIMEOUT_MS;
    while (out && size > 1 && (size_t)got < size - 1) {
        long long left = deadline - now_ms();
        struct pollfd pfd = {s, POLLIN, 0};
        if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
            break;
        ssize_t n = recv(s, out + got, size - 1 - (size_t)got, 0);
        if (n <= 0)
            break;
        got += n;
    }
    if (out && size)
        out[got] = '\0';
    close(s);
    return got;
}
