/* SPDX-License-Identifier: Apache-2.0
 * test_log.c - level names, the current level, and what reaches stderr: filtering by level,
 * one line per event with a UTC timestamp and a tag, control characters escaped. stderr is
 * redirected into a temporary file while a case logs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <ctype.h>
#include <fcntl.h>

#include "gemeinde/log.h"
#include "test_util.h"

static const struct {
    const char *in;
    int rc;
    gm_log_level level;
} parse_cases[] = {
    {"error", 0, GM_LOG_ERROR},
    {"warn", 0, GM_LOG_WARN},
    {"info", 0, GM_LOG_INFO},
    {"debug", 0, GM_LOG_DEBUG},
    {"", -1, 0},
    {"ERROR", -1, 0},
    {"Info", -1, 0},
    {"warning", -1, 0},
    {"err", -1, 0},
    {"trace", -1, 0},
    {"info ", -1, 0},
    {" debug", -1, 0},
    {"3", -1, 0},
};

static void level_parse_table(void **state)
{
    for (size_t i = 0; i < TU_ARRAY_LEN(parse_cases); i++) {
        gm_log_level out = (gm_log_level)77; /* sentinel: must stay on failure */
        int rc = gm_log_level_parse(parse_cases[i].in, &out);
        if (rc != parse_cases[i].rc)
            fail_msg("'%s': rc %d, expected %d", parse_cases[i].in, rc, parse_cases[i].rc);
        if (rc == 0)
            assert_int_equal(out, parse_cases[i].level);
        else
            assert_int_equal(out, 77);
    }
}

/* Must run first: nothing has set the level yet. */
static void default_level_is_info(void **state)
{
    assert_int_equal(gm_log_get_level(), GM_LOG_INFO);
}

static void set_get_level(void **state)
{
    const gm_log_level levels[] = {GM_LOG_DEBUG, GM_LOG_ERROR, GM_LOG_WARN, GM_LOG_INFO};
    for (size_t i = 0; i < TU_ARRAY_LEN(levels); i++) {
        gm_log_set_level(levels[i]);
        assert_int_equal(gm_log_get_level(), levels[i]);
    }
}

/* stderr capture */
struct capture {
    char path[TU_PATH_MAX];
    int saved_fd;
};

static void capture_start(struct capture *c)
{
    snprintf(c->path, sizeof c->path, "/tmp/gm-test-log-XXXXXX");
    int fd = mkstemp(c->path);
    assert_true(fd >= 0);
    fflush(stderr);
    c->saved_fd = dup(STDERR_FILENO);
    assert_true(c->saved_fd >= 0);
    assert_true(dup2(fd, STDERR_FILENO) >= 0);
    close(fd);
}

/* Stop capturing; returns what was written (caller frees). */
static char *capture_stop(struct capture *c)
{
    fflush(stderr);
    assert_true(dup2(c->saved_fd, STDERR_FILENO) >= 0);
    close(c->saved_fd);
    FILE *f = fopen(c->path, "rb");
    assert_non_null(f);
    char *data = calloc(1, 65536);
    assert_non_null(data);
    size_t n = fread(data, 1, 65535, f);
    data[n] = '\0';
    fclose(f);
    unlink(c->path);
    return data;
}

/* "YYYY-MM-DDTHH:MM:SSZ " at the start of `line`. */
static int has_timestamp(const char *line)
{
    const char *pat = "dddd-dd-ddTdd:dd:ddZ ";
    for (size_t i = 0; pat[i]; i++) {
        if (pat[i] == 'd' ? !isdigit((unsigned char)line[i]) : line[i] != pat[i])
            return 0;
    }
    return 1;
}

static size_t count_char(const char *s, char ch)
{
    size_t n = 0;
    for (; *s; s++)
        n += *s == ch;
    return n;
}

static void filters_by_level(void **state)
{
    struct capture c;
    gm_log_set_level(GM_LOG_WARN);
    capture_start(&c);
    gm_debug("hidden debug");
    gm_info("hidden info %d", 1);
    gm_warn("shown warn %d", 7);
    gm_error("shown error %s", "x");
    char *out = capture_stop(&c);
    gm_log_set_level(GM_LOG_INFO);

    assert_false(tu_contains(out, "hidden"));
    assert_int_equal(count_char(out, '\n'), 2);
    assert_true(has_timestamp(out));
    assert_true(tu_contains(out, "Z WARN shown warn 7\n"));
    char *second = strchr(out, '\n') + 1;
    assert_true(has_timestamp(second));
    assert_true(tu_contains(second, "Z ERROR shown error x\n"));
    free(out);
}

static const struct {
    const char *msg, *logged;
} escape_cases[] = {
    {"plain", "plain"},
    {"a\nb", "a\\x0ab"},
    {"forged\n2024-01-01T00:00:00Z ERROR x", "forged\\x0a2024-01-01T00:00:00Z ERROR x"},
    {"cr\rtab\tesc\x1b[31m", "cr\\x0dtab\\x09esc\\x1b[31m"},
    {"del\x7f", "del\\x7f"},
    {"utf8 ä €", "utf8 ä €"},
};

static void escapes_control_characters(void **state)
{
    for (size_t i = 0; i < TU_ARRAY_LEN(escape_cases); i++) {
        struct capture c;
        capture_start(&c);
        gm_error("%s", escape_cases[i].msg);
        char *out = capture_stop(&c);
        char expected[256];
        snprintf(expected, sizeof expected, "Z ERROR %s\n", escape_cases[i].logged);
        if (!tu_contains(out, expected))
            fail_msg("case %zu: logged '%s', expected to contain '%s'", i, out, expected);
        assert_int_equal(count_char(out, '\n'), 1);
        free(out);
    }
}

static void long_message_is_one_bounded_line(void **state)
{
    char msg[5000];
    memset(msg, 'm', sizeof msg - 1);
    msg[sizeof msg - 1] = '\0';
    msg[10] = '\n'; /* escaped to 4 bytes */
    struct capture c;
    capture_start(&c);
    gm_error("%s", msg);
    char *out = capture_stop(&c);
    size_t n = strlen(out);
    assert_true(n > 1000);
    assert_true(n <= 2048);
    assert_int_equal(count_char(out, '\n'), 1);
    assert_int_equal(out[n - 1], '\n');
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(default_level_is_info),
        cmocka_unit_test(level_parse_table),
        cmocka_unit_test(set_get_level),
        cmocka_unit_test(filters_by_level),
        cmocka_unit_test(escapes_control_characters),
        cmocka_unit_test(long_message_is_one_bounded_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
