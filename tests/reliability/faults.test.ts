/**
 * Invariant 8 at the Finch steps tests/connect/faults.test.ts and tests/api/disconnect.test.ts do not
 * reach: the integrator's DELETE (500, timeout, refused; 429 and 503 are in tests/api/disconnect.test.ts),
 * the provider list, the embedded (JSON) flow's session and code exchange, the status
 * refresh on a page view (429, timeout, refused; 500 and slowness are in
 * tests/webhooks/refresh.test.ts), and "connect another" turning into a reconnect. Each
 * time: a clear answer (page or JSON, never a 5xx other than a 503 that says to retry,
 * never a stack trace), data as they were, and it works once Finch is back.
 */
import assert from "node:assert/strict";
import { applyStatus } from "../../lib/db/connection_status.ts";
import { createFinchGateway } from "../../lib/finch/gateway.ts";
import { PROVIDERS_BUDGET_MS } from "../../lib/views.ts";
import {
  REFRESH_LEASE_MS,
  STATUS_STALE_AFTER_MS,
  statusRefreshesSettled,
} from "../../lib/flows/refresh.ts";
import {
  assertNoInternals,
  clock,
  type ConnectTest,
  convertInSim,
  embeddedMessage,
  errorPage,
  latestSimToken,
  startRedirect,
  stored,
  storedToken,
  withPortal,
} from "../connect/_helpers.ts";
import type { Client } from "../../testing/portal.ts";
import { record } from "./_stats.ts";

type Kind = "500" | "429" | "timeout" | "refused";
const KINDS: Kind[] = ["500", "429", "timeout", "refused"];
const RETRY_AFTER_429 = 45;

interface Rig {
  t: ConnectTest;
  arm(...paths: string[]): void;
  /** Removes every fault; returns how many requests they failed. */
  clear(): number;
}

/** A test portal whose Finch fails the way `kind` says on the armed paths. */
function withFaults(
  kind: Kind,
  fn: (rig: Rig) => Promise<void>,
  options: { now?: () => number } = {},
) {
  const refused = new Set<string>();
  let refusedHits = 0;
  const armed: { id: string; count: number }[] = [];
  let injected = 0;
  return withPortal({
    now: options.now,
    finch: (opts) =>
      createFinchGateway({
        ...opts,
        timeoutMs: kind === "timeout" ? 400 : undefined,
        fetch: (input, init) => {
          const url = new URL(input instanceof Request ? input.url : input);
          if (refused.has(url.pathname.replace(/^\/sim/, ""))) {
            refusedHits++;
            return Promise.reject(
              new TypeError(
                "error sending request: Connection refused (os error 111)",
              ),
            );
          }
          return opts.fetch!(input, init);
        },
      }),
  }, async (t) => {
    const clear = () => {
      const left = new Map(t.sim.faults().map((f) => [f.id, f.remaining]));
      let hits = refusedHits;
      for (const f of armed) hits += f.count - (left.get(f.id) ?? 0);
      t.sim.clearFaults();
      refused.clear();
      armed.length = 0;
      refusedHits = 0;
      injected += hits;
      return hits;
    };
    await fn({
      t,
      arm(...paths) {
        for (const path of paths) {
          if (kind === "refused") {
            refused.add(path);
            continue;
          }
          const fault = kind === "timeout"
            ? { path, delay_ms: 1_500, count: 50 }
            : kind === "429"
            ? { path, status: 429, retry_after: RETRY_AFTER_429, count: 50 }
            : { path, status: 500, count: 50 };
          armed.push({ id: t.sim.addFault(fault).id, count: fault.count });
        }
      },
      clear,
    });
    clear();
    await record("faults_injected", injected);
  });
}

/** What every pre-token failure must look like, as a page or as JSON. */
async function assertRetryLater(kind: Kind, res: Response) {
  assert.equal(res.status, 503);
  assert.equal(
    res.headers.get("retry-after"),
    kind === "429" ? String(RETRY_AFTER_429) : "30",
  );
  const text = await res.text();
  assertNoInternals(text);
  return text;
}

/** The integrator's API, as its backend calls it. */
function api(t: ConnectTest, method: string, path: string) {
  return t.fetch(path, {
    method,
    headers: { authorization: `Bearer ${t.portal.config.adminApiKey}` },
  });
}

async function connected(t: ConnectTest, client: Client) {
  const res = await client.connect({ company_name: "Acme, Inc." });
  assert.equal(res.status, 303);
  const [connection] = await stored(t);
  return connection;
}

for (const kind of ["500", "timeout", "refused"] as Kind[]) {
  Deno.test(`[reliability] fault ${kind} at /disconnect from the integrator API: JSON 503, nothing changed, then it works`, async () => {
    await withFaults(kind, async ({ t, arm, clear }) => {
      const client = await t.signedIn("acme");
      const connection = await connected(t, client);
      const id = connection.connection_id;
      const token = await storedToken(t, id);

      arm("/disconnect");
      const res = await api(t, "DELETE", `/api/connections/${id}`);
      const body = JSON.parse(await assertRetryLater(kind, res));
      assert.equal(body.error.code, "finch_unavailable");
      assert.deepEqual(await stored(t), [connection]);
      assert.equal(await storedToken(t, id), token);
      if (kind !== "timeout") assert.deepEqual(t.sim.revoked().tokens, []);
      assert.ok(clear() > 0);

      const done = await api(t, "DELETE", `/api/connections/${id}`);
      assert.equal(done.status, 200, await done.text());
      assert.deepEqual(await stored(t), []);
      assert.equal(await storedToken(t, id), null);
      assert.deepEqual(t.sim.revoked().connection_ids, [id]);
    });
  });
}

for (const kind of KINDS) {
  Deno.test(`[reliability] fault ${kind} at /providers: the page and connecting still work, names come back`, async () => {
    await withFaults(kind, async ({ t, arm, clear }) => {
      arm("/providers");
      const client = await t.signedIn("acme");
      const page = await client.page();
      assert.equal(page.status, 200);
      assertNoInternals(page.html);
      assert.ok(t.logs.some((l) => l.includes('"providers_unavailable"')));

      // A provider chosen on the page cannot be checked against the list: Finch's
      // Connect checks it, and the run goes on.
      const res = await client.connect({
        provider_id: "adp_run",
        company_name: "Acme, Inc.",
      }, { provider_id: "adp_run" });
      assert.equal(res.status, 303);
      const [connection] = await stored(t);
      assert.equal(connection.provider_id, "adp_run");
      // Without Finch's list the provider id is spelled out.
      assert.match((await client.page()).html, /Adp Run/);
      assert.ok(clear() > 0);

      // The failure was not cached: Finch's name comes back at once.
      const after = await client.page();
      assert.match(after.html, /Run Powered by ADP/);
    });
  });

  Deno.test(`[reliability] fault ${kind} in the embedded flow: JSON 503 at start and at the code exchange, then it works`, async () => {
    await withFaults(kind, async ({ t, arm, clear }) => {
      const client = await t.signedIn("acme");
      const { csrf } = await client.page();
      const h = { "x-csrf-token": csrf };

      arm("/connect/sessions");
      const start = await client.postJson("/connections/new", {}, h);
      const failed = JSON.parse(await assertRetryLater(kind, start));
      assert.equal(failed.error.code, "finch_unavailable");
      assert.match(failed.error.message, /try again/);
      clear();

      const launched = await client.postJson("/connections/new", {}, h);
      assert.equal(launched.status, 200);
      const launch = await launched.json();
      const message = await embedded(client, launch, "Acme, Inc.");
      arm("/auth/token");
      const complete = await client.postJson("/connections/complete", {
        code: message.code,
        state: message.state,
      }, h);
      const exchange = JSON.parse(await assertRetryLater(kind, complete));
      assert.equal(exchange.error.code, "finch_unavailable");
      assert.deepEqual(await stored(t), []);
      clear();

      // The state was spent by the failed attempt: connecting again is the way on.
      const again = await client.postJson("/connections/new", {}, h);
      const relaunch = await again.json();
      const retry = await embedded(client, relaunch, "Acme, Inc.");
      const done = await client.postJson("/connections/complete", {
        code: retry.code,
        state: retry.state,
      }, h);
      assert.equal(done.status, 200, await done.clone().text());
      assert.equal((await done.json()).outcome, "created");
      const [connection] = await stored(t);
      assert.equal(
        await storedToken(t, connection.connection_id),
        latestSimToken(t, connection.connection_id),
      );
    });
  });

  Deno.test(`[reliability] fault ${kind} when "connect another" turns out to be a reconnect: a clear page, then it works`, async () => {
    await withFaults(kind, async ({ t, arm, clear }) => {
      const client = await t.signedIn("acme");
      const connection = await connected(t, client);
      // The next attempt's Finch customer id converted into the same connection (a lost
      // callback), so starting it becomes a reauthenticate session.
      convertInSim(t, "acme~2", "Acme, Inc.");
      const { csrf } = await client.page();
      arm("/connect/sessions/reauthenticate");
      const res = await client.postForm("/connections/new", { _csrf: csrf });
      const page = await errorPage(res);
      assert.equal(page.status, 503);
      assert.equal(page.title, "Please try again in a minute");
      assert.deepEqual(await stored(t), [connection]);
      clear();

      const done = await client.connect({ company_name: "Acme, Inc." });
      assert.equal(done.status, 303);
      const records = await stored(t);
      assert.equal(records.length, 1);
      assert.equal(records[0].connection_id, connection.connection_id);
      assert.equal(
        await storedToken(t, connection.connection_id),
        latestSimToken(t, connection.connection_id),
      );
    });
  });
}

for (const kind of ["429", "timeout", "refused"] as Kind[]) {
  Deno.test(`[reliability] fault ${kind} at /introspect on a page view: the page shows what is stored, later it refreshes`, async () => {
    const time = clock(Date.now());
    await withFaults(kind, async ({ t, arm, clear }) => {
      const client = await t.signedIn("acme");
      const connection = await connected(t, client);
      const id = connection.connection_id;
      t.sim.store.setStatus(t.sim.store.data.connections[id], "reauth");
      time.ms += STATUS_STALE_AFTER_MS + 1_000;

      arm("/introspect", "/employer/company");
      const page = await client.page();
      assert.equal(page.status, 200);
      assertNoInternals(page.html);
      await statusRefreshesSettled(t.portal.deps);
      assert.equal((await stored(t))[0].status, "connected");
      assert.ok(clear() > 0);

      time.ms += REFRESH_LEASE_MS + 1_000;
      await client.page();
      await statusRefreshesSettled(t.portal.deps);
      assert.equal((await stored(t))[0].status, "reauth");
      // Reconnecting restores it, as after any reauth.
      await applyStatus(t.kv, id, {
        status: "connected",
        at: new Date(time.ms),
      });
    }, { now: time.now });
  });
}

Deno.test("[reliability] a provider list that never arrives costs a page a moment, not Finch's timeout", async () => {
  // The gateway's own timeout is 10 s with one retry: a hanging /providers would hold
  // every page (list, callback, disconnect receipt) for about 20 s.
  await withPortal({
    finch: (opts) => ({
      ...createFinchGateway(opts),
      providers: () => new Promise(() => {}),
    }),
  }, async (t) => {
    const client = await t.signedIn("acme");
    // Each page waits for the list at most its budget; Finch's timeout would be 20 s.
    const timed = async <T>(what: string, work: Promise<T>): Promise<T> => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const limit = PROVIDERS_BUDGET_MS + 3_000;
      try {
        return await Promise.race([
          work,
          new Promise<never>((_, reject) => {
            timer = setTimeout(
              () =>
                reject(new Error(`${what}: still waiting after ${limit} ms`)),
              limit,
            );
          }),
        ]);
      } finally {
        clearTimeout(timer);
      }
    };
    const url = await timed("start", startRedirect(client));
    const callback = await client.authorize(url, {
      company_name: "Acme, Inc.",
    });
    const res = await timed("callback", client.get(callback));
    assert.equal(res.status, 303);
    const page = await timed("page", client.page());
    assert.equal(page.status, 200);
    assert.match(page.html, /Acme, Inc\./);
    await record("faults_injected", 3);
  });
});

/** What the Connect SDK does in the page: opens Connect embedded and submits it. */
async function embedded(
  client: Client,
  launch: { session_id: string; state: string },
  company: string,
): Promise<{ code: string; state: string }> {
  const fields = {
    session: launch.session_id,
    state: launch.state,
    app_type: "spa",
    sdk_host_url: "http://portal.test",
  };
  const page = await client.postForm("/sim/authorize", {
    ...fields,
    provider_id: "gusto",
    company_name: company,
    entities: "",
    username: "",
    action: "connect",
  });
  const message = embeddedMessage(await page.text());
  return message as unknown as { code: string; state: string };
}
