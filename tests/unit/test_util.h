/* SPDX-License-Identifier: Apache-2.0
 * test_util.h - helpers shared by the unit tests, header-only (static inline, so a test that
 * uses none of them compiles without warnings): temporary folders under /tmp removed
 * recursively, small files, a fake struct gm_http_req with header and query tables, and a
 * JSON body parser. Include after <cmocka.h>. */
#ifndef GEMEINDE_TEST_UTIL_H
#define GEMEINDE_TEST_UTIL_H

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gemeinde/community.h"
#include "gemeinde/http.h"
#include "gemeinde/store.h"

#define TU_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define TU_PATH_MAX 512

/* Make a new empty folder /tmp/gm-test-XXXXXX; `out` receives its path. */
static inline void tu_mkdtemp(char out[TU_PATH_MAX])
{
    snprintf(out, TU_PATH_MAX, "/tmp/gm-test-XXXXXX");
    assert_non_null(mkdtemp(out));
}

/* Remove `path` and everything below it (symbolic links are removed, not followed). Returns 0
 * on success. Refuses paths outside /tmp/gm-test-. */
static inline int tu_rmrf(const char *path)
{
    if (strncmp(path, "/tmp/gm-test-", 13) != 0)
        return -1;
    struct stat sb;
    if (lstat(path, &sb) != 0)
        return errno == ENOENT ? 0 : -1;
    if (!S_ISDIR(sb.st_mode))
        return unlink(path);
    DIR *d = opendir(path);
    if (!d)
        return -1;
    int rc = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        char child[TU_PATH_MAX * 2];
        if (snprintf(child, sizeof child, "%s/%s", path, de->d_name) >= (int)sizeof child) {
            rc = -1;
            continue;
        }
        if (tu_rmrf(child) != 0)
            rc = -1;
    }
    closedir(d);
    return rmdir(path) == 0 ? rc : -1;
}

/* `dir`/`name` into `out`. */
static inline void tu_join(char out[TU_PATH_MAX], const char *dir, const char *name)
{
    assert_true(snprintf(out, TU_PATH_MAX, "%s/%s", dir, name) < TU_PATH_MAX);
}

/* Write `len` bytes of `data` to `path` (created or truncated). */
static inline void tu_write_file(const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

/* True if `hay` contains `needle`. */
static inline int tu_contains(const char *hay, const char *needle)
{
    return hay && needle && strstr(hay, needle) != NULL;
}

/* Run fn(arg) in a child process, so that a crash (an ASan report, a segfault) fails only the
 * calling case instead of the whole file. fn must not use cmocka asserts: it returns 0 for
 * success. The child is killed after 20 s. Returns the child's exit status (0 = fn returned 0),
 * 128 + signal when killed, -1 if fork failed. Do not use with an LMDB environment open in fn. */
static inline int tu_in_child(int (*fn)(void *), void *arg)
{
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        alarm(20);
        _exit(fn(arg) == 0 ? 0 : 1);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* A fake request: a few headers (names case-insensitive) and query arguments (exact). */
#define TU_MAX_PAIRS 8
struct tu_req {
    struct gm_http_req req;
    const char *hdr_name[TU_MAX_PAIRS], *hdr_value[TU_MAX_PAIRS];
    const char *q_name[TU_MAX_PAIRS], *q_value[TU_MAX_PAIRS];
    size_t n_hdr, n_q;
};

static inline const char *tu_req_header(void *ctx, const char *name)
{
    const struct tu_req *r = ctx;
    for (size_t i = 0; i < r->n_hdr; i++)
        if (strcasecmp(r->hdr_name[i], name) == 0)
            return r->hdr_value[i];
    return NULL;
}

static inline const char *tu_req_query(void *ctx, const char *name)
{
    const struct tu_req *r = ctx;
    for (size_t i = 0; i < r->n_q; i++)
        if (strcmp(r->q_name[i], name) == 0)
            return r->q_value[i];
    return NULL;
}

/* Start a GET-like request; `param` is what the router would capture (may be NULL). */
static inline void tu_req_init(struct tu_req *r, const char *method, const char *path,
                               const char *param)
{
    memset(r, 0, sizeof *r);
    r->req.method = method;
    r->req.path = path;
    r->req.remote = "127.0.0.1";
    r->req.header = tu_req_header;
    r->req.query = tu_req_query;
    r->req.ctx = r;
    r->req.param = param;
}

static inline void tu_req_add_header(struct tu_req *r, const char *name, const char *value)
{
    assert_true(r->n_hdr < TU_MAX_PAIRS);
    r->hdr_name[r->n_hdr] = name;
    r->hdr_value[r->n_hdr++] = value;
}

static inline void tu_req_add_query(struct tu_req *r, const char *name, const char *value)
{
    assert_true(r->n_q < TU_MAX_PAIRS);
    r->q_name[r->n_q] = name;
    r->q_value[r->n_q++] = value;
}

/* The value of response header `name` (case-insensitive), or NULL. */
static inline const char *tu_resp_header(const struct gm_http_resp *resp, const char *name)
{
    for (size_t i = 0; i < resp->n_headers; i++)
        if (strcasecmp(resp->hdr_name[i], name) == 0)
            return resp->hdr_value[i];
    return NULL;
}

/* Parse a response body as JSON; fails the test if it is not. New reference. */
static inline json_t *tu_resp_json(const struct gm_http_resp *resp)
{
    json_error_t jerr;
    assert_non_null(resp->body);
    json_t *doc = json_loadb(resp->body, resp->body_len, 0, &jerr);
    if (!doc)
        fail_msg("response body is not JSON (%s): %.*s", jerr.text, (int)resp->body_len,
                 resp->body);
    return doc;
}

/* The string at `key` of `obj`, or NULL if missing or not a string. */
static inline const char *tu_jstr(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

/* A store in a fresh temporary folder, optionally with a write transaction open (aborted at
 * close: each test starts clean and leaves nothing). */
struct tu_store {
    char dir[TU_PATH_MAX];
    struct gm_store *st;
    struct gm_txn *txn; /* NULL unless opened with one */
};

static inline struct tu_store *tu_store_open(int with_txn)
{
    struct tu_store *f = calloc(1, sizeof *f);
    assert_non_null(f);
    tu_mkdtemp(f->dir);
    assert_int_equal(gm_store_open(f->dir, 64, &f->st, NULL, 0), GM_OK);
    if (with_txn)
        assert_int_equal(gm_txn_begin(f->st, true, &f->txn), GM_OK);
    return f;
}

static inline void tu_store_close(struct tu_store *f)
{
    gm_txn_abort(f->txn);
    gm_store_close(f->st);
    assert_int_equal(tu_rmrf(f->dir), 0);
    free(f);
}

/* A community `name` with placeholder keys. */
static inline void tu_add_community(struct gm_txn *txn, const char *name)
{
    struct gm_community *c;
    assert_int_equal(gm_community_new(name, &c), GM_OK);
    c->public_key_pem = strdup("PUB");
    assert_int_equal(gm_community_create(txn, c, "PRIV"), GM_OK);
    gm_community_free(c);
}

#endif
