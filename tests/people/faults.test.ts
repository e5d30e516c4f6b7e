/**
 * Finch misbehaving while a list is built: a connection needing reauthentication (401)
 * leaves the list partial, built from the others; a storm of 429s and a sync still in
 * progress (202) are waited out, and the list completes with nobody missing.
 */
import assert from "node:assert/strict";
import { until, withPeople } from "./_helpers.ts";

Deno.test("[people] a connection in reauth (401): partial, that connection's state and error, the rest reconciled", async () => {
  await withPeople({}, async (t) => {
    const gusto = await t.connect("Acme, Inc.", "gusto");
    const adp = await t.connect("Acme, Inc.", "adp_run");
    await t.api("POST", "/api/customers/acme/people/refresh");
    const first = await t.built();
    const before = await t.all();
    t.sim.setConnectionStatus(adp, "reauth");
    await t.sim.settled();
    await t.api("POST", "/api/customers/acme/people/refresh");
    const partial = await t.built(first.as_of);
    assert.equal(partial.state, "partial");
    const byId = Object.fromEntries(
      partial.connections.map((c: { connection_id: string }) => [
        c.connection_id,
        c,
      ]),
    );
    assert.equal(byId[gusto].state, "ok");
    assert.equal(byId[adp].state, "reauth");
    assert.match(byId[adp].error, /reconnect/);
    // Its last roster still stands in for it, so nobody vanished.
    assert.equal(byId[adp].individuals, 30);
    const people = await t.all();
    assert.deepEqual(
      people.map((p) => p.person_id).sort(),
      before.map((p) => p.person_id).sort(),
    );
    const summary = (await t.kv.get(["people_summary", "acme"])).value as {
      state: string;
    };
    assert.equal(summary.state, "partial");
  });
});

Deno.test("[people] a 429 storm with Retry-After on every data endpoint: the list completes", async () => {
  await withPeople({}, async (t) => {
    await t.connect("Acme, Inc.", "gusto");
    await t.connect("Acme, Inc.", "bamboo_hr");
    await t.built();
    for (const path of ["/employer/directory"]) {
      t.sim.addFault({ path, status: 429, count: 6, retry_after: 1 });
    }
    for (const path of ["/employer/individual", "/employer/employment"]) {
      t.sim.addFault({ path, status: 429, count: 4, retry_after: 0 });
    }
    const before = await t.built();
    await t.api("POST", "/api/customers/acme/people/refresh");
    const after = await t.built(before.as_of, 60_000);
    assert.equal(after.state, "fresh");
    for (const c of after.connections) {
      assert.equal(c.state, "ok");
      assert.equal(c.individuals, 30);
    }
    assert.ok(
      t.logs.filter((l) => l.includes('"rate_limited"')).length >= 6,
      "the 429s were met and waited out",
    );
  });
});

Deno.test("[people] a sync in progress (202): the page is asked again until the data is there", async () => {
  await withPeople({}, async (t) => {
    const id = await t.connect("Acme, Inc.", "gusto");
    const first = await t.built();
    t.sim.setConnectionStatus(id, "processing");
    await t.sim.settled();
    await t.api("POST", "/api/customers/acme/people/refresh");
    await until(
      () => t.logs.some((l) => l.includes('"why":"not_ready"')),
      "a 202 met",
    );
    t.sim.setConnectionStatus(id, "connected");
    const after = await t.built(first.as_of, 30_000);
    assert.equal(after.state, "fresh");
    assert.equal(after.connections[0].individuals, 30);
  });
});
