/* SPDX-License-Identifier: Apache-2.0
 * log.h - leveled logging to stderr, one line per event, safe from any thread.
 * Messages are formatted with printf rules; control characters from remote input are escaped. */
#ifndef GEMEINDE_LOG_H
#define GEMEINDE_LOG_H

typedef enum gm_log_level {
    GM_LOG_ERROR = 0,
    GM_LOG_WARN,
    GM_LOG_INFO,
    GM_LOG_DEBUG
} gm_log_level;

/* Set the most verbose level that is printed (default GM_LOG_INFO). */
void gm_log_set_level(gm_log_level level);
gm_log_level gm_log_get_level(void);

/* Parse "error", "warn", "info" or "debug". Returns 0 and writes *out, or -1. */
int gm_log_level_parse(const char *s, gm_log_level *out);

void gm_log(gm_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define gm_error(...) gm_log(GM_LOG_ERROR, __VA_ARGS__)
#define gm_warn(...) gm_log(GM_LOG_WARN, __VA_ARGS__)
#define gm_info(...) gm_log(GM_LOG_INFO, __VA_ARGS__)
#define gm_debug(...) gm_log(GM_LOG_DEBUG, __VA_ARGS__)

#endif
