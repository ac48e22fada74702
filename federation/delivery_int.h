/* SPDX-License-Identifier: Apache-2.0
 * delivery_int.h - what delivery.c (the worker pipeline) and delivery_prep.c (one transfer:
 * destination checks, signing, outcome classification) share. Not for other modules. */
#ifndef GEMEINDE_DELIVERY_INT_H
#define GEMEINDE_DELIVERY_INT_H

#include <curl/curl.h>
#include <openssl/evp.h>
#include <pthread.h>

#include "fetch_int.h"
#include "gemeinde/community.h"
#include "gemeinde/delivery.h"
#include "gemeinde/hosts.h"
#include "gemeinde/queue.h"

#define KEYRING_SIZE 64

/* Private keys of the communities being delivered for; cleared when full or idle. */
struct keyring {
    char name[KEYRING_SIZE][GM_NAME_MAX + 1];
    EVP_PKEY *key[KEYRING_SIZE];
    size_t n;
};

struct gm_delivery {
    struct gm_app *app;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int kicked, stopping;
    CURLM *multi;
    struct keyring ring;
    struct transfer *inflight[GM_DELIVERY_MAX_INFLIGHT];
    size_t n_inflight;
    struct transfer *done[GM_DELIVERY_MAX_INFLIGHT];
    size_t n_done;
    int64_t first_done_ms; /* when the oldest unrecorded outcome arrived */
    int64_t weekly_ms;      /* last check for due weekly digests (weekly.h) */
};

enum outcome { OUT_DONE, OUT_RETRY, OUT_DROP, OUT_ABORTED, OUT_EXPANDED };

struct transfer {
    struct gm_job *job;               /* owned */
    char host[GM_FETCH_MAX_HOST + 8]; /* destination authority, for per-host state */
    struct gm_host state;             /* as read before sending */
    enum gm_sig_scheme scheme;        /* used for this attempt */
    int knocked;                      /* already retried with the other scheme */
    int probe;                        /* sent to an unavailable host as its daily probe */
    CURL *easy;
    struct curl_slist *headers;
    struct gm_fetch_addrs addrs;
    int allow_private;
    enum outcome outcome;
    long status;
    int64_t retry_after;
};

/* Check the destination, sign, and set up t->easy. GM_OK: ready for the multi handle.
 * Otherwise t->outcome says what to do with the job (logged). */
gm_err gm_delivery_prepare(struct gm_delivery *d, struct transfer *t);
/* Set t->outcome (and status, retry_after) from a finished transfer. */
void gm_delivery_classify(struct transfer *t, CURLcode rc);
/* Free the curl handle and header lists (the job stays). */
void gm_delivery_reset(struct transfer *t);
/* Free every key of the ring. */
void gm_delivery_keyring_clear(struct keyring *ring);

#endif
