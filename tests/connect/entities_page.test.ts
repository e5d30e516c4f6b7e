/**
 * The employer's side of disconnecting one entity (one company of a multi-entity
 * connection): the card lists the companies with a Disconnect each, a confirmation page
 * works without JavaScript, the form is CSRF-protected like the whole disconnect, the
 * receipt names the company and what stays connected, and JSON answers the island. The
 * last company, an unknown one, and another customer's connection are refused.
 */
import assert from "node:assert/strict";
import {
  cardOf,
  errorPage,
  flashOf,
  stored,
  twoEntities,
  withPortal,
} from "./_helpers.ts";
import type { ConnectTest } from "./_helpers.ts";

async function twoCompanies(t: ConnectTest) {
  const made = await twoEntities(t);
  const path = (id: string) =>
    `/connections/${made.record.connection_id}/entities/${id}/disconnect`;
  return { ...made, path };
}

Deno.test("[connect] the card lists each company of a connection, each with its own Disconnect", async () => {
  await withPortal({}, async (t) => {
    const { client, record, east, west, path } = await twoCompanies(t);
    const card = cardOf((await client.page()).html, record.connection_id);
    assert.match(card, /<dt>Companies<\/dt>/);
    for (const e of [east, west]) {
      assert.ok(card.includes(`href="${path(e.id)}"`), `a link for ${e.name}`);
    }
  });
});

Deno.test("[connect] one company disconnected from the page without JavaScript: confirm, CSRF, receipt, the rest stays", async () => {
  await withPortal({}, async (t) => {
    const { client, record, east, west, path } = await twoCompanies(t);
    const confirm = await client.get(path(east.id));
    assert.equal(confirm.status, 200);
    const html = await confirm.text();
    assert.match(html, /<h1 id="confirm-title">Disconnect Acme East\?<\/h1>/);
    assert.match(html, /The rest of Acme Group\s+stays connected/);
    const csrf = html.match(/name="_csrf" value="([^"]+)"/)![1];

    // Without the form token: refused, nothing changed.
    const forged = await client.postForm(path(east.id), { _csrf: "nope" });
    assert.equal(forged.status, 403);
    assert.equal((await stored(t))[0].entities.length, 2);
    assert.equal(
      t.sim.store.data.connections[record.connection_id].entities.find((e) =>
        e.id === east.id
      )?.status,
      "connected",
    );

    const done = await client.postForm(path(east.id), { _csrf: csrf });
    assert.equal(done.status, 303);
    assert.equal(done.headers.get("location"), "/connections");
    const flash = await flashOf(client);
    assert.equal(flash?.kind, "success");
    assert.match(
      flash!.message,
      /^Acme East is disconnected from Gusto: its data sharing has stopped \(.+ UTC\)\. Still connected: Acme West\.$/,
    );
    assert.doesNotMatch(flash!.message, /token/i);
    // The card shows the company that remains, with no Disconnect of its own (it is
    // the last: disconnecting it is disconnecting the connection).
    const card = cardOf(flash!.html, record.connection_id);
    assert.match(card, /Acme West/);
    assert.doesNotMatch(card, /Acme East/);
    assert.ok(!card.includes(path(west.id)));
    assert.equal(
      t.sim.store.data.connections[record.connection_id].entities.find((e) =>
        e.id === east.id
      )?.status,
      "disconnected",
    );

    // The last company: a clear 409 page, and Finch is not asked.
    const last = await errorPage(
      await client.postForm(path(west.id), { _csrf: csrf }),
    );
    assert.equal(last.status, 409);
    assert.equal(last.title, "Disconnect the connection instead");
    // Gone already, or never there: 404, as a page.
    assert.equal((await client.get(path(east.id))).status, 404);
    const unknown = await errorPage(
      await client.postForm(path("ent-nope"), { _csrf: csrf }),
    );
    assert.equal(unknown.status, 404);
  });
});

Deno.test("[connect] the island disconnects a company with JSON and gets the card back", async () => {
  await withPortal({}, async (t) => {
    const { client, east, west, path } = await twoCompanies(t);
    const { csrf } = await client.page();
    const res = await client.postJson(path(west.id), {}, {
      "x-csrf-token": csrf,
      accept: "application/json",
    });
    assert.equal(res.status, 200);
    const body = await res.json();
    assert.match(body.message, /^Acme West is disconnected from Gusto/);
    assert.deepEqual(
      body.connection.entities.map((e: { id: string }) => e.id),
      [east.id],
    );
    assert.equal(body.connection.access_token, undefined);
    // Without the header token: refused.
    const forged = await client.postJson(path(east.id), {});
    assert.equal(forged.status, 403);
  });
});

Deno.test("[connect] another customer's connection: its companies answer 404 like nothing", async () => {
  await withPortal({}, async (t) => {
    const { east, path } = await twoCompanies(t);
    const other = await t.signedIn("globex", "Globex");
    const { csrf } = await other.page();
    assert.equal((await other.get(path(east.id))).status, 404);
    const res = await other.postForm(path(east.id), { _csrf: csrf });
    assert.equal(res.status, 404);
    assert.equal((await stored(t))[0].entities[0].status, "connected");
  });
});
