// SPDX-License-Identifier: Apache-2.0
//
// Real traffic for the dashboard test (dashboard.mjs): Fedify servers on loopback follow a
// gemeinde community, post to it, answer and like, as a Mastodon server would. They are built
// with startPeer() from ../interop/peer_common.mjs (Fedify from ../interop/node_modules, which
// `npm ci` there installs) and verify the daemon's signatures. The peers:
//   alice  127.0.0.2  posts "Hello everyone" (answered by bob) and the question "Where do we meet?"
//   bob    127.0.0.3  replies to alice's hello (its first answer) and likes it
//   carol  127.0.0.4  posts something nobody answers; her Note has no `url`, so the dashboard
//                     links its id
//   dave   127.0.0.5  follows and leaves again
// Every Note with a `url` has it at /@USER/KEY on its author's server, which answers a browser
// with a small HTML page (and records the request), so a click on a dashboard link can be
// followed to the post. Only loopback addresses are contacted.

import { readFileSync } from "node:fs";
import { randomUUID } from "node:crypto";
import {
  activityLog,
  cliRunner,
  communitySender,
  note,
  ok,
  parseJson,
  peerHost,
  recordOutgoing,
  restrictedLoader,
  showPeer,
  sleep,
  startPeer,
} from "../interop/peer_common.mjs";

// Fedify's vocabulary, loaded from tests/interop/node_modules (the same module instance that
// peer_common.mjs uses: a bare "@fedify/fedify/vocab" does not resolve from this folder).
const fedifyDir = new URL("../interop/node_modules/@fedify/fedify/", import.meta.url);
const vocabExport = JSON.parse(readFileSync(new URL("package.json", fedifyDir), "utf8")).exports["./vocab"];
const { Activity, Announce, Accept, Create, Follow, Like, Note, PUBLIC_COLLECTION, Undo } = await import(
  new URL(typeof vocabExport === "string" ? vocabExport : vocabExport.import, fedifyDir).href
);

const ARRIVE_WAIT_MS = 10_000; // an Accept or an Announce must arrive within this
const STATS_WAIT_MS = 10_000; // the figures must show the traffic within this
const ANSWER_DELAY_MS = 2_000; // bob answers alice this long after her post: a response time > 0

// A small HTML page for a Note's `url` (what a browser following a dashboard link gets).
function notePage(p, n) {
  const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>${esc(p.identifier)}'s post</title></head>` +
    `<body><h1 id="author">${esc(p.identifier)}</h1><article id="note" data-id="${esc(n.id.href)}">${n.content}</article></body></html>\n`;
}

// Starts one peer: Fedify serves the Person, its inbox and its Notes (/notes/{id}); the same
// server answers GET /@USER/KEY with the Note's HTML page. Returns the peer (startPeer()'s) with
// notes (KEY -> Note) and pageHits (the requests for those pages: { path, referer }).
async function peer(host, identifier, loaders, record) {
  const p = await startPeer({
    host,
    identifier,
    displayName: `${identifier[0].toUpperCase()}${identifier.slice(1)} (Fedify peer)`,
    ...loaders,
    skipSignatureVerification: false,
    setupInbox: (setters) => setters.on(Activity, async (_ctx, activity) => record({ peer: identifier, activity })),
  });
  p.notes = new Map();
  p.pageHits = [];
  p.federation.setObjectDispatcher(Note, "/notes/{id}", async (_ctx, values) => p.notes.get(values.id) ?? null);
  const [fedifyHandler] = p.server.listeners("request");
  p.server.removeAllListeners("request");
  p.server.on("request", (req, res) => {
    const m = /^\/@([^/]+)\/([0-9a-f-]+)$/.exec(req.url ?? "");
    if (!m || req.method !== "GET") return fedifyHandler(req, res);
    p.pageHits.push({ path: req.url, referer: req.headers.referer ?? null });
    const n = m[1] === identifier ? p.notes.get(m[2]) : null;
    res.writeHead(n ? 200 : 404, { "content-type": "text/html; charset=utf-8" });
    res.end(n ? notePage(p, n) : "not found\n");
  });
  return p;
}

// A public Note by `p`, cc the community (and `alsoCc`), with an HTML `url` unless noUrl.
function newPost(p, community, { content, replyTo, alsoCc = [], noUrl = false }) {
  const key = randomUUID();
  const n = new Note({
    id: p.ctx.getObjectUri(Note, { id: key }),
    attribution: p.actor,
    content,
    ...(noUrl ? {} : { url: new URL(`/@${p.identifier}/${key}`, p.origin) }),
    tos: [PUBLIC_COLLECTION],
    ccs: [community, ...alsoCc],
    ...(replyTo ? { replyTarget: replyTo.id } : {}),
  });
  p.notes.set(key, n);
  const create = new Create({ id: new URL(`/creates/${key}`, p.origin), actor: p.actor, object: n, tos: [PUBLIC_COLLECTION], ccs: [community, ...alsoCc] });
  return { note: n, id: n.id.href, url: noUrl ? null : n.url.href, create };
}

// Runs the traffic against the community T (parseTarget()'s) and waits until the daemon has
// counted it (`gemeinde stats NAME --json`) and delivered every Announce. Resolves
// { peers: {alice, ...}, posts: {hello, question, bike, reply}, stats (the last report) }.
export async function makeTraffic({ T, name, gm, conf, signal }) {
  const loaders = restrictedLoader(signal);
  const { received, record, waitUntil } = activityLog();
  const outgoing = recordOutgoing(T.origin);
  const send = communitySender({ outgoing, target: T });
  const gemeinde = cliRunner(gm, conf, signal);
  const [alice, bob, carol, dave] = await Promise.all([
    peer(peerHost("GM_PEER_HOST", "127.0.0.2"), "alice", loaders, record),
    peer(peerHost("GM_PEER2_HOST", "127.0.0.3"), "bob", loaders, record),
    peer(peerHost("GM_PEER3_HOST", "127.0.0.4"), "carol", loaders, record),
    peer(peerHost("GM_PEER4_HOST", "127.0.0.5"), "dave", loaders, record),
  ]);
  const peers = { alice, bob, carol, dave };
  note(`Fedify peers: ${Object.values(peers).map((p) => `${p.identifier} ${p.actor.href}`).join(", ")}`);

  async function follow(p) {
    const f = new Follow({ id: new URL(`/follows/${randomUUID()}`, p.origin), actor: p.actor, object: T.community });
    await send(`traffic: ${p.identifier}'s Follow`, p, f);
    const got = await waitUntil(() => received.some((e) => e.peer === p.identifier && e.activity instanceof Accept && e.activity.objectId?.href === f.id.href), ARRIVE_WAIT_MS);
    if (!ok(got, `traffic: ${p.identifier} got the community's Accept (Fedify verified it)`, `nothing within ${ARRIVE_WAIT_MS / 1000} s`)) showPeer(p);
    return f;
  }

  for (const p of [alice, bob, carol]) await follow(p);
  const daveFollow = await follow(dave);
  await send("traffic: dave's Undo{Follow}", dave, new Undo({ id: new URL(`/undos/${randomUUID()}`, dave.origin), actor: dave.actor, object: daveFollow }));

  const hello = newPost(alice, T.community, { content: "<p>Hello everyone, I just joined.</p>" });
  const s1 = await send("traffic: alice's post \"Hello everyone\"", alice, hello.create);
  const question = newPost(alice, T.community, { content: "<p>Where do we meet?</p>" });
  await send("traffic: alice's question \"Where do we meet?\"", alice, question.create);
  const bike = newPost(carol, T.community, { content: "<p>Selling my old bike, in case anyone wants it.</p>", noUrl: true });
  await send("traffic: carol's post (no url) that nobody answers", carol, bike.create);
  const like = new Like({ id: new URL(`/likes/${randomUUID()}`, bob.origin), actor: bob.actor, object: hello.note.id });
  await send("traffic: bob likes alice's hello", bob, like);
  const rest = ANSWER_DELAY_MS - (performance.now() - s1.at);
  if (rest > 0) await sleep(rest);
  const reply = newPost(bob, T.community, { content: "<p>Welcome, alice!</p>", replyTo: hello.note, alsoCc: [alice.actor] });
  await send("traffic: bob answers alice's hello", bob, reply.create);
  const posts = { hello, question, bike, reply };

  // The figures: polled until they show everything (or the wait ends), then checked.
  const want = (r) =>
    r?.now?.members === 3 && r.period?.members_gained === 4 && r.period?.members_lost === 1 && r.period?.posts === 3 &&
    r.period?.replies === 1 && r.period?.answered === 1 && r.period?.likes === 1 && r.unanswered?.total === 2;
  let stats = null;
  const t0 = performance.now();
  while (performance.now() - t0 < STATS_WAIT_MS) {
    stats = parseJson((await gemeinde("stats", name, "--json")).stdout);
    if (want(stats)) break;
    await sleep(200);
  }
  ok(
    want(stats),
    `traffic: \`gemeinde stats ${name} --json\` shows it after ${Math.round(performance.now() - t0)} ms: members 3 (+4 / -1), posts 3, replies 1, answered 1, likes 1, unanswered 2`,
    JSON.stringify({ now: stats?.now, period: stats?.period, unanswered: stats?.unanswered?.total }),
  );

  // Every relayed post reaches alice, bob and carol, so no delivery is left when the peers stop.
  const relayed = [hello.id, question.id, bike.id, reply.id];
  const announced = (p) => relayed.every((id) => received.some((e) => e.peer === p.identifier && e.activity instanceof Announce && e.activity.objectId?.href === id));
  const all = await waitUntil(() => [alice, bob, carol].every(announced), ARRIVE_WAIT_MS);
  if (!ok(all, "traffic: alice, bob and carol each got the community's Announce of the 4 relayed posts (Fedify verified them)", `missing at ${[alice, bob, carol].filter((p) => !announced(p)).map((p) => p.identifier).join(", ")}`))
    [alice, bob, carol].filter((p) => !announced(p)).forEach((p) => showPeer(p));
  return { peers, posts, stats, refused: loaders.refused };
}
