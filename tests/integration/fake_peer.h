/* SPDX-License-Identifier: Apache-2.0
 * fake_peer.h - a fake remote ActivityPub server for the inbox and relay integration tests,
 * and the client side of such a server: an in-process libmicrohttpd server bound to a loopback
 * address other than 127.0.0.1 (127.0.0.2, 127.0.0.3; port 0) that serves configured documents
 * (path -> status, Content-Type, body, Location, delay; scripted status sequences; NodeInfo),
 * counts requests per path, keeps the last request's headers (to check the daemon's signed key
 * fetch) and the first requests whole (to check what the daemon delivered); key pairs and
 * actor documents; a client that signs an activity as the peer's actor would (draft-cavage
 * with Digest, RFC 9421 with Content-Digest) and POSTs it to the daemon, optionally tampered
 * with; and a look into the daemon's store and delivery queue from the test process (LMDB is
 * multi-process safe).
 *
 * Functions returning int give 0 (or a count, or a status) on success and -1 on a failure of
 * the fake itself, after printing why to stderr. The fake peer is thread-safe: a test may POST
 * from several threads while the daemon fetches from the peer. */
#ifndef GEMEINDE_TESTS_FAKE_PEER_H
#define GEMEINDE_TESTS_FAKE_PEER_H

#include <jansson.h>
#include <openssl/types.h>
#include <stddef.h>
#include <stdint.h>

#include "gemeinde/httpsig.h"
#include "harness.h"

#define GM_FP_AP_TYPE "application/activity+json"
#define GM_FP_PUBLIC "https://www.w3.org/ns/activitystreams#Public"

/* ---- the fake server -------------------------------------------------------------------- */

struct gm_fp;

/* What the peer answers at one path. Everything is copied by gm_fp_serve. */
struct gm_fp_doc {
    int status;               /* 0: 200 */
    const char *content_type; /* NULL: application/activity+json */
    const char *body;         /* NULL: empty */
    const char *location;     /* Location header, or NULL */
    unsigned delay_ms;        /* wait this long before answering (cut short by gm_fp_stop) */
};

/* Start a peer on `addr` ("127.0.0.2"), port 0. GM_OK: *out is yours (gm_fp_stop). */
int gm_fp_start(const char *addr, struct gm_fp **out);
/* Stop the server (a delayed answer in progress is released first) and free; NULL allowed. */
void gm_fp_stop(struct gm_fp *p);
/* "http://ADDR:PORT", borrowed until gm_fp_stop. */
const char *gm_fp_origin(const struct gm_fp *p);
/* Origin + path, in a static ring of 16 buffers (valid for the next 15 calls). */
const char *gm_fp_url(const struct gm_fp *p, const char *path);

/* Serve `doc` at `path` (replacing what was there). Unknown paths answer 404. */
int gm_fp_serve(struct gm_fp *p, const char *path, const struct gm_fp_doc *doc);
/* Answer the next requests at `path` with `statuses` in turn (n <= 8, body "{}"), then the
 * last one again: {500, 500, 202} fails twice and then accepts. Replaces what was there. */
int gm_fp_serve_statuses(struct gm_fp *p, const char *path, const int *statuses, size_t n);
/* NodeInfo: /.well-known/nodeinfo linking to /nodeinfo/2.1, whose software.name is
 * `software` ("lemmy"). */
int gm_fp_serve_nodeinfo(struct gm_fp *p, const char *software);
/* Requests seen at `path`, or at all paths when path is NULL. */
unsigned gm_fp_hits(struct gm_fp *p, const char *path);
/* Wait until gm_fp_hits(p, path) >= n or timeout_ms passed. 0 when reached, -1 on timeout. */
int gm_fp_wait_hits(struct gm_fp *p, const char *path, unsigned n, int timeout_ms);
/* Value of header `name` (case-insensitive) of the last request, a new string, or NULL. */
char *gm_fp_last_header(struct gm_fp *p, const char *name);
/* Parse the signature of the last request as the peer sees it (scheme http, authority from
 * its Host header). GM_OK: *sig is yours (gm_httpsig_free); otherwise the parse error, or
 * GM_ENOTFOUND when there was no request. */
gm_err gm_fp_last_signature(struct gm_fp *p, struct gm_httpsig **sig);
/* The first 256 requests are kept whole. The body of the n-th (0-based) request received at
 * `path`: a new string, or NULL when there was none. */
char *gm_fp_body(struct gm_fp *p, const char *path, unsigned n);
/* Check the n-th request at `path` as a receiving server would: its Digest or Content-Digest
 * matches the body, and its signature (cavage or RFC 9421, authority from its Host header)
 * verifies with `key` (borrowed). GM_OK, and *key_id (may be NULL) gets the signature's keyId
 * (new string); GM_ENOTFOUND: no such request; else the digest, parse or verify error. */
gm_err gm_fp_verify(struct gm_fp *p, const char *path, unsigned n, EVP_PKEY *key, char **key_id);

/* ---- keys and documents ----------------------------------------------------------------- */

/* A key pair: the private key and its public SPKI PEM. */
struct gm_fp_key {
    EVP_PKEY *key; /* owned */
    char *pem;     /* owned */
};
int gm_fp_key_rsa(struct gm_fp_key *k); /* 2048 bits */
int gm_fp_key_ed25519(struct gm_fp_key *k);
void gm_fp_key_clear(struct gm_fp_key *k);

/* A Person actor document at `actor_id` whose publicKey is {key_id, owner actor_id, pem}.
 * New string (free). */
char *gm_fp_actor_json(const char *actor_id, const char *key_id, const char *pem);
/* The same with endpoints.sharedInbox = shared_inbox (NULL: no endpoints). */
char *gm_fp_actor_json_shared(const char *actor_id, const char *key_id, const char *pem,
                              const char *shared_inbox);
/* Serve that actor at `path` of `p` (id = origin + path, key id = id + "#main-key"). */
int gm_fp_serve_actor(struct gm_fp *p, const char *path, const char *pem);
int gm_fp_serve_actor_shared(struct gm_fp *p, const char *path, const char *pem,
                             const char *shared_inbox);

/* ---- the client: sign and POST to the daemon -------------------------------------------- */

enum gm_fp_scheme { GM_FP_CAVAGE = 0, GM_FP_RFC9421 = 1 };

#define GM_FP_TAMPER_BODY 1u     /* after signing, add a member to the body (Digest stays) */
#define GM_FP_TAMPER_REDIGEST 2u /* ... and recompute the digest header for the new body */
#define GM_FP_NO_DIGEST_COVER 4u /* the signature does not cover digest / content-digest */

struct gm_fp_sig {
    enum gm_fp_scheme scheme;
    const char *key_id;
    EVP_PKEY *key;             /* NULL: the request is not signed */
    const char *alg;           /* RFC 9421 alg parameter ("rsa-v1_5-sha256", "ed25519") */
    unsigned tamper;           /* GM_FP_* bits */
    const char *drop;          /* a header removed after signing ("digest", "date"), or NULL */
    long clock_offset;         /* seconds added to now for Date and created */
    const char *host;          /* Host sent and signed; NULL: the daemon's */
    const char *raw_signature; /* sent as the Signature header instead of signing */
    long timeout_ms;           /* 0: GM_H_HTTP_TIMEOUT_MS */
};

/* POST `body` to `path` of the daemon with Digest (cavage) or Content-Digest (RFC 9421),
 * Date, Content-Type application/activity+json and the signature `s` describes. Returns the
 * HTTP status, or -1 when no answer came. *answer (may be NULL) gets the response body (new
 * string) when a status is returned. */
long gm_fp_post(const struct gm_h_daemon *d, const char *path, const char *body,
                const struct gm_fp_sig *s, char **answer);

/* ---- activities ------------------------------------------------------------------------- */

/* A Note {id, type, attributedTo, content, to Public}, new reference. */
json_t *gm_fp_note(const char *id, const char *author, const char *content);
/* An activity {"@context", "id": ACTOR/activities/TAG, type, actor, to Public, object} as
 * compact JSON text (new string); `object` (may be NULL: none) is stolen. */
char *gm_fp_activity(const char *actor, const char *type, const char *tag, json_t *object);

/* ---- the daemon's store ----------------------------------------------------------------- */

/* Number of activities stored in data_dir, or -1. */
long gm_fp_stored_count(const char *data_dir);
/* The record with sequence seq (1 = first): {"id","community","actor","type","received",
 * "activity"}, new reference, or NULL. */
json_t *gm_fp_stored(const char *data_dir, unsigned long seq);
/* Make the cached key `key_id` look fetched (and refetched) `seconds` earlier, as if time had
 * passed; the daemon reads the cache on every request. 0, or -1 (not cached, store error). */
int gm_fp_age_key(const char *data_dir, const char *key_id, long seconds);

/* The delivery queue, looked at without changing it: the number of jobs for `inbox` (NULL:
 * all), the most attempts among them (*attempts, may be NULL) and the due time of the first
 * job of the whole queue (*next_due, 0 when empty; may be NULL). -1 on a store error. */
long gm_fp_queue_peek(const char *data_dir, const char *inbox, unsigned *attempts,
                      int64_t *next_due);
/* Make every job due within 10 days due now (retry delays and leases skipped; a job in flight
 * gets a new key, so only call this when the daemon holds none). Jobs moved, or -1. */
long gm_fp_queue_due_now(const char *data_dir);

/* ---- the world of one inbox test -------------------------------------------------------- */

/* A node (community "town", max_body 65536) with its daemon, and two peers: A on 127.0.0.2
 * serving alice at /users/alice, B on 127.0.0.3 serving bob at /users/bob, each with key id
 * ACTOR#main-key. */
struct gm_fp_world {
    struct gm_h_env env;
    struct gm_h_daemon d;
    struct gm_fp *a, *b;
    char alice[128], alice_key[160];
    char bob[128], bob_key[160];
    int finished; /* set by a test that reached its end: otherwise the daemon log is printed */
};

/* Start it all. private_fetch: allow_private_addresses = true (allow_http_fetch is always
 * set). 0 or -1 (everything started is stopped again). */
int gm_fp_world_start(struct gm_fp_world *w, const char *binary, int private_fetch,
                      const char *alice_pem, const char *bob_pem);
/* Stop the daemon (SIGTERM) and the peers, remove the folder. 0 when the daemon stopped
 * cleanly without a sanitizer report. */
int gm_fp_world_stop(struct gm_fp_world *w);

#endif
