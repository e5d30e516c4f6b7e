/**
 * Helpers for the Connect flow tests: a portal whose every answer is recorded, so each
 * test ends by proving that no access token the simulator ever issued appears in a
 * response (body, headers, cookies, redirect) or a log line; plus small readers for the
 * pages, the simulator's state and the stored records.
 */
import assert from "node:assert/strict";
import {
  type Client,
  type TestPortal,
  testPortal,
} from "../../testing/portal.ts";
import { getAccessToken, listConnections } from "../../lib/db/connections.ts";
import type { Connection } from "../../lib/db/schemas.ts";
import type { Simulator } from "../../sim/app.ts";

export type { Client, TestPortal };

/** One recorded answer of the portal (the simulator's own pages are left out). */
interface Recorded {
  path: string;
  status: number;
  text: string;
}

export interface ConnectTest extends TestPortal {
  sim: Simulator;
  /** Everything the portal answered so far (awaited at scan time). */
  recorded: Promise<Recorded>[];
}

type PortalOptions = Parameters<typeof testPortal>[0];

/**
 * Runs `fn` against a fresh portal, closes it, and fails if any issued access token
 * leaked into an answer or a log line.
 */
export async function withPortal(
  options: PortalOptions,
  fn: (t: ConnectTest) => Promise<void>,
): Promise<void> {
  const base = await testPortal(options);
  const recorded: Promise<Recorded>[] = [];
  const inner = base.portal.fetch;
  // The harness's fetch reads `portal.fetch` on each call, so this sees every request a
  // test client makes (the gateway reaches the simulator in-process, not through here).
  base.portal.fetch = async (request: Request) => {
    const res = await inner(request);
    const path = new URL(request.url).pathname;
    if (!path.startsWith("/sim/")) recorded.push(record(path, res.clone()));
    return res;
  };
  const t: ConnectTest = { ...base, sim: base.portal.sim!, recorded };
  try {
    await fn(t);
    await assertNoTokenLeak(t);
  } finally {
    await t.sim.settled().catch(() => {});
    await base.close();
  }
}

async function record(path: string, res: Response): Promise<Recorded> {
  const parts = [await res.text().catch(() => "")];
  for (const [name, value] of res.headers) parts.push(`${name}: ${value}`);
  // Cookie values may be base64url (the flash cookie): scan them decoded too.
  for (const cookie of res.headers.getSetCookie()) {
    const value = cookie.split(";")[0].split("=").slice(1).join("=");
    for (const piece of value.split(".")) parts.push(decodeBase64Url(piece));
  }
  return { path, status: res.status, text: parts.join("\n") };
}

function decodeBase64Url(s: string): string {
  try {
    const b64 = s.replaceAll("-", "+").replaceAll("_", "/");
    return new TextDecoder().decode(
      Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0)),
    );
  } catch {
    return "";
  }
}

/** Every access token the simulator ever issued. */
export function issuedTokens(t: ConnectTest): string[] {
  return Object.keys(t.sim.store.data.tokens);
}

/** Fails if any issued token appears in a recorded answer or a log line. */
export async function assertNoTokenLeak(t: ConnectTest): Promise<void> {
  const tokens = issuedTokens(t);
  const answers = await Promise.all(t.recorded);
  for (const token of tokens) {
    for (const a of answers) {
      assert.ok(
        !a.text.includes(token),
        `an access token leaked in the answer to ${a.path}`,
      );
    }
    for (const line of t.logs) {
      assert.ok(!line.includes(token), `an access token leaked in a log line`);
    }
  }
}

/** Every answer recorded so far, awaited. */
export function answers(t: ConnectTest): Promise<Recorded[]> {
  return Promise.all(t.recorded);
}

/** "Connect" on the page: returns the 303's Location (Finch Connect's URL). */
export async function startRedirect(
  client: Client,
  fields: Record<string, string> = {},
  path = "/connections/new",
): Promise<string> {
  const { csrf } = await client.page();
  const res = await client.postForm(path, { _csrf: csrf, ...fields });
  const body = await res.text();
  assert.equal(res.status, 303, body);
  return res.headers.get("location")!;
}

/** The Finch session id and our state in a Connect URL. */
export function sessionOf(connectUrl: string): {
  session: string;
  state: string;
} {
  const url = new URL(connectUrl);
  return {
    session: url.searchParams.get("session") ?? "",
    state: url.searchParams.get("state") ?? "",
  };
}

/** The `code` of a callback URL. */
export function codeOf(callbackUrl: string): string {
  return new URL(callbackUrl).searchParams.get("code") ?? "";
}

/** The customer's stored connections. */
export async function stored(
  t: TestPortal,
  customerId = "acme",
): Promise<Connection[]> {
  return (await listConnections(t.kv, customerId)).values;
}

/** The stored (opened) token of a connection. */
export function storedToken(
  t: TestPortal,
  connectionId: string,
): Promise<string | null> {
  return getAccessToken(t.kv, t.portal.deps.sealer, connectionId);
}

/** The newest token the simulator issued for a connection. */
export function latestSimToken(t: ConnectTest, connectionId: string): string {
  const token = t.sim.store.tokensOf(connectionId).at(-1);
  assert.ok(token, `the simulator issued no token for ${connectionId}`);
  return token.access_token;
}

/** The Connect `customer_id` of a simulator session. */
export function simSession(t: ConnectTest, sessionId: string) {
  const s = t.sim.store.data.sessions[sessionId];
  assert.ok(s, `no simulator session ${sessionId}`);
  return s;
}

/** Reads the flash message the next page shows (after a 303 to /connections). */
export async function flashOf(
  client: Client,
): Promise<{ kind: string; message: string; html: string } | null> {
  const { html, status } = await client.page();
  assert.equal(status, 200);
  const m = html.match(/class="flash flash-(\w+)"[^>]*>([\s\S]*?)<\/div>/);
  return m ? { kind: m[1], message: unescape(m[2].trim()), html } : null;
}

/** What an error page says. */
export interface ErrorPageText {
  status: number;
  title: string;
  message: string;
  action: { href: string; label: string } | null;
  retryAfter: string | null;
  html: string;
}

/** Reads an HTML error page, and fails if it is not one (or shows internals). */
export async function errorPage(res: Response): Promise<ErrorPageText> {
  const html = await res.text();
  assert.match(
    res.headers.get("content-type") ?? "",
    /text\/html/,
    `expected an HTML page, got: ${html.slice(0, 300)}`,
  );
  const title = html.match(/<h1 id="error-title">([\s\S]*?)<\/h1>/)?.[1];
  assert.ok(title, `not an error page: ${html.slice(0, 300)}`);
  const message = html.match(/<p class="lead">([\s\S]*?)<\/p>/)?.[1] ?? "";
  const action = html.match(
    /<a class="button button-primary" href="([^"]*)">([\s\S]*?)<\/a>/,
  );
  assertNoInternals(html);
  return {
    status: res.status,
    title: unescape(title),
    message: unescape(message),
    action: action ? { href: action[1], label: unescape(action[2]) } : null,
    retryAfter: res.headers.get("retry-after"),
    html,
  };
}

/** No stack trace, source path or raw error name in what a person sees. */
export function assertNoInternals(text: string): void {
  assert.doesNotMatch(text, /\bat \S+ \(|\.tsx?:\d+|file:\/\//, "stack trace");
  assert.doesNotMatch(
    text,
    /\b(TypeError|ReferenceError|APIError|APIConnectionError|FinchUnavailable|FinchRejected|WriteConflict|DbError)\b/,
    "raw error name",
  );
}

function unescape(s: string): string {
  return s.replaceAll("&#39;", "'").replaceAll("&quot;", '"')
    .replaceAll("&lt;", "<").replaceAll("&gt;", ">").replaceAll("&amp;", "&");
}

/** The code the simulator's embedded Connect page posts to the host page. */
export function embeddedMessage(html: string): Record<string, unknown> {
  const m = html.match(/postMessage\((\{[\s\S]*?\}),"[^"]*"\)/);
  assert.ok(m, `no finch-auth-message-v2 in: ${html.slice(0, 300)}`);
  return JSON.parse(m[1]);
}

/** A mutable clock for `testPortal({ now })`, starting at a fixed instant. */
export function clock(start = Date.parse("2026-03-04T15:00:00Z")) {
  const c = { ms: start, now: () => c.ms };
  return c;
}

/** The HTML of one connection card on the connections page. */
export function cardOf(html: string, connectionId: string): string {
  const start = html.indexOf(`data-connection-id="${connectionId}"`);
  assert.ok(start >= 0, `no card for ${connectionId}`);
  const next = html.indexOf("data-connection-id=", start + 20);
  return html.slice(start, next < 0 ? undefined : next);
}

/** How many cards the page shows. */
export function cardCount(html: string): number {
  return html.split("data-connection-id=").length - 1;
}

/**
 * Converts a Finch customer id into a connection directly at the simulator, as if a
 * Connect run finished there whose callback never reached the portal.
 */
export function convertInSim(
  t: ConnectTest,
  finchCustomerId: string,
  company: string,
  providerId = "gusto",
): string {
  const session = t.sim.store.createSession({
    customer_id: finchCustomerId,
    customer_name: "Somebody",
    products: ["company", "directory"],
  });
  const code = t.sim.store.authorize(session, {
    provider_id: providerId,
    company_name: company,
    entities: [],
    username: null,
  });
  return code.connection_id;
}

/**
 * Acme connected with two entities (companies) under one login; returns the signed-in
 * client, the stored connection and its two entities.
 */
export async function twoEntities(t: ConnectTest) {
  const client = await t.signedIn("acme");
  await client.connect({
    company_name: "Acme Group",
    entities: "Acme East, Acme West",
  });
  const [record] = await stored(t);
  const east = record.entities.find((e) => e.name === "Acme East")!;
  const west = record.entities.find((e) => e.name === "Acme West")!;
  return { client, record, east, west };
}
