// SPDX-License-Identifier: Apache-2.0
//
// Interop check: does gemeinde's inbox accept what a real Fedify server sends, and refuse
// what it must? A Fedify federation (createFederation + MemoryKvStore) serves the Person
// `alice` with an RSA key on 127.0.0.2; Fedify's own signRequest() / ctx.sendActivity()
// sign the POSTs to the daemon, and the daemon fetches alice's actor from Fedify to get
// the key.
//
// usage: node inbox_peer.mjs BASE_URL NAME
//   e.g. node inbox_peer.mjs http://127.0.0.1:40123 interop
//
// Optional environment:
//   GM_INBOX_TIMEOUT   hard timeout in seconds (default 60)
//   GM_PEER_HOST       address the peer listens on (default 127.0.0.2; must be loopback)
//
// Prints one line per check ("ok - ..." / "not ok - ..."), then "N passed, N failed".
// Exit status: 0 if every check passed, 1 if any failed, 2 on usage error or refusal,
// 3 on the hard timeout.
//
// Only loopback addresses are ever contacted: BASE_URL and the peer's own address must be
// on 127.0.0.0/8, localhost or [::1]; every document Fedify wants to load must be on
// loopback or one of the JSON-LD contexts Fedify ships preloaded.

import {
  createFederation,
  generateCryptoKeyPair,
  MemoryKvStore,
  signRequest,
  verifyRequest,
} from "@fedify/fedify";
import { Create, Endpoints, Note, Person, PUBLIC_COLLECTION } from "@fedify/fedify/vocab";
import { createServer } from "node:http";
import { randomUUID } from "node:crypto";
import {
  AP_TYPE,
  errText,
  finish,
  hardTimeout,
  note,
  ok,
  parseTarget,
  peerHost,
  restrictedLoader,
  skip,
  toWebRequest,
} from "./peer_common.mjs";

const USAGE = "usage: node inbox_peer.mjs BASE_URL NAME";

// ---- arguments, loopback guard, hard timeout, restricted loader (peer_common.mjs) --------

const args = process.argv.slice(2);
if (args.length !== 2) {
  console.error(USAGE);
  process.exit(2);
}
const [baseArg, NAME] = args;
const target = parseTarget(USAGE, baseArg, NAME);
const PEER_HOST = peerHost("GM_PEER_HOST", "127.0.0.2");
const ORIGIN = target.origin;
const COMMUNITY = target.community;
const COMMUNITY_INBOX = target.inbox;
const SHARED_INBOX = target.sharedInbox;
const signal = hardTimeout("GM_INBOX_TIMEOUT");
const { documentLoader, refused } = restrictedLoader(signal);
const loaderFactory = () => documentLoader;

// ---- the Fedify peer: alice on http://PEER_HOST:PORT ------------------------------------

const rsa = await generateCryptoKeyPair("RSASSA-PKCS1-v1_5");
let federation = null; // created once the port is known
const actorGets = []; // requests the daemon made for alice's actor document

const server = createServer(async (req, res) => {
  try {
    const request = await toWebRequest(req, `${PEER_HOST}:${PORT}`);
    if (request.method === "GET" && new URL(request.url).pathname === "/users/alice") {
      actorGets.push(request.clone());
    }
    const response = await federation.fetch(request, { contextData: undefined });
    const headers = {};
    response.headers.forEach((v, k) => (headers[k] = v));
    res.writeHead(response.status, headers);
    res.end(Buffer.from(await response.arrayBuffer()));
  } catch (e) {
    res.writeHead(500, { "content-type": "text/plain" });
    res.end(errText(e));
  }
});
const PORT = await new Promise((resolve, reject) => {
  server.once("error", reject);
  server.listen(0, PEER_HOST, () => resolve(server.address().port));
});
const PEER = `http://${PEER_HOST}:${PORT}`;
const MALLORY = `http://127.0.0.3:${PORT}/users/mallory`;
note(`Fedify peer listening on ${PEER}, daemon at ${ORIGIN}`);

const kv = new MemoryKvStore();
federation = createFederation({
  kv,
  origin: PEER, // plain http on loopback: ids are http://PEER_HOST:PORT/...
  documentLoaderFactory: loaderFactory,
  contextLoaderFactory: loaderFactory,
  // nothing is received by the peer itself; its inbox exists only so the Person has one
  skipSignatureVerification: true,
});
federation
  .setActorDispatcher("/users/{identifier}", async (ctx, identifier) => {
    if (identifier !== "alice") return null;
    const keys = await ctx.getActorKeyPairs(identifier);
    return new Person({
      id: ctx.getActorUri(identifier),
      preferredUsername: identifier,
      name: "Alice (Fedify interop peer)",
      inbox: ctx.getInboxUri(identifier),
      endpoints: new Endpoints({ sharedInbox: ctx.getInboxUri() }),
      publicKey: keys[0].cryptographicKey,
      assertionMethods: keys.map((k) => k.multikey),
    });
  })
  .setKeyPairsDispatcher(async (_ctx, identifier) => (identifier === "alice" ? [rsa] : []));
federation.setInboxListeners("/users/{identifier}/inbox", "/inbox");

const ctx = federation.createContext(new URL(PEER), undefined);
const ALICE = ctx.getActorUri("alice");
const KEY_ID = (await ctx.getActorKeyPairs("alice"))[0].keyId;

// ---- helpers ----------------------------------------------------------------------------

function createNote(actor, idOrigin, text) {
  const uuid = randomUUID();
  const noteId = new URL(`/notes/${uuid}`, idOrigin);
  return new Create({
    id: new URL(`/activities/${uuid}`, idOrigin),
    actor,
    to: PUBLIC_COLLECTION,
    cc: COMMUNITY,
    object: new Note({
      id: noteId,
      attributedTo: actor,
      to: PUBLIC_COLLECTION,
      cc: COMMUNITY,
      content: text,
    }),
  });
}

async function bodyOf(activity) {
  return JSON.stringify(await activity.toJsonLd({ contextLoader: documentLoader }));
}

function unsigned(inbox, body) {
  return new Request(inbox, { method: "POST", headers: { "Content-Type": AP_TYPE, Accept: AP_TYPE }, body });
}

function sigHeaders(req) {
  const out = [];
  for (const name of ["host", "date", "digest", "content-digest", "signature-input", "signature"]) {
    const v = req.headers.get(name);
    // the signature bytes themselves say nothing to a reader: keep their start only
    if (v != null) out.push(`${name}: ${name === "signature" ? v.replace(/(signature="|=:)([^":]{12})[^":]*/g, "$1$2…") : v}`);
  }
  return out.join("\n");
}

// POST a (signed) request; the body is sent as given (to allow tampering after signing).
async function post(req, body) {
  const t0 = performance.now();
  const res = await fetch(req.url, { method: "POST", headers: req.headers, body, redirect: "manual", signal: signal });
  const text = await res.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {
    // left null; reported as text
  }
  return { status: res.status, text, json, ms: Math.round(performance.now() - t0) };
}

function expect(what, r, status, pred, req) {
  const good = r.status === status && pred(r.json);
  ok(good, `${what} -> ${r.status} ${r.text.trim()} (${r.ms} ms)`, `expected ${status}`);
  if (!good && req) note(`what Fedify sent:\n${sigHeaders(req)}`);
  return good;
}
const accepted = (j) => j?.status === "accepted";
const duplicate = (j) => j?.status === "duplicate";
const refusal = (j) => typeof j?.error === "string" && j.error.length > 0;

// ---- the checks -------------------------------------------------------------------------

async function main() {
  // a. Create(Note), draft-cavage signature by Fedify's signRequest()
  const a = createNote(ALICE, PEER, "<p>Hello from Fedify</p>");
  const aBody = await bodyOf(a);
  const aReq = await signRequest(unsigned(COMMUNITY_INBOX, aBody), rsa.privateKey, KEY_ID, {
    spec: "draft-cavage-http-signatures-12",
  });
  note(`cavage Signature: ${aReq.headers.get("signature").replace(/signature="[^"]*"/, 'signature="…"')}`);
  expect("a. Create(Note) signed by Fedify (draft-cavage) to /c/NAME/inbox", await post(aReq, aBody), 202, accepted, aReq);

  // b. the very same request again (same headers, same bytes)
  expect("b. same signed request again", await post(aReq, aBody), 202, duplicate, aReq);

  // c. correctly signed, then one character of the body changed (Digest left as signed)
  const c = createNote(ALICE, PEER, "<p>Hello from Fedify</p>");
  const cBody = await bodyOf(c);
  const cReq = await signRequest(unsigned(COMMUNITY_INBOX, cBody), rsa.privateKey, KEY_ID);
  const tampered = cBody.replace("Hello", "Jello");
  ok(tampered.length === cBody.length && tampered !== cBody, "c. tampered body differs in one character");
  expect("c. signed request with tampered body", await post(cReq, tampered), 401, refusal);

  // d. unsigned POST
  const d = createNote(ALICE, PEER, "<p>unsigned</p>");
  const dBody = await bodyOf(d);
  expect("d. unsigned POST", await post(unsigned(COMMUNITY_INBOX, dBody), dBody), 401, refusal);

  // e. signed with alice's key, but the activity's actor is mallory (another origin)
  const e = createNote(new URL(MALLORY), new URL(MALLORY).origin, "<p>I am alice, honest</p>");
  const eBody = await bodyOf(e);
  const eReq = await signRequest(unsigned(COMMUNITY_INBOX, eBody), rsa.privateKey, KEY_ID);
  expect(`e. alice's key signing an activity by ${MALLORY}`, await post(eReq, eBody), 403, refusal, eReq);

  // f. RFC 9421 (HTTP Message Signatures), Fedify's default component set
  const f = createNote(ALICE, PEER, "<p>Hello via RFC 9421</p>");
  const fBody = await bodyOf(f);
  let fReq = null;
  try {
    fReq = await signRequest(unsigned(COMMUNITY_INBOX, fBody), rsa.privateKey, KEY_ID, { spec: "rfc9421" });
  } catch (err) {
    skip("f. RFC 9421 signature", `rfc9421 not offered by this Fedify version (${errText(err)})`);
  }
  if (fReq) {
    note(`rfc9421 Signature-Input: ${fReq.headers.get("signature-input")}`);
    expect("f. Create(Note) signed by Fedify (rfc9421) to /c/NAME/inbox", await post(fReq, fBody), 202, accepted, fReq);
  }

  // g. Ed25519: Fedify can put an Ed25519 key on the actor, but can it sign HTTP with it?
  const ed = await generateCryptoKeyPair("Ed25519");
  try {
    await signRequest(unsigned(COMMUNITY_INBOX, "{}"), ed.privateKey, new URL(`${ALICE.href}#ed25519-key`));
    ok(false, "g. Ed25519 HTTP signature", "Fedify signed with Ed25519; this test does not send it yet");
  } catch (err) {
    skip("g. Ed25519 HTTP signature", `Fedify's signRequest() signs only RSASSA-PKCS1-v1_5 (${errText(err)})`);
  }

  // h. Fedify's full outgoing path: ctx.sendActivity() to the shared inbox (double-knock,
  //    first knock RFC 9421); which spec succeeded is what Fedify remembers for the origin.
  const h = createNote(ALICE, PEER, "<p>Hello via ctx.sendActivity()</p>");
  const recipient = { id: COMMUNITY, inboxId: COMMUNITY_INBOX, endpoints: { sharedInbox: SHARED_INBOX } };
  const knocks = [];
  const realFetch = globalThis.fetch;
  globalThis.fetch = async (input, init) => {
    const res = await realFetch(input, init);
    if (input instanceof Request && input.url.startsWith(ORIGIN)) {
      const scheme = input.headers.has("signature-input") ? "rfc9421" : input.headers.has("signature") ? "cavage" : "unsigned";
      knocks.push(`${scheme} -> ${res.status}`);
    }
    return res;
  };
  const t0 = performance.now();
  try {
    await ctx.sendActivity({ identifier: "alice" }, recipient, h, { immediate: true, preferSharedInbox: true });
    ok(true, `h. ctx.sendActivity() delivered a Create(Note) to /inbox (${Math.round(performance.now() - t0)} ms)`);
  } catch (err) {
    ok(false, "h. ctx.sendActivity() delivered a Create(Note) to /inbox", errText(err));
  } finally {
    globalThis.fetch = realFetch;
  }
  const remembered = await kv.get(["_fedify", "httpMessageSignaturesSpec", ORIGIN]);
  ok(
    knocks.length === 1 && remembered === "rfc9421",
    `h. Fedify's first knock (rfc9421) was accepted, no fallback to draft-cavage [${knocks.join(", ")}]`,
    `Fedify remembered ${JSON.stringify(remembered)} for ${ORIGIN}`,
  );

  // The daemon fetched alice's actor from Fedify (and signed that GET).
  ok(actorGets.length >= 1, `daemon fetched ${ALICE.href} from Fedify (${actorGets.length} GET(s))`);
  if (actorGets.length > 0) {
    const g = actorGets[0];
    const accept = g.headers.get("accept") ?? "";
    ok(accept.includes(AP_TYPE), `daemon's key fetch sent Accept: ${AP_TYPE}`, `got "${accept}"`);
    let key = null;
    try {
      key = await verifyRequest(g, { documentLoader, contextLoader: documentLoader });
    } catch (err) {
      key = err;
    }
    ok(
      key != null && !(key instanceof Error) && key.id?.origin === ORIGIN,
      "Fedify verifyRequest() accepts the daemon's signed key-fetch GET",
      `${key instanceof Error ? errText(key) : `key ${key?.id?.href ?? key}`}\n${sigHeaders(g)}`,
    );
  }
}

try {
  await main();
} catch (e) {
  ok(false, "no unexpected exception", e instanceof Error ? e.stack : String(e));
}
ok(refused.length === 0, "no non-loopback document was requested", `refused: ${refused.join(", ")}`);
finish();
