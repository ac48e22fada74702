// SPDX-License-Identifier: Apache-2.0
//
// Interop check: can Fedify (a third-party ActivityPub implementation) discover and
// parse a gemeinde community (an ActivityPub Group)?
//
// usage: node lookup_group.mjs BASE_URL NAME
//   e.g. node lookup_group.mjs http://127.0.0.1:40123 demo
//
// Optional environment:
//   GM_EXPECT_NAME      if set, the Group's `name` must equal it exactly
//   GM_LOOKUP_TIMEOUT   hard timeout in seconds (default 30)
//
// Prints one line per check ("ok - ..." / "not ok - ..."), then "N passed, N failed".
// Exit status: 0 if every check passed, 1 if any failed, 2 on usage error or
// refusal, 3 on the hard timeout.
//
// Only loopback addresses are ever contacted: BASE_URL must be on 127.0.0.0/8,
// localhost or [::1], and every document Fedify wants to load must be either on
// loopback or one of the JSON-LD contexts Fedify ships preloaded (there is no
// network here; anything else is refused and reported as a failure).

import { exportSpki, importPem } from "@fedify/fedify";
import {
  Collection,
  CryptographicKey,
  Group,
  lookupObject,
  Object as ASObject,
  OrderedCollection,
} from "@fedify/fedify/vocab";
import { AP_TYPE, errText, finish, hardTimeout, ok, parseTarget, restrictedLoader } from "./peer_common.mjs";

const USAGE = "usage: node lookup_group.mjs BASE_URL NAME";

// ---- arguments, loopback guard, hard timeout, restricted loader (peer_common.mjs) --------

const args = process.argv.slice(2);
if (args.length !== 2) {
  console.error(USAGE);
  process.exit(2);
}
const [baseArg, NAME] = args;
const ORIGIN = parseTarget(USAGE, baseArg, NAME).origin;
const HOST = new URL(ORIGIN).host; // host:port as in the acct: URI
const signal = hardTimeout("GM_LOOKUP_TIMEOUT", 30);
const { documentLoader, refused } = restrictedLoader(signal);
const loaderOptions = { documentLoader, contextLoader: documentLoader, crossOrigin: "throw" };

// ---- (a) WebFinger by hand over plain http ---------------------------------------------

async function webfinger() {
  const acct = `acct:${NAME}@${HOST}`;
  const url = new URL("/.well-known/webfinger", ORIGIN);
  url.searchParams.set("resource", acct); // encoded the way Fedify's own lookupWebFinger does
  let res;
  try {
    res = await fetch(url, { headers: { Accept: "application/jrd+json" }, signal: signal, redirect: "manual" });
  } catch (e) {
    ok(false, `WebFinger GET ${url.href}`, errText(e));
    return null;
  }
  if (!ok(res.status === 200, `WebFinger GET ${url.pathname}${url.search} answers 200`, `HTTP ${res.status}`)) {
    return null;
  }
  const ctype = res.headers.get("content-type") ?? "";
  ok(/^application\/(jrd\+)?json\s*(;|$)/i.test(ctype), "WebFinger Content-Type is application/jrd+json", `got "${ctype}"`);
  let jrd;
  try {
    jrd = JSON.parse(await res.text());
  } catch (e) {
    ok(false, "WebFinger body is JSON", errText(e));
    return null;
  }
  ok(jrd?.subject === acct, `WebFinger subject is ${acct}`, `got ${JSON.stringify(jrd?.subject)}`);
  const links = Array.isArray(jrd?.links) ? jrd.links : [];
  const self = links.find(
    (l) =>
      l?.rel === "self" &&
      typeof l.href === "string" &&
      (l.type === AP_TYPE || /^application\/ld\+json;\s*profile="https:\/\/www\.w3\.org\/ns\/activitystreams"/.test(l.type ?? "")),
  );
  if (!ok(self != null, `WebFinger has a rel=self link of type ${AP_TYPE}`, `links: ${JSON.stringify(links)}`)) {
    return null;
  }
  ok(self.type === AP_TYPE, `WebFinger self link type is exactly ${AP_TYPE}`, `got ${JSON.stringify(self.type)}`);
  let href;
  try {
    href = new URL(self.href);
  } catch (e) {
    ok(false, "WebFinger self href is an absolute URL", `${JSON.stringify(self.href)}: ${errText(e)}`);
    return null;
  }
  if (!ok(href.origin === ORIGIN, `WebFinger self href ${href.href} is on ${ORIGIN}`)) return null;
  return href;
}

// ---- (b)-(d) Fedify fetches and parses the actor, its key and its collections ----------

async function diagnoseActor(href) {
  // lookupObject() swallows errors and returns null; redo its steps to say why.
  let doc;
  try {
    doc = await documentLoader(href.href, { signal: signal });
  } catch (e) {
    return `Fedify's document loader failed: ${errText(e)}`;
  }
  try {
    const obj = await ASObject.fromJsonLd(doc.document, { documentLoader, contextLoader: documentLoader, baseUrl: new URL(doc.documentUrl) });
    return `document parsed as ${obj?.constructor?.name} with id ${obj?.id?.href} (document URL ${doc.documentUrl})`;
  } catch (e) {
    return `Object.fromJsonLd failed: ${errText(e)}; document: ${JSON.stringify(doc.document).slice(0, 400)}`;
  }
}

async function checkActor(href) {
  // Plain look at the HTTP response, for what Fedify is lenient about.
  try {
    const res = await fetch(href, { headers: { Accept: AP_TYPE }, signal: signal, redirect: "manual" });
    const ctype = res.headers.get("content-type") ?? "";
    ok(
      res.status === 200 &&
        (/^application\/activity\+json\s*(;|$)/i.test(ctype) ||
          /^application\/ld\+json\s*;\s*profile="https:\/\/www\.w3\.org\/ns\/activitystreams"/i.test(ctype)),
      `actor GET (Accept: ${AP_TYPE}) answers 200 with an ActivityPub Content-Type`,
      `HTTP ${res.status}, Content-Type "${ctype}"`,
    );
    await res.arrayBuffer();
  } catch (e) {
    ok(false, `actor GET ${href.href}`, errText(e));
  }

  let group;
  try {
    group = await lookupObject(href, { ...loaderOptions, signal: signal });
  } catch (e) {
    ok(false, "Fedify lookupObject() fetches and parses the actor", errText(e));
    return null;
  }
  if (!ok(group != null, "Fedify lookupObject() fetches and parses the actor", group == null ? await diagnoseActor(href) : undefined)) {
    return null;
  }
  if (!ok(group instanceof Group, "actor is a Fedify vocab Group", `got ${group?.constructor?.name}`)) return null;

  const actorUrl = `${ORIGIN}/c/${NAME}`;
  ok(group.id?.href === href.href, "Group id equals the WebFinger self href", `id ${group.id?.href}, href ${href.href}`);
  ok(group.id?.href === actorUrl, `Group id is ${actorUrl}`, `got ${group.id?.href}`);
  ok(group.preferredUsername === NAME, `Group preferredUsername is "${NAME}"`, `got ${JSON.stringify(group.preferredUsername?.toString())}`);
  const sameOrigin = (u) => u instanceof URL && u.origin === ORIGIN;
  ok(sameOrigin(group.inboxId), "Group inbox is present and on the same origin", `got ${group.inboxId?.href}`);
  ok(sameOrigin(group.outboxId), "Group outbox is present and on the same origin", `got ${group.outboxId?.href}`);
  ok(sameOrigin(group.followersId), "Group followers is present and on the same origin", `got ${group.followersId?.href}`);
  ok(sameOrigin(group.endpoints?.sharedInbox), "Group endpoints.sharedInbox is present and on the same origin", `got ${group.endpoints?.sharedInbox?.href}`);
  const name = group.name?.toString() ?? "";
  ok(name.length > 0, "Group name is present", `got ${JSON.stringify(group.name)}`);
  if (process.env.GM_EXPECT_NAME !== undefined) {
    ok(name === process.env.GM_EXPECT_NAME, `Group name is "${process.env.GM_EXPECT_NAME}"`, `got ${JSON.stringify(name)}`);
  }
  const summary = group.summary?.toString() ?? "";
  ok(summary.length > 0, "Group summary is present", `got ${JSON.stringify(group.summary)}`);
  return group;
}

async function checkKey(group) {
  let key;
  try {
    key = await group.getPublicKey(loaderOptions);
  } catch (e) {
    ok(false, "Fedify getPublicKey() returns the Group's key", errText(e));
    return;
  }
  if (!ok(key instanceof CryptographicKey, "Fedify getPublicKey() returns the Group's key", `got ${key}`)) return;
  const keys = [];
  try {
    for await (const k of group.getPublicKeys(loaderOptions)) keys.push(k);
  } catch (e) {
    keys.push(e);
  }
  ok(keys.length >= 1 && keys.every((k) => k instanceof CryptographicKey), "Fedify getPublicKeys() yields only usable keys", `got ${keys.map((k) => (k instanceof Error ? errText(k) : k?.constructor?.name)).join(", ")}`);
  ok(key.id instanceof URL && key.id.origin === ORIGIN, "key id is present and on the same origin", `got ${key.id?.href}`);
  ok(key.ownerId?.href === group.id?.href, "key owner is the Group id", `owner ${key.ownerId?.href}, group ${group.id?.href}`);
  const ck = key.publicKey;
  if (!ok(ck instanceof CryptoKey, "publicKeyPem was imported by Fedify as a CryptoKey", `got ${ck}`)) return;
  ok(
    ck.type === "public" && ck.algorithm?.name === "RSASSA-PKCS1-v1_5" && ck.algorithm?.hash?.name === "SHA-256",
    "key is an RSASSA-PKCS1-v1_5 / SHA-256 public key",
    `type ${ck.type}, algorithm ${JSON.stringify(ck.algorithm)}`,
  );
  ok((ck.algorithm?.modulusLength ?? 0) >= 2048, "RSA modulus is at least 2048 bits", `got ${ck.algorithm?.modulusLength}`);
  try {
    const pem = await exportSpki(ck);
    const again = await importPem(pem);
    const a = Buffer.from(await crypto.subtle.exportKey("spki", ck));
    const b = Buffer.from(await crypto.subtle.exportKey("spki", again));
    ok(a.equals(b), "key round-trips through Fedify exportSpki()/importPem()");
  } catch (e) {
    ok(false, "key round-trips through Fedify exportSpki()/importPem()", errText(e));
  }
  try {
    const good = await crypto.subtle.verify("RSASSA-PKCS1-v1_5", ck, new Uint8Array(ck.algorithm.modulusLength / 8), new TextEncoder().encode("x"));
    ok(good === false, "crypto.subtle.verify() accepts the key (and rejects a bogus signature)", `verify returned ${good}`);
  } catch (e) {
    ok(false, "crypto.subtle.verify() accepts the key (and rejects a bogus signature)", errText(e));
  }
}

async function checkCollection(label, getter, expectedId) {
  let coll;
  try {
    coll = await getter(loaderOptions);
  } catch (e) {
    ok(false, `Fedify fetches and parses the ${label} collection`, errText(e));
    return;
  }
  if (!ok(coll instanceof Collection, `Fedify fetches and parses the ${label} collection`, `got ${coll?.constructor?.name ?? coll}`)) return;
  ok(coll instanceof OrderedCollection, `${label} is an OrderedCollection`, `got ${coll.constructor.name}`);
  ok(coll.id?.href === expectedId?.href, `${label} id equals the actor's ${label} URL`, `id ${coll.id?.href}, expected ${expectedId?.href}`);
  ok(coll.totalItems === 0, `${label} totalItems is 0`, `got ${coll.totalItems}`);
}

async function main() {
  const href = await webfinger();
  if (href == null) return;
  const group = await checkActor(href);
  if (group == null) return;
  await checkKey(group);
  await checkCollection("outbox", (o) => group.getOutbox(o), group.outboxId);
  await checkCollection("followers", (o) => group.getFollowers(o), group.followersId);
}

try {
  await main();
} catch (e) {
  ok(false, "no unexpected exception", e instanceof Error ? e.stack : String(e));
}
ok(refused.length === 0, "no non-loopback document was requested (all @contexts were preloaded)", `refused: ${refused.join(", ")}`);
finish();
