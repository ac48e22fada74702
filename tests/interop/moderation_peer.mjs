// SPDX-License-Identifier: Apache-2.0
//
// Interop check of moderation against real Fedify servers (signature verification ON):
//   a. domain blocks: eve's host is suspended node-wide and frank's for the community only
//      (run_moderation.sh blocks them with the CLI before this script starts). Each follows and
//      gets a Reject embedding the Follow; eve's post is refused; a member's post is announced
//      to the members, and eve and frank never receive anything but their Reject.
//   b. DM commands: maria is made a moderator (`gemeinde mod NAME add URL`) and sends the
//      community direct messages: "stats" is answered by a DM in reply; "ban @sam 1 spam"
//      ends sam's membership with a Reject, tells him why by DM, and `bans --json` lists him.
//      alice, who is no moderator, sends "stats": she gets a polite refusal and the message
//      shows up in `gemeinde inbox NAME --json`.
// The peers:
//   alice  127.0.0.2  member, posts publicly; not a moderator
//   maria  127.0.0.3  moderator (not a member)
//   sam    127.0.0.4  member, then banned by maria's DM
//   eve    127.0.0.6  on a suspended domain (`gemeinde block add 127.0.0.6`)
//   frank  127.0.0.7  on a domain the community blocks (`block add 127.0.0.7 --community NAME`)
//
// usage: node moderation_peer.mjs BASE_URL NAME GEMEINDE_BINARY CONFIG
//
// Optional environment:
//   GM_MODERATION_TIMEOUT  hard timeout in seconds (default 60)
//   GM_PEER_HOST, GM_PEER2_HOST, GM_PEER3_HOST   alice, maria, sam (127.0.0.2, .3, .4)
//   GM_SUSPENDED_HOST      eve (127.0.0.6); must be the host run_moderation.sh suspended
//   GM_CBLOCKED_HOST       frank (127.0.0.7); must be the host the community blocks
//
// Prints one line per check ("ok - ..." / "not ok - ..."), then "N passed, N failed".
// Exit status: 0 if every check passed, 1 if any failed, 2 on usage error or refusal,
// 3 on the hard timeout. Only loopback addresses are ever contacted.

import { Accept, Activity, Announce, Create, Follow, Mention, Note, PUBLIC_COLLECTION, Reject } from "@fedify/fedify/vocab";
import { randomUUID } from "node:crypto";
import { isDeepStrictEqual } from "node:util";
import {
  activityLog,
  captureFedifyLog,
  checkDaemonPost,
  cliRunner,
  communitySender,
  daemonPosts,
  errText,
  failedCount,
  finish,
  hardTimeout,
  note,
  ok,
  parseJson,
  parseTarget,
  peerHost,
  recordOutgoing,
  restrictedLoader,
  showPeer,
  sleep,
  startPeer,
} from "./peer_common.mjs";

const USAGE = "usage: node moderation_peer.mjs BASE_URL NAME GEMEINDE_BINARY CONFIG";
const ARRIVE_WAIT_MS = 10_000; // an answer must arrive within this
let arriveWait = ARRIVE_WAIT_MS; // 3 s after the first miss, so that the run ends before the hard timeout
const QUIET_WAIT_MS = 3_000; // how long to watch for anything that must not be sent

const args = process.argv.slice(2);
if (args.length !== 4) {
  console.error(USAGE);
  process.exit(2);
}
const [baseArg, NAME, GM, CONF] = args;
const T = parseTarget(USAGE, baseArg, NAME);
const ORIGIN = T.origin;
const COMMUNITY = T.community.href;
const SIGNED_BY = { communityKey: `${COMMUNITY}#main-key`, origin: ORIGIN };
const signal = hardTimeout("GM_MODERATION_TIMEOUT", 60);
const { documentLoader, authenticatedLoaderFactory, refused } = restrictedLoader(signal);
const fedifyLog = await captureFedifyLog();
// Expected: the peers have RSA keys only, so Fedify adds no Object Integrity Proofs.
const NOISE = /No supported key found to create a proof/;
const fedifyLogShown = () => [`Fedify's log (warnings and errors):`, ...fedifyLog.filter((l) => !NOISE.test(l))];

const outgoing = recordOutgoing(ORIGIN);
const send = communitySender({ outgoing, target: T });
const gemeinde = cliRunner(GM, CONF, signal);
const { received, record, waitUntil } = activityLog();

// ---- the Fedify peers -------------------------------------------------------------------

// Every verified activity is recorded with its object as Fedify resolves it (embedded objects
// trusted, as a Reject embeds a Follow of another origin). Announces are recorded as they are.
function listeners(peerName) {
  return (setters) =>
    setters.on(Activity, async (_ctx, activity) => {
      let object = null;
      if (!(activity instanceof Announce)) {
        try {
          object = await activity.getObject({ documentLoader, contextLoader: documentLoader, crossOrigin: "trust" });
        } catch (e) {
          object = e;
        }
      }
      record({ peer: peerName, activity, object });
    });
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
  p.notes = new Map(); // its Notes, served at /notes/{id}
  p.federation.setObjectDispatcher(Note, "/notes/{id}", async (_ctx, values) => p.notes.get(values.id) ?? null);
  return p;
}

// started together: each generates an RSA key, which takes a second or more
const [alice, maria, sam, eve, frank] = await Promise.all([
  peer("GM_PEER_HOST", "127.0.0.2", "alice", "Alice"),
  peer("GM_PEER2_HOST", "127.0.0.3", "maria", "Maria"),
  peer("GM_PEER3_HOST", "127.0.0.4", "sam", "Sam"),
  peer("GM_SUSPENDED_HOST", "127.0.0.6", "eve", "Eve"),
  peer("GM_CBLOCKED_HOST", "127.0.0.7", "frank", "Frank"),
]);
const PEERS = [alice, maria, sam, eve, frank];
note(`Fedify peers: ${PEERS.map((p) => `${p.identifier} ${p.actor.href}`).join(", ")}; daemon at ${ORIGIN}`);

// ---- helpers ----------------------------------------------------------------------------

const hostOf = (p) => new URL(p.origin).hostname;
const heard = (p, pred) => received.find((e) => e.peer === p.identifier && pred(e));
const postOf = (p, id) => daemonPosts(p).find((r) => r.json?.id === id);

function newFollow(p) {
  return new Follow({ id: new URL(`/follows/${randomUUID()}`, p.origin), actor: p.actor, object: T.community });
}

// A Note by `p` (served by p's server) and the Create that carries it, with the same addressing.
function newNote(p, { content, to, cc = [], tags }) {
  const key = randomUUID();
  const n = new Note({ id: p.ctx.getObjectUri(Note, { id: key }), attribution: p.actor, content, tos: to, ccs: cc, ...(tags ? { tags } : {}) });
  p.notes.set(key, n);
  const create = new Create({ id: new URL(`/creates/${key}`, p.origin), actor: p.actor, object: n, tos: to, ccs: cc });
  return { note: n, noteId: n.id.href, create };
}

// A mention in Mastodon's HTML, and its tag.
const hcard = (href, user) => `<span class="h-card"><a href="${href}" class="u-url mention">@<span>${user}</span></a></span>`;
const COMMUNITY_MENTION = new Mention({ href: T.community, name: `@${NAME}@${new URL(ORIGIN).host}` });

// A direct message to the community: to [the community] only, a Mention tag of it (and of
// `others`: [{ p, user }]), content "@NAME words" where {p} in words is p's h-card.
function newDm(p, words, others = []) {
  let html = words;
  for (const o of others) html = html.replace(`{${o.p.identifier}}`, hcard(o.p.actor.href, o.p.identifier));
  return newNote(p, {
    content: `<p>${hcard(COMMUNITY, NAME)} ${html}</p>`,
    to: [T.community],
    tags: [COMMUNITY_MENTION, ...others.map((o) => new Mention({ href: o.p.actor, name: `@${o.p.identifier}@${new URL(o.p.origin).host}` }))],
  });
}

async function cliJson(label, ...cliArgs) {
  const r = await gemeinde(...cliArgs);
  const json = parseJson(r.stdout);
  ok(r.code === 0 && json != null, `${label} gemeinde ${cliArgs.join(" ")} -> exit 0 with JSON`, `exit ${r.code}: ${r.stdout}${r.stderr}`);
  return json;
}

async function checkMembers(label, expected) {
  const list = await cliJson(label, "members", NAME, "--json");
  const got = (Array.isArray(list) ? list.map((m) => m.actor) : []).sort();
  const want = expected.map((p) => p.actor.href).sort();
  ok(isDeepStrictEqual(got, want), `${label} members are ${expected.map((p) => p.identifier).join(", ") || "nobody"}`, `listed: ${got.join(", ") || "nobody"}`);
}

// Waits until `p`'s listener has been given an activity matching pred (verified by Fedify);
// checks that it came in a signed POST that Fedify answered 202. Returns { entry, raw } or null.
async function arrives(label, p, what, pred, sentAt) {
  const got = await waitUntil(() => heard(p, pred) != null, arriveWait);
  const entry = heard(p, pred);
  if (!ok(got, `${label} ${p.identifier}'s Fedify inbox (signature verification on) got ${what}${got ? ` after ${Math.round(entry.at - sentAt)} ms` : ""}`, `nothing within ${arriveWait / 1000} s`)) {
    arriveWait = QUIET_WAIT_MS;
    showPeer(p, fedifyLogShown());
    return null;
  }
  const raw = postOf(p, entry.activity.id?.href);
  if (!ok(raw, `${label} it came in a POST from the daemon`, `no POST with id ${entry.activity.id?.href}`)) return null;
  await checkDaemonPost(`${label} ${p.identifier}:`, raw, SIGNED_BY);
  return { entry, raw };
}

// A Follow and its Accept.
async function join(label, p) {
  const f = newFollow(p);
  const { at } = await send(`${label} ${p.identifier}'s Follow`, p, f);
  const got = await arrives(label, p, "the community's Accept of the Follow", (e) => e.activity instanceof Accept && e.activity.objectId?.href === f.id.href, at);
  if (got) ok(got.entry.activity.actorId?.href === COMMUNITY, `${label} the Accept's actor is the community`, got.entry.activity.actorId?.href);
  return f;
}

// A Follow answered with a Reject that embeds the Follow as sent. Returns the Reject's JSON.
async function rejected(label, p, why) {
  const f = newFollow(p);
  const { post, at } = await send(`${label} ${p.identifier}'s Follow (${why})`, p, f);
  const got = await arrives(label, p, "a Reject of the Follow", (e) => e.activity instanceof Reject && e.activity.objectId?.href === f.id.href, at);
  if (!got) return null;
  const { entry, raw } = got;
  const o = entry.object;
  ok(
    entry.activity.actorId?.href === COMMUNITY && o instanceof Follow && o.id?.href === f.id.href && o.actorId?.href === p.actor.href && o.objectId?.href === COMMUNITY,
    `${label} Fedify parsed it: actor the community, object ${p.identifier}'s Follow (same id, actor, object)`,
    o instanceof Error ? errText(o) : `actor ${entry.activity.actorId?.href}, object ${o?.constructor?.name} ${o?.id?.href}`,
  );
  const j = raw.json;
  const idRe = new RegExp(`^${COMMUNITY.replace(/[.]/g, "\\.")}/activities/reject-[0-9a-f]+$`);
  ok(
    j?.type === "Reject" && idRe.test(j.id ?? "") && j.actor === COMMUNITY && isDeepStrictEqual(j.to, [p.actor.href]) &&
      raw.path === p.inbox.pathname && isDeepStrictEqual(j.object, parseJson(post?.body ?? "")),
    `${label} Reject JSON: id …/activities/reject-HEX, to [${p.identifier}], POSTed to the personal inbox, object the whole Follow as sent`,
    `POST ${raw.path} ${raw.body}\nsent: ${post?.body}`,
  );
  return j;
}

// Waits for the next DM from the community to `p` (a Create{Note}; each DM is taken once),
// and checks its shape: Create and Note from the community, to [p] only, nothing in cc, a
// Mention of p, inReplyTo `replyTo` (or none). Returns the Note's JSON.
const taken = new Set();
async function dmArrives(label, p, what, sentAt, replyTo) {
  const isDm = (e) => e.activity instanceof Create && e.activity.actorId?.href === COMMUNITY && !taken.has(e.activity.id?.href);
  const got = await arrives(label, p, `the community's DM ${what}`, isDm, sentAt);
  if (!got) return null;
  const { entry, raw } = got;
  taken.add(entry.activity.id?.href);
  const j = raw.json;
  const n = j.object;
  const dmRe = new RegExp(`^${COMMUNITY.replace(/[.]/g, "\\.")}/activities/dm-[0-9a-f]+$`);
  ok(
    j.type === "Create" && j.actor === COMMUNITY && isDeepStrictEqual(j.to, [p.actor.href]) && (j.cc ?? []).length === 0 &&
      n?.type === "Note" && dmRe.test(n.id ?? "") && n.attributedTo === COMMUNITY && isDeepStrictEqual(n.to, [p.actor.href]) &&
      (n.cc ?? []).length === 0 && (replyTo ? n.inReplyTo === replyTo : n.inReplyTo === undefined) && raw.path === p.inbox.pathname,
    `${label} DM JSON: Create{Note} from the community, to [${p.identifier}] only (no cc), ${replyTo ? "inReplyTo the command's Note" : "no inReplyTo"}, POSTed to the personal inbox`,
    `POST ${raw.path} ${raw.body}`,
  );
  const tags = Array.isArray(n.tag) ? n.tag : n.tag ? [n.tag] : [];
  ok(tags.some((t) => t.type === "Mention" && t.href === p.actor.href), `${label} the DM's Note has a Mention tag of ${p.identifier}`, JSON.stringify(n.tag));
  const parsed = entry.object;
  ok(
    parsed instanceof Note && parsed.id?.href === n.id && isDeepStrictEqual(parsed.toIds.map(String), [p.actor.href]) &&
      (replyTo ? parsed.replyTargetId?.href === replyTo : parsed.replyTargetId == null),
    `${label} Fedify parsed it as a Create of that Note (to ${p.identifier}${replyTo ? ", inReplyTo the command" : ""})`,
    parsed instanceof Error ? errText(parsed) : `${parsed?.constructor?.name} ${parsed?.id?.href}`,
  );
  note(`${label} the DM's content: ${n.content}`);
  return n;
}

// The daemon's POSTs to each peer, by type (sorted: deliveries run in parallel).
const tally = (p) => daemonPosts(p).map((r) => r.json?.type ?? "?").sort();

// ---- a. suspended domains ---------------------------------------------------------------

async function suspendedDomains() {
  const blocks = await cliJson("a0.", "block", "list", "--json");
  ok(
    Array.isArray(blocks) && blocks.some((b) => b.domain === hostOf(eve) && b.severity === "suspend"),
    `a0. eve's host ${hostOf(eve)} is suspended node-wide (an IPv4 literal is a domain to gm_block_normalise)`,
    JSON.stringify(blocks),
  );
  const cblocks = await cliJson("a0.", "block", "list", "--community", NAME, "--json");
  ok(
    Array.isArray(cblocks) && cblocks.some((b) => b.domain === hostOf(frank) && b.severity === "suspend") && !blocks?.some?.((b) => b.domain === hostOf(frank)),
    `a0. frank's host ${hostOf(frank)} is suspended by ${NAME} only`,
    JSON.stringify(cblocks),
  );

  await join("a1.", alice);
  await rejected("a2.", eve, "suspended node-wide");
  await rejected("a3.", frank, `suspended by ${NAME}`);
  await checkMembers("a3.", [alice]);

  const evePost = newNote(eve, { content: "<p>hello from a suspended server</p>", to: [PUBLIC_COLLECTION], cc: [T.community] });
  await send("a4. eve's public Create(Note) cc the community", eve, evePost.create, { status: 403 });

  const post = newNote(alice, { content: "<p>Hello, members</p>", to: [PUBLIC_COLLECTION], cc: [T.community] });
  const { at } = await send("a5. alice's public Create(Note) cc the community", alice, post.create);
  const got = await arrives("a5.", alice, "the community's Announce of her Note", (e) => e.activity instanceof Announce, at);
  if (got) {
    const j = got.raw.json;
    ok(
      j.actor === COMMUNITY && j.object === post.noteId && isDeepStrictEqual(j.to, [PUBLIC_COLLECTION.href]) && isDeepStrictEqual(j.cc, [`${COMMUNITY}/followers`]),
      "a5. Announce JSON: actor the community, object the Note's id, to [Public], cc [followers]",
      got.raw.body,
    );
  }
  const rest = QUIET_WAIT_MS - (performance.now() - at);
  if (rest > 0) await sleep(rest);
  for (const p of [eve, frank]) {
    ok(
      isDeepStrictEqual(tally(p), ["Reject"]) && received.filter((e) => e.peer === p.identifier).length === 1,
      `a5. ${p.identifier} received nothing but the Reject (${QUIET_WAIT_MS / 1000} s after alice's post)`,
      daemonPosts(p).map((r) => r.body).join("\n"),
    );
  }
}

// ---- b. DM commands ---------------------------------------------------------------------

async function dmCommands() {
  const add = await gemeinde("mod", NAME, "add", maria.actor.href);
  ok(add.code === 0, `b1. gemeinde mod ${NAME} add ${maria.actor.href} -> exit ${add.code}: ${(add.stdout + add.stderr).trim()}`, "expected exit 0");
  const mods = await cliJson("b1.", "mod", NAME, "--json");
  ok(Array.isArray(mods) && mods.some((m) => m.key === maria.actor.href), "b1. maria is listed as a moderator", JSON.stringify(mods));

  const stats = newDm(maria, "stats");
  const s1 = await send("b2. maria's DM 'stats' (to the community only, Mention tag)", maria, stats.create);
  const a1 = await dmArrives("b2.", maria, "answering 'stats'", s1.at, stats.noteId);
  if (a1) ok(/Members: 1\b/.test(a1.content) && /Moderators: 1\b/.test(a1.content), "b2. the answer says 'Members: 1' and 'Moderators: 1'", a1.content);

  const samFollow = await join("b3.", sam);
  await checkMembers("b3.", [alice, sam]);

  const ban = newDm(maria, "ban {sam} 1 spam", [{ p: sam, user: "sam" }]);
  const s2 = await send("b4. maria's DM 'ban @sam 1 spam' (Mention tags of the community and sam)", maria, ban.create);
  const a2 = await dmArrives("b4.", maria, "answering 'ban'", s2.at, ban.noteId);
  if (a2) ok(a2.content.includes(`Banned ${sam.actor.href} for 1 days.`), `b4. the answer says 'Banned ${sam.actor.href} for 1 days.'`, a2.content);
  const rj = await arrives("b4.", sam, "a Reject of his Follow", (e) => e.activity instanceof Reject, s2.at);
  if (rj) {
    const o = rj.entry.object;
    ok(
      rj.entry.activity.actorId?.href === COMMUNITY && o instanceof Follow && o.id?.href === samFollow.id.href && o.actorId?.href === sam.actor.href && o.objectId?.href === COMMUNITY,
      "b4. the Reject is the community's, and its object is sam's Follow (same id, actor, object)",
      o instanceof Error ? errText(o) : `${o?.constructor?.name} ${o?.id?.href}: ${rj.raw.body}`,
    );
  }
  const notice = await dmArrives("b4.", sam, "telling him of the ban", s2.at, null);
  if (notice) ok(/Reason: spam/.test(notice.content) && / until \d{4}-\d\d-\d\d/.test(notice.content), "b4. the notice gives the reason 'spam' and when the ban ends", notice.content);

  const bans = await cliJson("b5.", "bans", NAME, "--json");
  const b = Array.isArray(bans) ? bans.find((x) => x.key === sam.actor.href) : null;
  const day = Date.now() / 1000 + 86400;
  ok(
    b && b.value?.reason === "spam" && Math.abs(b.value?.until - day) < 300 && b.value?.by === maria.actor.href,
    `b5. bans ${NAME} --json lists sam: reason 'spam', until in 1 day, by maria`,
    JSON.stringify(bans),
  );
  await checkMembers("b5.", [alice]);
  await rejected("b6.", sam, "banned");

  const asks = newDm(alice, "stats");
  const s3 = await send("b7. alice's DM 'stats' (alice is no moderator)", alice, asks.create);
  const a3 = await dmArrives("b7.", alice, "answering her", s3.at, asks.noteId);
  if (a3) ok(/only the moderators/.test(a3.content) && !/Members:/.test(a3.content), "b7. the answer is the refusal, without the stats", a3.content);
  const inbox = await cliJson("b7.", "inbox", NAME, "--json");
  const msgs = Array.isArray(inbox) ? inbox.map((m) => m.value ?? m) : [];
  ok(
    msgs.some((m) => m.from === alice.actor.href && m.object === asks.noteId && m.content === "stats"),
    `b7. inbox ${NAME} --json lists alice's message (from, object, content 'stats')`,
    JSON.stringify(inbox),
  );
  ok(!msgs.some((m) => m.from === maria.actor.href), "b7. the moderator's commands are not in the moderator inbox", JSON.stringify(inbox));
}

// ---- main -------------------------------------------------------------------------------

try {
  await suspendedDomains();
  await dmCommands();
  await sleep(300); // anything sent by mistake comes right after
  // Everything the daemon POSTed, per peer; each was verified by Fedify and given to a listener.
  const want = {
    alice: ["Accept", "Announce", "Create"],
    maria: ["Create", "Create"],
    sam: ["Accept", "Create", "Reject", "Reject"],
    eve: ["Reject"],
    frank: ["Reject"],
  };
  const got = Object.fromEntries(PEERS.map((p) => [p.identifier, tally(p)]));
  ok(isDeepStrictEqual(got, want), "the daemon POSTed exactly: alice Accept, Announce, DM; maria 2 DMs; sam Accept, Reject, DM, Reject; eve and frank one Reject each", JSON.stringify(got));
  const posts = PEERS.flatMap((p) => daemonPosts(p).map((r) => ({ p, r })));
  ok(
    posts.every(({ r }) => r.status === 202) && PEERS.every((p) => received.filter((e) => e.peer === p.identifier).length === daemonPosts(p).length),
    `Fedify verified and answered 202 each of the daemon's ${posts.length} POSTs, and its listeners got each one`,
    posts.filter(({ r }) => r.status !== 202).map(({ p, r }) => `${p.identifier} ${r.path} -> ${r.status} ${r.responseText}`).join("; "),
  );
} catch (e) {
  ok(false, "no unexpected exception", e instanceof Error ? e.stack : String(e));
}
ok(refused.length === 0, "no non-loopback document was requested", `refused: ${refused.join(", ")}`);
if (failedCount() > 0) note(fedifyLogShown().join("\n"));
finish();
