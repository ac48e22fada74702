// SPDX-License-Identifier: Apache-2.0
//
// Interop check of the follow cycle: two real Fedify servers, alice on 127.0.0.2 and bob on
// 127.0.0.3, follow a gemeinde community. Fedify's ctx.sendActivity() signs and sends the
// Follow and Undo activities; the daemon answers each Follow with an Accept that its delivery
// worker POSTs, signed with the community's key, to the follower's inbox. There Fedify's own
// inbox (signature verification ON) fetches the community actor from gemeinde, verifies the
// HTTP signature and hands the Accept to an inbox listener. Membership is read with
// `gemeinde members NAME --json` and from the followers collection.
//
// usage: node follow_peer.mjs BASE_URL NAME GEMEINDE_BINARY CONFIG
//   e.g. node follow_peer.mjs http://127.0.0.1:40123 interop build/gemeinde /tmp/x/gm.conf
//
// Optional environment:
//   GM_FOLLOW_TIMEOUT  hard timeout in seconds (default 60)
//   GM_PEER_HOST       alice's address (default 127.0.0.2; must be loopback)
//   GM_PEER2_HOST      bob's address (default 127.0.0.3; must be loopback)
//
// Prints one line per check ("ok - ..." / "not ok - ..."), then "N passed, N failed".
// Exit status: 0 if every check passed, 1 if any failed, 2 on usage error or refusal,
// 3 on the hard timeout. Only loopback addresses are ever contacted.

import { Accept, Activity, Follow, OrderedCollection, Undo } from "@fedify/fedify/vocab";
import { signRequest } from "@fedify/fedify";
import { execFile } from "node:child_process";
import { createHash, randomUUID } from "node:crypto";
import { isDeepStrictEqual, promisify } from "node:util";
import {
  AP_TYPE,
  captureFedifyLog,
  errText,
  failedCount,
  finish,
  hardTimeout,
  note,
  ok,
  parseCavageSignature,
  parseTarget,
  peerHost,
  recordOutgoing,
  restrictedLoader,
  sigHeaders,
  startPeer,
} from "./peer_common.mjs";

const USAGE = "usage: node follow_peer.mjs BASE_URL NAME GEMEINDE_BINARY CONFIG";
const ACCEPT_WAIT_MS = 10_000; // an Accept must arrive within this
const QUIET_WAIT_MS = 3_000; // how long to watch for anything sent after a removal

const args = process.argv.slice(2);
if (args.length !== 4) {
  console.error(USAGE);
  process.exit(2);
}
const [baseArg, NAME, GM, CONF] = args;
const T = parseTarget(USAGE, baseArg, NAME);
const ORIGIN = T.origin;
const COMMUNITY = T.community.href;
const COMMUNITY_KEY = `${COMMUNITY}#main-key`;
const signal = hardTimeout("GM_FOLLOW_TIMEOUT", 60);
const { documentLoader, authenticatedLoaderFactory, refused } = restrictedLoader(signal);
const fedifyLog = await captureFedifyLog();

// ---- what Fedify sends to the daemon ----------------------------------------------------

// Every request Fedify (or this script) makes to the daemon (peer_common.mjs).
const realFetch = globalThis.fetch; // unrecorded, for requests outside the checks
const outgoing = recordOutgoing(ORIGIN);

// ---- the two Fedify peers and their inbox listeners -------------------------------------

const received = []; // every activity Fedify's inbox listeners were given: { peer, activity, object, at }
const waiters = [];
function deliverToListener(entry) {
  received.push(entry);
  for (const w of waiters.splice(0)) if (!w(entry)) waiters.push(w);
}
// Resolves with the first (already or later) received entry matching pred, or null after ms.
function waitForActivity(pred, ms) {
  const found = received.find(pred);
  if (found) return Promise.resolve(found);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      const i = waiters.indexOf(check);
      if (i >= 0) waiters.splice(i, 1);
      resolve(null);
    }, ms);
    function check(e) {
      if (!pred(e)) return false;
      clearTimeout(timer);
      resolve(e);
      return true;
    }
    waiters.push(check);
  });
}

function listeners(peerName) {
  return (setters) =>
    setters
      .on(Accept, async (_ctx, accept) => {
        let object;
        try {
          // the Follow as embedded in the Accept (not refetched from its origin)
          object = await accept.getObject({ crossOrigin: "trust" });
        } catch (e) {
          object = e;
        }
        deliverToListener({ peer: peerName, activity: accept, object, at: performance.now() });
      })
      .on(Activity, async (_ctx, activity) => {
        // anything else (a Reject, say) is recorded, and must not happen
        deliverToListener({ peer: peerName, activity, object: null, at: performance.now() });
      });
}

const alice = await startPeer({
  host: peerHost("GM_PEER_HOST", "127.0.0.2"),
  identifier: "alice",
  displayName: "Alice (Fedify interop peer)",
  documentLoader,
  authenticatedLoaderFactory,
  skipSignatureVerification: false, // Fedify verifies the daemon's signatures
  setupInbox: listeners("alice"),
});
const bob = await startPeer({
  host: peerHost("GM_PEER2_HOST", "127.0.0.3"),
  identifier: "bob",
  displayName: "Bob (Fedify interop peer)",
  documentLoader,
  authenticatedLoaderFactory,
  skipSignatureVerification: false,
  setupInbox: listeners("bob"),
});
note(`Fedify peers: alice ${alice.actor.href}, bob ${bob.actor.href}; daemon at ${ORIGIN}`);

// ---- helpers ----------------------------------------------------------------------------

const community = { id: T.community, inboxId: T.inbox, endpoints: { sharedInbox: T.sharedInbox } };

function newFollow(peer) {
  return new Follow({ id: new URL(`/follows/${randomUUID()}`, peer.origin), actor: peer.actor, object: T.community });
}

function newUndo(peer, object) {
  return new Undo({ id: new URL(`/undos/${randomUUID()}`, peer.origin), actor: peer.actor, object });
}

// Sends an activity with Fedify's ctx.sendActivity() to the community's inbox and checks
// that the daemon answered 202 with status "accepted". Returns the final POST (or null).
async function send(label, peer, activity) {
  const from = outgoing.length;
  const t0 = performance.now();
  let error = null;
  try {
    await peer.ctx.sendActivity({ identifier: peer.identifier }, community, activity, { immediate: true });
  } catch (e) {
    error = e;
  }
  const ms = Math.round(performance.now() - t0);
  const posts = outgoing.slice(from).filter((o) => o.method === "POST" && o.url === T.inbox.href);
  const last = posts.at(-1) ?? null;
  let json = null;
  try {
    json = JSON.parse(last?.text ?? "");
  } catch {
    // reported as text
  }
  const knocks = posts.map((p) => `${p.scheme} -> ${p.status}`).join(", ");
  const good = error == null && last?.status === 202 && json?.status === "accepted";
  ok(
    good,
    `${label} -> ${last?.status ?? "nothing sent"} ${last?.text ?? ""} (${ms} ms) [${knocks}]`,
    error ? `Fedify: ${errText(error)}` : `expected 202 {"status":"accepted"}`,
  );
  if (!good && last) note(`what Fedify sent:\n${last.body}`);
  return last;
}

async function gemeinde(...cliArgs) {
  try {
    const { stdout, stderr } = await promisify(execFile)(GM, ["-c", CONF, ...cliArgs], { timeout: 10_000, signal });
    return { code: 0, stdout, stderr };
  } catch (e) {
    return { code: e.code ?? -1, stdout: e.stdout ?? "", stderr: e.stderr ?? errText(e) };
  }
}

async function members() {
  const r = await gemeinde("members", NAME, "--json");
  try {
    return { list: JSON.parse(r.stdout), raw: r };
  } catch {
    return { list: null, raw: r };
  }
}

function memberLine(m) {
  return m ? `${m.actor} inbox ${m.inbox} shared ${m.shared_inbox}` : "none";
}

// Checks which of alice and bob `members NAME --json` lists (and their inboxes).
async function checkMembers(label, expected) {
  const { list, raw } = await members();
  if (!ok(Array.isArray(list), `${label} members ${NAME} --json answers a JSON array`, `exit ${raw.code}: ${raw.stdout}${raw.stderr}`))
    return;
  const actors = list.map((m) => m.actor);
  for (const peer of [alice, bob]) {
    const entries = list.filter((m) => m.actor === peer.actor.href);
    if (expected.includes(peer)) {
      ok(
        entries.length === 1 && entries[0].inbox === peer.inbox.href && entries[0].shared_inbox === peer.sharedInbox.href,
        `${label} members lists ${peer.identifier} once, with inbox ${peer.inbox.pathname} and shared inbox ${peer.sharedInbox.pathname}`,
        `${entries.length} entries: ${entries.map(memberLine).join("; ") || "none"}`,
      );
    } else {
      ok(entries.length === 0, `${label} members does not list ${peer.identifier}`, `listed: ${actors.join(", ")}`);
    }
  }
  ok(list.length === expected.length, `${label} members lists ${expected.length} member(s)`, `listed: ${actors.join(", ") || "none"}`);
}

// GET BASE/c/NAME/followers, parsed by Fedify, and check totalItems.
async function checkTotal(label, n) {
  let total;
  try {
    const res = await realFetch(T.followers, { headers: { Accept: AP_TYPE }, signal });
    const json = await res.json();
    const coll = await OrderedCollection.fromJsonLd(json, { documentLoader, contextLoader: documentLoader });
    total = coll.totalItems;
  } catch (e) {
    total = errText(e);
  }
  ok(total === n, `${label} followers collection (OrderedCollection, via Fedify) has totalItems ${n}`, `got ${total}`);
}

// Requests the daemon POSTed to a peer's personal inbox (the daemon's User-Agent), from index.
function daemonPosts(peer, from = 0) {
  return peer.requests
    .slice(from)
    .filter((r) => r.method === "POST" && (r.headers?.get("user-agent") ?? "").startsWith("gemeinde/"));
}

function bodyId(r) {
  try {
    return JSON.parse(r.body).id;
  } catch {
    return undefined;
  }
}

function showPeer(peer) {
  const lines = peer.requests.map(
    (r) => `${r.method} ${r.path} -> ${r.status} ${r.responseText.trim()}${r.method === "POST" ? `\n  ${sigHeaders(r.headers).replace(/\n/g, "\n  ")}\n  body: ${r.body}` : ""}`,
  );
  note(`requests ${peer.identifier}'s Fedify server received:\n${lines.join("\n") || "(none)"}`);
  if (fedifyLog.length) note(`Fedify's log (warnings and errors):\n${fedifyLog.join("\n")}`);
}

// Waits for the Accept of `follow` at `peer` and checks it, as Fedify's listener got it and
// as it came over the wire. `sent` is the POST that carried the Follow. Returns the entry.
async function checkAccept(label, peer, follow, sent, sentAt) {
  const fid = follow.id.href;
  const entry = await waitForActivity(
    (e) => e.peer === peer.identifier && e.activity instanceof Accept && e.activity.objectId?.href === fid,
    ACCEPT_WAIT_MS,
  );
  const latency = entry ? Math.round(entry.at - sentAt) : null;
  if (!ok(entry, `${label} Fedify's inbox listener (signature verification on) got an Accept of ${peer.identifier}'s Follow${entry ? ` after ${latency} ms` : ""}`, `nothing within ${ACCEPT_WAIT_MS / 1000} s`)) {
    showPeer(peer);
    return null;
  }
  const accept = entry.activity;
  ok(accept.actorId?.href === COMMUNITY, `${label} Accept's actor is the community`, `actor ${accept.actorId?.href}`);
  const f = entry.object;
  ok(
    f instanceof Follow && f.id?.href === fid && f.actorId?.href === peer.actor.href && f.objectId?.href === COMMUNITY,
    `${label} Accept's object is ${peer.identifier}'s Follow (same id, actor, object)`,
    f instanceof Error ? errText(f) : `object ${f?.constructor?.name} ${f?.id?.href} actor ${f?.actorId?.href}`,
  );

  // the request that carried it, as Fedify's server received it
  const raw = daemonPosts(peer).find((r) => bodyId(r) === accept.id?.href);
  if (!ok(raw, `${label} the Accept came in a POST to ${peer.inbox.pathname}`, `no POST with id ${accept.id?.href}`)) return entry;
  ok(raw.path === peer.inbox.pathname, `${label} it was POSTed to the personal inbox`, `POST ${raw.path}`);
  // Fedify calls the listener before it answers: wait (briefly) for the answer to be recorded
  for (let i = 0; i < 200 && raw.status == null; i++) await new Promise((r) => setTimeout(r, 10));
  ok(raw.status === 202, `${label} Fedify's inbox answered the daemon ${raw.status}`, `${raw.responseText}`);
  const sig = parseCavageSignature(raw.headers.get("signature"));
  const good =
    sig.keyId === COMMUNITY_KEY &&
    sig.algorithm === "rsa-sha256" &&
    sig.headers === "(request-target) host date digest" &&
    raw.headers.get("digest") === `SHA-256=${createHash("sha256").update(raw.body).digest("base64")}` &&
    (raw.headers.get("content-type") ?? "").startsWith(AP_TYPE) &&
    new RegExp(`^gemeinde/\\S+ \\(\\+${ORIGIN.replace(/[.]/g, "\\.")}\\)$`).test(raw.headers.get("user-agent") ?? "");
  ok(
    good,
    `${label} draft-cavage Signature keyId="${sig.keyId}" algorithm="${sig.algorithm}" headers="${sig.headers}", Digest matches the body, Content-Type ${AP_TYPE}, User-Agent ${raw.headers.get("user-agent")}`,
    `\n${sigHeaders(raw.headers)}`,
  );
  let body = null;
  try {
    body = JSON.parse(raw.body);
  } catch {
    // body stays null
  }
  const idRe = new RegExp(`^${COMMUNITY.replace(/[.]/g, "\\.")}/activities/accept-[0-9a-f]+$`);
  ok(
    body?.["@context"] != null && idRe.test(body?.id ?? "") && body?.type === "Accept" && body?.actor === COMMUNITY &&
      isDeepStrictEqual(body?.to, [peer.actor.href]),
    `${label} Accept JSON: @context, id ${body?.id}, type Accept, actor the community, to [${peer.identifier}]`,
    raw.body,
  );
  let sentJson = null;
  try {
    sentJson = JSON.parse(sent?.body ?? "");
  } catch {
    // stays null
  }
  ok(
    sentJson != null && isDeepStrictEqual(body?.object, sentJson),
    `${label} Accept's object is the whole Follow as ${peer.identifier} sent it`,
    `\nsent:     ${sent?.body}\nreturned: ${JSON.stringify(body?.object)}`,
  );
  return { ...entry, raw };
}

// Re-POSTs (from this script, not the daemon) variants of a daemon's Accept request to the
// peer's inbox: each must be refused with 401 and never reach the listener.
async function checkRefusals(label, peer, raw) {
  const before = received.length;
  const url = new URL(raw.path, peer.origin);
  const post = async (headers, body) => {
    const res = await realFetch(url, { method: "POST", headers, body, signal });
    return `${res.status} ${(await res.text()).trim()}`;
  };
  // 1. the daemon's signed headers with one character of the body changed (the id)
  const tampered = raw.body.replace("/activities/accept-", "/activities/acceqt-");
  const h1 = new Headers({ "User-Agent": "interop-control" });
  for (const name of ["host", "date", "digest", "content-type", "signature"]) {
    if (raw.headers.has(name)) h1.set(name, raw.headers.get(name));
  }
  const r1 = await post(h1, tampered);
  ok(r1.startsWith("401"), `${label} the daemon's signed Accept with one body character changed -> ${r1}`, "expected 401");
  // 2. unsigned
  const unsignedBody = raw.body.replace("/activities/accept-", "/activities/acceuu-");
  const r2 = await post({ "Content-Type": AP_TYPE, "User-Agent": "interop-control" }, unsignedBody);
  ok(r2.startsWith("401"), `${label} the same Accept unsigned -> ${r2}`, "expected 401");
  // 3. signed by bob's key (a valid signature, but not the community's): actor/key mismatch
  const bobBody = raw.body.replace("/activities/accept-", "/activities/accebb-");
  const req = await signRequest(
    new Request(url, { method: "POST", headers: { "Content-Type": AP_TYPE, "User-Agent": "interop-control" }, body: bobBody }),
    bob.rsa.privateKey,
    bob.keyId,
    { spec: "draft-cavage-http-signatures-12" },
  );
  const r3 = await post(req.headers, bobBody);
  ok(r3.startsWith("401"), `${label} the same Accept validly signed by bob's key -> ${r3}`, "expected 401");
  ok(received.length === before, `${label} none of these three reached Fedify's inbox listener`, `${received.length - before} did`);
}

// ---- the checks -------------------------------------------------------------------------

async function main() {
  // 1 + 2: alice follows; Fedify verifies and receives the Accept
  const f1 = newFollow(alice);
  let t = performance.now();
  const s1 = await send("1. alice's Follow (Fedify ctx.sendActivity) to /c/NAME/inbox", alice, f1);
  const a1 = await checkAccept("2.", alice, f1, s1, t);
  if (a1?.raw) await checkRefusals("2. control:", alice, a1.raw);

  // 3: membership
  await checkMembers("3.", [alice]);
  await checkTotal("3.", 1);

  // 4: bob follows as well
  const fb = newFollow(bob);
  t = performance.now();
  const sb = await send("4. bob's Follow (from 127.0.0.3)", bob, fb);
  await checkAccept("4.", bob, fb, sb, t);
  await checkMembers("4.", [alice, bob]);
  await checkTotal("4.", 2);

  // 5: alice leaves: Undo with the Follow embedded
  const alicePostsBeforeUndo = daemonPosts(alice).length;
  await send("5. alice's Undo{Follow} (Follow embedded)", alice, newUndo(alice, f1));
  await checkMembers("5.", [bob]);
  await checkTotal("5.", 1);

  // The Undo is answered with nothing: give a wrong reply 500 ms to arrive, and check before
  // alice follows again (whose Accept may arrive within milliseconds).
  await new Promise((resolve) => setTimeout(resolve, 500));
  ok(daemonPosts(alice).length === alicePostsBeforeUndo, "5. the Undo was answered with nothing (no POST to alice)", `${daemonPosts(alice).length - alicePostsBeforeUndo} POST(s)`);

  // 6: alice follows again (new Accept), then once more while a member (idempotent)
  const f2 = newFollow(alice);
  t = performance.now();
  const s2 = await send("6. alice follows again", alice, f2);
  const a2 = await checkAccept("6.", alice, f2, s2, t);
  ok(a2 && a1 && a2.activity.id?.href !== a1.activity.id?.href, `6. the new Accept has a new id`, `${a2?.activity.id?.href}`);
  await checkMembers("6.", [alice, bob]);
  await checkTotal("6.", 2);
  const f3 = newFollow(alice);
  t = performance.now();
  const s3 = await send("6. alice follows a third time, while a member", alice, f3);
  const a3 = await checkAccept("6.", alice, f3, s3, t);
  ok(a3 && a2 && a3.activity.id?.href !== a2.activity.id?.href, `6. answered with another new Accept`, `${a3?.activity.id?.href}`);
  await checkMembers("6. (idempotent)", [alice, bob]);
  await checkTotal("6. (idempotent)", 2);

  // 7: the operator removes bob; bob is told nothing
  const bobBefore = bob.requests.length;
  const bobHeardBefore = received.filter((e) => e.peer === "bob").length;
  const rm = await gemeinde("members", NAME, "--remove", bob.actor.href);
  ok(rm.code === 0, `7. members ${NAME} --remove ${bob.actor.href} -> exit ${rm.code}: ${(rm.stdout + rm.stderr).trim()}`, "expected exit 0");
  await checkMembers("7.", [alice]);
  await checkTotal("7.", 1);
  await new Promise((r) => setTimeout(r, QUIET_WAIT_MS));
  const after = bob.requests.slice(bobBefore);
  ok(
    after.filter((r) => r.method === "POST").length === 0 && received.filter((e) => e.peer === "bob").length === bobHeardBefore,
    `7. bob received nothing in the ${QUIET_WAIT_MS / 1000} s after the removal (no Reject)`,
    after.map((r) => `${r.method} ${r.path}: ${r.body}`).join("\n"),
  );

  // 8: Undo with the Follow's id as a string ends the membership too
  await send("8. alice's Undo with the current Follow's id as a string", alice, newUndo(alice, f3.id));
  await checkMembers("8.", []);
  await checkTotal("8.", 0);

  // Everything the daemon sent to the peers: one Accept per Follow, nothing else.
  const aliceIds = daemonPosts(alice).map((r) => JSON.parse(r.body)?.type);
  const bobIds = daemonPosts(bob).map((r) => JSON.parse(r.body)?.type);
  ok(
    isDeepStrictEqual(aliceIds, ["Accept", "Accept", "Accept"]) && isDeepStrictEqual(bobIds, ["Accept"]),
    "the daemon POSTed exactly one Accept per Follow (alice 3, bob 1) and nothing else",
    `alice: [${aliceIds}], bob: [${bobIds}]`,
  );
  const actorGets = outgoing.filter((o) => o.method === "GET" && o.url.split("#")[0] === COMMUNITY);
  ok(
    actorGets.length >= 1 && actorGets.every((o) => o.status === 200),
    `Fedify fetched the community actor from gemeinde for the key [${actorGets.map((o) => `${o.scheme} -> ${o.status}`).join(", ")}]`,
    "expected at least one GET, each answered 200",
  );
  const heard = received.map((e) => `${e.peer}: ${e.activity.constructor.name}`);
  ok(received.length === 4 && received.every((e) => e.activity instanceof Accept), "Fedify's listeners were given exactly those 4 Accepts", heard.join(", "));
}

try {
  await main();
} catch (e) {
  ok(false, "no unexpected exception", e instanceof Error ? e.stack : String(e));
}
ok(refused.length === 0, "no non-loopback document was requested", `refused: ${refused.join(", ")}`);
if (failedCount() > 0 && fedifyLog.length) note(`Fedify's log (warnings and errors):\n${fedifyLog.join("\n")}`);
finish();
