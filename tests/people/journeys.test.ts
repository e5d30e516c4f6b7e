/**
 * The people list through the simulator: several providers and companies, matched
 * people, stable ids across refreshes, no SSN in any answer, events on change only.
 */
import assert from "node:assert/strict";
import { withPeople } from "./_helpers.ts";

Deno.test("[people] gusto + adp_run for one company: overlapping people merge, one record per system", async () => {
  await withPeople({}, async (t) => {
    const gusto = await t.connect("Acme, Inc.", "gusto");
    const adp = await t.connect("Acme, Inc.", "adp_run");
    await t.api("POST", "/api/customers/acme/people/refresh");
    const first = await t.built();
    assert.equal(first.state, "fresh");
    assert.deepEqual(
      first.connections.map((c: { connection_id: string }) => c.connection_id)
        .sort(),
      [gusto, adp].sort(),
    );
    for (const c of first.connections) {
      assert.equal(c.state, "ok");
      assert.ok(c.individuals > 0);
    }
    const people = await t.all(7);
    const records = people.flatMap((p) => p.records);
    const total = first.connections.reduce(
      (n: number, c: { individuals: number }) => n + c.individuals,
      0,
    );
    // Every record is listed exactly once.
    assert.equal(records.length, total);
    assert.equal(
      new Set(records.map((r) => `${r.connection_id}/${r.individual_id}`))
        .size,
      total,
    );
    const shared = people.filter((p) => p.records.length > 1);
    assert.ok(shared.length > 0, "the sim shares ~70% of people");
    for (const p of shared) {
      // Never two records of one connection in one person.
      assert.equal(
        new Set(
          p.records.map((r: { connection_id: string }) => r.connection_id),
        )
          .size,
        p.records.length,
      );
      assert.ok(p.matched_on === "name_dob" || p.matched_on === "email");
    }
    for (const p of people.filter((p) => p.records.length === 1)) {
      assert.equal(p.matched_on, null);
    }
    assert.equal(new Set(people.map((p) => p.person_id)).size, people.length);
    // The summary for the page: counts only.
    const summary = (await t.kv.get(["people_summary", "acme"])).value as {
      people: number;
      shared: number;
      systems: number;
      by_connection: Record<string, number>;
    };
    assert.equal(summary.people, people.length);
    assert.equal(summary.shared, shared.length);
    assert.equal(summary.systems, 2);
    assert.ok(summary.by_connection[gusto] > 0);

    // Refreshed: the same people keep their ids; nothing changed, so no new event.
    const updates = async () =>
      (await t.api("GET", "/api/events?type=people.&limit=100")).body.events;
    const before = (await updates()).length;
    assert.ok(before >= 1);
    await t.api("POST", "/api/customers/acme/people/refresh");
    const second = await t.built(first.as_of);
    const again = await t.all(100);
    assert.deepEqual(
      again.map((p) => p.person_id).sort(),
      people.map((p) => p.person_id).sort(),
    );
    assert.equal((await updates()).length, before, "unchanged: no event");

    // One more person at gusto: the list changes, one event, and everyone else keeps
    // their id.
    t.sim.setCompanySize(gusto, 31);
    await t.api("POST", "/api/customers/acme/people/refresh");
    await t.built(second.as_of);
    const grown = await t.all(100);
    assert.equal(grown.flatMap((p) => p.records).length, total + 1);
    const ids = new Set(grown.map((p) => p.person_id));
    const kept = people.filter((p) => ids.has(p.person_id)).length;
    assert.ok(kept >= people.length - 1, `${kept} of ${people.length} kept`);
    const events = await updates();
    assert.equal(events.length, before + 1, "changed: one event");
    const data = events.at(-1).data;
    assert.equal(data.customer_id, "acme");
    assert.equal(data.people, grown.length);
    assert.equal(data.state, "fresh");
    // The event carries counts, never a name.
    const text = JSON.stringify(events);
    for (const p of people.slice(0, 20)) {
      if (p.last_name) assert.ok(!text.includes(p.last_name));
    }
  });
});

Deno.test("[people] the same provider for two companies: two systems, nobody shared", async () => {
  await withPeople({}, async (t) => {
    await t.connect("Acme, Inc.", "gusto");
    await t.connect("Globex Corporation", "gusto");
    await t.api("POST", "/api/customers/acme/people/refresh");
    const built = await t.built();
    assert.equal(built.connections.length, 2);
    const companies = new Set(
      built.connections.map((c: { company_id: string }) => c.company_id),
    );
    assert.equal(companies.size, 2);
    const people = await t.all();
    const total = built.connections.reduce(
      (n: number, c: { individuals: number }) => n + c.individuals,
      0,
    );
    assert.equal(people.flatMap((p) => p.records).length, total);
  });
});

Deno.test("[people] no SSN in any answer, and none asked of Finch", async () => {
  await withPeople({}, async (t) => {
    await t.connect("Acme, Inc.", "gusto");
    await t.api("POST", "/api/customers/acme/people/refresh");
    await t.built();
    const answer = JSON.stringify(await t.all());
    assert.ok(!/ssn/i.test(answer));
    assert.ok(!/\b\d{3}-\d{2}-\d{4}\b/.test(answer), "an SSN-shaped value");
    // The SSNs the simulator would give, had anyone asked, appear nowhere.
    const ssns = t.logs.join("\n").match(/\b\d{3}-\d{2}-\d{4}\b/g) ?? [];
    assert.deepEqual(ssns, []);
  });
});

Deno.test("[people] clear 4xx: unknown customer, bad cursor, bad limit, a replaced list's cursor", async () => {
  await withPeople({}, async (t) => {
    assert.equal(
      (await t.api("GET", "/api/customers/nobody/people")).status,
      404,
    );
    assert.equal(
      (await t.api("POST", "/api/customers/nobody/people/refresh")).status,
      404,
    );
    assert.equal(
      (await t.api("GET", "/api/customers/acme/people?limit=0")).status,
      400,
    );
    assert.equal(
      (await t.api("GET", "/api/customers/acme/people?limit=abc")).status,
      400,
    );
    assert.equal(
      (await t.api("GET", "/api/customers/acme/people?cursor=nope")).status,
      400,
    );
    const never = await t.api("GET", "/api/customers/acme/people");
    assert.equal(never.status, 200);
    assert.ok(["never", "refreshing"].includes(never.body.state));
    await t.connect("Acme, Inc.", "gusto");
    await t.api("POST", "/api/customers/acme/people/refresh");
    const first = await t.built();
    const page = await t.api("GET", "/api/customers/acme/people?limit=5");
    assert.ok(page.body.next_cursor);
    await t.connect("Acme, Inc.", "bamboo_hr");
    await t.api("POST", "/api/customers/acme/people/refresh");
    await t.built(first.as_of);
    const stale = await t.api(
      "GET",
      `/api/customers/acme/people?cursor=${page.body.next_cursor}`,
    );
    assert.equal(stale.status, 409);
    assert.equal(stale.body.error.code, "list_changed");
  });
});
