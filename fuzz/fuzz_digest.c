/* SPDX-License-Identifier: Apache-2.0
 * fuzz_digest.c - libFuzzer target for the Digest and Content-Digest parsers. Input: a header
 * value, an LF, then the body. Both parsers must return a gm_err for any bytes, and the digests
 * we format for a body must verify against that body. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gemeinde/digest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *nl = memchr(data, '\n', size);
    size_t hlen = nl ? (size_t)(nl - (const char *)data) : size;
    const uint8_t *body = nl ? (const uint8_t *)nl + 1 : data + size;
    size_t blen = size - (size_t)(body - data);
    char *header = strndup((const char *)data, hlen);
    char *value = NULL;
    if (!header)
        return 0;
    gm_err a = gm_digest_verify_legacy(body, blen, header);
    gm_err b = gm_digest_verify_content(body, blen, header);
    gm_err c = gm_digest_verify(body, blen, header, header);
    if (a > GM_EINTERNAL || b > GM_EINTERNAL || c > GM_EINTERNAL)
        abort();
    if ((a == GM_OK && b == GM_OK) != (c == GM_OK))
        abort();
    if (gm_digest_format_legacy(body, blen, &value) != GM_OK ||
        gm_digest_verify_legacy(body, blen, value) != GM_OK)
        abort();
    free(value);
    if (gm_digest_format_content(body, blen, 3, &value) != GM_OK ||
        gm_digest_verify_content(body, blen, value) != GM_OK)
        abort();
    free(value);
    free(header);
    return 0;
}
