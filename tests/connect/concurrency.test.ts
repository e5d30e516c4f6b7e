/**
 * Fifty callbacks for one company at once (invariants 1, 7, 8): fifty Connect runs
 * started and authorized one after another, then every callback fired together. Exactly
 * one record, every answer a redirect or a 4xx page, and the stored token one Finch issued.
 */
import assert from "node:assert/strict";
import {
  answers,
  assertNoInternals,
  errorPage,
  sessionOf,
  simSession,
  startRedirect,
  stored,
  storedToken,
  withPortal,
} from "./_helpers.ts";

const RUNS = 50;

Deno.test("[connect] 50 concurrent callbacks for one company leave exactly one record", async () => {
  await withPortal({}, async (t) => {
    const client = await t.signedIn("acme");
    const callbacks: string[] = [];
    for (let i = 0; i < RUNS; i++) {
      const url = await startRedirect(client);
      // Each authorized run converts its Finch customer id, so the next run moves on.
      assert.equal(
        simSession(t, sessionOf(url).session).customer_id,
        i === 0 ? "acme" : `acme~${i + 1}`,
      );
      callbacks.push(
        await client.authorize(url, {
          provider_id: "gusto",
          company_name: "Acme, Inc.",
        }),
      );
    }

    const responses = await Promise.all(callbacks.map((u) => client.get(u)));
    const bodies = await Promise.all(responses.map((r) => r.text()));
    const statuses = responses.map((r) => r.status);
    for (const [i, status] of statuses.entries()) {
      assert.ok(
        status === 303 || (status >= 400 && status < 500),
        `callback ${i} answered ${status}: ${bodies[i].slice(0, 200)}`,
      );
      assertNoInternals(bodies[i]);
    }

    const records = await stored(t);
    assert.equal(records.length, 1);
    const id = records[0].connection_id;
    const issued = t.sim.store.tokensOf(id).map((x) => x.access_token);
    assert.equal(issued.length, RUNS, "every code was exchanged once");
    assert.ok(issued.includes((await storedToken(t, id))!));
    assert.deepEqual(t.sim.revoked().tokens, []);
    // The first store created, the rest refreshed: all of them succeeded.
    assert.deepEqual(statuses, Array(RUNS).fill(303));
    assert.ok(!(await answers(t)).some((a) => a.status >= 500));
  });
});

Deno.test("[connect] one callback URL fired 50 times at once is exchanged once", async () => {
  await withPortal({}, async (t) => {
    const client = await t.signedIn("acme");
    const url = await startRedirect(client);
    const callback = await client.authorize(url, {
      company_name: "Acme, Inc.",
    });
    const responses = await Promise.all(
      Array.from({ length: RUNS }, () => client.get(callback)),
    );
    const statuses = responses.map((r) => r.status);
    assert.equal(statuses.filter((s) => s === 303).length, 1);
    assert.equal(statuses.filter((s) => s === 400).length, RUNS - 1);
    // Every duplicate says what happened, that the run was stored: never "expired, try
    // again", even those whose code Finch refused before the winner had stored it.
    const titles = new Set<string>();
    for (const res of responses) {
      if (res.status === 303) await res.body?.cancel();
      else titles.add((await errorPage(res)).title);
    }
    assert.deepEqual([...titles], ["Already completed"]);
    const records = await stored(t);
    assert.equal(records.length, 1);
    assert.equal(t.sim.store.tokensOf(records[0].connection_id).length, 1);
  });
});

Deno.test("[connect] concurrent callbacks that replace a connection Finch ended all succeed with one record", async () => {
  await withPortal({}, async (t) => {
    const client = await t.signedIn("acme");
    await client.connect({ company_name: "Acme, Inc." });
    const [old] = await stored(t);
    t.sim.store.disconnect(t.sim.store.data.connections[old.connection_id]);

    const callbacks: string[] = [];
    for (let i = 0; i < 10; i++) {
      callbacks.push(
        await client.authorize(await startRedirect(client), {
          company_name: "Acme, Inc.",
        }),
      );
    }
    const responses = await Promise.all(callbacks.map((u) => client.get(u)));
    const bodies = await Promise.all(responses.map((r) => r.text()));
    // Losing the race to replace is decided again, never shown as a conflict: each of
    // these tokens was the only copy of itself.
    assert.deepEqual(
      responses.map((r) => r.status),
      Array(10).fill(303),
      bodies.find((b) => b.length > 0)?.slice(0, 300),
    );
    const records = await stored(t);
    assert.equal(records.length, 1);
    assert.notEqual(records[0].connection_id, old.connection_id);
    const issued = t.sim.store.tokensOf(records[0].connection_id)
      .map((x) => x.access_token);
    assert.ok(
      issued.includes((await storedToken(t, records[0].connection_id))!),
    );
  });
});
