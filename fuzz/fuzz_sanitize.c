/* SPDX-License-Identifier: Apache-2.0
 * fuzz_sanitize.c - libFuzzer target for the remote HTML sanitizer and plain-text extractor.
 * Properties of gm_html_sanitize's output for any bytes: valid UTF-8 without NUL; every '<'
 * opens an allowed tag whose attributes are only href (http or https), class and rel, with
 * double-quoted values free of < > " '; tags balance, br is never closed, nesting stays within
 * 32; sanitizing the output again changes nothing. gm_html_to_text returns valid UTF-8 of at
 * most max_bytes + 3 bytes (the first input byte picks max_bytes). */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gemeinde/html_sanitize.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const allowed[] = {"p",   "br", "a",  "span", "strong",    "b",
                                      "em",  "i",  "u",  "s",    "del",       "code",
                                      "pre", "ul", "ol", "li",   "blockquote"};

static bool valid_utf8(const unsigned char *p, size_t n)
{
    for (size_t k = 0; k < n;) {
        unsigned char c = p[k];
        size_t len = c < 0x80 ? 1 : c < 0xC2 ? 0 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : c < 0xF5 ? 4 : 0;
        if (len == 0 || c == 0 || n - k < len)
            return false;
        if (len > 1 && ((c == 0xE0 && p[k + 1] < 0xA0) || (c == 0xED && p[k + 1] > 0x9F) ||
                        (c == 0xF0 && p[k + 1] < 0x90) || (c == 0xF4 && p[k + 1] > 0x8F)))
            return false;
        for (size_t m = 1; m < len; m++)
            if ((p[k + m] & 0xC0) != 0x80)
                return false;
        k += len;
    }
    return true;
}

static int tag_index(const char *p, size_t n)
{
    for (size_t k = 0; k < sizeof allowed / sizeof allowed[0]; k++)
        if (strlen(allowed[k]) == n && memcmp(allowed[k], p, n) == 0)
            return (int)k;
    return -1;
}

/* One tag at p ('<'); returns a pointer past its '>' or NULL if it breaks a property. */
static const char *check_tag(const char *p, int *stack, size_t *depth)
{
    bool end = p[1] == '/';
    const char *name = p + 1 + end, *q = name;
    while (*q >= 'a' && *q <= 'z')
        q++;
    int el = tag_index(name, (size_t)(q - name));
    if (el < 0)
        return NULL;
    if (end) {
        if (el == 1 || *q != '>' || *depth == 0 || stack[--*depth] != el)
            return NULL;
        return q + 1;
    }
    while (*q == ' ') { /* ` name="value"` */
        const char *an = q + 1, *eq = strchr(an, '=');
        if (!eq || eq[1] != '"')
            return NULL;
        size_t alen = (size_t)(eq - an);
        const char *v = eq + 2, *vend = strchr(v, '"');
        if (!vend || (size_t)(vend - v) != strcspn(v, "<>'\""))
            return NULL;
        if (alen == 4 && memcmp(an, "href", 4) == 0) {
            if (el != 2 || (strncasecmp(v, "http://", 7) && strncasecmp(v, "https://", 8)))
                return NULL;
        } else if (!((alen == 5 && memcmp(an, "class", 5) == 0 && (el == 2 || el == 3)) ||
                     (alen == 3 && memcmp(an, "rel", 3) == 0 && el == 2)))
            return NULL;
        q = vend + 1;
    }
    if (*q != '>')
        return NULL;
    if (el != 1) {
        if (*depth == 32)
            return NULL;
        stack[(*depth)++] = el;
    }
    return q + 1;
}

/* Tags valid and balanced, and no '>' outside them. */
static bool check_markup(const char *out)
{
    int stack[32];
    size_t depth = 0;
    for (const char *p = out; *p;) {
        if (*p == '>')
            return false;
        p = *p == '<' ? check_tag(p, stack, &depth) : p + 1;
        if (!p)
            return false;
    }
    return depth == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *out = NULL, *again = NULL;
    size_t len = 0, len2 = 0;
    if (gm_html_sanitize((const char *)data, size, &out, &len) != GM_OK)
        abort(); /* libFuzzer inputs stay below GM_SANITIZE_MAX_IN */
    if (strlen(out) != len || !valid_utf8((const unsigned char *)out, len) || !check_markup(out))
        abort();
    if (gm_html_sanitize(out, len, &again, &len2) != GM_OK || len2 != len ||
        memcmp(out, again, len) != 0)
        abort(); /* not idempotent */
    free(again);
    free(out);

    size_t max = size ? data[0] : 0;
    char *text = gm_html_to_text((const char *)data, size, max);
    if (!text || strlen(text) > max + 3 || !valid_utf8((const unsigned char *)text, strlen(text)))
        abort();
    free(text);
    return 0;
}
