import assert from "node:assert/strict";
import { listConnections } from "../../lib/db/connections.ts";
import {
  createFinchGateway,
  type FinchGateway,
} from "../../lib/finch/gateway.ts";
import {
  REFRESH_BUDGET_MS,
  REFRESH_LEASE_MS,
  STATUS_STALE_AFTER_MS,
  statusRefreshesSettled,
} from "../../lib/flows/refresh.ts";
import { type TestPortal, testPortal } from "../../testing/portal.ts";
import { connected, showsReconnect, simSdk, stored } from "./_helpers.ts";

/** A test portal on a settable clock whose gateway counts introspect calls. */
async function countingPortal() {
  const clock = { now: Date.now() };
  const counts = { introspect: 0 };
  const t = await testPortal({
    now: () => clock.now,
    finch: (opts) => {
      const g: FinchGateway = createFinchGateway(opts);
      return {
        ...g,
        introspect: (token) => {
          counts.introspect++;
          return g.introspect(token);
        },
      };
    },
  });
  return { t, clock, counts };
}

/** Changes a connection's status in the simulator without a webhook (a lost one). */
function silentlySet(t: TestPortal, connectionId: string, status: "reauth") {
  const sim = t.portal.sim!;
  sim.store.setStatus(sim.store.data.connections[connectionId], status);
}

async function close(t: TestPortal) {
  await statusRefreshesSettled(t.portal.deps);
  await t.close();
}

Deno.test("[webhooks] refresh-on-view: a stale status is re-read from introspect", async () => {
  const { t, clock, counts } = await countingPortal();
  try {
    const { client, connection } = await connected(t);
    const id = connection.connection_id;
    const base = counts.introspect; // the connect flow's own introspect
    silentlySet(t, id, "reauth");

    // Fresh: nothing is asked of Finch, the page shows what is stored.
    clock.now += STATUS_STALE_AFTER_MS - 1000;
    let page = await client.page();
    assert.equal(page.status, 200);
    assert.equal(counts.introspect, base);
    assert.equal(showsReconnect(page.html, id), false);

    // Stale: this view refreshes it and already shows the result.
    clock.now += 2000;
    page = await client.page();
    assert.equal(page.status, 200);
    assert.equal(counts.introspect, base + 1);
    assert.ok(showsReconnect(page.html, id), "Reconnect after refresh");
    const after = await stored(t, id);
    assert.equal(after.status, "reauth");
    assert.equal(after.status_at, new Date(clock.now).toISOString());
    assert.ok(t.logs.some((l) => l.includes('"status_refreshed"')));

    // Fresh again: the next views do not call Finch.
    await client.page();
    assert.equal(counts.introspect, base + 1);
  } finally {
    await close(t);
  }
});

Deno.test("[webhooks] refresh-on-view: Finch failing leaves the page fast and the status as it was", async () => {
  const { t, clock, counts } = await countingPortal();
  try {
    const { client, connection } = await connected(t);
    const id = connection.connection_id;
    const base = counts.introspect;
    clock.now += STATUS_STALE_AFTER_MS + 1000;
    t.portal.sim!.addFault({ path: "/introspect", status: 500, count: 10 });

    const started = performance.now();
    const page = await client.page();
    assert.equal(page.status, 200);
    assert.ok(performance.now() - started < REFRESH_BUDGET_MS + 1000);
    assert.match(page.html, /Acme, Inc\./);
    assert.equal(counts.introspect, base + 1);
    assert.equal((await stored(t, id)).status, "connected");
    assert.equal((await stored(t, id)).status_at, connection.status_at);
    assert.ok(t.logs.some((l) => l.includes('"status_refresh_failed"')));

    // The lease is a back-off: no new call until it has passed.
    await client.page();
    assert.equal(counts.introspect, base + 1);
    clock.now += REFRESH_LEASE_MS + 1000;
    t.portal.sim!.clearFaults();
    silentlySet(t, id, "reauth");
    assert.ok(showsReconnect((await client.page()).html, id));
    assert.equal(counts.introspect, base + 2);
  } finally {
    await close(t);
  }
});

Deno.test("[webhooks] refresh-on-view: a slow Finch costs at most the time budget", async () => {
  const { t, clock } = await countingPortal();
  try {
    const { client, connection } = await connected(t);
    const id = connection.connection_id;
    silentlySet(t, id, "reauth");
    clock.now += STATUS_STALE_AFTER_MS + 1000;
    t.portal.sim!.addFault({ path: "/introspect", delay_ms: 3000, count: 1 });

    const started = performance.now();
    const page = await client.page();
    const took = performance.now() - started;
    assert.equal(page.status, 200);
    assert.ok(took >= REFRESH_BUDGET_MS - 50, `took ${took} ms`);
    assert.ok(took < REFRESH_BUDGET_MS + 1000, `took ${took} ms`);
    // Rendered with what it had...
    assert.equal(showsReconnect(page.html, id), false);
    // ...while the refresh went on and landed.
    await statusRefreshesSettled(t.portal.deps);
    assert.equal((await stored(t, id)).status, "reauth");
    assert.ok(showsReconnect((await client.page()).html, id));
  } finally {
    await close(t);
  }
});

Deno.test("[webhooks] refresh-on-view: concurrent page views refresh a connection once", async () => {
  const { t, clock, counts } = await countingPortal();
  try {
    const { connection } = await connected(t);
    const id = connection.connection_id;
    const base = counts.introspect;
    silentlySet(t, id, "reauth");
    const others = [await t.signedIn("acme"), await t.signedIn("acme")];
    clock.now += STATUS_STALE_AFTER_MS + 1000;
    // Slow enough that the views overlap for certain.
    t.portal.sim!.addFault({ path: "/introspect", delay_ms: 200, count: 5 });

    const pages = await Promise.all([
      others[0].page(),
      others[1].page(),
      others[0].page(),
    ]);
    for (const p of pages) assert.equal(p.status, 200);
    await statusRefreshesSettled(t.portal.deps);
    assert.equal(counts.introspect, base + 1);
    assert.equal((await stored(t, id)).status, "reauth");
  } finally {
    await close(t);
  }
});

Deno.test("[webhooks] refresh-on-view: a revoked token marks the connection disconnected", async () => {
  const { t, clock } = await countingPortal();
  try {
    const { client, connection } = await connected(t);
    const id = connection.connection_id;
    // Disconnected upstream (from Finch's dashboard, say): every token is revoked.
    const { sdk, token } = await simSdk(t, id);
    await sdk.account.disconnect();
    clock.now += STATUS_STALE_AFTER_MS + 1000;

    const page = await client.page();
    assert.equal(page.status, 200);
    assert.match(page.html, /Disconnected/);
    assert.equal((await stored(t, id)).status, "disconnected");
    assert.ok(t.logs.some((l) => l.includes('"token_revoked"')));
    for (const line of t.logs) assert.ok(!line.includes(token), line);
    assert.ok(!page.html.includes(token));
  } finally {
    await close(t);
  }
});

Deno.test("[webhooks] refresh-on-view: at most five connections per view, oldest first", async () => {
  const { t, clock, counts } = await countingPortal();
  try {
    const { client } = await connected(t, "Company 0");
    for (let i = 1; i < 7; i++) {
      clock.now += 1000;
      const done = await client.connect({
        company_name: `Company ${i}`,
        provider_id: "gusto",
      });
      assert.equal(done.status, 303);
    }
    const before = await listConnections(t.kv, "acme");
    assert.equal(before.values.length, 7);
    const base = counts.introspect;
    clock.now += STATUS_STALE_AFTER_MS + 10_000;

    assert.equal((await client.page()).status, 200);
    await statusRefreshesSettled(t.portal.deps);
    assert.equal(counts.introspect, base + 5);
    const after = await listConnections(t.kv, "acme");
    const refreshed = after.values.filter((c) =>
      c.status_at === new Date(clock.now).toISOString()
    ).map((c) => c.company_name).sort();
    assert.deepEqual(refreshed, [0, 1, 2, 3, 4].map((i) => `Company ${i}`));

    // The next view takes the remaining two.
    assert.equal((await client.page()).status, 200);
    await statusRefreshesSettled(t.portal.deps);
    assert.equal(counts.introspect, base + 7);
  } finally {
    await close(t);
  }
});
