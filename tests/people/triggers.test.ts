/**
 * What starts a people job besides the refresh route: a connection made, a storm of
 * Finch data webhooks (debounced into one job), and a read of a list older than a day.
 */
import assert from "node:assert/strict";
import { deliver, eventId } from "../webhooks/_helpers.ts";
import { until, withPeople } from "./_helpers.ts";

const reconciled = (logs: string[]) =>
  logs.filter((l) => l.includes('"people_reconciled"')).length;

Deno.test("[people] a new connection builds the list on its own", async () => {
  await withPeople({}, async (t) => {
    const id = await t.connect("Acme, Inc.", "gusto");
    const built = await t.built();
    assert.equal(built.connections[0].connection_id, id);
    assert.ok(built.people.length > 0);
  });
});

Deno.test("[people] a storm of directory/individual/employment webhooks makes one job", async () => {
  await withPeople({}, async (t) => {
    const id = await t.connect("Acme, Inc.", "gusto");
    const first = await t.built();
    await until(() => reconciled(t.logs) >= 1, "the first list");
    const before = reconciled(t.logs);
    const types = ["directory.updated", "individual.updated"].concat(
      "employment.updated",
    );
    for (let i = 0; i < 12; i++) {
      const res = await deliver(t.fetch, {
        id: eventId(),
        payload: {
          event_type: types[i % 3],
          connection_id: id,
          company_id: "co",
          data: { individual_id: `ind_${i}` },
        },
      });
      assert.equal(res.status, 200, res.text);
    }
    // Debounced: the list is rebuilt once, a couple of seconds later.
    const again = await t.built(first.as_of, 15_000);
    assert.ok(again.as_of > first.as_of);
    // Long enough for a second job to have run, had one been queued.
    await new Promise((r) => setTimeout(r, 3_000));
    assert.equal(reconciled(t.logs), before + 1, "one job for the storm");
  });
});

Deno.test("[people] a list older than 24 hours is answered as refreshing, and rebuilt", async () => {
  const clock = { offset: 0 };
  await withPeople(
    { now: () => Date.now() + clock.offset },
    async (t) => {
      await t.connect("Acme, Inc.", "gusto");
      const first = await t.built();
      assert.equal(first.state, "fresh");
      // A day later it is fresh no more: the stale list comes back, and a job is queued.
      clock.offset = 25 * 3600_000;
      const stale = await t.api("GET", "/api/customers/acme/people");
      assert.equal(stale.status, 200);
      assert.equal(stale.body.state, "refreshing");
      assert.equal(stale.body.as_of, first.as_of);
      assert.deepEqual(stale.body.people, first.people);
      const rebuilt = await t.built(first.as_of);
      assert.equal(rebuilt.state, "fresh");
      assert.ok(
        Date.parse(rebuilt.as_of) - Date.parse(first.as_of) > 24 * 3600_000,
      );
    },
  );
});

Deno.test("[people] a job abandoned half-way (its messages lost) does not block the list: the next request starts over", async () => {
  await withPeople({}, async (t) => {
    await t.connect("Acme, Inc.", "gusto");
    const first = await t.built();
    // As if KV had given up on a job's message 31 minutes ago, mid-fetch.
    const key = ["people_jobs", "acme"];
    const job = (await t.kv.get<Record<string, unknown>>(key)).value!;
    await t.kv.set(key, {
      ...job,
      id: "01AAAAAAAAAAAAAAAAAAAAAAAA",
      status: "fetching",
      started_at: new Date(Date.now() - 31 * 60_000).toISOString(),
      finished_at: null,
    });
    const refresh = await t.api("POST", "/api/customers/acme/people/refresh");
    assert.equal(refresh.status, 202);
    const rebuilt = await t.built(first.as_of);
    assert.equal(rebuilt.state, "fresh");
    const now = (await t.kv.get<{ id: string; status: string }>(key)).value!;
    assert.equal(now.status, "done");
    assert.notEqual(now.id, "01AAAAAAAAAAAAAAAAAAAAAAAA");
  });
});
