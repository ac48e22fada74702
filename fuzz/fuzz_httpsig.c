/* SPDX-License-Identifier: Apache-2.0
 * fuzz_httpsig.c - libFuzzer target for the signature parsers: the cavage Signature header,
 * RFC 9421 Signature-Input / Signature with component derivation, and the structured-field
 * parser and serialiser under them, and PEM key loading. Input: one mode byte, then up to four
 * parts separated by LF that become header values of a fixed request. Besides "no crash, no leak"
 * it checks two properties: serialising a parsed structured field is idempotent, and whatever we
 * manage to sign, we parse back and verify. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "gemeinde/httpsig.h"
#include "httpsig_sf.h"

#define NPARTS 4

struct fuzz_msg {
    const char *name[8];
    const char *value[8];
    size_t n;
};

static const char *get_header(void *ctx, const char *name)
{
    struct fuzz_msg *m = ctx;
    for (size_t i = m->n; i-- > 0;) /* later entries override earlier ones */
        if (strcmp(m->name[i], name) == 0)
            return m->value[i];
    return NULL;
}

static const char *get_header_line(void *ctx, const char *name, size_t index)
{
    return index == 0 ? get_header(ctx, name) : NULL;
}

static void set_header(struct fuzz_msg *m, const char *name, const char *value)
{
    if (m->n < 8) {
        m->name[m->n] = name;
        m->value[m->n++] = value;
    }
}

static EVP_PKEY *ed_key, *rsa_key;

static void make_keys(void)
{
    static const unsigned char seed[32] = {7, 7, 7};
    if (ed_key)
        return;
    ed_key = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, sizeof(seed));
    rsa_key = EVP_RSA_gen(1024);
    if (!ed_key || !rsa_key)
        abort();
}

/* parse -> serialise -> parse -> serialise must give the same text twice */
static void sf_roundtrip(const char *s)
{
    gm_err (*parsers[])(const char *, size_t,
                        struct gm_sf **) = {gm_sf_parse_dict, gm_sf_parse_list, gm_sf_parse_item};
    for (size_t p = 0; p < 3; p++) {
        struct gm_sf *a = NULL, *b = NULL;
        struct gm_hs_buf one, two;
        if (parsers[p](s, strlen(s), &a) != GM_OK)
            continue;
        gm_hs_buf_init(&one, 4 * GM_SF_MAX_INPUT);
        gm_hs_buf_init(&two, 4 * GM_SF_MAX_INPUT);
        gm_sf_put_field(a, &one);
        if (one.err == GM_OK && parsers[p](one.p ? one.p : "", one.len, &b) == GM_OK) {
            gm_sf_put_field(b, &two);
            if (two.len != one.len || (one.len && memcmp(one.p, two.p, one.len) != 0))
                abort();
        } else if (one.err == GM_OK && one.len <= GM_SF_MAX_INPUT) {
            abort(); /* our own output must parse */
        }
        gm_hs_buf_free(&one);
        gm_hs_buf_free(&two);
        gm_sf_free(a);
        gm_sf_free(b);
    }
}

static void look_at(const struct gm_httpsig *sig)
{
    int64_t t;
    size_t len = 0;
    (void)gm_httpsig_created(sig, &t);
    (void)gm_httpsig_expires(sig, &t);
    (void)gm_httpsig_covers(sig, "digest");
    (void)gm_httpsig_covers(sig, "@method");
    (void)gm_httpsig_check_time(sig, 1700000000, 3600, 60);
    const char *base = gm_httpsig_base(sig, &len);
    if (!base || strlen(base) != len)
        abort();
    if (gm_httpsig_scheme(sig) == GM_HTTPSIG_CAVAGE && !gm_httpsig_key_id(sig))
        abort();
    for (size_t i = 0; i < gm_httpsig_component_count(sig); i++)
        if (!gm_httpsig_component(sig, i))
            abort();
    (void)gm_httpsig_verify(sig, ed_key, NULL);
    (void)gm_httpsig_verify(sig, rsa_key, NULL);
    (void)gm_httpsig_verify(sig, rsa_key, "rsa-pss-sha512");
}

/* Sign again what the parsed signature covers, then parse and verify our own output. */
static void resign(struct fuzz_msg *fm, struct gm_httpsig_msg *m, const struct gm_httpsig *sig)
{
    const char *comps[GM_HTTPSIG_MAX_COMPONENTS];
    size_t n = gm_httpsig_component_count(sig);
    char *si = NULL, *sg = NULL;
    struct gm_httpsig *back = NULL;
    for (size_t i = 0; i < n; i++)
        comps[i] = gm_httpsig_component(sig, i);
    if (gm_httpsig_scheme(sig) == GM_HTTPSIG_CAVAGE) {
        if (gm_httpsig_sign_cavage(m, comps, n, "k", ed_key, &si) != GM_OK)
            return;
        if (gm_httpsig_parse_cavage(m, si, &back) != GM_OK ||
            gm_httpsig_verify(back, ed_key, NULL) != GM_OK)
            abort();
    } else {
        struct gm_httpsig_sign_opts o = {
            .components = comps, .ncomponents = n, .key_id = "k", .created = 1};
        o.write_alg = n % 2 == 0;
        if (gm_httpsig_sign_rfc9421(m, &o, ed_key, &si, &sg) != GM_OK)
            return;
        size_t saved = fm->n;
        set_header(fm, "signature-input", si);
        set_header(fm, "signature", sg);
        if (gm_httpsig_parse_rfc9421(m, NULL, &back) != GM_OK ||
            gm_httpsig_verify(back, ed_key, NULL) != GM_OK)
            abort();
        fm->n = saved;
    }
    gm_httpsig_free(back);
    free(si);
    free(sg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *parts[NPARTS] = {0};
    struct fuzz_msg fm = {.n = 0};
    struct gm_httpsig *sig = NULL;
    if (size < 1)
        return 0;
    make_keys();
    unsigned mode = data[0] % 5;
    const char *p = (const char *)data + 1, *end = (const char *)data + size;
    for (size_t i = 0; i < NPARTS; i++) {
        const char *nl = i + 1 < NPARTS ? memchr(p, '\n', (size_t)(end - p)) : NULL;
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        parts[i] = strndup(p, n); /* stops at a NUL byte, as a C header value would */
        p = nl ? nl + 1 : end;
    }
    struct gm_httpsig_msg m = {.method = "POST",
                               .target = "/inbox?a=1&b=%20c",
                               .scheme = "https",
                               .get_header = get_header,
                               .get_header_line = get_header_line,
                               .ctx = &fm};
    set_header(&fm, "host", "example.com");
    set_header(&fm, "date", "Tue, 20 Apr 2021 02:07:55 GMT");
    set_header(&fm, "digest", "SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=");
    switch (mode) {
    case 0: /* cavage */
        set_header(&fm, "x-a", parts[1]);
        set_header(&fm, "date", parts[2]);
        if (gm_httpsig_parse_cavage(&m, parts[0], &sig) != GM_OK)
            break;
        look_at(sig);
        resign(&fm, &m, sig);
        break;
    case 1: /* RFC 9421 */
    case 3:
        set_header(&fm, "signature-input", parts[0]);
        set_header(&fm, "signature", parts[1]);
        set_header(&fm, "x-a", parts[2]);
        if (mode == 3)
            m.target = parts[3]; /* hostile request-target, first label */
        if (gm_httpsig_parse(&m, mode == 1 && parts[3][0] ? parts[3] : NULL, &sig) != GM_OK)
            break;
        look_at(sig);
        resign(&fm, &m, sig);
        break;
    case 2: sf_roundtrip(parts[0]); break;
    }
    gm_httpsig_free(sig);
    for (size_t i = 0; i < NPARTS; i++)
        free(parts[i]);
    return 0;
}
