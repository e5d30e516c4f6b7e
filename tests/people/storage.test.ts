/**
 * Rosters at rest: sealed (no name, email or birth date readable in any KV value), and
 * deleted when their connection, or one of its entities, is disconnected.
 */
import assert from "node:assert/strict";
import { withPeople } from "./_helpers.ts";

/** Every raw KV value (and key), as text. */
async function rawStore(kv: Deno.Kv): Promise<string[]> {
  const out: string[] = [];
  for await (const e of kv.list({ prefix: [] })) {
    const value = JSON.stringify(
      e.value,
      (_k, v) =>
        typeof v === "bigint"
          ? v.toString()
          : v instanceof Deno.KvU64
          ? v.value.toString()
          : v,
    );
    out.push(`${JSON.stringify(e.key)} ${value}`);
  }
  return out;
}

async function keysUnder(kv: Deno.Kv, prefix: Deno.KvKey): Promise<number> {
  let n = 0;
  for await (const _ of kv.list({ prefix })) n++;
  return n;
}

Deno.test("[people] rosters and the list are sealed at rest: no name, email or birth date in a raw value", async () => {
  await withPeople({}, async (t) => {
    await t.connect("Acme, Inc.", "gusto");
    await t.connect("Acme, Inc.", "adp_run");
    await t.api("POST", "/api/customers/acme/people/refresh");
    await t.built();
    const people = await t.all();
    assert.ok(people.length > 20);
    const raw = (await rawStore(t.kv)).join("\n");
    assert.ok(raw.includes("people_rosters"), "rosters are stored");
    assert.ok(raw.includes("people_chunks"), "the list is stored");
    for (const p of people) {
      for (const email of p.emails) {
        assert.ok(!raw.includes(email), "an email readable at rest");
      }
      const name = `"${p.first_name}","last_name":"${p.last_name}"`;
      assert.ok(!raw.includes(name), "a name readable at rest");
      assert.ok(!raw.includes(`"${p.last_name}"`), "a last name at rest");
    }
    // Nor in a log line.
    const logs = t.logs.join("\n");
    for (const p of people) {
      assert.ok(!logs.includes(`"${p.last_name}"`));
      for (const email of p.emails) assert.ok(!logs.includes(email));
    }
  });
});

Deno.test("[people] a disconnected connection's roster is deleted, and the list rebuilt without it", async () => {
  await withPeople({}, async (t) => {
    const gusto = await t.connect("Acme, Inc.", "gusto");
    const adp = await t.connect("Acme, Inc.", "adp_run");
    await t.api("POST", "/api/customers/acme/people/refresh");
    const first = await t.built();
    assert.ok(await keysUnder(t.kv, ["people_rosters", "acme", adp]) > 0);
    const res = await t.api("DELETE", `/api/connections/${adp}`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(await keysUnder(t.kv, ["people_rosters", "acme", adp]), 0);
    assert.equal(
      (await t.kv.get(["people_roster_meta", "acme", adp])).value,
      null,
    );
    // The disconnect queued a rebuild: the list no longer holds adp's records.
    const rebuilt = await t.built(first.as_of);
    assert.deepEqual(
      rebuilt.connections.map((c: { connection_id: string }) =>
        c.connection_id
      ),
      [gusto],
    );
    const people = await t.all();
    assert.ok(
      people.every((p) =>
        p.records.every((r: { connection_id: string }) =>
          r.connection_id === gusto
        )
      ),
    );
    assert.equal(await keysUnder(t.kv, ["people_rosters", "acme", adp]), 0);
  });
});

Deno.test("[people] an entity disconnected alone: its connection's roster is dropped and refetched without its people", async () => {
  await withPeople({}, async (t) => {
    const id = await t.connect("Acme, Inc.", "gusto", "Acme East, Acme West");
    await t.api("POST", "/api/customers/acme/people/refresh");
    const first = await t.built();
    const before = first.connections[0].individuals;
    const record = await t.api("GET", `/api/connections/${id}`);
    const east = record.body.entities.find((e: { name: string }) =>
      e.name === "Acme East"
    );
    const res = await t.api(
      "DELETE",
      `/api/connections/${id}/entities/${east.id}`,
    );
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const rebuilt = await t.built(first.as_of);
    const after = rebuilt.connections[0].individuals;
    assert.ok(after < before, `${after} < ${before}`);
    assert.equal((await t.all()).flatMap((p) => p.records).length, after);
  });
});
