/**
 * KV round trips per request, counted by a wrapper around the KV handle
 * (testing/kv_counter.ts). On Deno Deploy each one is a network round trip to the managed
 * store, so these budgets are the page's latency there: a page view waits for at most 2,
 * the Connect callback for at most 4 (besides its calls to Finch), the integrator's token
 * read for at most 2 (with its rate limit and audit entry). Counts, not times: they break when a change adds a read.
 */
import assert from "node:assert/strict";
import { countingKv } from "../../testing/kv_counter.ts";
import { type TestPortal, testPortal } from "../../testing/portal.ts";

Deno.test("[round trips] the counter counts waves, not calls", async () => {
  const c = countingKv(await Deno.openKv(":memory:"));
  try {
    await c.kv.set(["a"], 1);
    c.reset();
    await c.kv.get(["a"]);
    assert.deepEqual(c.counts(), { total: 1, sequential: 1, ops: ["get"] });
    c.reset();
    await Promise.all([c.kv.get(["a"]), c.kv.getMany([["a"], ["b"]])]);
    assert.equal(c.counts().total, 2);
    assert.equal(c.counts().sequential, 1, "two at once are one wait");
    c.reset();
    const entry = await c.kv.get(["a"]);
    const res = await c.kv.atomic().check(entry).set(["a"], 2).commit();
    assert.ok(res.ok);
    const seen = [];
    for await (const e of c.kv.list({ prefix: [] })) seen.push(e.key);
    assert.deepEqual(seen, [["a"]]);
    assert.deepEqual(c.counts(), {
      total: 3,
      sequential: 3,
      ops: ["get", "commit", "list"],
    });
    assert.equal((await c.kv.get<number>(["a"])).value, 2);
  } finally {
    c.kv.close();
  }
});

/** A demo portal on a counting KV, with `acme` signed in and `n` connections made. */
async function portalWith(n: number) {
  const counter = countingKv(await Deno.openKv(":memory:"));
  const t = await testPortal({ kv: counter.kv });
  const client = await t.signedIn("acme");
  for (let i = 0; i < n; i++) {
    const res = await client.connect({ company_name: `Acme Holdings ${i}` });
    assert.equal(res.status, 303);
  }
  const measure = async (run: () => Promise<Response>) => {
    await t.portal.sim?.settled();
    counter.reset();
    const res = await run();
    await res.body?.cancel();
    return { status: res.status, ...counter.counts() };
  };
  return { t, client, counter, measure };
}

async function closeAll(t: TestPortal, kv: Deno.Kv) {
  await t.close();
  kv.close();
}

Deno.test("[round trips] a page view waits for 2: the session with its customer, then the connections", async () => {
  const { t, client, counter, measure } = await portalWith(3);
  try {
    const page = await measure(() => client.get("/connections"));
    assert.equal(page.status, 200);
    assert.equal(page.sequential, 2, page.ops.join(", "));
    assert.deepEqual(page.ops, ["getMany", "list"]);
  } finally {
    await closeAll(t, counter.kv);
  }
});

Deno.test("[round trips] the callback waits for at most 4 besides Finch: new, same company again, reconnect", async () => {
  const { t, client, counter, measure } = await portalWith(0);
  try {
    const callbackOf = async (company: string, path?: string) => {
      const { csrf } = await client.page();
      const started = await client.postForm(path ?? "/connections/new", {
        _csrf: csrf,
      });
      return await client.authorize(started.headers.get("location")!, {
        company_name: company,
      });
    };
    const first = await callbackOf("Acme, Inc.");
    const created = await measure(() => client.get(first));
    assert.equal(created.status, 303);
    // The session, customer and state; the store's read; its write; the details' write.
    assert.deepEqual(created.ops, ["getMany", "getMany", "commit", "commit"]);
    assert.equal(created.sequential, 4);

    const second = await callbackOf("Acme, Inc.");
    const again = await measure(() => client.get(second));
    assert.equal(again.status, 303);
    assert.ok(again.sequential <= 4, again.ops.join(", "));

    const [id] = Object.keys(t.portal.sim!.store.data.connections);
    t.portal.sim!.setConnectionStatus(id, "reauth");
    await t.portal.sim!.settled();
    const third = await callbackOf("Acme, Inc.", `/connections/${id}/reauth`);
    const reconnect = await measure(() => client.get(third));
    assert.equal(reconnect.status, 303);
    assert.ok(reconnect.sequential <= 4, reconnect.ops.join(", "));
  } finally {
    await closeAll(t, counter.kv);
  }
});

Deno.test("[round trips] the integrator's token read waits for 2: owner, token and rate counter; then the count and the audit entry", async () => {
  const { t, counter, measure } = await portalWith(1);
  try {
    const [id] = Object.keys(t.portal.sim!.store.data.connections);
    const read = () =>
      measure(() =>
        t.fetch(`/api/connections/${id}/token`, {
          headers: { authorization: `Bearer ${t.portal.config.adminApiKey}` },
        })
      );
    const res = await read();
    assert.equal(res.status, 200);
    assert.deepEqual(res.ops, ["getMany", "commit"]);
    assert.equal(res.sequential, 2);
    // An unknown connection costs the same, and is recorded too.
    const missing = await measure(() =>
      t.fetch(`/api/connections/conn_nope/token`, {
        headers: { authorization: `Bearer ${t.portal.config.adminApiKey}` },
      })
    );
    assert.equal(missing.status, 404);
    assert.deepEqual(missing.ops, ["getMany", "commit"]);
  } finally {
    await closeAll(t, counter.kv);
  }
});
