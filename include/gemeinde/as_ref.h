/* SPDX-License-Identifier: Apache-2.0
 * as_ref.h - ActivityStreams references: a field naming another object is either its id (a
 * string) or the object itself (with an "id"). */
#ifndef GEMEINDE_AS_REF_H
#define GEMEINDE_AS_REF_H

#include <jansson.h>

/* The id a reference names, borrowed from `v`; NULL if it is neither form. */
static inline const char *gm_as_ref_id(json_t *v)
{
    return json_is_string(v) ? json_string_value(v) : json_string_value(json_object_get(v, "id"));
}

#endif
