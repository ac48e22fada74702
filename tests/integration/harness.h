/* SPDX-License-Identifier: Apache-2.0
 * harness.h - drive the real gemeinde binary from integration tests: a temporary node folder
 * with a config file, CLI runs captured through posix_spawn with a deadline, `serve` started in
 * the background on 127.0.0.1:0 (the bound port read from --port-file), HTTP requests over
 * loopback with libcurl easy, and a bounded SIGTERM shutdown.
 *
 * Every function returns 0 (or an exit status) on success and -1 on a harness failure, after
 * printing why to stderr; tests assert on the result. A sanitizer report in the stderr of any
 * child (CLI or daemon) is a failure: the report is printed and -1 returned. */
#ifndef GEMEINDE_TESTS_HARNESS_H
#define GEMEINDE_TESTS_HARNESS_H

#include <curl/curl.h>
#include <stddef.h>
#include <sys/types.h>

#define GM_H_DIR 512 /* the node folder; paths inside it fit in GM_H_PATH */
#define GM_H_PATH 1024
#define GM_H_CLI_TIMEOUT_MS 30000   /* a CLI run, RSA keygen under ASan included */
#define GM_H_START_TIMEOUT_MS 10000 /* serve until the port file appears */
#define GM_H_STOP_TIMEOUT_MS 10000  /* SIGTERM until exit */
#define GM_H_HTTP_TIMEOUT_MS 5000   /* one HTTP request */

/* A node folder: DIR/gemeinde.conf, data in DIR/data, logs of serve in DIR/serve-N.err. */
struct gm_h_env {
    char dir[GM_H_DIR];
    char config[GM_H_PATH];
    char data_dir[GM_H_PATH];
    const char *binary; /* borrowed: argv[1] or GM_BINARY, lives for the whole run */
    int serve_count;
};

/* The captured result of one CLI run. out/err are NUL-terminated and yours (gm_h_run_clear). */
struct gm_h_run {
    int status; /* exit status; 128 + signal number when killed by a signal */
    char *out, *err;
};

/* A running `serve`. */
struct gm_h_daemon {
    struct gm_h_env *env; /* borrowed */
    pid_t pid;            /* 0 when not running */
    unsigned port;
    char base_url[80];        /* http://127.0.0.1:PORT */
    char host[64];            /* 127.0.0.1:PORT, the host part of acct: handles */
    char err_path[GM_H_PATH]; /* the daemon's stderr */
};

/* An HTTP response. body is NUL-terminated (len excludes the NUL); headers is the raw header
 * block of the last response. Both yours (gm_h_resp_clear). */
struct gm_h_resp {
    long status;
    char *body;
    size_t len;
    char *headers;
    size_t headers_len;
};

/* The path of the binary under test: GM_BINARY if compiled in, else argv[1]. */
const char *gm_h_binary(int argc, char **argv);

/* Make a temporary node folder and write its config: listen = 127.0.0.1:0, data_dir = DIR/data,
 * log_level = debug, then `extra` (more "key = value" lines, may be NULL). */
int gm_h_env_init(struct gm_h_env *env, const char *binary, const char *extra);
/* Remove the folder and everything in it. Safe on a zeroed env. */
void gm_h_env_clear(struct gm_h_env *env);
/* Write `text` to DIR/name (creating or replacing it); the full path goes to path (optional). */
int gm_h_env_file(const struct gm_h_env *env, const char *name, const char *text, char *path,
                  size_t path_size);

/* Run binary with argv (argv[0] is set to the binary; the list ends with NULL) and wait at most
 * timeout_ms. Returns the exit status, or -1 on timeout (the child is killed), spawn failure or
 * a sanitizer report. *run is filled in every case but spawn failure. */
int gm_h_run_argv(const char *binary, const char *const *argv, int timeout_ms,
                  struct gm_h_run *run);
/* `binary -c CONFIG args... NULL`, with the default timeout. */
int gm_h_cli(const struct gm_h_env *env, struct gm_h_run *run, ...);
void gm_h_run_clear(struct gm_h_run *run);

/* Start `serve --port-file` in the background and wait (bounded) for the port. On failure the
 * daemon's stderr is printed and any child stopped. */
int gm_h_serve_start(struct gm_h_env *env, struct gm_h_daemon *d);
/* Send `sig` (SIGTERM or SIGINT), wait at most GM_H_STOP_TIMEOUT_MS, then SIGKILL. Returns the
 * exit status (0 is a clean stop), or -1 if it had to be killed or printed a sanitizer report;
 * on anything but 0 the daemon's stderr is printed. No-op returning 0 when not running. */
int gm_h_serve_stop(struct gm_h_daemon *d, int sig);
/* True while the daemon process exists; reaps it (printing its stderr) if it died. */
int gm_h_serve_alive(struct gm_h_daemon *d);
/* Print the daemon's stderr to our stderr. */
void gm_h_serve_dump(const struct gm_h_daemon *d);
/* The daemon's stderr so far (yours to free; "" when empty, NULL when out of memory). */
char *gm_h_serve_log(const struct gm_h_daemon *d);
/* Non-zero if `text` holds an ASan, UBSan or LSan report. */
int gm_h_sanitizer_report(const char *text);

/* One HTTP request to the daemon. `curl` may be NULL (a fresh handle per request) or a handle
 * of gm_h_curl_new (to reuse connections). method "HEAD" sends no body-expecting request.
 * headers: NULL or a NULL-terminated list of "Name: value". path is sent as is (no
 * normalisation). Returns 0 with *resp filled when an HTTP response arrived and contains no
 * "PRIVATE KEY"; -1 otherwise. */
int gm_h_http(const struct gm_h_daemon *d, CURL *curl, const char *method, const char *path,
              const char *const *headers, const char *body, size_t body_len,
              struct gm_h_resp *resp);
/* Shorthand: GET path with optional Accept header (NULL: none sent). */
int gm_h_get(const struct gm_h_daemon *d, const char *path, const char *accept,
             struct gm_h_resp *resp);
/* A curl handle restricted to HTTP, no proxy, bounded timeouts. Free with curl_easy_cleanup. */
CURL *gm_h_curl_new(void);
/* Value of the response header `name` (case-insensitive) copied into out; -1 if absent. */
int gm_h_resp_header(const struct gm_h_resp *resp, const char *name, char *out, size_t size);
void gm_h_resp_clear(struct gm_h_resp *resp);

/* Send raw bytes on a fresh loopback connection and read the answer (at most size-1 bytes, NUL
 * terminated, until close or GM_H_HTTP_TIMEOUT_MS). out NULL: close right after sending, as a
 * client that gives up. Returns bytes read, or -1 on connect failure. */
long gm_h_raw(const struct gm_h_daemon *d, const char *req, size_t len, char *out, size_t size);

#endif
