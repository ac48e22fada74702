/* SPDX-License-Identifier: Apache-2.0
 * test_cli.c - the `gemeinde` command line run as a user runs it: community create, list, show,
 * set and delete with text and --json output; every usage and validation error exits 2 and
 * names the problem on stderr; configuration errors from the file and from options; and the
 * CLI changing communities while `serve` runs on the same data folder. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

#define MAX_ROW_ARGS 12

static const char *binary;

struct fixture {
    struct gm_h_env env;
    struct gm_h_daemon d;
    int finished; /* set by a test that reached its end; otherwise teardown dumps the logs */
};

static int setup_with(void **state, const char *extra)
{
    struct fixture *fx = calloc(1, sizeof *fx);
    if (!fx || gm_h_env_init(&fx->env, binary, extra) != 0) {
        free(fx);
        return -1;
    }
    *state = fx;
    return 0;
}

static int setup(void **state)
{
    return setup_with(state, NULL);
}

static int setup_base_url(void **state)
{
    return setup_with(state, "base_url = https://Groups.Example.org/\n");
}

static int teardown(void **state)
{
    struct fixture *fx = *state;
    int rc = 0;
    if (fx->d.pid) {
        rc = gm_h_serve_stop(&fx->d, SIGTERM) == 0 ? 0 : -1; /* dumps the log if not 0 */
        if (rc == 0 && !fx->finished)
            gm_h_serve_dump(&fx->d);
    }
    gm_h_env_clear(&fx->env);
    free(fx);
    return rc;
}

/* Run `gemeinde -c CONFIG args...` from a NULL-terminated list; returns the exit status. */
static int cli(struct fixture *fx, const char *const *args, struct gm_h_run *run)
{
    const char *argv[MAX_ROW_ARGS + 4];
    size_t n = 0;
    argv[n++] = "-c";
    argv[n++] = fx->env.config;
    for (size_t i = 0; args[i] && n < MAX_ROW_ARGS + 2; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    return gm_h_run_argv(binary, argv, GM_H_CLI_TIMEOUT_MS, run);
}

static void expect_status(const struct gm_h_run *run, int rc, int want, const char *what)
{
    if (rc != want)
        fail_msg("%s: exit %d, want %d\nstdout: %s\nstderr: %s", what, rc, want,
                 run->out ? run->out : "", run->err ? run->err : "");
}

static json_t *parse_json(const char *text)
{
    json_error_t jerr;
    json_t *doc = json_loads(text, 0, &jerr);
    if (!doc)
        fail_msg("not JSON (%s): %s", jerr.text, text);
    return doc;
}

/* `community show NAME --json`, parsed (new reference). */
static json_t *show_json(struct fixture *fx, const char *name)
{
    struct gm_h_run run;
    int rc = gm_h_cli(&fx->env, &run, "community", "show", name, "--json", NULL);
    expect_status(&run, rc, 0, "community show --json");
    assert_null(strstr(run.out, "PRIVATE KEY"));
    json_t *doc = parse_json(run.out);
    gm_h_run_clear(&run);
    return doc;
}

/* The names `community list --json` returns, comma-separated, into out. */
static void list_names(struct fixture *fx, char *out, size_t size)
{
    struct gm_h_run run;
    int rc = gm_h_cli(&fx->env, &run, "community", "list", "--json", NULL);
    expect_status(&run, rc, 0, "community list --json");
    assert_null(strstr(run.out, "PRIVATE KEY"));
    json_t *arr = parse_json(run.out);
    assert_true(json_is_array(arr));
    size_t i, n = 0;
    json_t *item;
    out[0] = '\0';
    json_array_foreach(arr, i, item)
    {
        const char *name = json_string_value(json_object_get(item, "name"));
        assert_non_null(name);
        n += (size_t)snprintf(out + n, size - n, "%s%s", i ? "," : "", name);
        assert_true(n < size);
    }
    json_decref(arr);
    gm_h_run_clear(&run);
}

static const char *jstr(json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));
    if (!s)
        fail_msg("member '%s' missing or not a string", key);
    return s;
}

/* ---- the community life cycle ----------------------------------------------------------- */

static void test_lifecycle(void **state)
{
    struct fixture *fx = *state;
    struct gm_h_run run;
    char names[256];
    time_t before = time(NULL);

    list_names(fx, names, sizeof names);
    assert_string_equal(names, "");
    int rc = gm_h_cli(&fx->env, &run, "community", "create", "rust_de", "--title", "Rust DE",
                      "--summary", "Alles über Rust.\nZweite Zeile.", "--rule", "Be kind", "--rule",
                      "No spam", NULL);
    expect_status(&run, rc, 0, "create");
    assert_non_null(strstr(run.out, "created community rust_de"));
    assert_non_null(strstr(run.out, "@rust_de@groups.example.org"));
    gm_h_run_clear(&run);
    rc = gm_h_cli(&fx->env, &run, "community", "create", "zeta", NULL);
    expect_status(&run, rc, 0, "create zeta");
    gm_h_run_clear(&run);
    rc = gm_h_cli(&fx->env, &run, "community", "create", "alpha_1", "--title", "Alpha", NULL);
    expect_status(&run, rc, 0, "create alpha_1");
    gm_h_run_clear(&run);

    json_t *doc = show_json(fx, "rust_de");
    assert_string_equal(jstr(doc, "name"), "rust_de");
    assert_string_equal(jstr(doc, "handle"), "@rust_de@groups.example.org");
    assert_string_equal(jstr(doc, "title"), "Rust DE");
    assert_string_equal(jstr(doc, "summary"), "Alles über Rust.\nZweite Zeile.");
    json_t *rules = json_object_get(doc, "rules");
    assert_int_equal(json_array_size(rules), 2);
    assert_string_equal(json_string_value(json_array_get(rules, 0)), "Be kind");
    assert_string_equal(json_string_value(json_array_get(rules, 1)), "No spam");
    json_int_t created = json_integer_value(json_object_get(doc, "created"));
    assert_true(created >= (json_int_t)before - 1 && created <= (json_int_t)time(NULL) + 1);
    assert_true(strncmp(jstr(doc, "public_key_pem"), "-----BEGIN PUBLIC KEY-----", 26) == 0);
    json_decref(doc);

    doc = show_json(fx, "zeta"); /* defaults: title = name, empty summary, no rules */
    assert_string_equal(jstr(doc, "title"), "zeta");
    assert_string_equal(jstr(doc, "summary"), "");
    assert_int_equal(json_array_size(json_object_get(doc, "rules")), 0);
    json_decref(doc);

    rc = gm_h_cli(&fx->env, &run, "community", "show", "rust_de", NULL);
    expect_status(&run, rc, 0, "show (text)");
    assert_non_null(strstr(run.out, "rust_de"));
    assert_non_null(strstr(run.out, "title:   Rust DE"));
    assert_non_null(strstr(run.out, "rule 2:  No spam"));
    gm_h_run_clear(&run);

    list_names(fx, names, sizeof names); /* sorted by name */
    assert_string_equal(names, "alpha_1,rust_de,zeta");
    rc = gm_h_cli(&fx->env, &run, "community", "list", NULL);
    expect_status(&run, rc, 0, "list (text)");
    assert_non_null(strstr(run.out, "alpha_1"));
    assert_non_null(strstr(run.out, "Rust DE"));
    gm_h_run_clear(&run);

    /* set: title only keeps the rest; --rule replaces the rules; --no-rules clears them. */
    rc = gm_h_cli(&fx->env, &run, "community", "set", "rust_de", "--title", "Rust auf Deutsch",
                  NULL);
    expect_status(&run, rc, 0, "set --title");
    assert_non_null(strstr(run.out, "updated community rust_de"));
    gm_h_run_clear(&run);
    doc = show_json(fx, "rust_de");
    assert_string_equal(jstr(doc, "title"), "Rust auf Deutsch");
    assert_string_equal(jstr(doc, "summary"), "Alles über Rust.\nZweite Zeile.");
    assert_int_equal(json_array_size(json_object_get(doc, "rules")), 2);
    assert_int_equal(json_integer_value(json_object_get(doc, "created")), created);
    json_decref(doc);

    rc = gm_h_cli(&fx->env, &run, "community", "set", "rust_de", "--rule", "Only Rust", "--summary",
                  "Neu", NULL);
    expect_status(&run, rc, 0, "set --rule --summary");
    gm_h_run_clear(&run);
    doc = show_json(fx, "rust_de");
    assert_string_equal(jstr(doc, "summary"), "Neu");
    rules = json_object_get(doc, "rules");
    assert_int_equal(json_array_size(rules), 1);
    assert_string_equal(json_string_value(json_array_get(rules, 0)), "Only Rust");
    json_decref(doc);

    rc = gm_h_cli(&fx->env, &run, "community", "set", "rust_de", "--no-rules", NULL);
    expect_status(&run, rc, 0, "set --no-rules");
    gm_h_run_clear(&run);
    doc = show_json(fx, "rust_de");
    assert_int_equal(json_array_size(json_object_get(doc, "rules")), 0);
    json_decref(doc);

    /* delete needs --yes and then removes for good */
    rc = gm_h_cli(&fx->env, &run, "community", "delete", "zeta", NULL);
    expect_status(&run, rc, 2, "delete without --yes");
    assert_non_null(strstr(run.err, "--yes"));
    gm_h_run_clear(&run);
    list_names(fx, names, sizeof names);
    assert_string_equal(names, "alpha_1,rust_de,zeta");
    rc = gm_h_cli(&fx->env, &run, "community", "delete", "zeta", "--yes", NULL);
    expect_status(&run, rc, 0, "delete --yes");
    assert_non_null(strstr(run.out, "deleted community zeta"));
    gm_h_run_clear(&run);
    rc = gm_h_cli(&fx->env, &run, "community", "show", "zeta", NULL);
    expect_status(&run, rc, 2, "show after delete");
    assert_non_null(strstr(run.err, "'zeta' does not exist"));
    gm_h_run_clear(&run);
    list_names(fx, names, sizeof names);
    assert_string_equal(names, "alpha_1,rust_de");
    /* the name is free again */
    rc = gm_h_cli(&fx->env, &run, "community", "create", "zeta", NULL);
    expect_status(&run, rc, 0, "create again after delete");
    gm_h_run_clear(&run);
    fx->finished = 1;
}

/* ---- usage and validation errors: exit 2, message on stderr, nothing stored ------------- */

struct usage_case {
    const char *what;
    const char *args[MAX_ROW_ARGS];
    const char *stderr_has;
};

static const struct usage_case usage_cases[] = {
    {"no command", {NULL}, "usage:"},
    {"unknown command", {"frobnicate", NULL}, "unknown command 'frobnicate'"},
    {"community without subcommand", {"community", NULL}, "usage: gemeinde community"},
    {"unknown subcommand", {"community", "rename", "x", NULL}, "usage: gemeinde community"},
    {"create without name", {"community", "create", NULL}, "NAME is missing"},
    {"create name is an option", {"community", "create", "--title", "x", NULL}, "NAME is missing"},
    {"show without name", {"community", "show", NULL}, "NAME is missing"},
    {"uppercase name", {"community", "create", "Rust", NULL}, "invalid name 'Rust'"},
    {"dash in name", {"community", "create", "rust-de", NULL}, "invalid name 'rust-de'"},
    {"empty name", {"community", "create", "", NULL}, "invalid name ''"},
    {"65-byte name",
     {"community", "create", "a1234567890123456789012345678901234567890123456789012345678901234",
      NULL},
     "invalid name"},
    {"non-ASCII name", {"community", "create", "grüße", NULL}, "invalid name"},
    {"taken name", {"community", "create", "taken", NULL}, "'taken' already exists"},
    {"empty title", {"community", "create", "x", "--title", "", NULL}, "title"},
    {"control character in title", {"community", "create", "x", "--title", "a\tb", NULL}, "title"},
    {"newline in title", {"community", "create", "x", "--title", "a\nb", NULL}, "title"},
    {"invalid UTF-8 in title", {"community", "create", "x", "--title", "bad \xff", NULL}, "title"},
    {"overlong UTF-8 in summary",
     {"community", "create", "x", "--summary", "\xc0\xaf", NULL},
     "summary"},
    {"surrogate in summary",
     {"community", "create", "x", "--summary", "\xed\xa0\x80", NULL},
     "summary"},
    {"empty rule", {"community", "create", "x", "--rule", "", NULL}, "rule 1"},
    {"two-line rule",
     {"community", "create", "x", "--rule", "ok", "--rule", "a\nb", NULL},
     "rule 2"},
    {"unknown option", {"community", "create", "x", "--colour", "red", NULL}, "'--colour'"},
    {"option without value", {"community", "create", "x", "--title", NULL}, "'--title'"},
    {"show unknown", {"community", "show", "nobody", NULL}, "'nobody' does not exist"},
    {"show invalid name", {"community", "show", "No/Body", NULL}, "does not exist"},
    {"set unknown", {"community", "set", "nobody", "--title", "t", NULL}, "does not exist"},
    {"set invalid title", {"community", "set", "taken", "--title", "", NULL}, "title"},
    {"delete unknown", {"community", "delete", "nobody", "--yes", NULL}, "does not exist"},
    {"delete without --yes", {"community", "delete", "taken", NULL}, "--yes"},
    {"serve with stray argument", {"serve", "--port", "80", NULL}, "unknown argument '--port'"},
    {"serve --port-file without value", {"serve", "--port-file", NULL}, "'--port-file'"},
    {"-c without value", {"community", "list", "-c", NULL}, "-c needs a value"},
    {"option key without value",
     {"community", "list", "--threads", NULL},
     "--threads needs a value"},
};

static void test_usage_errors(void **state)
{
    struct fixture *fx = *state;
    struct gm_h_run run;
    char names[256];
    int rc = gm_h_cli(&fx->env, &run, "community", "create", "taken", "--title", "Taken", NULL);
    expect_status(&run, rc, 0, "create taken");
    gm_h_run_clear(&run);
    for (size_t i = 0; i < sizeof usage_cases / sizeof usage_cases[0]; i++) {
        const struct usage_case *c = &usage_cases[i];
        rc = cli(fx, c->args, &run);
        expect_status(&run, rc, 2, c->what);
        if (!strstr(run.err, c->stderr_has))
            fail_msg("%s: stderr lacks \"%s\": %s", c->what, c->stderr_has, run.err);
        gm_h_run_clear(&run);
    }
    list_names(fx, names, sizeof names); /* no failed command stored anything */
    assert_string_equal(names, "taken");
    json_t *doc = show_json(fx, "taken");
    assert_string_equal(jstr(doc, "title"), "Taken");
    json_decref(doc);
    fx->finished = 1;
}

/* Length limits: title 200, summary 5000 bytes, 50 rules of 1000 bytes, on both sides. */
static void test_limits(void **state)
{
    struct fixture *fx = *state;
    struct gm_h_run run;
    char *title = malloc(202), *summary = malloc(5002), *rule = malloc(1002);
    assert_non_null(title);
    assert_non_null(summary);
    assert_non_null(rule);
    memset(title, 't', 201);
    memset(summary, 's', 5001);
    memset(rule, 'r', 1001);
    struct {
        const char *what, *opt;
        char *text;
        size_t ok_len;
    } rows[] = {{"title", "--title", title, 200},
                {"summary", "--summary", summary, 5000},
                {"rule 1", "--rule", rule, 1000}};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        rows[i].text[rows[i].ok_len + 1] = '\0';
        int rc =
            gm_h_cli(&fx->env, &run, "community", "create", "big", rows[i].opt, rows[i].text, NULL);
        expect_status(&run, rc, 2, rows[i].what);
        assert_non_null(strstr(run.err, rows[i].what));
        gm_h_run_clear(&run);
        rows[i].text[rows[i].ok_len] = '\0';
    }
    int rc = gm_h_cli(&fx->env, &run, "community", "create", "big", "--title", title, "--summary",
                      summary, "--rule", rule, NULL);
    expect_status(&run, rc, 0, "create at the limits");
    gm_h_run_clear(&run);

    /* 50 rules are fine, 51 are not */
    const char *argv[2 + 4 + 2 * 52 + 1];
    size_t n = 0;
    argv[n++] = "-c";
    argv[n++] = fx->env.config;
    argv[n++] = "community";
    argv[n++] = "set";
    argv[n++] = "big";
    for (int r = 0; r < 51; r++) {
        argv[n++] = "--rule";
        argv[n++] = "a rule";
    }
    argv[n] = NULL;
    rc = gm_h_run_argv(binary, argv, GM_H_CLI_TIMEOUT_MS, &run);
    expect_status(&run, rc, 2, "51 rules");
    assert_non_null(strstr(run.err, "at most 50 rules"));
    gm_h_run_clear(&run);
    argv[n - 2] = NULL;
    rc = gm_h_run_argv(binary, argv, GM_H_CLI_TIMEOUT_MS, &run);
    expect_status(&run, rc, 0, "50 rules");
    gm_h_run_clear(&run);
    json_t *doc = show_json(fx, "big");
    assert_int_equal(json_array_size(json_object_get(doc, "rules")), 50);
    assert_int_equal(strlen(jstr(doc, "summary")), 5000);
    json_decref(doc);
    free(title);
    free(summary);
    free(rule);
    fx->finished = 1;
}

/* ---- configuration errors --------------------------------------------------------------- */

struct config_case {
    const char *what;
    const char *line; /* appended to the node's config file */
    const char *stderr_has;
};

static const struct config_case config_cases[] = {
    {"unknown key", "colour = blue\n", "unknown configuration key 'colour'"},
    {"line without '='", "listen 127.0.0.1:0\n", "expected 'key = value'"},
    {"max_body below 1024", "max_body = 12\n", "max_body"},
    {"max_body not a number", "max_body = lots\n", "max_body"},
    {"max_body negative", "max_body = -5000\n", "max_body"},
    {"max_body over 64 MiB", "max_body = 67108865\n", "max_body"},
    {"threads zero", "threads = 0\n", "threads"},
    {"threads too many", "threads = 257\n", "threads"},
    {"threads with unit", "threads = 4x\n", "threads"},
    {"map_size_mb too small", "map_size_mb = 15\n", "map_size_mb"},
    {"log_level unknown", "log_level = verbose\n", "log_level"},
    {"allow_private_addresses not boolean", "allow_private_addresses = maybe\n",
     "allow_private_addresses"},
    {"listen without port", "listen = 127.0.0.1\n", "listen"},
    {"listen port too big", "listen = 127.0.0.1:65536\n", "listen"},
    {"listen IPv6 without brackets", "listen = ::1:80\n", "listen"},
    {"base_url without scheme", "base_url = groups.example.org\n", "base_url"},
    {"base_url ftp", "base_url = ftp://groups.example.org\n", "base_url"},
    {"base_url with path", "base_url = https://example.org/groups\n", "base_url"},
    {"base_url with user", "base_url = https://me@example.org\n", "base_url"},
    {"empty data_dir", "data_dir =\n", "data_dir"},
};

static void test_config_file_errors(void **state)
{
    struct fixture *fx = *state;
    struct gm_h_run run;
    char base[GM_H_PATH * 2], text[GM_H_PATH * 3], path[GM_H_PATH];
    snprintf(base, sizeof base, "data_dir = %s\nlog_level = info\n", fx->env.data_dir);
    for (size_t i = 0; i < sizeof config_cases / sizeof config_cases[0]; i++) {
        const struct config_case *c = &config_cases[i];
        snprintf(text, sizeof text, "%s# a comment\n\n%s", base, c->line);
        assert_int_equal(gm_h_env_file(&fx->env, "bad.conf", text, path, sizeof path), 0);
        const char *argv[] = {"-c", path, "community", "list", NULL};
        int rc = gm_h_run_argv(binary, argv, GM_H_CLI_TIMEOUT_MS, &run);
        expect_status(&run, rc, 2, c->what);
        if (!strstr(run.err, c->stderr_has) || !strstr(run.err, "bad.conf:5"))
            fail_msg("%s: stderr lacks \"%s\" or the file:line: %s", c->what, c->stderr_has,
                     run.err);
        gm_h_run_clear(&run);
    }
    /* A line over the 4096-byte limit is refused, not split. */
    char *long_line = malloc(6000);
    assert_non_null(long_line);
    memset(long_line, 'x', 5998);
    memcpy(long_line, "# ", 2);
    long_line[5998] = '\n';
    long_line[5999] = '\0';
    assert_int_equal(gm_h_env_file(&fx->env, "long.conf", long_line, path, sizeof path), 0);
    free(long_line);
    const char *argv[] = {"-c", path, "community", "list", NULL};
    int rc = gm_h_run_argv(binary, argv, GM_H_CLI_TIMEOUT_MS, &run);
    expect_status(&run, rc, 2, "overlong line");
    assert_non_null(strstr(run.err, "longer than"));
    gm_h_run_clear(&run);
    fx->finished = 1;
}

struct option_case {
    const char *what;
    const char *args[MAX_ROW_ARGS];
    const char *stderr_has;
};

static const struct option_case option_cases[] = {
    {"--max-body too small", {"--max-body", "12", "community", "list", NULL}, "max_body"},
    {"--threads not a number", {"--threads", "many", "community", "list", NULL}, "threads"},
    {"--listen garbage", {"--listen", "here", "community", "list", NULL}, "listen"},
    {"--log_level unknown", {"--log_level", "chatty", "community", "list", NULL}, "log_level"},
    {"unknown --key", {"--colour", "blue", "community", "list", NULL}, "'--colour'"},
};

static void test_config_option_errors(void **state)
{
    struct fixture *fx = *state;
    struct gm_h_run run;
    for (size_t i = 0; i < sizeof option_cases / sizeof option_cases[0]; i++) {
        int rc = cli(fx, option_cases[i].args, &run);
        expect_status(&run, rc, 2, option_cases[i].what);
        if (!strstr(run.err, option_cases[i].stderr_has))
            fail_msg("%s: stderr lacks \"%s\": %s", option_cases[i].what,
                     option_cases[i].stderr_has, run.err);
        gm_h_run_clear(&run);
    }
    fx->finished = 1;
}

static void test_config_unreadable(void **state)
{
    struct fixture *fx = *state;
    struct gm_h_run run;
    char missing[GM_H_PATH], secret[GM_H_PATH];
    snprintf(missing, sizeof missing, "%s/no-such.conf", fx->env.dir);
    assert_int_equal(gm_h_env_file(&fx->env, "secret.conf", "threads = 2\n", secret, sizeof secret),
                     0);
    assert_int_equal(chmod(secret, 0), 0);
    struct {
        const char *what, *path;
        int skip_as_root;
    } rows[] = {{"missing file", missing, 0},
                {"a directory", fx->env.dir, 0},
                {"no read permission", secret, 1}};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        if (rows[i].skip_as_root && geteuid() == 0)
            continue; /* root reads anything */
        const char *argv[] = {"-c", rows[i].path, "community", "list", NULL};
        int rc = gm_h_run_argv(binary, argv, GM_H_CLI_TIMEOUT_MS, &run);
        expect_status(&run, rc, 2, rows[i].what);
        if (!strstr(run.err, "cannot read config file") || !strstr(run.err, rows[i].path))
            fail_msg("%s: stderr does not name the file: %s", rows[i].what, run.err);
        gm_h_run_clear(&run);
    }
    fx->finished = 1;
}

/* data_dir below a regular file, or a regular file itself: refused with exit 2, also by serve
 * (which must not start). */
static void test_data_dir_uncreatable(void **state)
{
    struct fixture *fx = *state;
    struct gm_h_run run;
    char file[GM_H_PATH], under[GM_H_PATH + 16], conf[GM_H_PATH * 2 + 64], path[GM_H_PATH],
        port_file[GM_H_PATH + 16];
    assert_int_equal(gm_h_env_file(&fx->env, "plain", "not a folder\n", file, sizeof file), 0);
    snprintf(under, sizeof under, "%s/data/deeper", file);
    snprintf(port_file, sizeof port_file, "%s/port", fx->env.dir);
    const char *dirs[] = {under, file};
    for (size_t i = 0; i < 2; i++) {
        snprintf(conf, sizeof conf, "listen = 127.0.0.1:0\ndata_dir = %s\n", dirs[i]);
        assert_int_equal(gm_h_env_file(&fx->env, "dd.conf", conf, path, sizeof path), 0);
        const char *list[] = {"-c", path, "community", "list", NULL};
        const char *create[] = {"-c", path, "community", "create", "x", NULL};
        const char *serve[] = {"-c", path, "serve", "--port-file", port_file, NULL};
        const char *const *cmds[] = {list, create, serve};
        for (size_t k = 0; k < 3; k++) {
            int rc = gm_h_run_argv(binary, cmds[k], GM_H_CLI_TIMEOUT_MS, &run);
            expect_status(&run, rc, 2, cmds[k][2]);
            if (!strstr(run.err, "data_dir") || !strstr(run.err, dirs[i]))
                fail_msg("%s: stderr does not name data_dir: %s", cmds[k][2], run.err);
            gm_h_run_clear(&run);
        }
        assert_int_equal(access(port_file, F_OK), -1);
    }
    fx->finished = 1;
}

/* Comments, blank lines, spaces, '-' in keys; --KEY VALUE wins over the file. */
static void test_config_valid(void **state)
{
    struct fixture *fx = *state;
    struct gm_h_run run;
    char conf[GM_H_PATH * 2 + 256], path[GM_H_PATH], other[GM_H_PATH + 16], names[256];
    snprintf(conf, sizeof conf,
             "# node\n\n   data_dir   =   %s   \nmap-size-mb = 64\n\tthreads=2\n"
             "allow_private_addresses = no\nbase_url = http://[::1]:8080\n",
             fx->env.data_dir);
    assert_int_equal(gm_h_env_file(&fx->env, "ok.conf", conf, path, sizeof path), 0);
    const char *create[] = {"-c", path, "community", "create", "spaced", NULL};
    int rc = gm_h_run_argv(binary, create, GM_H_CLI_TIMEOUT_MS, &run);
    expect_status(&run, rc, 0, "create with a spaced config");
    assert_non_null(strstr(run.out, "@spaced@[::1]:8080"));
    gm_h_run_clear(&run);
    list_names(fx, names, sizeof names);
    assert_string_equal(names, "spaced");

    snprintf(other, sizeof other, "%s/other", fx->env.dir);
    const char *create2[] = {"-c", path, "--data-dir", other, "community", "create", "moved", NULL};
    rc = gm_h_run_argv(binary, create2, GM_H_CLI_TIMEOUT_MS, &run);
    expect_status(&run, rc, 0, "create with --data-dir");
    gm_h_run_clear(&run);
    list_names(fx, names, sizeof names); /* not in the file's data_dir */
    assert_string_equal(names, "spaced");
    const char *list2[] = {"--data_dir", other, "community", "list", NULL};
    rc = gm_h_run_argv(binary, list2, GM_H_CLI_TIMEOUT_MS, &run);
    expect_status(&run, rc, 0, "list with --data_dir");
    assert_non_null(strstr(run.out, "moved"));
    gm_h_run_clear(&run);
    fx->finished = 1;
}

static void test_help_version(void **state)
{
    struct fixture *fx = *state;
    struct gm_h_run run;
    const char *const help[] = {"--help", NULL};
    int rc = cli(fx, help, &run);
    expect_status(&run, rc, 0, "--help");
    assert_non_null(strstr(run.out, "usage: gemeinde"));
    assert_non_null(strstr(run.out, "max_body"));
    gm_h_run_clear(&run);
    const char *const version[] = {"--version", NULL};
    rc = cli(fx, version, &run);
    expect_status(&run, rc, 0, "--version");
    assert_true(strncmp(run.out, "gemeinde ", 9) == 0);
    gm_h_run_clear(&run);
    fx->finished = 1;
}

/* ---- the CLI next to a running daemon --------------------------------------------------- */

static long get_status(struct fixture *fx, const char *path, json_t **doc)
{
    struct gm_h_resp resp;
    assert_int_equal(gm_h_get(&fx->d, path, "application/activity+json", &resp), 0);
    long status = resp.status;
    if (doc)
        *doc = status == 200 ? parse_json(resp.body) : NULL;
    gm_h_resp_clear(&resp);
    return status;
}

static void test_cli_while_serving(void **state)
{
    struct fixture *fx = *state;
    struct gm_h_run run;
    json_t *doc;
    assert_int_equal(gm_h_serve_start(&fx->env, &fx->d), 0);
    assert_int_equal(get_status(fx, "/c/live", NULL), 404);

    int rc = gm_h_cli(&fx->env, &run, "community", "create", "live", "--title", "Live!",
                      "--summary", "on air", NULL);
    expect_status(&run, rc, 0, "create while serving");
    gm_h_run_clear(&run);
    assert_int_equal(get_status(fx, "/c/live", &doc), 200);
    assert_string_equal(jstr(doc, "preferredUsername"), "live");
    assert_string_equal(jstr(doc, "name"), "Live!");
    json_decref(doc);
    assert_int_equal(get_status(fx, "/nodeinfo/2.1", &doc), 200);
    assert_int_equal(json_integer_value(json_object_get(
                         json_object_get(json_object_get(doc, "usage"), "users"), "total")),
                     1);
    json_decref(doc);

    rc = gm_h_cli(&fx->env, &run, "community", "set", "live", "--title", "Renamed", NULL);
    expect_status(&run, rc, 0, "set while serving");
    gm_h_run_clear(&run);
    assert_int_equal(get_status(fx, "/c/live", &doc), 200);
    assert_string_equal(jstr(doc, "name"), "Renamed");
    json_decref(doc);

    rc = gm_h_cli(&fx->env, &run, "community", "delete", "live", "--yes", NULL);
    expect_status(&run, rc, 0, "delete while serving");
    gm_h_run_clear(&run);
    assert_int_equal(get_status(fx, "/c/live", NULL), 404);
    assert_true(gm_h_serve_alive(&fx->d));
    assert_int_equal(gm_h_serve_stop(&fx->d, SIGTERM), 0);
    fx->finished = 1;
}

int main(int argc, char **argv)
{
    binary = gm_h_binary(argc, argv);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_lifecycle, setup_base_url, teardown),
        cmocka_unit_test_setup_teardown(test_usage_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_limits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_config_file_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_config_option_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_config_unreadable, setup, teardown),
        cmocka_unit_test_setup_teardown(test_data_dir_uncreatable, setup, teardown),
        cmocka_unit_test_setup_teardown(test_config_valid, setup, teardown),
        cmocka_unit_test_setup_teardown(test_help_version, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cli_while_serving, setup, teardown),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return failed;
}
