/* SPDX-License-Identifier: Apache-2.0
 * keygen.h - key pairs for communities and the instance actor, with OpenSSL 3 EVP. */
#ifndef GEMEINDE_KEYGEN_H
#define GEMEINDE_KEYGEN_H

#include "gemeinde/err.h"

/* Generate an RSA key pair of `bits` (2048 or more). GM_OK: *private_pem (PKCS#8) and
 * *public_pem (SPKI) are new strings the caller frees; wipe the private one with
 * gm_keygen_wipe_free. */
gm_err gm_keygen_rsa(unsigned bits, char **private_pem, char **public_pem);

/* Zero and free a string holding key material; NULL is allowed. */
void gm_keygen_wipe_free(char *secret);

/* Ensure the instance actor's key pair exists in the store (created on first use, race-safe
 * across processes). GM_OK: *public_pem is a new string. */
struct gm_store;
gm_err gm_keygen_instance_key(struct gm_store *st, char **public_pem);

#endif
