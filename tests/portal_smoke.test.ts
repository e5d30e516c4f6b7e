import assert from "node:assert/strict";
import { testPortal } from "../testing/portal.ts";

Deno.test("[flow] redirect connect end to end shows a card", async () => {
  const t = await testPortal();
  try {
    const client = await t.signedIn();
    const done = await client.connect({
      company_name: "Acme, Inc.",
      provider_id: "gusto",
    });
    assert.equal(done.status, 303, await done.clone().text());
    const { html } = await client.page();
    assert.match(html, /Acme, Inc\./);
    assert.match(html, /Gusto/);
  } finally {
    await t.close();
  }
});
