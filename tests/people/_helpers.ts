/**
 * Helpers for the people tests: a demo portal with people jobs on (real KV queue, the
 * in-process simulator through the real SDK), an employer who connects systems through
 * the simulator's Connect page, and the integrator API.
 */
import type { BootOptions } from "../../boot.ts";
import type { SimulatorOptions } from "../../demo.ts";
import { testPortal } from "../../testing/portal.ts";
import { assertNoTokenLeak, type ConnectTest } from "../connect/_helpers.ts";

export interface PeopleTest extends ConnectTest {
  /** Connects `company` on `provider` for `acme`; returns the new connection id. */
  connect(
    company: string,
    provider?: string,
    entities?: string,
  ): Promise<string>;
  // deno-lint-ignore no-explicit-any
  api(method: string, path: string): Promise<{ status: number; body: any }>;
  /** Waits until the list is built (not refreshing, not never) after `since`. */
  // deno-lint-ignore no-explicit-any
  built(since?: string | null, timeoutMs?: number): Promise<any>;
  /** Every person, page by page. */
  // deno-lint-ignore no-explicit-any
  all(limit?: number): Promise<any[]>;
}

export async function withPeople(
  options: Partial<BootOptions> & {
    sim?: Partial<SimulatorOptions>;
    env?: Record<string, string>;
  },
  fn: (t: PeopleTest) => Promise<void>,
): Promise<void> {
  const base = await testPortal({
    ...options,
    people: { enabled: true },
    sim: { jobDelayMs: 5, companySize: 30, ...options.sim },
  });
  const recorded: ConnectTest["recorded"] = [];
  const inner = base.portal.fetch;
  base.portal.fetch = async (request: Request) => {
    const res = await inner(request);
    const path = new URL(request.url).pathname;
    if (!path.startsWith("/sim/")) {
      recorded.push(
        res.clone().text().then((text) => ({
          path,
          status: res.status,
          text,
        })),
      );
    }
    return res;
  };
  const client = await base.signedIn("acme");
  const api: PeopleTest["api"] = async (method, path) => {
    const res = await base.fetch(path, {
      method,
      headers: { authorization: `Bearer ${base.portal.config.adminApiKey}` },
    });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch { /* the caller asserts */ }
    return { status: res.status, body };
  };
  const t: PeopleTest = {
    ...base,
    sim: base.portal.sim!,
    recorded,
    api,
    async connect(company, provider = "gusto", entities) {
      const before = await api("GET", "/api/customers/acme/connections");
      const known = new Set(
        before.body.connections.map((c: { connection_id: string }) =>
          c.connection_id
        ),
      );
      const res = await client.connect({
        company_name: company,
        provider_id: provider,
        entities,
      });
      if (res.status !== 303) throw new Error(`connect: ${await res.text()}`);
      await res.body?.cancel();
      const after = await api("GET", "/api/customers/acme/connections");
      const fresh = after.body.connections.find((
        c: { connection_id: string },
      ) => !known.has(c.connection_id));
      if (!fresh) throw new Error("no new connection");
      return fresh.connection_id;
    },
    async built(since = null, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const res = await api("GET", "/api/customers/acme/people?limit=100");
        if (res.status !== 200) throw new Error(JSON.stringify(res.body));
        const b = res.body;
        if (
          b.state !== "refreshing" && b.state !== "never" && b.as_of !== since
        ) return b;
        if (Date.now() > deadline) {
          const steps = base.logs.filter((l) => l.includes('"people_'));
          throw new Error(
            `list not built: ${b.state} ${b.as_of}\n${steps.join("\n")}`,
          );
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async all(limit = 100) {
      const people = [];
      let cursor = "";
      for (;;) {
        const res = await api(
          "GET",
          `/api/customers/acme/people?limit=${limit}${
            cursor ? `&cursor=${cursor}` : ""
          }`,
        );
        if (res.status !== 200) throw new Error(JSON.stringify(res.body));
        people.push(...res.body.people);
        if (!res.body.next_cursor) return people;
        cursor = encodeURIComponent(res.body.next_cursor);
      }
    },
  };
  try {
    await fn(t);
    await assertNoTokenLeak(t);
  } finally {
    await t.sim.settled().catch(() => {});
    await base.close();
  }
}

/** Waits until `check` holds. */
export async function until(
  check: () => Promise<boolean> | boolean,
  what: string,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!await check()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
