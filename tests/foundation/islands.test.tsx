/**
 * Island props reach the browser as a JSON data block (islands/island.tsx): whatever the
 * data holds, it cannot end the block and start markup of its own.
 */
import assert from "node:assert/strict";
import { Island, renderWithIslands } from "../../islands/island.tsx";
import type { Connection } from "../../lib/db/schemas.ts";
import { cardView, connectionView } from "../../lib/views.ts";

Deno.test("[shell] island props cross as a JSON block that nothing in them can close", () => {
  const hostile = {
    name: `</script><script>alert(1)</script><!-- \u2028 & "quotes"`,
    nested: [{ deep: "</SCRIPT >" }],
  };
  const { html, hydrate } = renderWithIslands(
    <Island
      name="ConnectionsBoard"
      props={{
        connections: [],
        csrf: hostile.name,
        now: 0,
        brandName: hostile.name,
        providers: [{ id: "x", name: hostile.nested[0].deep, logo: null }],
        connectUrl: "https://connect.example",
        more: null,
        people: hostile.name,
      }}
    />,
  );
  assert.equal(hydrate, true);
  const block = html.match(
    /<script type="application\/json" data-island-props="ConnectionsBoard">([\s\S]*?)<\/script>/i,
  );
  assert.ok(block, html.slice(0, 300));
  assert.doesNotMatch(block[1], /[<>&]/, "no <, > or & survives in the block");
  const props = JSON.parse(block[1]);
  assert.equal(props.csrf, hostile.name, "the data round-trips exactly");
  assert.equal(props.providers[0].name, "</SCRIPT >");
  // Exactly one script element, and it is the data block: nothing broke out.
  assert.equal(html.match(/<script\b/gi)?.length, 1);
});

Deno.test("[shell] a card's props carry only what the card shows", () => {
  const stored: Connection = {
    connection_id: "conn-1",
    customer_id: "acme",
    provider_id: "gusto",
    company_id: "co-1",
    company_name: "Acme",
    status: "connected",
    status_message: null,
    status_at: "2026-01-02T00:00:00.000Z",
    products: ["company"],
    entities: [{
      id: "ent-1",
      name: "Acme",
      source_id: "src-1",
      status: "connected",
      status_at: "2026-01-02T00:00:00.000Z",
    }],
    finch_customer_id: "acme",
    client_type: "production",
    connection_type: "provider",
    authentication_methods: null,
    last_synced_at: null,
    token_updated_at: "2026-01-02T00:00:00.000Z",
    created_at: "2026-01-01T00:00:00.000Z",
    updated_at: "2026-01-02T00:00:00.000Z",
  };
  const providers = new Map([["gusto", {
    id: "gusto",
    displayName: "Gusto",
    logo: null,
  }]]);
  const card = cardView(stored, providers);
  for (
    const gone of [
      "customer_id",
      "provider_id",
      "company_id",
      "updated_at",
      "finch_customer_id",
      "token_updated_at",
      // Finch's words for a status, written for developers: the card says its own.
      "status_message",
    ]
  ) {
    assert.ok(!(gone in card), gone);
  }
  assert.deepEqual(card.entities, [{
    id: "ent-1",
    name: "Acme",
    status: "connected",
  }]);
  assert.equal(card.provider_name, "Gusto");
  assert.equal(card.company_name, "Acme");
  assert.equal(card.people, null, "no people list: no count");
  assert.equal(Object.keys(card).length, 10);
  // The card and the API's view agree on every field they share.
  const view = connectionView(stored, providers);
  for (const [k, v] of Object.entries(card)) {
    if (k === "people") continue; // the page's own: from the people list, not the record
    assert.deepEqual(v, view[k as keyof typeof view], k);
  }
});
