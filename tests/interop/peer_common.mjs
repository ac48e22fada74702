// SPDX-License-Identifier: Apache-2.0
//
// Shared pieces of the Fedify interop peers (follow_peer.mjs, relay_peer.mjs,
// moderation_peer.mjs): TAP-like reporting, the loopback guard, a hard timeout, Fedify's document
// loader restricted to loopback and preloaded contexts, a node:http <-> Web Request adapter,
// startPeer(), which runs one Fedify federation serving one Person on its own loopback address,
// and the bookkeeping a peer script needs around it: what the inbox listeners were given
// (activityLog), what the daemon POSTed (daemonPosts, checkDaemonPost), sending to the
// community (communitySender) and running the gemeinde CLI (cliRunner). moderation_peer.mjs
// uses these; follow_peer.mjs and relay_peer.mjs still have their own, older copies.
//
// Nothing here contacts anything but loopback addresses.

import {
  createFederation,
  generateCryptoKeyPair,
  getAuthenticatedDocumentLoader,
  getDocumentLoader,
  MemoryKvStore,
  preloadedContexts,
} from "@fedify/fedify";
import { Endpoints, Person } from "@fedify/fedify/vocab";
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { createServer } from "node:http";
import { isIP } from "node:net";
import { inspect, promisify } from "node:util";

export const AP_TYPE = "application/activity+json";

// ---- result reporting -------------------------------------------------------------------

let passed = 0;
let failed = 0;
const servers = [];

export function ok(cond, what, detail) {
  if (cond) {
    passed++;
    console.log(`ok - ${what}`);
  } else {
    failed++;
    console.log(`not ok - ${what}${detail === undefined ? "" : `: ${detail}`}`);
  }
  return !!cond;
}

export function skip(what, reason) {
  passed++;
  console.log(`ok - ${what} # SKIP ${reason}`);
}

export function note(text) {
  for (const line of String(text).split("\n")) console.log(`# ${line}`);
}

export function failedCount() {
  return failed;
}

export function errText(e) {
  if (e == null) return String(e);
  let s = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  if (e instanceof Error && e.cause != null) s += ` (cause: ${errText(e.cause)})`;
  return s;
}

// Prints the summary line, closes the peers' connections and exits: 0 if every check passed,
// 1 if one failed (or none ran), or the given code.
export function finish(code) {
  console.log(`${passed} passed, ${failed} failed`);
  for (const s of servers) s.closeAllConnections?.();
  process.exit(code ?? (failed === 0 && passed > 0 ? 0 : 1));
}

// ---- loopback guard ---------------------------------------------------------------------

export function isLoopbackHostname(hostname) {
  let h = hostname.toLowerCase();
  if (h.startsWith("[") && h.endsWith("]")) h = h.slice(1, -1);
  if (h === "localhost") return true;
  if (isIP(h) === 4) return h.split(".")[0] === "127";
  if (isIP(h) === 6) return h === "::1" || h === "0:0:0:0:0:0:0:1";
  return false;
}

export function isLoopbackUrl(u) {
  try {
    const url = new URL(u);
    return (url.protocol === "http:" || url.protocol === "https:") && isLoopbackHostname(url.hostname);
  } catch {
    return false;
  }
}

// Checks BASE_URL and NAME (exits 2 with a message if they are unusable) and returns the URLs
// of the community.
export function parseTarget(usage, baseArg, name) {
  let base;
  try {
    base = new URL(baseArg);
  } catch {
    console.error(`${usage}\nBASE_URL is not a URL: ${baseArg}`);
    process.exit(2);
  }
  if (base.protocol !== "http:" && base.protocol !== "https:") {
    console.error(`refusing to run: BASE_URL must be http(s), got ${base.protocol}`);
    process.exit(2);
  }
  if (!isLoopbackHostname(base.hostname)) {
    console.error(`refusing to run: BASE_URL host ${base.hostname} is not loopback (127.x.x.x, localhost, ::1)`);
    process.exit(2);
  }
  if (!/^[A-Za-z0-9._-]+$/.test(name)) {
    console.error(`refusing to run: NAME ${JSON.stringify(name)} is not a plain community name`);
    process.exit(2);
  }
  const origin = base.origin;
  return {
    origin,
    community: new URL(`/c/${name}`, origin),
    inbox: new URL(`/c/${name}/inbox`, origin),
    followers: new URL(`/c/${name}/followers`, origin),
    sharedInbox: new URL("/inbox", origin),
  };
}

// An address for a peer from the environment (or the default); exits 2 unless loopback IPv4.
export function peerHost(envVar, fallback) {
  const host = process.env[envVar] ?? fallback;
  if (isIP(host) !== 4 || !isLoopbackHostname(host)) {
    console.error(`refusing to run: ${envVar} ${host} is not a loopback IPv4 address`);
    process.exit(2);
  }
  return host;
}

// ---- hard timeout -----------------------------------------------------------------------

// Exits with 3 after GM_..._TIMEOUT (envVar) seconds; returns the AbortSignal that fires then.
export function hardTimeout(envVar, fallbackSec = 60) {
  const sec = Number(process.env[envVar] ?? String(fallbackSec)) || fallbackSec;
  const abort = new AbortController();
  setTimeout(() => {
    abort.abort(new Error("hard timeout"));
    failed++;
    console.log(`not ok - finished within the hard timeout of ${sec} s`);
    finish(3);
  }, sec * 1000).unref();
  return abort.signal;
}

// ---- Fedify's document loader, restricted to loopback + preloaded contexts --------------

// Returns { documentLoader, authenticatedLoaderFactory, refused }: Fedify's own loaders
// (allowPrivateAddress, no cache), which refuse (and record) every URL that is neither
// loopback nor a preloaded context. authenticatedLoaderFactory(identity) is Fedify's
// getAuthenticatedDocumentLoader(): it signs its GETs with the identity's key. Fedify uses it
// in a personal inbox, to fetch the sender's key on behalf of the recipient.
export function restrictedLoader(signal) {
  const fedifyLoader = getDocumentLoader({ allowPrivateAddress: true });
  const refused = [];
  function guard(url) {
    if (!(url in preloadedContexts) && !isLoopbackUrl(url)) {
      refused.push(url);
      throw new Error(`interop test refuses to fetch non-loopback URL ${url} (no network; not a preloaded context)`);
    }
  }
  async function documentLoader(url, options) {
    guard(url);
    return await fedifyLoader(url, { ...options, signal: options?.signal ?? signal });
  }
  function authenticatedLoaderFactory(identity) {
    const signed = getAuthenticatedDocumentLoader(identity, { allowPrivateAddress: true });
    return async (url, options) => {
      guard(url);
      if (url in preloadedContexts) return await fedifyLoader(url, options);
      return await signed(url, { ...options, signal: options?.signal ?? signal });
    };
  }
  return { documentLoader, authenticatedLoaderFactory, refused };
}

// ---- what is sent to the daemon --------------------------------------------------------

// Wraps the global fetch (Fedify's ctx.sendActivity() uses it) and records every request to
// `origin`: { method, url, scheme ("rfc9421" | "cavage" | "unsigned"), body, status, text }.
// Returns the array the records are pushed to.
export function recordOutgoing(origin) {
  const outgoing = [];
  const realFetch = globalThis.fetch;
  globalThis.fetch = async (input, init) => {
    const req = input instanceof Request ? input : null;
    const url = req ? req.url : String(input);
    if (!url.startsWith(origin)) return await realFetch(input, init);
    const method = req ? req.method : (init?.method ?? "GET");
    const headers = req ? req.headers : new Headers(init?.headers);
    const rec = {
      method,
      url,
      scheme: headers.has("signature-input") ? "rfc9421" : headers.has("signature") ? "cavage" : "unsigned",
      body: req ? (method === "POST" ? await req.clone().text() : "") : String(init?.body ?? ""),
      status: null,
      text: "",
    };
    outgoing.push(rec);
    const res = await realFetch(input, init);
    rec.status = res.status;
    rec.text = (await res.clone().text()).trim();
    return res;
  };
  return outgoing;
}

// ---- Fedify's own log, kept in memory ---------------------------------------------------

// Fedify logs through LogTape (its dependency; one copy in node_modules). This keeps Fedify's
// warnings and errors (for example why its inbox refused a request) so a failing check can
// show them. Returns the array the lines are pushed to (empty if LogTape cannot be set up).
export async function captureFedifyLog() {
  const lines = [];
  try {
    const { configure } = await import("@logtape/logtape");
    const render = (v) =>
      v instanceof Error ? errText(v) : typeof v === "string" ? v : inspect(v, { depth: 3, breakLength: Infinity });
    await configure({
      sinks: {
        memory: (r) =>
          lines.push(`[${r.level}] ${r.category.join(".")}: ${r.message.map((p, i) => (i % 2 ? render(p) : p)).join("")}`),
      },
      loggers: [
        { category: ["fedify"], sinks: ["memory"], lowestLevel: "warning" },
        { category: ["logtape", "meta"], sinks: [], lowestLevel: "error" },
      ],
    });
  } catch (e) {
    lines.push(`(LogTape not available, Fedify's log is not shown: ${errText(e)})`);
  }
  return lines;
}

// ---- node:http <-> Web Request ----------------------------------------------------------

export async function toWebRequest(req, fallbackAuthority) {
  const url = new URL(req.url, `http://${req.headers.host ?? fallbackAuthority}`);
  const headers = new Headers();
  for (let i = 0; i < req.rawHeaders.length; i += 2) headers.append(req.rawHeaders[i], req.rawHeaders[i + 1]);
  let body;
  if (req.method !== "GET" && req.method !== "HEAD") {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    body = Buffer.concat(chunks);
  }
  return new Request(url, { method: req.method, headers, body });
}

// The signature-related headers of a request, one per line (signature bytes shortened).
export function sigHeaders(headers) {
  const out = [];
  for (const name of ["host", "date", "digest", "content-digest", "content-type", "user-agent", "signature-input", "signature"]) {
    const v = headers.get(name);
    if (v != null) out.push(`${name}: ${name === "signature" ? v.replace(/(signature="|=:)([^":]{12})[^":]*/g, "$1$2…") : v}`);
  }
  return out.join("\n");
}

// Parses a draft-cavage Signature header into { keyId, algorithm, headers, signature }.
export function parseCavageSignature(value) {
  const out = {};
  if (value == null) return out;
  for (const m of value.matchAll(/([A-Za-z]+)="([^"]*)"/g)) out[m[1]] = m[2];
  return out;
}

// ---- one Fedify peer --------------------------------------------------------------------

// Starts a Fedify federation on http://HOST:PORT (a free port) serving the Person IDENTIFIER
// with a fresh RSASSA-PKCS1-v1_5 key (published as ACTOR#main-key), personal inbox
// /users/{identifier}/inbox and shared inbox /inbox, using the given (restricted) loaders.
// Incoming signatures are verified unless
// skipSignatureVerification is set; setupInbox(setters) may register inbox listeners.
// Every request the peer receives is recorded in `requests`, with Fedify's response status:
//   { method, path, headers (Headers), body (string), status, responseText }.
export async function startPeer({
  host,
  identifier,
  displayName,
  documentLoader,
  authenticatedLoaderFactory,
  skipSignatureVerification = false,
  setupInbox,
}) {
  const rsa = await generateCryptoKeyPair("RSASSA-PKCS1-v1_5");
  const requests = [];
  let federation = null;
  let authority = host;
  const server = createServer(async (req, res) => {
    const rec = { method: req.method, path: req.url, headers: null, body: "", status: null, responseText: "" };
    requests.push(rec);
    try {
      const request = await toWebRequest(req, authority);
      rec.headers = request.headers;
      if (request.method === "POST") rec.body = await request.clone().text();
      const response = await federation.fetch(request, { contextData: undefined });
      const bytes = Buffer.from(await response.arrayBuffer());
      rec.status = response.status;
      rec.responseText = bytes.toString("utf8").slice(0, 500);
      const headers = {};
      response.headers.forEach((v, k) => (headers[k] = v));
      res.writeHead(response.status, headers);
      res.end(bytes);
    } catch (e) {
      rec.status = 500;
      rec.responseText = errText(e);
      res.writeHead(500, { "content-type": "text/plain" });
      res.end(errText(e));
    }
  });
  servers.push(server);
  const port = await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, host, () => resolve(server.address().port));
  });
  authority = `${host}:${port}`;
  const origin = `http://${authority}`;

  const kv = new MemoryKvStore();
  const loaderFactory = () => documentLoader;
  federation = createFederation({
    kv,
    origin, // plain http on loopback: ids are http://HOST:PORT/...
    documentLoaderFactory: loaderFactory,
    contextLoaderFactory: loaderFactory,
    // Without this, Fedify's default signed loader refuses the daemon's loopback address
    ...(authenticatedLoaderFactory ? { authenticatedDocumentLoaderFactory: authenticatedLoaderFactory } : {}),
    skipSignatureVerification,
  });
  federation
    .setActorDispatcher("/users/{identifier}", async (ctx, id) => {
      if (id !== identifier) return null;
      const keys = await ctx.getActorKeyPairs(id);
      return new Person({
        id: ctx.getActorUri(id),
        preferredUsername: id,
        name: displayName ?? id,
        inbox: ctx.getInboxUri(id),
        endpoints: new Endpoints({ sharedInbox: ctx.getInboxUri() }),
        publicKey: keys[0].cryptographicKey,
        assertionMethods: keys.map((k) => k.multikey),
      });
    })
    .setKeyPairsDispatcher(async (_ctx, id) => (id === identifier ? [rsa] : []));
  const setters = federation.setInboxListeners("/users/{identifier}/inbox", "/inbox");
  setupInbox?.(setters);

  const ctx = federation.createContext(new URL(origin), undefined);
  const actor = ctx.getActorUri(identifier);
  return {
    identifier,
    origin,
    federation,
    ctx,
    kv,
    rsa,
    actor,
    inbox: ctx.getInboxUri(identifier),
    sharedInbox: ctx.getInboxUri(),
    keyId: (await ctx.getActorKeyPairs(identifier))[0].keyId,
    requests,
    server,
  };
}

// ---- what the peers' inbox listeners were given -----------------------------------------

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function parseJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

// A record of what Fedify's inbox listeners were given (they run only for verified
// activities). record(entry) appends one ({ peer, activity, ... , at }); waitUntil(cond, ms)
// resolves true as soon as cond() holds (checked now and after every record), or cond() after ms.
export function activityLog() {
  const received = [];
  const waiters = [];
  function record(entry) {
    received.push({ at: performance.now(), ...entry });
    for (const w of waiters.splice(0)) if (!w()) waiters.push(w);
  }
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
  return { received, record, waitUntil };
}

// ---- what the daemon POSTed to a peer ---------------------------------------------------

// The POSTs a peer's server got from the daemon (its User-Agent), each with `json` (the parsed
// body, or null).
export function daemonPosts(peer) {
  const posts = peer.requests.filter((r) => r.method === "POST" && (r.headers?.get("user-agent") ?? "").startsWith("gemeinde/"));
  for (const r of posts) if (!("json" in r)) r.json = parseJson(r.body);
  return posts;
}

// Checks one of the daemon's POSTs as the peer's server received it: Fedify answered 202 (it
// verified the signature); a draft-cavage rsa-sha256 Signature by `communityKey` over
// (request-target) host date digest (or RFC 9421 by that key); a Digest that matches the body;
// Content-Type activity+json; User-Agent gemeinde/VERSION (+ORIGIN).
export async function checkDaemonPost(label, raw, { communityKey, origin }) {
  // Fedify calls the listener before it answers: wait (briefly) for the answer to be recorded
  for (let i = 0; i < 200 && raw.status == null; i++) await sleep(10);
  ok(raw.status === 202, `${label} Fedify's inbox answered the daemon's POST to ${raw.path} with ${raw.status}`, raw.responseText);
  const sig = parseCavageSignature(raw.headers.get("signature"));
  const cavage = sig.keyId === communityKey && sig.algorithm === "rsa-sha256" && sig.headers === "(request-target) host date digest";
  const rfc9421 = (raw.headers.get("signature-input") ?? "").includes(`keyid="${communityKey}"`);
  const digestOk = raw.headers.get("digest") === `SHA-256=${createHash("sha256").update(raw.body).digest("base64")}`;
  const uaRe = new RegExp(`^gemeinde/\\S+ \\(\\+${origin.replace(/[.]/g, "\\.")}\\)$`);
  ok(
    (cavage || rfc9421) && digestOk && (raw.headers.get("content-type") ?? "").startsWith(AP_TYPE) && uaRe.test(raw.headers.get("user-agent") ?? ""),
    `${label} signed by ${communityKey} (${cavage ? "draft-cavage rsa-sha256" : rfc9421 ? "RFC 9421" : "?"}), Digest matches the body, Content-Type ${AP_TYPE}, User-Agent gemeinde/…`,
    `\n${sigHeaders(raw.headers)}`,
  );
}

// Every request a peer's server received (bodies shortened), and `extra` lines (such as
// Fedify's log), as # comments, for a failed check.
export function showPeer(peer, extra = []) {
  const cut = (t, n) => (t.length > n ? `${t.slice(0, n)}… (${t.length} chars)` : t);
  const lines = peer.requests.map(
    (r) =>
      `${r.method} ${r.path} -> ${r.status} ${cut(r.responseText.trim(), 100)}${
        r.method === "POST" ? `\n  ${sigHeaders(r.headers).replace(/\n/g, "\n  ")}\n  body: ${cut(r.body, 600)}` : ""
      }`,
  );
  note(`requests ${peer.identifier}'s Fedify server received:\n${lines.join("\n") || "(none)"}`);
  if (extra.length) note(extra.join("\n"));
}

// ---- sending to the community, running the CLI ------------------------------------------

// Returns send(label, peer, activity, { expect, status, shared }): sends the activity with
// Fedify's ctx.sendActivity() (immediate) to the community's inbox (shared: the daemon's shared
// inbox) and checks the daemon's last answer: `status` (default 202) and, for 202, the JSON
// {"status": expect} (default "accepted"). `outgoing` is recordOutgoing()'s array, `target`
// parseTarget()'s result. Resolves { post (the last POST's record, or null), at, error }.
export function communitySender({ outgoing, target }) {
  const community = { id: target.community, inboxId: target.inbox, endpoints: { sharedInbox: target.sharedInbox } };
  return async function send(label, peer, activity, { expect = "accepted", status = 202, shared = false } = {}) {
    const from = outgoing.length;
    const t0 = performance.now();
    let error = null;
    try {
      await peer.ctx.sendActivity({ identifier: peer.identifier }, community, activity, {
        immediate: true,
        ...(shared ? { preferSharedInbox: true } : {}),
      });
    } catch (e) {
      error = e;
    }
    const ms = Math.round(performance.now() - t0);
    const url = (shared ? target.sharedInbox : target.inbox).href;
    const posts = outgoing.slice(from).filter((o) => o.method === "POST" && o.url === url);
    const last = posts.at(-1) ?? null;
    const knocks = posts.map((o) => `${o.scheme} -> ${o.status}`).join(", ");
    // Fedify's sendActivity() throws when the answer is not 2xx: expected for a refusal
    const good = status === 202 ? error == null && last?.status === 202 && parseJson(last.text)?.status === expect : last?.status === status;
    ok(
      good,
      `${label} -> POST ${new URL(url).pathname} ${last?.status ?? "nothing sent"} ${last?.text ?? ""} (${ms} ms) [${knocks}]`,
      error && status === 202 ? `Fedify: ${errText(error)}` : status === 202 ? `expected 202 {"status":"${expect}"}` : `expected ${status}`,
    );
    if (!good && last) note(`what Fedify sent:\n${last.body}`);
    return { post: last, at: t0, error };
  };
}

// Returns gemeinde(...args): runs GEMEINDE_BINARY -c CONFIG args (10 s limit) and resolves
// { code, stdout, stderr }.
export function cliRunner(gm, conf, signal) {
  return async (...args) => {
    try {
      const { stdout, stderr } = await promisify(execFile)(gm, ["-c", conf, ...args], { timeout: 10_000, signal });
      return { code: 0, stdout, stderr };
    } catch (e) {
      return { code: e.code ?? -1, stdout: e.stdout ?? "", stderr: e.stderr ?? errText(e) };
    }
  };
}
