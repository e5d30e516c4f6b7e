/**
 * Single-use portal links (`POST /api/customers/:id/links` with `single_use: true`): the
 * first redemption opens a session, every later one answers 410, also when they arrive
 * at once. Across two processes on one KV file in tests/reliability/links.test.ts.
 */
import assert from "node:assert/strict";
import { testPortal } from "../../testing/portal.ts";

Deno.test("[portal] a single-use link opens one session; later redemptions answer 410", async () => {
  let clock = Date.parse("2030-05-01T00:00:00.000Z");
  const t = await testPortal({ now: () => clock });
  try {
    const auth = { authorization: `Bearer ${t.portal.config.adminApiKey}` };
    const post = (body: unknown) =>
      t.fetch("/api/customers/acme/links", {
        method: "POST",
        headers: { ...auth, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    await t.fetch("/api/customers/acme", {
      method: "PUT",
      headers: { ...auth, "content-type": "application/json" },
      body: JSON.stringify({ name: "Acme Inc." }),
    });
    const minted = await post({ single_use: true, expires_in: 3600 });
    assert.equal(minted.status, 201);
    const link = await minted.json();
    assert.equal(link.single_use, true);
    assert.equal(link.expires_at, "2030-05-01T01:00:00.000Z");
    const path = new URL(link.url).pathname;

    const first = t.client();
    assert.equal((await first.get(path)).status, 303);
    assert.equal((await first.page()).status, 200);

    clock += 1000;
    const second = t.client();
    const again = await second.get(path);
    assert.equal(again.status, 410);
    assert.match(await again.text(), /already been used/);
    assert.equal(second.cookies.size, 0);
    // The winner's session is unaffected.
    assert.equal((await first.page()).status, 200);

    // Ten at once: none of them opens anything more.
    const burst = await Promise.all(
      Array.from({ length: 10 }, () => t.client().get(path)),
    );
    assert.deepEqual(burst.map((r) => r.status), Array(10).fill(410));
    await Promise.all(burst.map((r) => r.body?.cancel()));

    // A fresh single-use link, ten redemptions at once: exactly one wins.
    const other = await (await post({ single_use: true })).json();
    const race = await Promise.all(
      Array.from({ length: 10 }, () => t.client().get(other.url)),
    );
    const statuses = race.map((r) => r.status).sort();
    await Promise.all(race.map((r) => r.body?.cancel()));
    assert.deepEqual(statuses, [303, ...Array(9).fill(410)]);

    // Plain links stay reusable; single_use must be a boolean.
    const plain = await (await post({})).json();
    assert.equal(plain.single_use, false);
    for (let i = 0; i < 3; i++) {
      assert.equal((await t.client().get(plain.url)).status, 303);
    }
    const bad = await post({ single_use: "yes" });
    assert.equal(bad.status, 400);
    await bad.body?.cancel();

    // Only a redemption mark is stored, and it expires with the link.
    const marks = [];
    for await (const e of t.kv.list({ prefix: ["portal_link_redemptions"] })) {
      marks.push(e);
    }
    assert.equal(marks.length, 2);
  } finally {
    await t.close();
  }
});
