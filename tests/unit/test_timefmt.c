/* SPDX-License-Identifier: Apache-2.0
 * test_timefmt.c - RFC 3339 times as ActivityPub servers write "published": UTC "Z", offsets,
 * fractions, lowercase and space separators, dates around leap years and before 1970; what is
 * not a time (impossible dates, bad offsets, trailing junk) is 0. Formatting, and the round
 * trip format -> parse over a wide range. Table-driven. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "gemeinde/timefmt.h"
#include "test_util.h"

static const struct {
    const char *text;
    int64_t want; /* 0: refused */
} parse_cases[] = {
    {"1970-01-01T00:00:01Z", 1},
    {"2024-05-01T12:00:00Z", 1714564800},
    {"2024-05-01T12:00:00.123Z", 1714564800},
    {"2024-05-01T12:00:00.123456789Z", 1714564800},
    {"2024-05-01T14:00:00+02:00", 1714564800},
    {"2024-05-01T06:30:00-05:30", 1714564800},
    {"2024-05-01T12:00:00.5+00:00", 1714564800},
    {"2024-05-01t12:00:00z", 1714564800},
    {"2024-05-01 12:00:00Z", 1714564800},
    {"2024-05-01T12:00:00", 1714564800},  /* no zone: read as UTC */
    {"2024-02-29T00:00:00Z", 1709164800}, /* leap day */
    {"2000-02-29T00:00:00Z", 951782400},  /* divisible by 400: leap */
    {"2000-03-01T00:00:00Z", 951868800},
    {"1969-12-31T23:59:59Z", -1},
    {"1900-03-01T00:00:00Z", -2203891200},
    {"2038-01-19T03:14:08Z", 2147483648LL}, /* past 32-bit time_t */
    {"9999-12-31T23:59:59Z", 253402300799LL},
    {"2016-12-31T23:59:60Z", 1483228800}, /* a leap second reads as the next one */
    /* not times */
    {"", 0},
    {"2024-05-01", 0},
    {"2024-05-01T12:00Z", 0},
    {"2024-13-01T00:00:00Z", 0},
    {"2024-00-10T00:00:00Z", 0},
    {"2024-05-00T00:00:00Z", 0},
    {"2024-05-32T00:00:00Z", 0},
    {"2024-05-01T24:00:00Z", 0},
    {"2024-05-01T12:60:00Z", 0},
    {"2024-05-01T12:00:61Z", 0},
    {"2024/05/01T12:00:00Z", 0},
    {"2024-05-01X12:00:00Z", 0},
    {"2024-05-01T12:00:00Zjunk", 0},
    {"2024-05-01T12:00:00+0200", 0},
    {"2024-05-01T12:00:00+02:00junk", 0},
    {"2024-05-01T12:00:00+2:00", 0},
    {"2024-05-01T12:00:00 UTC", 0},
    {"-024-05-01T12:00:00Z", 0},
    {"２024-05-01T12:00:00Z", 0},
    /* dates that do not exist */
    {"2023-02-29T00:00:00Z", 0},
    {"1900-02-29T00:00:00Z", 0}, /* divisible by 100, not 400: no leap day */
    {"2024-02-30T00:00:00Z", 0},
    {"2024-04-31T00:00:00Z", 0},
    {"2024-06-31T00:00:00Z", 0},
    {"2024-09-31T00:00:00Z", 0},
    {"2024-11-31T00:00:00Z", 0},
    /* offsets out of range */
    {"2024-05-01T12:00:00+24:00", 0},
    {"2024-05-01T12:00:00+99:99", 0},
    {"2024-05-01T12:00:00-00:60", 0},
    /* a fraction needs digits */
    {"2024-05-01T12:00:00.Z", 0},
};

static void parse_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < TU_ARRAY_LEN(parse_cases); i++) {
        int64_t got = gm_time_parse(parse_cases[i].text);
        if (got != parse_cases[i].want)
            fail_msg("case %zu '%s': %lld, want %lld", i, parse_cases[i].text, (long long)got,
                     (long long)parse_cases[i].want);
    }
    assert_int_equal(gm_time_parse(NULL), 0);
}

/* Every day-of-month limit of a leap and a common year: the last day parses, the next not. */
static void month_lengths(void **state)
{
    (void)state;
    static const int days[2][12] = {{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31},
                                    {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}};
    for (int leap = 0; leap < 2; leap++) {
        int year = leap ? 2024 : 2023;
        for (int m = 1; m <= 12; m++) {
            char last[32], next[32], first_of_next[32];
            snprintf(last, sizeof last, "%04d-%02d-%02dT00:00:00Z", year, m, days[leap][m - 1]);
            snprintf(next, sizeof next, "%04d-%02d-%02dT00:00:00Z", year, m, days[leap][m - 1] + 1);
            snprintf(first_of_next, sizeof first_of_next, "%04d-%02d-01T00:00:00Z",
                     m == 12 ? year + 1 : year, m == 12 ? 1 : m + 1);
            int64_t t = gm_time_parse(last);
            if (t == 0 || gm_time_parse(first_of_next) - t != 86400)
                fail_msg("%s: %lld", last, (long long)t);
            if (gm_time_parse(next) != 0)
                fail_msg("%s is not a date but parsed", next);
        }
    }
}

static void format_table(void **state)
{
    (void)state;
    static const struct {
        int64_t t;
        const char *want;
    } cases[] = {
        {0, "1970-01-01T00:00:00Z"},
        {1714564800, "2024-05-01T12:00:00Z"},
        {1709164800, "2024-02-29T00:00:00Z"},
        {-1, "1969-12-31T23:59:59Z"},
        {2147483648LL, "2038-01-19T03:14:08Z"},
        {253402300799LL, "9999-12-31T23:59:59Z"},
    };
    for (size_t i = 0; i < TU_ARRAY_LEN(cases); i++) {
        char out[32];
        memset(out, 'x', sizeof out);
        assert_ptr_equal(gm_time_format(cases[i].t, out, sizeof out), out);
        assert_string_equal(out, cases[i].want);
        char exact[21]; /* the documented minimum */
        gm_time_format(cases[i].t, exact, sizeof exact);
        assert_string_equal(exact, cases[i].want);
    }
}

/* format then parse gives the time back, hour by hour over two centuries (plus odd seconds). */
static void round_trip(void **state)
{
    (void)state;
    char out[32];
    for (int64_t t = -2208988800LL; t < 4102444800LL; t += 3600 * 7 + 13) {
        gm_time_format(t, out, sizeof out);
        if (gm_time_parse(out) != t && t != 0)
            fail_msg("%lld -> %s -> %lld", (long long)t, out, (long long)gm_time_parse(out));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parse_table),
        cmocka_unit_test(month_lengths),
        cmocka_unit_test(format_table),
        cmocka_unit_test(round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
