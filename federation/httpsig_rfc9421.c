/* SPDX-License-Identifier: Apache-2.0
 * httpsig_rfc9421.c - RFC 9421 HTTP Message Signatures: read one labelled signature out of the
 * Signature-Input and Signature dictionaries, build its signature base exactly as section 2.5
 * says (component lines, then "@signature-params" with the serialised inner list), verify it
 * with the algorithm the caller, the alg parameter or the key decides, and sign requests. A
 * signer builds its Signature-Input text, parses it back and runs the same base builder, so
 * what we sign is what a verifier rebuilds. Component values: httpsig_components.c. */
#include "httpsig_int.h"
#include "httpsig_sf.h"

#include <stdlib.h>
#include <string.h>

/* The base for the inner list `list` of `sf`. If `sig` is given, the serialised identifiers
 * are recorded in it as the covered components. */
static gm_err build_base(const struct gm_httpsig_msg *msg, const struct gm_sf *sf,
                         const struct gm_sf_item *list, struct gm_httpsig *sig, char **base,
                         size_t *len)
{
    struct gm_hs_buf b;
    gm_err err = GM_OK;
    if (list->ninner > GM_HTTPSIG_MAX_COMPONENTS)
        return GM_EINVAL;
    gm_hs_buf_init(&b, GM_HS_MAX_BASE);
    for (size_t i = 0; i < list->ninner && err == GM_OK; i++) {
        const struct gm_sf_item *it = &sf->inner[list->inner + i];
        struct gm_hs_buf id;
        gm_hs_buf_init(&id, GM_HTTPSIG_MAX_HEADER);
        gm_sf_put_bare(&it->bare, &id);
        gm_sf_put_params(sf, it, &id);
        err = id.err;
        /* the same identifier twice is an error (section 2.5) */
        for (size_t k = 0; err == GM_OK && k < i; k++) {
            const struct gm_sf_item *prev = &sf->inner[list->inner + k];
            struct gm_hs_buf pid;
            gm_hs_buf_init(&pid, GM_HTTPSIG_MAX_HEADER);
            gm_sf_put_bare(&prev->bare, &pid);
            gm_sf_put_params(sf, prev, &pid);
            if (pid.err == GM_OK && pid.len == id.len && memcmp(pid.p, id.p, id.len) == 0)
                err = GM_EINVAL;
            gm_hs_buf_free(&pid);
        }
        if (err == GM_OK)
            err = gm_hs_component_line(msg, sf, it, &b);
        if (err == GM_OK && sig)
            err = gm_hs_add_component(sig, id.p, id.len);
        gm_hs_buf_char(&b, '\n');
        gm_hs_buf_free(&id);
    }
    gm_hs_buf_str(&b, "\"@signature-params\": ");
    gm_sf_put_member(sf, list, &b);
    if (err != GM_OK) {
        gm_hs_buf_free(&b);
        return err == GM_ETOOBIG ? GM_EINVAL : err;
    }
    err = gm_hs_buf_take(&b, base, len);
    return err == GM_ETOOBIG ? GM_EINVAL : err;
}

static gm_err copy_str_param(const struct gm_sf_bare *v, char **dst)
{
    if (!v)
        return GM_OK;
    if (v->type != GM_SF_STR)
        return GM_EINVAL;
    if (!(*dst = gm_hs_strndup(v->str, v->len)))
        return GM_ENOMEM;
    return GM_OK;
}

static gm_err read_params(const struct gm_sf *sf, const struct gm_sf_item *list,
                          struct gm_httpsig *sig)
{
    const struct gm_sf_bare *created = gm_sf_param_get(sf, list, "created");
    const struct gm_sf_bare *expires = gm_sf_param_get(sf, list, "expires");
    gm_err err;
    if ((created && created->type != GM_SF_INT) || (expires && expires->type != GM_SF_INT))
        return GM_EINVAL;
    if (created) {
        sig->created = created->num;
        sig->has_created = true;
    }
    if (expires) {
        sig->expires = expires->num;
        sig->has_expires = true;
    }
    if ((err = copy_str_param(gm_sf_param_get(sf, list, "keyid"), &sig->key_id)) != GM_OK ||
        (err = copy_str_param(gm_sf_param_get(sf, list, "alg"), &sig->algorithm)) != GM_OK ||
        (err = copy_str_param(gm_sf_param_get(sf, list, "nonce"), &sig->nonce)) != GM_OK ||
        (err = copy_str_param(gm_sf_param_get(sf, list, "tag"), &sig->tag)) != GM_OK)
        return err;
    return GM_OK;
}

/* Find the member for `label` (NULL: the first) in both dictionaries and fill `sig`. */
static gm_err read_signature(const struct gm_httpsig_msg *msg, const struct gm_sf *input,
                             const struct gm_sf *sigs, const char *label, struct gm_httpsig *sig)
{
    const struct gm_sf_item *list, *value;
    gm_err err;
    if (label && !gm_sf_is_key(label, strlen(label)))
        return GM_EINVAL;
    if (!label && input->nmembers == 0)
        return GM_EINVAL;
    list = label ? gm_sf_dict_get(input, label) : &input->members[0];
    if (!list)
        return GM_EINVAL;
    value = gm_sf_dict_get(sigs, list->key);
    if (list->bare.type != GM_SF_INNER || !value || value->bare.type != GM_SF_BYTES ||
        value->bare.len == 0 || value->bare.len > sizeof(sig->sig))
        return GM_EINVAL;
    memcpy(sig->sig, value->bare.str, value->bare.len);
    sig->sig_len = value->bare.len;
    if (!(sig->label = gm_hs_strndup(list->key, strlen(list->key))))
        return GM_ENOMEM;
    if ((err = read_params(input, list, sig)) != GM_OK)
        return err;
    return build_base(msg, input, list, sig, &sig->base, &sig->base_len);
}

static gm_err parse_header_dict(const struct gm_httpsig_msg *msg, const char *name,
                                struct gm_sf **out)
{
    const char *v = gm_hs_header(msg, name);
    size_t n;
    if (!v)
        return GM_EINVAL;
    n = strlen(v);
    if (n > GM_HTTPSIG_MAX_HEADER)
        return GM_EINVAL;
    return gm_sf_parse_dict(v, n, out);
}

gm_err gm_httpsig_parse_rfc9421(const struct gm_httpsig_msg *msg, const char *label,
                                struct gm_httpsig **out)
{
    struct gm_sf *input = NULL, *sigs = NULL;
    struct gm_httpsig *sig = NULL;
    gm_err err;
    if (!msg || !msg->get_header || !out)
        return GM_EINVAL;
    if (!gm_hs_header(msg, "signature-input"))
        return GM_ENOTFOUND;
    if ((err = parse_header_dict(msg, "signature-input", &input)) != GM_OK ||
        (err = parse_header_dict(msg, "signature", &sigs)) != GM_OK)
        goto out;
    if (!(sig = gm_hs_new(GM_HTTPSIG_RFC9421))) {
        err = GM_ENOMEM;
        goto out;
    }
    err = read_signature(msg, input, sigs, label, sig);
out:
    gm_sf_free(input);
    gm_sf_free(sigs);
    if (err != GM_OK) {
        gm_httpsig_free(sig);
        return err;
    }
    *out = sig;
    return GM_OK;
}

gm_err gm_hs_rfc9421_verify(const struct gm_httpsig *sig, EVP_PKEY *key, const char *alg)
{
    enum gm_hs_alg a;
    if (alg) {
        a = gm_hs_alg_from_name(alg, strlen(alg));
        if (a == GM_HS_ALG_NONE)
            return GM_EINVAL;
        if (sig->algorithm && strcmp(sig->algorithm, alg) != 0)
            return GM_EAUTH; /* the signer claims another algorithm than the key's */
    } else if (sig->algorithm) {
        a = gm_hs_alg_from_name(sig->algorithm, strlen(sig->algorithm));
        if (a == GM_HS_ALG_NONE)
            return GM_EINVAL;
    } else if ((a = gm_hs_alg_for_key(key)) == GM_HS_ALG_NONE) {
        return GM_EAUTH;
    }
    return gm_hs_verify(a, key, sig->base, sig->base_len, sig->sig, sig->sig_len);
}

static void put_str_param(struct gm_hs_buf *b, const char *key, const char *value)
{
    struct gm_sf_bare v = {.type = GM_SF_STR, .str = value, .len = strlen(value)};
    gm_hs_buf_char(b, ';');
    gm_hs_buf_str(b, key);
    gm_hs_buf_char(b, '=');
    gm_sf_put_bare(&v, b);
}

/* Signature-Input member text for opts: label=("c1" "c2");created=...;keyid="..." ... */
static gm_err input_text(const struct gm_httpsig_sign_opts *o, const char *alg_name,
                         struct gm_hs_buf *b)
{
    const char *label = o->label ? o->label : "sig1";
    if (!gm_sf_is_key(label, strlen(label)) || o->ncomponents > GM_HTTPSIG_MAX_COMPONENTS ||
        (o->ncomponents > 0 && !o->components))
        return GM_EINVAL;
    gm_hs_buf_str(b, label);
    gm_hs_buf_str(b, "=(");
    for (size_t i = 0; i < o->ncomponents; i++) {
        const char *c = o->components[i];
        if (!c)
            return GM_EINVAL;
        if (i > 0)
            gm_hs_buf_char(b, ' ');
        if (c[0] == '"') {
            gm_hs_buf_str(b, c); /* already an identifier; the parse below checks it */
        } else {
            struct gm_sf_bare v = {.type = GM_SF_STR, .str = c, .len = strlen(c)};
            gm_sf_put_bare(&v, b);
        }
    }
    gm_hs_buf_char(b, ')');
    if (o->created) {
        gm_hs_buf_str(b, ";created=");
        gm_hs_buf_int(b, o->created);
    }
    if (o->key_id)
        put_str_param(b, "keyid", o->key_id);
    if (alg_name)
        put_str_param(b, "alg", alg_name);
    if (o->expires) {
        gm_hs_buf_str(b, ";expires=");
        gm_hs_buf_int(b, o->expires);
    }
    if (o->nonce)
        put_str_param(b, "nonce", o->nonce);
    if (o->tag)
        put_str_param(b, "tag", o->tag);
    return b->err == GM_ETOOBIG ? GM_EINVAL : b->err;
}

static gm_err sign_parsed(const struct gm_httpsig_msg *msg, const struct gm_sf *input,
                          enum gm_hs_alg alg, EVP_PKEY *key, char **si, char **sg)
{
    unsigned char raw[GM_HS_MAX_SIG];
    size_t rawlen = 0, base_len = 0;
    char *base = NULL, *input_value = NULL, *sig_value = NULL;
    struct gm_hs_buf out_si, out_sg;
    const struct gm_sf_item *list = &input->members[0];
    gm_err err;
    gm_hs_buf_init(&out_si, GM_HTTPSIG_MAX_HEADER);
    gm_hs_buf_init(&out_sg, GM_HTTPSIG_MAX_HEADER);
    if (input->nmembers != 1 || list->bare.type != GM_SF_INNER) {
        err = GM_EINVAL;
        goto out;
    }
    if ((err = build_base(msg, input, list, NULL, &base, &base_len)) != GM_OK ||
        (err = gm_hs_sign(alg, key, base, base_len, raw, &rawlen)) != GM_OK)
        goto out;
    gm_sf_put_field(input, &out_si);
    gm_hs_buf_str(&out_sg, list->key);
    gm_hs_buf_str(&out_sg, "=:");
    gm_hs_b64_encode(raw, rawlen, &out_sg);
    gm_hs_buf_char(&out_sg, ':');
    if ((err = gm_hs_buf_take(&out_si, &input_value, NULL)) != GM_OK ||
        (err = gm_hs_buf_take(&out_sg, &sig_value, NULL)) != GM_OK)
        goto out;
    *si = input_value;
    *sg = sig_value;
    input_value = sig_value = NULL;
out:
    free(input_value);
    free(sig_value);
    gm_hs_buf_free(&out_si);
    gm_hs_buf_free(&out_sg);
    free(base);
    return err;
}

gm_err gm_httpsig_sign_rfc9421(const struct gm_httpsig_msg *msg,
                               const struct gm_httpsig_sign_opts *opts, EVP_PKEY *key,
                               char **signature_input, char **signature)
{
    struct gm_hs_buf text;
    struct gm_sf *input = NULL;
    enum gm_hs_alg alg;
    gm_err err;
    if (!msg || !opts || !key || !signature_input || !signature)
        return GM_EINVAL;
    alg = opts->alg ? gm_hs_alg_from_name(opts->alg, strlen(opts->alg)) : gm_hs_alg_for_key(key);
    if (alg == GM_HS_ALG_NONE)
        return GM_EINVAL;
    gm_hs_buf_init(&text, GM_HTTPSIG_MAX_HEADER);
    err = input_text(opts, opts->write_alg ? gm_hs_alg_name(alg) : NULL, &text);
    if (err == GM_OK)
        err = gm_sf_parse_dict(text.p, text.len, &input);
    if (err == GM_OK)
        err = sign_parsed(msg, input, alg, key, signature_input, signature);
    gm_sf_free(input);
    gm_hs_buf_free(&text);
    return err;
}
