/** The integrator API's connection list, connection reads and the token route; unknown routes. */
import assert from "node:assert/strict";
import { testPortal } from "../../testing/portal.ts";
import {
  assertError,
  assertNoTokenLeak,
  CONNECTION_KEYS,
  connectOne,
  integrator,
  simTokens,
} from "./_helpers.ts";

Deno.test("[api] lists a customer's own connections in the public shape, page by page, never with a token", async () => {
  const t = await testPortal();
  try {
    const api = integrator(t);
    await api.call("PUT", "/api/customers/acme", { name: "Acme" });
    await api.call("PUT", "/api/customers/globex", { name: "Globex" });
    const empty = await api.call("GET", "/api/customers/acme/connections");
    assert.equal(empty.status, 200, empty.text);
    assert.deepEqual(empty.body, { connections: [], next_cursor: null });

    const acme = await t.signedIn("acme", "Acme");
    const first = await connectOne(t, acme, "acme", {
      company_name: "Acme, Inc.",
      provider_id: "gusto",
    });
    const second = await connectOne(t, acme, "acme", {
      company_name: "Acme Payroll LLC",
      provider_id: "adp_run",
      entities: "East, West",
    });
    const globex = await t.signedIn("globex", "Globex");
    const theirs = await connectOne(t, globex, "globex", {
      company_name: "Globex",
      provider_id: "gusto",
    });

    const list = await api.call("GET", "/api/customers/acme/connections");
    assert.equal(list.status, 200, list.text);
    assert.equal(list.body.next_cursor, null);
    const ids = list.body.connections.map((c: { connection_id: string }) =>
      c.connection_id
    );
    assert.deepEqual(ids.sort(), [first, second].sort());
    assert.ok(!ids.includes(theirs));
    for (const c of list.body.connections) {
      for (const key of CONNECTION_KEYS) assert.ok(key in c, `${key} missing`);
      assert.equal(c.customer_id, "acme");
      assert.equal(c.status, "connected");
      assert.ok(Array.isArray(c.products) && c.products.length > 0);
    }
    const adp = list.body.connections.find((c: { provider_id: string }) =>
      c.provider_id === "adp_run"
    );
    assert.equal(typeof adp.provider_name, "string");
    assert.notEqual(adp.provider_name, "");
    assert.deepEqual(adp.entities.map((e: { name: string }) => e.name).sort(), [
      "East",
      "West",
    ]);

    // One at a time: the cursor leads to the rest, then stops.
    const page1 = await api.call(
      "GET",
      "/api/customers/acme/connections?limit=1",
    );
    assert.equal(page1.body.connections.length, 1);
    assert.equal(typeof page1.body.next_cursor, "string");
    const page2 = await api.call(
      "GET",
      `/api/customers/acme/connections?limit=1&cursor=${
        encodeURIComponent(page1.body.next_cursor)
      }`,
    );
    assert.equal(page2.status, 200, page2.text);
    assert.equal(page2.body.connections.length, 1);
    assert.equal(page2.body.next_cursor, null);
    assert.deepEqual(
      [
        page1.body.connections[0].connection_id,
        page2.body.connections[0].connection_id,
      ].sort(),
      [first, second].sort(),
    );

    // One connection by id answers the same shape as the list.
    const one = await api.call("GET", `/api/connections/${first}`);
    assert.equal(one.status, 200, one.text);
    assert.deepEqual(
      one.body,
      list.body.connections.find((c: { connection_id: string }) =>
        c.connection_id === first
      ),
    );
    const globexOne = await api.call("GET", `/api/connections/${theirs}`);
    assert.equal(globexOne.body.customer_id, "globex");

    assertNoTokenLeak(t, api.seen);
  } finally {
    await t.close();
  }
});

Deno.test("[api] the token route hands out the newest working token, and only it does", async () => {
  const t = await testPortal();
  try {
    const api = integrator(t);
    const employer = await t.signedIn("acme", "Acme");
    const id = await connectOne(t, employer, "acme", {
      company_name: "Acme, Inc.",
      username: "first",
    });

    const got = await api.call("GET", `/api/connections/${id}/token`);
    assert.equal(got.status, 200, got.text);
    assert.equal(got.headers.get("cache-control"), "no-store");
    assert.deepEqual(Object.keys(got.body).sort(), [
      "access_token",
      "connection_id",
    ]);
    assert.equal(got.body.connection_id, id);
    const introspect = await t.fetch("/sim/introspect", {
      headers: { authorization: `Bearer ${got.body.access_token}` },
    });
    assert.equal(introspect.status, 200);
    assert.equal((await introspect.json()).connection_id, id);

    // Journey 3: the same company again with other credentials keeps one record and
    // the newest token.
    const again = await employer.connect({
      company_name: "Acme, Inc.",
      username: "second",
    });
    assert.equal(again.status, 303);
    const list = await api.call("GET", "/api/customers/acme/connections");
    assert.equal(list.body.connections.length, 1);
    const newer = await api.call("GET", `/api/connections/${id}/token`);
    assert.equal(newer.body.connection_id, id);
    assert.notEqual(newer.body.access_token, got.body.access_token);
    const live = t.portal.sim!.store.tokensOf(id).filter((x) =>
      x.revoked_at === null
    )
      .map((x) => x.access_token);
    assert.ok(live.includes(newer.body.access_token));

    // The employer's page never carries it.
    const { html } = await employer.page();
    for (const token of simTokens(t)) assert.ok(!html.includes(token));
    assert.ok(t.logs.some((l) => l.includes('"access_token_read"')));
    assertNoTokenLeak(t, api.seen);
  } finally {
    await t.close();
  }
});

Deno.test("[api] unknown routes answer the app's own 404: JSON under /api, a page elsewhere", async () => {
  const t = await testPortal();
  try {
    const api = integrator(t);
    for (const path of ["/api/no/such/route", "/api", "/api/customers/"]) {
      assertError(await api.call("GET", path), 404, "not_found");
    }
    // A method the route does not have is no route either.
    assertError(
      await api.call("POST", "/api/customers/acme"),
      404,
      "not_found",
    );
    const page = await t.fetch("/no/such/page");
    assert.equal(page.status, 404);
    assert.match(page.headers.get("content-type") ?? "", /^text\/html/);
    assert.match(await page.text(), /Page not found/);
  } finally {
    await t.close();
  }
});
