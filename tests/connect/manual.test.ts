/**
 * `FINCH_MANUAL=true`: Connect sessions ask Finch for `manual`, so assisted providers
 * (an HR admin grants access by hand, no password shared) are offered; their connection
 * starts pending and its card says what happens next. Without it they are not offered.
 */
import assert from "node:assert/strict";
import { cardOf, type ConnectTest, stored, withPortal } from "./_helpers.ts";

/** The simulator's Connect page for a new session, and that session as Finch keeps it. */
async function offered(t: ConnectTest) {
  const client = await t.signedIn("acme");
  const { csrf } = await client.page();
  const started = await client.postForm("/connections/new", {
    _csrf: csrf,
    provider_id: "",
  });
  assert.equal(started.status, 303);
  const url = new URL(started.headers.get("location")!);
  const page = await client.get(url.pathname + url.search);
  const html = await page.text();
  const session = Object.values(t.sim.store.data.sessions).at(-1)!;
  return { client, html, session };
}

Deno.test("[connect] FINCH_MANUAL=true offers assisted providers; the connection is pending and the card says what comes next", async () => {
  // The simulator keeps an assisted connection pending until told otherwise.
  const options = {
    env: { FINCH_MANUAL: "true" },
    sim: { assistedDelayMs: null },
  };
  await withPortal(options, async (t) => {
    const { client, html, session } = await offered(t);
    assert.equal(session.manual, true);
    assert.match(html, /TriNet/);

    const done = await client.connect({
      company_name: "Acme Inc.",
      provider_id: "trinet",
    });
    assert.equal(done.status, 303);
    const [record] = await stored(t);
    assert.equal(record.provider_id, "trinet");
    assert.equal(record.status, "pending");
    const card = cardOf((await client.page()).html, record.connection_id);
    assert.match(card, /Submitted/);
    assert.match(card, /TriNet usually takes up to a business day/);
    assert.doesNotMatch(card, /set up/i);
  });
});

Deno.test("[connect] without FINCH_MANUAL assisted-only providers are not offered", async () => {
  await withPortal({}, async (t) => {
    const { html, session } = await offered(t);
    assert.ok(!session.manual);
    assert.doesNotMatch(html, /TriNet/);
  });
});
