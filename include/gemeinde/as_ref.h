/* SPDX-License-Identifier: Apache-2.0
 * as_ref.h - ActivityStreams references: a field naming another object is either its id (a
 * string) or the object itself (with an "id"). */
#ifndef GEMEINDE_AS_REF_H
#define GEMEINDE_AS_REF_H

#include <jansson.h>
#include <string.h>

/* The id a reference names, borrowed from `v`; NULL if it is neither form. */
static inline const char *gm_as_ref_id(json_t *v)
{
    return json_is_string(v) ? json_string_value(v) : json_string_value(json_object_get(v, "id"));
}

/* Is `s` an http(s) URL (what may become a link or be fetched)? NULL is not. */
static inline int gm_as_is_web_url(const char *s)
{
    return s && (!strncmp(s, "https://", 8) || !strncmp(s, "http://", 7));
}

#endif
