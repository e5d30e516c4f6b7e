/**
 * The connections page shows the people list's counts: one line above the cards ("212
 * people across 3 systems; 14 are in more than one") and, per card, how many people the
 * connection carries. Counts only, read with the session in the page's one first read.
 */
import assert from "node:assert/strict";
import { cardOf } from "../connect/_helpers.ts";
import { withPeople } from "./_helpers.ts";

Deno.test("[people] the page says how many people, across how many systems, and per card", async () => {
  await withPeople({}, async (t) => {
    const client = await t.signedIn("acme");
    // Before any list: no line, no count.
    const gusto = await t.connect("Acme, Inc.", "gusto");
    const adp = await t.connect("Acme, Inc.", "adp_run");
    await t.api("POST", "/api/customers/acme/people/refresh");
    const list = await t.built();
    const people = await t.all();
    const shared = people.filter((p) => p.records.length > 1).length;
    assert.ok(shared > 0);

    const { html } = await client.page();
    const line = html.match(/<p class="people-line">([^<]*)<\/p>/)?.[1];
    assert.equal(
      line,
      `${people.length} people across 2 systems; ${shared} are in more than one.`,
    );
    for (const id of [gusto, adp]) {
      const carried = list.connections.find((
        c: { connection_id: string },
      ) => c.connection_id === id).individuals;
      assert.match(
        cardOf(html, id),
        new RegExp(`<dt>People</dt><dd>${carried}</dd>`),
      );
    }
    // No name of anyone reaches the page.
    for (const p of people.slice(0, 20)) {
      assert.ok(!html.includes(`${p.first_name} ${p.last_name}`));
    }
  });
});

Deno.test("[people] before a list is built the page has no people line and no counts", async () => {
  await withPeople({}, async (t) => {
    const client = await t.signedIn("acme");
    const { html } = await client.page();
    assert.doesNotMatch(html, /people-line/);
    // With a list built the card has its count; with none, no count.
    const id = await t.connect("Acme, Inc.", "gusto");
    await t.built();
    assert.match(cardOf((await client.page()).html, id), /<dt>People/);
    await t.kv.delete(["people_summary", "acme"]);
    assert.doesNotMatch(cardOf((await client.page()).html, id), /<dt>People/);
  });
});
