/* SPDX-License-Identifier: Apache-2.0
 * keygen.c - RSA key pairs through EVP_PKEY_CTX, written as PEM (PKCS#8 private, SPKI public),
 * and the instance actor's key, made once and kept in the meta table. */
#include "gemeinde/keygen.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdlib.h>
#include <string.h>

#include "gemeinde/log.h"
#include "gemeinde/store.h"

static char *bio_to_string(BIO *bio)
{
    char *data;
    long len = BIO_get_mem_data(bio, &data);
    if (len <= 0)
        return NULL;
    char *s = malloc((size_t)len + 1);
    if (s) {
        memcpy(s, data, (size_t)len);
        s[len] = '\0';
    }
    return s;
}

gm_err gm_keygen_rsa(unsigned bits, char **private_pem, char **public_pem)
{
    gm_err e = GM_EINTERNAL;
    EVP_PKEY *pkey = NULL;
    BIO *priv = NULL, *pub = NULL;
    char *priv_s = NULL, *pub_s = NULL;
    if (bits < 2048)
        return GM_EINVAL;
    pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)bits);
    if (!pkey)
        goto out;
    priv = BIO_new(BIO_s_secmem());
    pub = BIO_new(BIO_s_mem());
    if (!priv || !pub)
        goto out;
    if (!PEM_write_bio_PrivateKey(priv, pkey, NULL, NULL, 0, NULL, NULL) ||
        !PEM_write_bio_PUBKEY(pub, pkey))
        goto out;
    priv_s = bio_to_string(priv);
    pub_s = bio_to_string(pub);
    if (!priv_s || !pub_s) {
        e = GM_ENOMEM;
        goto out;
    }
    *private_pem = priv_s;
    *public_pem = pub_s;
    priv_s = pub_s = NULL;
    e = GM_OK;
out:
    if (e == GM_EINTERNAL)
        gm_error("keygen: RSA-%u generation failed", bits);
    gm_keygen_wipe_free(priv_s);
    free(pub_s);
    BIO_free(priv);
    BIO_free(pub);
    EVP_PKEY_free(pkey);
    return e;
}

void gm_keygen_wipe_free(char *secret)
{
    if (!secret)
        return;
    OPENSSL_cleanse(secret, strlen(secret));
    free(secret);
}

gm_err gm_keygen_instance_key(struct gm_store *st, char **public_pem)
{
    struct gm_txn *txn;
    gm_err e = gm_txn_begin(st, false, &txn);
    if (e != GM_OK)
        return e;
    e = gm_meta_get(txn, "instance.public_key_pem", public_pem);
    gm_txn_abort(txn);
    if (e != GM_ENOTFOUND)
        return e;

    char *priv = NULL, *pub = NULL;
    if ((e = gm_keygen_rsa(2048, &priv, &pub)) != GM_OK)
        return e;
    if ((e = gm_txn_begin(st, true, &txn)) != GM_OK)
        goto out;
    /* Another process may have made it meanwhile: keep the first. */
    char *existing = NULL;
    if (gm_meta_get(txn, "instance.public_key_pem", &existing) == GM_OK) {
        gm_txn_abort(txn);
        free(pub);
        pub = existing;
        goto done;
    }
    if ((e = gm_meta_put(txn, "instance.private_key_pem", priv)) != GM_OK ||
        (e = gm_meta_put(txn, "instance.public_key_pem", pub)) != GM_OK) {
        gm_txn_abort(txn);
        goto out;
    }
    if ((e = gm_txn_commit(txn)) != GM_OK)
        goto out;
done:
    *public_pem = pub;
    pub = NULL;
out:
    gm_keygen_wipe_free(priv);
    free(pub);
    return e;
}
