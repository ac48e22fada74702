/* SPDX-License-Identifier: Apache-2.0
 * log.c - leveled stderr logging. One write(2) per line so lines from threads never interleave;
 * bytes below 0x20 (except none) are escaped so remote input cannot forge log lines. */
#include "gemeinde/log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static atomic_int current_level = GM_LOG_INFO;

void gm_log_set_level(gm_log_level level) { atomic_store(&current_level, (int)level); }

gm_log_level gm_log_get_level(void) { return (gm_log_level)atomic_load(&current_level); }

int gm_log_level_parse(const char *s, gm_log_level *out)
{
    static const char *const names[] = {"error", "warn", "info", "debug"};
    for (int i = 0; i < 4; i++) {
        if (strcmp(s, names[i]) == 0) {
            *out = (gm_log_level)i;
            return 0;
        }
    }
    return -1;
}

void gm_log(gm_log_level level, const char *fmt, ...)
{
    static const char *const tags[] = {"ERROR", "WARN", "INFO", "DEBUG"};
    if ((int)level > atomic_load(&current_level))
        return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);

    char line[2048];
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(line, sizeof line, "%Y-%m-%dT%H:%M:%SZ ", &tm);
    n += (size_t)snprintf(line + n, sizeof line - n, "%s ", tags[level]);
    for (const unsigned char *p = (const unsigned char *)msg; *p && n + 5 < sizeof line; p++) {
        if (*p < 0x20 || *p == 0x7f)
            n += (size_t)snprintf(line + n, sizeof line - n, "\\x%02x", *p);
        else
            line[n++] = (char)*p;
    }
    line[n++] = '\n';
    ssize_t w = write(STDERR_FILENO, line, n);
    (void)w;
}
