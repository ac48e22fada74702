/* SPDX-License-Identifier: Apache-2.0
 * timefmt.h - ISO 8601 / RFC 3339 times as ActivityPub writes them ("published"), UTC. */
#ifndef GEMEINDE_TIMEFMT_H
#define GEMEINDE_TIMEFMT_H

#include <stddef.h>
#include <stdint.h>

/* "2024-05-01T12:00:00Z", with optional fraction and "+hh:mm" offset -> unix seconds;
 * 0 for NULL or anything else. */
int64_t gm_time_parse(const char *s);

/* Unix seconds -> "YYYY-MM-DDTHH:MM:SSZ" in `out` (at least 21 bytes). Returns out. */
char *gm_time_format(int64_t t, char *out, size_t size);

#endif
