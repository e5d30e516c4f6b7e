/** The integrator API's test client, and the checks every API test shares. */
import assert from "node:assert/strict";
import { BASE, type Client, type TestPortal } from "../../testing/portal.ts";

/** The public connection shape of the product brief (views may add to it). */
export const CONNECTION_KEYS = [
  "connection_id",
  "customer_id",
  "provider_id",
  "provider_name",
  "company_id",
  "company_name",
  "status",
  "products",
  "entities",
  "created_at",
  "updated_at",
];

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  // deno-lint-ignore no-explicit-any
  body: any;
}

/**
 * An integrator's HTTP client. Keeps every answer so a test can check afterwards that
 * no access token left through any route but `/token`.
 */
export function integrator(
  t: TestPortal,
  key: string | null = t.portal.config.adminApiKey,
) {
  const seen: { path: string; text: string; headers: Headers }[] = [];
  async function call(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Answer> {
    const h: Record<string, string> = {};
    if (key !== null) h.authorization = `Bearer ${key}`;
    if (body !== undefined && typeof body !== "string") {
      h["content-type"] = "application/json";
    }
    const res = await t.fetch(path, {
      method,
      headers: { ...h, ...headers },
      body: body === undefined
        ? undefined
        : typeof body === "string"
        ? body
        : JSON.stringify(body),
    });
    const text = await res.text();
    seen.push({ path, text, headers: res.headers });
    let parsed: unknown = undefined;
    try {
      parsed = JSON.parse(text);
    } catch { /* asserted by the caller where it matters */ }
    return { status: res.status, headers: res.headers, text, body: parsed };
  }
  return { call, seen };
}

/** Every access token the simulator ever issued. */
export function simTokens(t: TestPortal): string[] {
  return Object.values(t.portal.sim!.store.data.tokens).map((x) =>
    x.access_token
  );
}

/** Invariant 3: no token in any answer but `/token`'s, nor in any log line. */
export function assertNoTokenLeak(
  t: TestPortal,
  seen: ReturnType<typeof integrator>["seen"],
) {
  const tokens = simTokens(t);
  assert.ok(tokens.length > 0);
  for (const answer of seen) {
    const where = `${answer.path}: ${answer.text.slice(0, 200)}`;
    if (!/\/token$/.test(new URL(answer.path, BASE).pathname)) {
      assert.doesNotMatch(answer.text, /access_token/, where);
      for (const token of tokens) {
        assert.ok(!answer.text.includes(token), where);
      }
    }
    for (const token of tokens) {
      for (const [, value] of answer.headers) {
        assert.ok(!value.includes(token), where);
      }
    }
  }
  for (const line of t.logs) {
    for (const token of tokens) assert.ok(!line.includes(token), line);
  }
}

export function assertError(answer: Answer, status: number, code?: string) {
  assert.equal(answer.status, status, answer.text);
  assert.match(answer.headers.get("content-type") ?? "", /^application\/json/);
  assert.equal(typeof answer.body?.error?.message, "string", answer.text);
  assert.ok(answer.body.error.message.length > 0);
  if (code) assert.equal(answer.body.error.code, code, answer.text);
}

/**
 * Connects through the real redirect flow and returns the new connection's id, as the
 * integrator's API lists it.
 */
export async function connectOne(
  t: TestPortal,
  client: Client,
  customerId: string,
  form: {
    company_name: string;
    provider_id?: string;
    username?: string;
    entities?: string;
  },
): Promise<string> {
  const api = integrator(t);
  const ids = async () =>
    (await api.call("GET", `/api/customers/${customerId}/connections`)).body
      .connections.map((c: { connection_id: string }) => c.connection_id);
  const before = await ids();
  const done = await client.connect(form);
  assert.equal(done.status, 303, await done.clone().text());
  const made = (await ids()).filter((id: string) => !before.includes(id));
  assert.equal(made.length, 1, `new connections: ${made}`);
  return made[0];
}

export const ROUTES: [string, string, unknown?][] = [
  ["PUT", "/api/customers/acme", { name: "Acme" }],
  ["GET", "/api/customers/acme"],
  ["POST", "/api/customers/acme/links", {}],
  ["DELETE", "/api/customers/acme/links"],
  ["GET", "/api/customers/acme/connections"],
  ["GET", "/api/connections/conn_1"],
  ["GET", "/api/connections/conn_1/token"],
  ["DELETE", "/api/connections/conn_1"],
  ["GET", "/api/no/such/route"],
];
