/* SPDX-License-Identifier: Apache-2.0
 * fuzz_inbox.c - libFuzzer target for activity intake: the depth pre-scan, the JSON parse as
 * the inbox does it, the shape check, and the origin rules (which may rewrite the document).
 * Property: after the origin rules pass, no embedded object of another origin survives except
 * in an Undo (whose inner actor was checked) - the rewrite keeps only ids. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gemeinde/fetch.h"
#include "gemeinde/inbox.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!gm_fetch_json_depth_ok((const char *)data, size, GM_INBOX_MAX_DEPTH))
        return 0;
    json_t *doc = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
    if (!doc)
        return 0;
    const char *actor = NULL, *type = NULL, *why = NULL;
    if (gm_inbox_check_shape(doc, &actor, &type, &why) == GM_OK) {
        char *a = strdup(actor), *t = strdup(type);
        if (a && t && gm_inbox_check_origin(doc, a, &why) == GM_OK) {
            json_t *obj = json_object_get(doc, "object");
            const char *oid = json_is_object(obj) ? json_string_value(json_object_get(obj, "id"))
                                                  : NULL;
            if (json_is_object(obj) && strcmp(t, "Undo") != 0 &&
                (!oid || !gm_fetch_same_origin(oid, a)))
                abort(); /* a foreign embedded object was trusted */
        }
        free(a);
        free(t);
    }
    json_decref(doc);
    return 0;
}
