// SPDX-License-Identifier: Apache-2.0
//
// Browser test of the admin dashboard and the public community page: Fedify peers make real
// traffic (traffic.mjs), then headless Chromium, driven by playwright-core (pinned in
// package.json), logs in and reads the pages as a person would.
//   a. GET /admin/NAME without a session -> 303 to the login form (input#token, hidden next);
//      a wrong token -> 401, the error, no cookie; the right token -> the dashboard, and the
//      cookie gm_admin is HttpOnly, Secure, SameSite=Strict, Path=/admin, hidden from scripts
//   b. the four charts are visible SVGs of non-zero size with their marks; the tiles show the
//      traffic's figures; the response-time tile equals the CLI's median, not "-"
//   c. the unanswered list has the question (badge "question") and carol's post (linked by
//      id: it has no url), not the answered post; a click on the question reaches its url
//   d. at 375 px (a phone) the page does not scroll sideways
//   e. no <script> element; Content-Security-Policy default-src 'none' (and no console errors)
//   f. "Log out" ends the session: the dashboard sends the login form again
//   g. the public page GET /c/NAME (a browser's Accept: text/html) shows title and members
// Screenshots (full page) go to ARTIFACT_DIR: login, dashboard desktop, phone and dark, the
// public page.
//
// usage: node dashboard.mjs BASE_URL NAME GEMEINDE_BINARY CONFIG ARTIFACT_DIR
// Environment: GM_ADMIN_TOKEN (required: the config's admin_token), GM_WRONG_TOKEN (a wrong
// one to try), GM_EXPECT_TITLE (the community's title), GM_CHROMIUM (default
// /usr/bin/chromium), GM_DASHBOARD_TIMEOUT (hard timeout in seconds, default 75),
// GM_PEER_HOST .. GM_PEER4_HOST (the peers' addresses, 127.0.0.2-5).
// Prints "ok - ..." / "not ok - ..." per check, then "N passed, N failed". Exit status 0 if
// every check passed, 1 if one failed, 2 on a usage error, 3 on the hard timeout.

import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { errText, failedCount, finish, hardTimeout, note, ok, parseTarget } from "../interop/peer_common.mjs";
import { makeTraffic } from "./traffic.mjs";

const USAGE = "usage: node dashboard.mjs BASE_URL NAME GEMEINDE_BINARY CONFIG ARTIFACT_DIR";
const args = process.argv.slice(2);
const TOKEN = process.env.GM_ADMIN_TOKEN ?? "";
if (args.length !== 5 || TOKEN.length < 24) {
  console.error(`${USAGE}\n(with GM_ADMIN_TOKEN set to the config's admin_token)`);
  process.exit(2);
}
const [baseArg, NAME, GM, CONF, ARTIFACTS] = args;
const T = parseTarget(USAGE, baseArg, NAME);
const ORIGIN = T.origin;
const WRONG = process.env.GM_WRONG_TOKEN ?? "not-the-admin-token-0123456789";
const TITLE = process.env.GM_EXPECT_TITLE ?? null;
const CHROMIUM = process.env.GM_CHROMIUM ?? "/usr/bin/chromium";
const PHONE = { width: 375, height: 812 };
const signal = hardTimeout("GM_DASHBOARD_TIMEOUT", 75);
mkdirSync(ARTIFACTS, { recursive: true });

const path = (u) => new URL(u).pathname;
const text = async (loc) => ((await loc.count()) ? (await loc.first().textContent()).trim() : null);
const sessionCookies = async (context) => (await context.cookies()).filter((c) => c.name === "gm_admin");

async function shot(page, file) {
  try {
    await page.screenshot({ path: join(ARTIFACTS, file), fullPage: true });
    note(`screenshot ${join(ARTIFACTS, file)}`);
  } catch (e) {
    ok(false, `screenshot ${file}`, errText(e));
  }
}

// Clicks `what` and resolves the response of the navigation that follows (its last hop).
async function submit(page, what, urlPred) {
  const [res] = await Promise.all([page.waitForResponse((r) => r.request().isNavigationRequest() && urlPred(new URL(r.url()))), page.click(what)]);
  await page.waitForLoadState("load");
  return res;
}

// a: redirect to the login form, a wrong token, the right one, the cookie.
async function login(page, context) {
  const first = await page.goto(`${ORIGIN}/admin/${NAME}`);
  const hop = await first.request().redirectedFrom()?.response();
  const at = new URL(page.url());
  ok(
    hop?.status() === 303 && at.pathname === "/admin/login" && at.searchParams.get("next") === `/admin/${NAME}` && first.status() === 200,
    `a. GET /admin/${NAME} without a session -> ${hop?.status()} to ${at.pathname}${at.search} -> ${first.status()}`,
    `expected 303 to /admin/login?next=/admin/${NAME}, then 200`,
  );
  const form = page.locator("form.login[method=post][action='/admin/login']");
  ok(
    (await form.isVisible()) && (await form.locator("input#token[type=password][name=token]").isVisible()) &&
      (await form.locator("input[type=hidden][name=next]").getAttribute("value")) === `/admin/${NAME}` &&
      (await form.locator("button[type=submit]").isVisible()),
    "a. the login form: a POST to /admin/login with a password input#token, hidden next, a submit button",
    (await page.content()).slice(0, 600),
  );
  await shot(page, "login.png");

  await page.fill("#token", WRONG);
  const bad = await submit(page, "button[type=submit]", (u) => u.pathname === "/admin/login");
  ok(
    bad.status() === 401 && bad.request().method() === "POST" && path(page.url()) === "/admin/login" &&
      (await text(page.locator("[role=alert]"))) === "That is not the admin token." &&
      (await page.locator("input[name=next]").getAttribute("value")) === `/admin/${NAME}`,
    `a. a wrong token -> POST /admin/login ${bad.status()}, the form again with "${await text(page.locator("[role=alert]"))}" and the same next`,
    `at ${page.url()}`,
  );
  ok((await sessionCookies(context)).length === 0, "a. after the wrong token the browser holds no gm_admin cookie", JSON.stringify(await context.cookies()));

  await page.fill("#token", TOKEN);
  const good = await submit(page, "button[type=submit]", (u) => u.pathname === `/admin/${NAME}`);
  const hop2 = await good.request().redirectedFrom()?.response();
  ok(
    hop2?.status() === 303 && hop2.request().method() === "POST" && good.status() === 200 && path(page.url()) === `/admin/${NAME}`,
    `a. the right token -> POST /admin/login ${hop2?.status()} -> GET /admin/${NAME} ${good.status()} (the dashboard)`,
    `at ${page.url()}`,
  );
  const [c] = await sessionCookies(context);
  ok(
    c && c.httpOnly === true && c.secure === true && c.sameSite === "Strict" && c.path === "/admin" &&
      /^v1\.[0-9]+\.[0-9a-f]{32}\.[0-9a-f]{64}$/.test(c.value) && c.expires > Date.now() / 1000,
    "a. cookie gm_admin: httpOnly, secure, sameSite Strict, path /admin, an expiry, value v1.EXPIRY.NONCE.HMAC",
    JSON.stringify(c ? { ...c, value: `${c.value.slice(0, 14)}…` } : (await context.cookies()).map((x) => x.name)),
  );
  ok(!(await page.evaluate(() => document.cookie)).includes("gm_admin"), "a. document.cookie does not show the session (HttpOnly)");
  return { headers: await good.allHeaders(), body: await good.text() }; // read before the next navigation
}

// b: tiles and charts.
async function figures(page, stats) {
  const tile = (id) => text(page.locator(`#${id} b`));
  const median = stats?.response_time?.period?.median;
  const want = {
    "t-members": "3",
    "t-growth": "+4 / -1",
    "t-posts": "3",
    "t-replies": "1",
    "t-rate": "33%",
    "t-unanswered": "2",
    "t-median": Number.isInteger(median) ? `${median}s` : "(a median from the CLI)",
  };
  for (const [id, v] of Object.entries(want)) {
    const got = await tile(id);
    ok(got === v, `b. tile #${id} shows "${got}" (${await text(page.locator(`#${id} span`))})`, `expected "${v}"`);
  }
  ok(Number.isInteger(median) && median >= 1 && (await tile("t-median")) !== "-", `b. the response-time tile is not "-": bob answered after ${median} s`);
  const marks = { "chart-members": "polyline", "chart-growth": ".gm-bars rect", "chart-activity": ".gm-bars rect", "chart-response": "circle" };
  for (const [id, mark] of Object.entries(marks)) {
    const svg = page.locator(`svg#${id}`);
    const box = (await svg.count()) === 1 ? await svg.boundingBox() : null;
    ok(
      box && (await svg.isVisible()) && box.width > 100 && box.height > 50 && Math.abs(box.height / box.width - 220 / 400) < 0.02,
      `b. svg#${id} is visible, ${box ? `${Math.round(box.width)}x${Math.round(box.height)}` : "missing"} px (the 400:220 viewBox)`,
    );
    const n = await svg.locator(mark).count();
    ok(n > 0 && (await svg.locator(".gm-empty").count()) === 0, `b. svg#${id} draws data (${n} × ${mark}), not "no data yet"`);
  }
  // answers within seconds: the response chart is in seconds, its points clear of the zero line
  const ticks = await page.locator("svg#chart-response text.gm-ytick").evaluateAll((ts) => ts.map((t) => ({ s: t.textContent, y: +t.getAttribute("y") - 4 })));
  const dots = await page.locator("svg#chart-response circle").evaluateAll((cs) => cs.map((c) => +c.getAttribute("cy")));
  const zero = ticks[0]?.y;
  const top = ticks.at(-1)?.y;
  ok(
    ticks.length >= 3 && ticks.every((t) => /^[0-9.]+s$/.test(t.s)) && dots.length > 0 && dots.every((cy) => cy < (zero + top) / 2),
    `b. chart-response is in seconds (ticks ${ticks.map((t) => t.s).join(", ")}) and its points are in the upper half of the plot`,
    `dots at y ${dots.join(", ")}; zero line ${zero}, top ${top}; title "${await text(page.locator("section:has(svg#chart-response) h2"))}"`,
  );
  const today = stats?.to;
  const tips = await page.locator("svg#chart-activity .gm-bars rect title").allTextContents();
  ok(tips.includes(`${today}: 3`) && tips.includes(`${today}: 1`), `b. chart-activity's bars for ${today}: 3 posts and 1 reply (their tooltips)`, JSON.stringify(tips.slice(-4)));
}

// c: the unanswered list, and a click through to the question.
async function unanswered(page, traffic) {
  const { question, bike, hello } = traffic.posts;
  const sec = page.locator("section#unanswered");
  const items = sec.locator("li");
  const heading = await text(sec.locator("h2"));
  ok((await items.count()) === 2 && /\(2, more than 0s/.test(heading ?? ""), `c. section#unanswered lists 2 posts: "${heading}"`, `${await items.count()} items`);
  const q = items.filter({ has: page.locator(`a[href="${question.url}"]`) });
  ok(
    (await q.count()) === 1 && (await text(q.locator("span.q"))) === "question" && (await text(q.locator(`a[href="${question.url}"]`))) === "Where do we meet?",
    `c. the question "Where do we meet?" is listed with its "question" badge, linked to its url ${question.url}`,
    await sec.innerHTML(),
  );
  const b = items.filter({ has: page.locator(`a[href="${bike.id}"]`) });
  ok(
    (await b.count()) === 1 && (await b.locator("span.q").count()) === 0 && (await text(b.locator("a").first())).startsWith("Selling my old bike"),
    `c. carol's post (no url) is listed without a badge, linked to its id ${bike.id}`,
    await sec.innerHTML(),
  );
  ok(
    (await sec.locator(`a[href="${hello.url}"], a[href="${hello.id}"]`).count()) === 0,
    "c. alice's answered post is not listed",
  );
  const rels = await sec.locator("li > a").evaluateAll((as) => as.map((a) => a.rel));
  ok(rels.length === 2 && rels.every((r) => r.split(" ").includes("nofollow")), `c. the post links have rel "${rels[0]}"`, JSON.stringify(rels));
  const alice = traffic.peers.alice;
  const hits = alice.pageHits.length;
  await Promise.all([page.waitForURL(question.url), q.locator(`a[href="${question.url}"]`).click()]);
  const id = await page.locator("#note").getAttribute("data-id").catch(() => null);
  const hit = alice.pageHits[hits];
  ok(
    page.url() === question.url && id === question.id && hit?.path === path(question.url) && hit.referer === null,
    `c. the click led the browser to ${page.url()}, alice's page of the question, with no Referer`,
    `page ${page.url()} (note ${id}); alice's server saw ${JSON.stringify(alice.pageHits.slice(hits))}`,
  );
}

// d, e: the phone width, no scripts, the headers.
async function phoneAndPolicy(page, { headers, body }) {
  const csp = headers["content-security-policy"] ?? "";
  ok(
    /(^|;)\s*default-src 'none'/.test(csp) && !/script-src/.test(csp) && /frame-ancestors 'none'/.test(csp),
    `e. the dashboard is sent with Content-Security-Policy: ${csp}`,
    "expected default-src 'none', no script-src, frame-ancestors 'none'",
  );
  ok(
    headers["x-content-type-options"] === "nosniff" && headers["cache-control"] === "no-store" && headers["referrer-policy"] === "no-referrer",
    "e. and X-Content-Type-Options nosniff, Cache-Control no-store, Referrer-Policy no-referrer",
    JSON.stringify(headers),
  );
  ok((await page.locator("script").count()) === 0 && !/<script/i.test(body), "e. the page has no <script> element (DOM and HTML)");
  ok((await page.locator("section#pending, section#reports, section#held, section#modlog").count()) === 4, "e. the sections pending, reports, held and modlog are there");

  await page.setViewportSize(PHONE);
  const dims = await page.evaluate(() => ({ sw: document.scrollingElement.scrollWidth, cw: document.documentElement.clientWidth }));
  ok(dims.sw <= PHONE.width + 1, `d. at ${PHONE.width} px there is no horizontal scroll (scrollWidth ${dims.sw}, clientWidth ${dims.cw})`);
  const wide = await page.evaluate((w) => [...document.querySelectorAll("body *")].filter((e) => e.getBoundingClientRect().right > w + 1).map((e) => `${e.tagName.toLowerCase()}${e.id ? `#${e.id}` : ""}.${e.className?.baseVal ?? e.className}`).slice(0, 8), PHONE.width);
  ok(wide.length === 0, `d. no element reaches past the right edge at ${PHONE.width} px`, wide.join(", "));
  const box = await page.locator("svg#chart-activity").boundingBox();
  ok(box && box.width > 200 && box.x + box.width <= PHONE.width, `d. the charts fit the phone (chart-activity ${box ? Math.round(box.width) : "?"} px wide)`);
  await shot(page, "dashboard-phone.png");
}

async function logout(page, context) {
  const res = await submit(page, "form[action='/admin/logout'] button", (u) => u.pathname === "/admin/login");
  ok(res.status() === 200 && path(page.url()) === "/admin/login" && (await sessionCookies(context)).length === 0, `f. "Log out" -> the login form (${page.url()}), the cookie is gone`, JSON.stringify(await context.cookies()));
  await page.goto(`${ORIGIN}/admin/${NAME}`);
  const at = new URL(page.url());
  ok(at.pathname === "/admin/login" && at.searchParams.get("next") === `/admin/${NAME}` && (await page.locator("#token").isVisible()), `f. /admin/${NAME} again after logout -> the login form (${at.pathname}${at.search})`);
}

async function publicPage(page, stats) {
  const res = await page.goto(`${ORIGIN}/c/${NAME}`);
  const accept = (await res.request().allHeaders()).accept ?? "";
  ok(res.status() === 200 && accept.startsWith("text/html") && (res.headers()["content-type"] ?? "").startsWith("text/html"), `g. GET /c/${NAME} with Accept ${accept.split(",")[0]},… -> ${res.status()} ${res.headers()["content-type"]}`);
  const h1 = await text(page.locator("h1"));
  ok(h1 && (TITLE == null || h1 === TITLE) && (await page.title()) === h1, `g. the public page's title: "${h1}"`, `expected "${TITLE}"`);
  const members = await text(page.locator("header p"));
  ok(members === `${stats?.now?.members} members` && members === "3 members", `g. the public page shows "${members}"`);
  ok((await text(page.locator(".handle"))) === `@${NAME}@${new URL(ORIGIN).host}`, `g. and the handle @${NAME}@${new URL(ORIGIN).host}`);
  await shot(page, "community.png");
}

async function main() {
  const t0 = performance.now();
  const traffic = await makeTraffic({ T, name: NAME, gm: GM, conf: CONF, signal });
  note(`traffic took ${Math.round(performance.now() - t0)} ms`);
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    timeout: 20_000,
    // root (CI in a container) cannot use Chromium's sandbox
    args: process.getuid?.() === 0 ? ["--no-sandbox"] : [],
  });
  note(`Chromium ${browser.version()} (${CHROMIUM}), playwright-core ${(await import("playwright-core/package.json", { with: { type: "json" } })).default.version}`);
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, colorScheme: "light" });
    const page = await context.newPage();
    page.setDefaultTimeout(10_000);
    const dash = await login(page, context);
    // a fresh load of the dashboard: no console error (such as a CSP violation), no failed
    // request (Chromium's own favicon probe aside: the node serves no favicon)
    const problems = [];
    page.on("console", (m) => m.type() === "error" && !m.location().url.endsWith("/favicon.ico") && problems.push(`console: ${m.text()} (${m.location().url})`));
    page.on("pageerror", (e) => problems.push(`page error: ${errText(e)}`));
    page.on("response", (r) => r.status() >= 400 && !r.url().endsWith("/favicon.ico") && problems.push(`${r.status()} ${r.url()}`));
    await page.reload();
    ok(problems.length === 0, "e. a reload of the dashboard: no console error (no CSP violation), no failed request", problems.join("; "));
    page.removeAllListeners("console").removeAllListeners("pageerror").removeAllListeners("response");
    await figures(page, traffic.stats);
    await shot(page, "dashboard-desktop.png");
    await page.emulateMedia({ colorScheme: "dark" });
    await shot(page, "dashboard-dark.png");
    await page.emulateMedia({ colorScheme: "light" });
    await unanswered(page, traffic);
    await page.goto(`${ORIGIN}/admin/${NAME}`);
    await phoneAndPolicy(page, dash);
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto(`${ORIGIN}/admin`);
    ok((await page.locator(`a[href="/admin/${NAME}"]`).count()) === 1, `the communities page /admin links /admin/${NAME}`);
    await logout(page, context);
    await publicPage(page, traffic.stats);
  } finally {
    await browser.close();
  }
  ok(traffic.refused.length === 0, "no non-loopback document was requested", traffic.refused.join(", "));
  note(`the whole run took ${Math.round(performance.now() - t0)} ms`);
}

try {
  await main();
} catch (e) {
  ok(false, "no unexpected exception", e instanceof Error ? e.stack : String(e));
}
if (failedCount() > 0) note(`screenshots and what was taken so far are in ${ARTIFACTS}`);
finish();
