/* SPDX-License-Identifier: Apache-2.0
 * httpsig.c - the front of HTTP signatures: pick the scheme a message is signed with, hold the
 * parsed signature (struct gm_httpsig) and answer questions about it, check its times and
 * dispatch verification. The schemes live in httpsig_cavage.c and httpsig_rfc9421.c, the
 * algorithms and key loading in httpsig_crypto.c, structured fields in httpsig_sf.c. */
#include "httpsig_int.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

struct gm_httpsig *gm_hs_new(enum gm_httpsig_scheme scheme)
{
    struct gm_httpsig *sig = calloc(1, sizeof(*sig));
    if (!sig)
        return NULL;
    sig->scheme = scheme;
    sig->components = calloc(GM_HTTPSIG_MAX_COMPONENTS, sizeof(char *));
    if (!sig->components) {
        free(sig);
        return NULL;
    }
    return sig;
}

gm_err gm_hs_add_component(struct gm_httpsig *sig, const char *name, size_t len)
{
    if (sig->ncomponents >= GM_HTTPSIG_MAX_COMPONENTS)
        return GM_EINVAL;
    char *copy = gm_hs_strndup(name, len);
    if (!copy)
        return GM_ENOMEM;
    sig->components[sig->ncomponents++] = copy;
    return GM_OK;
}

void gm_httpsig_free(struct gm_httpsig *sig)
{
    if (!sig)
        return;
    for (size_t i = 0; i < sig->ncomponents; i++)
        free(sig->components[i]);
    free(sig->components);
    free(sig->label);
    free(sig->key_id);
    free(sig->algorithm);
    free(sig->nonce);
    free(sig->tag);
    free(sig->base);
    OPENSSL_cleanse(sig->sig, sizeof(sig->sig));
    free(sig);
}

gm_err gm_httpsig_parse(const struct gm_httpsig_msg *msg, const char *label,
                        struct gm_httpsig **out)
{
    static const char scheme_word[] = "Signature ";
    const char *v;
    if (!msg || !msg->get_header || !out)
        return GM_EINVAL;
    if (gm_hs_header(msg, "signature-input"))
        return gm_httpsig_parse_rfc9421(msg, label, out);
    if ((v = gm_hs_header(msg, "signature")))
        return gm_httpsig_parse_cavage(msg, v, out);
    v = gm_hs_header(msg, "authorization");
    if (v && strlen(v) > sizeof(scheme_word) - 1 &&
        gm_hs_ieq("signature", v, sizeof(scheme_word) - 2) && v[sizeof(scheme_word) - 2] == ' ')
        return gm_httpsig_parse_cavage(msg, v + sizeof(scheme_word) - 1, out);
    return GM_ENOTFOUND;
}

enum gm_httpsig_scheme gm_httpsig_scheme(const struct gm_httpsig *sig)
{
    return sig->scheme;
}

const char *gm_httpsig_key_id(const struct gm_httpsig *sig)
{
    return sig->key_id;
}

const char *gm_httpsig_algorithm(const struct gm_httpsig *sig)
{
    return sig->algorithm;
}

const char *gm_httpsig_label(const struct gm_httpsig *sig)
{
    return sig->label;
}

const char *gm_httpsig_nonce(const struct gm_httpsig *sig)
{
    return sig->nonce;
}

const char *gm_httpsig_tag(const struct gm_httpsig *sig)
{
    return sig->tag;
}

gm_err gm_httpsig_created(const struct gm_httpsig *sig, int64_t *created)
{
    if (!sig->has_created)
        return GM_ENOTFOUND;
    *created = sig->created;
    return GM_OK;
}

gm_err gm_httpsig_expires(const struct gm_httpsig *sig, int64_t *expires)
{
    if (!sig->has_expires)
        return GM_ENOTFOUND;
    *expires = sig->expires;
    return GM_OK;
}

size_t gm_httpsig_component_count(const struct gm_httpsig *sig)
{
    return sig->ncomponents;
}

const char *gm_httpsig_component(const struct gm_httpsig *sig, size_t index)
{
    return index < sig->ncomponents ? sig->components[index] : NULL;
}

bool gm_httpsig_covers(const struct gm_httpsig *sig, const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < sig->ncomponents; i++) {
        const char *c = sig->components[i];
        if (sig->scheme == GM_HTTPSIG_CAVAGE) {
            if (strcmp(c, name) == 0)
                return true;
        } else if (c[0] == '"' && strncmp(c + 1, name, n) == 0 && c[n + 1] == '"' &&
                   c[n + 2] == '\0') {
            return true;
        }
    }
    return false;
}

const char *gm_httpsig_base(const struct gm_httpsig *sig, size_t *len)
{
    if (len)
        *len = sig->base_len;
    return sig->base;
}

gm_err gm_httpsig_check_time(const struct gm_httpsig *sig, int64_t now, int64_t max_age,
                             int64_t max_skew)
{
    if (!sig->has_created)
        return GM_EAUTH;
    if (sig->created > now && sig->created - now > max_skew)
        return GM_EAUTH;
    if (sig->created < now && now - sig->created > max_age)
        return GM_EAUTH;
    if (sig->has_expires && sig->expires < now)
        return GM_EAUTH;
    return GM_OK;
}

gm_err gm_httpsig_verify(const struct gm_httpsig *sig, EVP_PKEY *key, const char *alg)
{
    if (!sig || !key)
        return GM_EINVAL;
    if (sig->scheme == GM_HTTPSIG_CAVAGE)
        return gm_hs_cavage_verify(sig, key);
    return gm_hs_rfc9421_verify(sig, key, alg);
}
