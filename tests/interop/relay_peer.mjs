// SPDX-License-Identifier: Apache-2.0
//
// Interop check of the relay cycle (FEP-1b12): real Fedify servers follow a gemeinde community
// and post to it; the daemon turns a member's public post into an Announce from the community,
// stores it in the outbox and delivers it, signed with the community's key, to every member's
// shared inbox. There Fedify's own inbox (signature verification ON) verifies it and hands it to
// an Announce listener. The peers:
//   alice  127.0.0.2  Fedify, no NodeInfo        -> gets Announce{object: the Note's id}
//   bob    127.0.0.3  Fedify, no NodeInfo        -> the same; replies, later leaves
//   carol  127.0.0.4  Fedify serving NodeInfo with software name "lemmy" (group-aware)
//                                                -> gets Announce{object: the whole Create}
//   dave   127.0.0.5  Fedify, never follows      -> his posts are not relayed
// alice and bob serve their Notes (a Fedify object dispatcher), so Fedify on the receiving
// side can dereference an Announce whose object is only an id.
//
// usage: node relay_peer.mjs BASE_URL NAME GEMEINDE_BINARY CONFIG
//   e.g. node relay_peer.mjs http://127.0.0.1:40123 interop build/gemeinde /tmp/x/gm.conf
//
// Optional environment:
//   GM_RELAY_TIMEOUT  hard timeout in seconds (default 60)
//   GM_PEER_HOST      alice's address (default 127.0.0.2; must be loopback)
//   GM_PEER2_HOST     bob's address (default 127.0.0.3)
//   GM_PEER3_HOST     carol's address (default 127.0.0.4)
//   GM_PEER4_HOST     dave's address (default 127.0.0.5)
//
// Prints one line per check ("ok - ..." / "not ok - ..."), then "N passed, N failed".
// Exit status: 0 if every check passed, 1 if any failed, 2 on usage error or refusal,
// 3 on the hard timeout. Only loopback addresses are ever contacted.

import {
  Accept,
  Activity,
  Announce,
  Create,
  Follow,
  Hashtag,
  Mention,
  Note,
  OrderedCollection,
  OrderedCollectionPage,
  PUBLIC_COLLECTION,
  Undo,
} from "@fedify/fedify/vocab";
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

const USAGE = "usage: node relay_peer.mjs BASE_URL NAME GEMEINDE_BINARY CONFIG";
const ARRIVE_WAIT_MS = 10_000; // an Announce (or Accept) must arrive within this
let arriveWait = ARRIVE_WAIT_MS; // 3 s after the first miss, so that the run ends before the hard timeout
const QUIET_WAIT_MS = 3_000; // how long to watch for anything that must not be sent
const AS_PUBLIC = PUBLIC_COLLECTION.href;

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
const OUTBOX = `${COMMUNITY}/outbox`;
const signal = hardTimeout("GM_RELAY_TIMEOUT", 60);
const { documentLoader, authenticatedLoaderFactory, refused } = restrictedLoader(signal);
const fedifyLog = await captureFedifyLog();
// Fedify warns about every activity it sends without an Object Integrity Proof (the peers have
// RSA keys only); that is expected here and left out when the log is shown.
const NOISE = /No supported key found to create a proof/;

// ---- what Fedify sends to the daemon ----------------------------------------------------

// Every request Fedify (or this script) makes to the daemon (peer_common.mjs).
const realFetch = globalThis.fetch; // unrecorded, for requests outside the checks
const outgoing = recordOutgoing(ORIGIN);

// ---- the Fedify peers and their inbox listeners -----------------------------------------

// every activity Fedify's inbox listeners were given: { peer, activity, at }
const received = [];
const waiters = [];
function deliverToListener(entry) {
  received.push(entry);
  for (const w of waiters.splice(0)) if (!w()) waiters.push(w);
}
// Resolves true as soon as cond() holds (checked now and on every received activity), or
// false after ms.
function waitUntil(cond, ms) {
  if (cond()) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      const i = waiters.indexOf(check);
      if (i >= 0) waiters.splice(i, 1);
      resolve(cond());
    }, ms);
    function check() {
      if (!cond()) return false;
      clearTimeout(timer);
      resolve(true);
      return true;
    }
    waiters.push(check);
  });
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function listeners(peerName) {
  return (setters) =>
    setters
      .on(Announce, async (_ctx, announce) => {
        deliverToListener({ peer: peerName, activity: announce, at: performance.now() });
      })
      .on(Activity, async (_ctx, activity) => {
        // Accepts of the Follows, and anything else (which must not happen)
        deliverToListener({ peer: peerName, activity, at: performance.now() });
      });
}

// Notes a peer has posted, served by a Fedify object dispatcher at /notes/{id}.
function serveNotes(peer) {
  peer.notes = new Map();
  peer.federation.setObjectDispatcher(Note, "/notes/{id}", async (_ctx, values) => peer.notes.get(values.id) ?? null);
}

async function peer(envVar, host, identifier, display) {
  const p = await startPeer({
    host: peerHost(envVar, host),
    identifier,
    displayName: `${display} (Fedify interop peer)`,
    documentLoader,
    authenticatedLoaderFactory,
    skipSignatureVerification: false, // Fedify verifies the daemon's signatures
    setupInbox: listeners(identifier),
  });
  serveNotes(p);
  return p;
}

const alice = await peer("GM_PEER_HOST", "127.0.0.2", "alice", "Alice");
const bob = await peer("GM_PEER2_HOST", "127.0.0.3", "bob", "Bob");
const carol = await peer("GM_PEER3_HOST", "127.0.0.4", "carol", "Carol");
const dave = await peer("GM_PEER4_HOST", "127.0.0.5", "dave", "Dave");
const PEERS = [alice, bob, carol, dave];
// carol's server says it runs Lemmy: the daemon reads this (when it first fetches her key) and
// sends her the group-aware shape, Announce{object: Create}.
carol.federation.setNodeInfoDispatcher("/nodeinfo/2.1", async () => ({
  software: { name: "lemmy", version: "0.19.11" },
  protocols: ["activitypub"],
  usage: { users: { total: 1, activeHalfyear: 1, activeMonth: 1 }, localPosts: 0, localComments: 0 },
  openRegistrations: false,
}));
note(
  `Fedify peers: alice ${alice.actor.href}, bob ${bob.actor.href}, carol ${carol.actor.href} (NodeInfo: lemmy), ` +
    `dave ${dave.actor.href}; daemon at ${ORIGIN}`,
);

// ---- helpers ----------------------------------------------------------------------------

const community = { id: T.community, inboxId: T.inbox, endpoints: { sharedInbox: T.sharedInbox } };

function newFollow(p) {
  return new Follow({ id: new URL(`/follows/${randomUUID()}`, p.origin), actor: p.actor, object: T.community });
}

// A Note by `p`, served from p's Fedify server, and the Create that carries it (same addressing).
function newPost(p, { content, to = [PUBLIC_COLLECTION], cc = [], tags, replyTarget }) {
  const key = randomUUID();
  const n = new Note({
    id: p.ctx.getObjectUri(Note, { id: key }),
    attribution: p.actor,
    content,
    tos: to,
    ccs: cc,
    ...(tags ? { tags } : {}),
    ...(replyTarget ? { replyTarget } : {}),
  });
  p.notes.set(key, n);
  const create = new Create({
    id: new URL(`/creates/${key}`, p.origin),
    actor: p.actor,
    object: n,
    tos: to,
    ccs: cc,
  });
  return { note: n, noteId: n.id.href, create };
}

// Sends an activity with Fedify's ctx.sendActivity() to the community's inbox (or, with
// shared, the daemon's shared inbox) and checks the daemon's answer: 202 with the given
// status. Returns the final POST (or null).
async function send(label, p, activity, { expect = "accepted", shared = false } = {}) {
  const from = outgoing.length;
  const t0 = performance.now();
  let error = null;
  try {
    await p.ctx.sendActivity({ identifier: p.identifier }, community, activity, {
      immediate: true,
      ...(shared ? { preferSharedInbox: true } : {}),
    });
  } catch (e) {
    error = e;
  }
  const ms = Math.round(performance.now() - t0);
  const target = shared ? T.sharedInbox.href : T.inbox.href;
  const posts = outgoing.slice(from).filter((o) => o.method === "POST" && o.url === target);
  const last = posts.at(-1) ?? null;
  let json = null;
  try {
    json = JSON.parse(last?.text ?? "");
  } catch {
    // reported as text
  }
  const knocks = posts.map((o) => `${o.scheme} -> ${o.status}`).join(", ");
  const good = error == null && last?.status === 202 && json?.status === expect;
  ok(
    good,
    `${label} -> POST ${new URL(target).pathname} ${last?.status ?? "nothing sent"} ${last?.text ?? ""} (${ms} ms) [${knocks}]`,
    error ? `Fedify: ${errText(error)}` : `expected 202 {"status":"${expect}"}`,
  );
  if (!good && last) note(`what Fedify sent:\n${last.body}`);
  return { post: last, at: t0 };
}

async function gemeinde(...cliArgs) {
  try {
    const { stdout, stderr } = await promisify(execFile)(GM, ["-c", CONF, ...cliArgs], { timeout: 10_000, signal });
    return { code: 0, stdout, stderr };
  } catch (e) {
    return { code: e.code ?? -1, stdout: e.stdout ?? "", stderr: e.stderr ?? errText(e) };
  }
}

// Checks that `members NAME --json` lists exactly `expected`, each with its shared inbox.
async function checkMembers(label, expected) {
  const r = await gemeinde("members", NAME, "--json");
  let list = null;
  try {
    list = JSON.parse(r.stdout);
  } catch {
    // stays null
  }
  if (!ok(Array.isArray(list), `${label} members ${NAME} --json answers a JSON array`, `exit ${r.code}: ${r.stdout}${r.stderr}`)) return;
  const got = list.map((m) => `${m.actor} (shared ${m.shared_inbox})`).sort();
  const want = expected.map((p) => `${p.actor.href} (shared ${p.sharedInbox.href})`).sort();
  ok(
    isDeepStrictEqual(got, want),
    `${label} members are ${expected.map((p) => p.identifier).join(", ") || "nobody"}, each with its shared inbox`,
    `listed: ${got.join(", ") || "nobody"}`,
  );
}

function parse(text) {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

// POSTs the daemon made to a peer (its User-Agent), with the parsed body.
function daemonPosts(p) {
  const posts = p.requests.filter((r) => r.method === "POST" && (r.headers?.get("user-agent") ?? "").startsWith("gemeinde/"));
  for (const r of posts) if (!("json" in r)) r.json = parse(r.body);
  return posts;
}

// The id of the Note an Announce (as JSON) carries: its object (micro shape) or its object's
// object (group-aware shape, Announce{Create{Note}}).
function announcedNoteId(json) {
  const o = json?.object;
  if (typeof o === "string") return o;
  const inner = o?.object;
  return typeof inner === "string" ? inner : inner?.id;
}

function announcesOf(p, noteId) {
  return daemonPosts(p).filter((r) => r.json?.type === "Announce" && (noteId == null || announcedNoteId(r.json) === noteId));
}

function heardAnnounces(p, announceIds) {
  return received.filter((e) => e.peer === p.identifier && e.activity instanceof Announce && announceIds.has(e.activity.id?.href));
}

// Every request a peer's server received (bodies shortened), for a failed check.
function showPeer(p) {
  const cut = (t, n) => (t.length > n ? `${t.slice(0, n)}… (${t.length} chars)` : t);
  const lines = p.requests.map(
    (r) =>
      `${r.method} ${r.path} -> ${r.status} ${cut(r.responseText.trim(), 100)}${
        r.method === "POST" ? `\n  ${sigHeaders(r.headers).replace(/\n/g, "\n  ")}\n  body: ${cut(r.body, 400)}` : ""
      }`,
  );
  note(`requests ${p.identifier}'s Fedify server received:\n${lines.join("\n") || "(none)"}`);
}

// Waits for the Accept of `follow` and checks that it is the community's, verified by Fedify.
async function follow(label, p) {
  const f = newFollow(p);
  const { at } = await send(`${label} ${p.identifier}'s Follow`, p, f);
  const got = await waitUntil(
    () => received.some((e) => e.peer === p.identifier && e.activity instanceof Accept && e.activity.objectId?.href === f.id.href),
    ARRIVE_WAIT_MS,
  );
  const e = received.find((x) => x.peer === p.identifier && x.activity instanceof Accept && x.activity.objectId?.href === f.id.href);
  if (
    !ok(
      got && e.activity.actorId?.href === COMMUNITY,
      `${label} ${p.identifier}'s Fedify inbox (signature verification on) got the community's Accept of the Follow` +
        (got ? ` after ${Math.round(e.at - at)} ms` : ""),
      got ? `actor ${e.activity.actorId?.href}` : `nothing within ${ARRIVE_WAIT_MS / 1000} s`,
    )
  )
    showPeer(p);
  return f;
}

// The signature, digest and answer of one of the daemon's POSTs to a peer.
function checkSigned(label, r) {
  const sig = parseCavageSignature(r.headers.get("signature"));
  const digestOk = r.headers.get("digest") === `SHA-256=${createHash("sha256").update(r.body).digest("base64")}`;
  const cavage = sig.keyId === COMMUNITY_KEY && sig.algorithm === "rsa-sha256" && sig.headers === "(request-target) host date digest";
  const rfc9421 = (r.headers.get("signature-input") ?? "").includes(`keyid="${COMMUNITY_KEY}"`);
  ok(
    (cavage || rfc9421) && digestOk && (r.headers.get("content-type") ?? "").startsWith(AP_TYPE),
    `${label} signed by the community's key (${cavage ? "draft-cavage rsa-sha256" : rfc9421 ? "RFC 9421" : "?"}), Digest matches the body`,
    `\n${sigHeaders(r.headers)}`,
  );
}

// After a relayable post: waits until each peer in `expected` has received (Fedify's Announce
// listener, i.e. verified) an Announce carrying noteId, and checks it, raw and as parsed by
// Fedify. `shapes` says which shape each peer should get: "id" (object = the Note's id) or
// "create" (object = the whole Create as sent, `sentCreate`). Returns the Announce's JSON.
async function checkRelayed(label, noteId, expected, shapes, sentCreate, sentAt) {
  const heardBy = (p) =>
    received.some((e) => e.peer === p.identifier && e.activity instanceof Announce && announcesOf(p, noteId).some((r) => r.json.id === e.activity.id?.href));
  const all = await waitUntil(() => expected.every(heardBy), arriveWait);
  if (!all) arriveWait = QUIET_WAIT_MS;
  await sleep(200); // a duplicate would come in the same batch, right after
  let announceJson = null;
  for (const p of expected) {
    const posts = announcesOf(p, noteId);
    const entry = received.find((e) => e.peer === p.identifier && e.activity instanceof Announce && posts.some((r) => r.json.id === e.activity.id?.href));
    if (
      !ok(
        heardBy(p) && posts.length === 1,
        `${label} ${p.identifier} received exactly one Announce of it, given to Fedify's Announce listener` +
          (entry ? ` after ${Math.round(entry.at - sentAt)} ms` : ""),
        `${posts.length} POST(s) carrying it, listener ${entry ? "got it" : "got nothing in time"}`,
      )
    ) {
      showPeer(p);
      continue;
    }
    const raw = posts[0];
    const j = raw.json;
    for (let i = 0; i < 200 && raw.status == null; i++) await sleep(10);
    ok(
      raw.path === p.sharedInbox.pathname && raw.status === 202,
      `${label} POSTed to ${p.identifier}'s shared inbox ${p.sharedInbox.pathname}, Fedify answered 202`,
      `POST ${raw.path} -> ${raw.status} ${raw.responseText}`,
    );
    checkSigned(`${label} ${p.identifier}'s copy:`, raw);
    const idRe = new RegExp(`^${COMMUNITY.replace(/[.]/g, "\\.")}/announces/[0-9]+$`);
    ok(
      j["@context"] != null && idRe.test(j.id ?? "") && j.type === "Announce" && j.actor === COMMUNITY &&
        isDeepStrictEqual(j.to, [AS_PUBLIC]) && isDeepStrictEqual(j.cc, [`${COMMUNITY}/followers`]),
      `${label} ${p.identifier}'s Announce JSON: id ${j.id}, actor the community, to [Public], cc [followers]`,
      raw.body,
    );
    ok(entry.activity.actorId?.href === COMMUNITY, `${label} Fedify parsed its actor as the community`, `${entry.activity.actorId?.href}`);
    if (announceJson && announceJson.id !== j.id) ok(false, `${label} every member got the same Announce id`, `${announceJson.id} vs ${j.id}`);
    if (shapes[p.identifier] === "id") {
      ok(j.object === noteId, `${label} ${p.identifier} (no NodeInfo) got object = the Note's id ${noteId}`, `object ${JSON.stringify(j.object)}`);
      let n = null;
      try {
        n = await entry.activity.getObject({ documentLoader, contextLoader: documentLoader });
      } catch (e) {
        n = e;
      }
      ok(
        n instanceof Note && n.id?.href === noteId,
        `${label} Fedify dereferenced that id (the author's object dispatcher) to the Note`,
        n instanceof Error ? errText(n) : `${n?.constructor?.name} ${n?.id?.href}`,
      );
    } else {
      const sent = parse(sentCreate?.body ?? "");
      ok(
        sent != null && isDeepStrictEqual(j.object, sent),
        `${label} ${p.identifier} (NodeInfo "lemmy") got object = the whole Create, as the author sent it`,
        `\nsent:      ${sentCreate?.body}\nannounced: ${JSON.stringify(j.object)}`,
      );
      let c = null;
      let n = null;
      try {
        c = await entry.activity.getObject({ documentLoader, contextLoader: documentLoader, crossOrigin: "trust" });
        n = await c?.getObject({ documentLoader, contextLoader: documentLoader, crossOrigin: "trust" });
      } catch (e) {
        c = e;
      }
      ok(
        c instanceof Create && c.id?.href === sent?.id && n instanceof Note && n.id?.href === noteId,
        `${label} Fedify parsed it as a Create (${sent?.id}) of the Note`,
        c instanceof Error ? errText(c) : `${c?.constructor?.name} ${c?.id?.href} of ${n?.constructor?.name} ${n?.id?.href}`,
      );
    }
    // the stored form is the group-aware one (the micro shape is derived from it)
    if (shapes[p.identifier] === "create" || announceJson == null) announceJson = j;
  }
  return announceJson;
}

// Watches for QUIET_WAIT_MS: none of `peers` may be sent anything by the daemon.
async function checkQuiet(label, peers) {
  const before = new Map(peers.map((p) => [p, daemonPosts(p).length]));
  const heardBefore = received.length;
  await sleep(QUIET_WAIT_MS);
  const extra = peers.flatMap((p) => daemonPosts(p).slice(before.get(p)).map((r) => `${p.identifier}: ${r.path} ${r.body}`));
  ok(
    extra.length === 0 && received.slice(heardBefore).every((e) => !peers.some((p) => p.identifier === e.peer)),
    `${label} ${peers.map((p) => p.identifier).join(", ")} received nothing in the next ${QUIET_WAIT_MS / 1000} s`,
    `\n${extra.join("\n")}`,
  );
}

async function getJson(url) {
  try {
    const res = await realFetch(url, { headers: { Accept: AP_TYPE }, signal });
    const text = await res.text();
    return { status: res.status, type: res.headers.get("content-type") ?? "", json: parse(text), text };
  } catch (e) {
    return { status: null, type: "", json: null, text: errText(e) };
  }
}

// GET the outbox: totalItems n; its first page (newest first) holds `announces`, and each
// Announce id dereferences to the stored Announce.
async function checkOutbox(label, announces) {
  const top = await getJson(OUTBOX);
  let coll = null;
  try {
    coll = await OrderedCollection.fromJsonLd(top.json, { documentLoader, contextLoader: documentLoader });
  } catch (e) {
    coll = e;
  }
  ok(
    top.status === 200 && top.type.startsWith(AP_TYPE) && coll instanceof OrderedCollection && coll.totalItems === announces.length &&
      top.json?.first === `${OUTBOX}?page=true`,
    `${label} GET ${new URL(OUTBOX).pathname}: OrderedCollection (via Fedify), totalItems ${announces.length}, first ${new URL(OUTBOX).pathname}?page=true`,
    coll instanceof Error ? errText(coll) : `${top.status} ${top.type} ${top.text}`,
  );
  const first = await getJson(`${OUTBOX}?page=true`);
  let page = null;
  try {
    page = await OrderedCollectionPage.fromJsonLd(first.json, { documentLoader, contextLoader: documentLoader });
  } catch (e) {
    page = e;
  }
  const items = first.json?.orderedItems ?? [];
  const want = [...announces].reverse(); // newest first
  ok(
    first.status === 200 && page instanceof OrderedCollectionPage && page.partOfId?.href === OUTBOX && isDeepStrictEqual(items, want),
    `${label} its first page (OrderedCollectionPage via Fedify, partOf the outbox) holds ${want.map((a) => a.id.split("/").pop()).join(", ")} newest first, each equal to the Announce a group-aware member got`,
    page instanceof Error ? errText(page) : `${first.status} ${first.text}`,
  );
  for (const a of announces) {
    const one = await getJson(a.id);
    let parsed = null;
    try {
      parsed = await Announce.fromJsonLd(one.json, { documentLoader, contextLoader: documentLoader });
    } catch (e) {
      parsed = e;
    }
    ok(
      one.status === 200 && one.type.startsWith(AP_TYPE) && isDeepStrictEqual(one.json, a) && parsed instanceof Announce && parsed.id?.href === a.id,
      `${label} GET ${new URL(a.id).pathname} returns that Announce (parsed by Fedify as an Announce)`,
      parsed instanceof Error ? errText(parsed) : `${one.status} ${one.type} ${one.text}`,
    );
  }
}

// ---- the checks -------------------------------------------------------------------------

const SHAPES = { alice: "id", bob: "id", carol: "create" };

async function main() {
  // 1: alice, bob and carol follow and get their Accepts
  const follows = {};
  for (const p of [alice, bob, carol]) follows[p.identifier] = await follow("1.", p);
  await checkMembers("1.", [alice, bob, carol]);
  const ni = carol.requests.filter((r) => r.method === "GET" && (r.path === "/.well-known/nodeinfo" || r.path === "/nodeinfo/2.1"));
  ok(
    ni.length === 2 && ni.every((r) => r.status === 200),
    `1. the daemon read carol's NodeInfo from Fedify [${ni.map((r) => `GET ${r.path} -> ${r.status}`).join(", ")}]`,
    "expected GET /.well-known/nodeinfo and GET /nodeinfo/2.1, each 200",
  );

  // 2: alice posts a public Note, cc the community
  const p1 = newPost(alice, { content: "<p>Hello, community</p>", cc: [T.community] });
  const s1 = await send("2. alice's public Create(Note) cc the community", alice, p1.create);
  const a1 = await checkRelayed("2.", p1.noteId, [alice, bob, carol], SHAPES, s1.post, s1.at);
  ok(announcesOf(dave).length === 0, "2. dave (not a member) received nothing", `${announcesOf(dave).length} Announce(s)`);

  // 3: the outbox
  if (a1) await checkOutbox("3.", [a1]);
  else ok(false, "3. outbox checked", "no Announce to compare with");

  // 4: followers-only, addressed to the community: acknowledged, not relayed
  const p4 = newPost(alice, {
    content: "<p>For my followers</p>",
    to: [new URL("/users/alice/followers", alice.origin)],
    cc: [T.community],
  });
  await send("4. alice's followers-only Create(Note) addressed to the community", alice, p4.create);
  await checkQuiet("4.", PEERS);

  // 5: a non-member mentions the community
  const p5 = newPost(dave, {
    content: "<p>@interop hello from outside</p>",
    cc: [T.community],
    tags: [new Mention({ href: T.community, name: `@${NAME}` }), new Hashtag({ href: new URL("/tags/x", dave.origin), name: "#x" })],
  });
  await send("5. dave (never followed) posts a public Note mentioning the community", dave, p5.create);
  await checkQuiet("5.", PEERS);

  // 6: bob replies to alice's Note without addressing the community (to the shared inbox)
  const p6 = newPost(bob, { content: "<p>Hi alice</p>", cc: [alice.actor], replyTarget: p1.note.id });
  const s6 = await send("6. bob's public reply to alice's Note, not addressing the community, to the shared inbox", bob, p6.create, { shared: true });
  const a6 = await checkRelayed("6.", p6.noteId, [alice, bob, carol], SHAPES, s6.post, s6.at);
  if (a6) ok(a6.object?.object?.inReplyTo === p1.noteId, "6. the announced reply's inReplyTo is alice's Note", JSON.stringify(a6.object?.object));

  // 7: bob leaves; alice's next post reaches alice and carol only
  await send("7. bob's Undo{Follow}", bob, new Undo({ id: new URL(`/undos/${randomUUID()}`, bob.origin), actor: bob.actor, object: follows.bob }));
  await checkMembers("7.", [alice, carol]);
  const bobBefore = daemonPosts(bob).length;
  const p7 = newPost(alice, { content: "<p>Second post</p>", cc: [T.community] });
  const s7 = await send("7. alice's second public Create(Note) cc the community", alice, p7.create);
  const a7 = await checkRelayed("7.", p7.noteId, [alice, carol], SHAPES, s7.post, s7.at);
  const rest = QUIET_WAIT_MS - (performance.now() - s7.at);
  if (rest > 0) await sleep(rest);
  ok(
    daemonPosts(bob).length === bobBefore,
    `7. bob received nothing in the ${QUIET_WAIT_MS / 1000} s after alice's post`,
    daemonPosts(bob).slice(bobBefore).map((r) => r.body).join("\n"),
  );

  // 8: alice's first Create again: a duplicate; the same Note in a new Create is not announced again
  await send("8. alice's first Create again (same id)", alice, p1.create, { expect: "duplicate" });
  const again = new Create({ id: new URL(`/creates/${randomUUID()}`, alice.origin), actor: alice.actor, object: p1.note, tos: [PUBLIC_COLLECTION], ccs: [T.community] });
  await send("8. alice's first Note in a new Create (new id)", alice, again);
  await checkQuiet("8.", PEERS);

  // 9: a member's Note addressed to the community only through a Mention tag
  const p9 = newPost(alice, {
    content: `<p>@${NAME} tagged</p>`,
    tags: [new Mention({ href: T.community, name: `@${NAME}` }), new Hashtag({ href: new URL("/tags/y", alice.origin), name: "#y" })],
  });
  const s9 = await send("9. alice's public Note whose only reference to the community is a Mention tag (tag: [Mention, Hashtag])", alice, p9.create);
  const a9 = await checkRelayed("9.", p9.noteId, [alice, carol], SHAPES, s9.post, s9.at);

  // 10: the same with one tag, which Fedify (JSON-LD compaction) sends as an object, not an array
  const p10 = newPost(alice, { content: `<p>@${NAME} only</p>`, tags: [new Mention({ href: T.community, name: `@${NAME}` })] });
  const s10 = await send("10. alice's public Note with a single Mention tag of the community (Fedify sends tag: {…}, no array)", alice, p10.create);
  note(`what Fedify sent in 10: "tag": ${JSON.stringify(parse(s10.post?.body ?? "")?.object?.tag)}`);
  const a10 = await checkRelayed("10.", p10.noteId, [alice, carol], SHAPES, s10.post, s10.at);

  // Everything the daemon sent: per peer, the Accept and one Announce per relayed post.
  const relayed = [a1, a6, a7, a9, a10].filter(Boolean);
  const tally = (p) => daemonPosts(p).map((r) => `${r.json?.type}${r.json?.type === "Announce" ? ` ${r.json.id.split("/").pop()}` : ""}`);
  const want = (ids) => ["Accept", ...ids.map((a) => `Announce ${a.id.split("/").pop()}`)];
  const wantAll = want(relayed);
  const wantBob = want([a1, a6].filter(Boolean));
  ok(
    isDeepStrictEqual(tally(alice), wantAll) && isDeepStrictEqual(tally(carol), wantAll) && isDeepStrictEqual(tally(bob), wantBob) && tally(dave).length === 0,
    `the daemon POSTed one Accept and then exactly one copy of each Announce to each member, nothing to dave (alice, carol: ${wantAll.length}; bob: ${wantBob.length})`,
    `alice [${tally(alice)}], bob [${tally(bob)}], carol [${tally(carol)}], dave [${tally(dave)}]`,
  );
  const posts = PEERS.flatMap((p) => daemonPosts(p).map((r) => ({ p, r })));
  ok(
    posts.every(({ r }) => r.status === 202),
    `Fedify answered every one of the daemon's ${posts.length} POSTs with 202 (no 401, so no second knock)`,
    posts.filter(({ r }) => r.status !== 202).map(({ p, r }) => `${p.identifier} ${r.path} -> ${r.status} ${r.responseText}`).join("; "),
  );
  ok(
    received.every((e) => e.activity instanceof Accept || e.activity instanceof Announce),
    "Fedify's listeners were given only Accepts and Announces",
    received.filter((e) => !(e.activity instanceof Accept || e.activity instanceof Announce)).map((e) => `${e.peer}: ${e.activity.constructor.name}`).join(", "),
  );
  if (relayed.length) await checkOutbox("end:", relayed);
}

try {
  await main();
} catch (e) {
  ok(false, "no unexpected exception", e instanceof Error ? e.stack : String(e));
}
ok(refused.length === 0, "no non-loopback document was requested", `refused: ${refused.join(", ")}`);
const shown = fedifyLog.filter((l) => !NOISE.test(l));
if (failedCount() > 0) note(`Fedify's log (warnings and errors, without the proof warnings):\n${shown.join("\n") || "(nothing)"}`);
finish();
