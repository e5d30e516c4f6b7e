/** The integrator API (journey 7) through the real app in demo mode: Bearer auth on every route, customers, portal links and their revocation. */
import assert from "node:assert/strict";
import { MAX_LINK_TTL_S } from "../../lib/links.ts";
import { BASE, testPortal } from "../../testing/portal.ts";
import { assertError, integrator, ROUTES } from "./_helpers.ts";

Deno.test("[api] every route refuses a missing, wrong or malformed key, and writes nothing", async () => {
  const t = await testPortal();
  try {
    const key = t.portal.config.adminApiKey;
    const attempts: Record<string, string>[] = [
      {},
      { authorization: "Bearer wrong-key-wrong-key-wrong" },
      { authorization: `Bearer ${key}x` },
      { authorization: `Bearer ${key.slice(0, -1)}` },
      { authorization: `Basic ${btoa(`admin:${key}`)}` },
      { authorization: key },
      { authorization: "Bearer " },
      { authorization: `Bearer ${key} extra` },
    ];
    const anonymous = integrator(t, null);
    for (const [method, path, body] of ROUTES) {
      for (const headers of attempts) {
        const res = await anonymous.call(method, path, body, headers);
        assertError(res, 401, "unauthorized");
        assert.match(res.headers.get("www-authenticate") ?? "", /^Bearer /);
        assert.equal(res.headers.get("cache-control"), "no-store");
      }
    }
    // Nothing was created by all those PUTs.
    const api = integrator(t);
    assertError(await api.call("GET", "/api/customers/acme"), 404, "not_found");
    // With the key, an unknown route is a plain JSON 404.
    assertError(await api.call("GET", "/api/no/such/route"), 404, "not_found");
    // The scheme is case-insensitive, as RFC 9110 says.
    const lower = await api.call("GET", "/api/customers/acme", undefined, {
      authorization: `bearer ${key}`,
    });
    assertError(lower, 404, "not_found");
    assert.ok(t.logs.some((l) => l.includes('"api_unauthorized"')));
    for (const line of t.logs) assert.ok(!line.includes(key.slice(5)), line);
  } finally {
    await t.close();
  }
});

Deno.test("[api] PUT creates then replaces a customer; GET reads it", async () => {
  let now = Date.parse("2030-01-02T03:04:05.000Z");
  const t = await testPortal({ now: () => now });
  try {
    const api = integrator(t);
    const created = await api.call("PUT", "/api/customers/acme", {
      name: "  Acme Inc.  ",
      email: "hr@acme.example",
    });
    assert.equal(created.status, 201, created.text);
    assert.match(
      created.headers.get("content-type") ?? "",
      /^application\/json/,
    );
    assert.equal(created.headers.get("cache-control"), "no-store");
    assert.deepEqual(created.body, {
      id: "acme",
      name: "Acme Inc.",
      email: "hr@acme.example",
      links_valid_after: null,
      created_at: "2030-01-02T03:04:05.000Z",
      updated_at: "2030-01-02T03:04:05.000Z",
    });

    now += 60_000;
    // PUT replaces: the email not sent is cleared.
    const updated = await api.call("PUT", "/api/customers/acme", {
      name: "Acme Corp",
    });
    assert.equal(updated.status, 200, updated.text);
    assert.equal(updated.body.name, "Acme Corp");
    assert.equal(updated.body.email, null);
    assert.equal(updated.body.created_at, "2030-01-02T03:04:05.000Z");
    assert.equal(updated.body.updated_at, "2030-01-02T03:05:05.000Z");

    const read = await api.call("GET", "/api/customers/acme");
    assert.equal(read.status, 200);
    assert.deepEqual(read.body, updated.body);

    // The employer's page greets the customer by the name the API set.
    const link = await api.call("POST", "/api/customers/acme/links");
    const client = t.client();
    assert.equal((await client.get(link.body.url)).status, 303);
    assert.match((await client.page()).html, /Acme Corp/);

    assertError(
      await api.call("GET", "/api/customers/globex"),
      404,
      "not_found",
    );
  } finally {
    await t.close();
  }
});

Deno.test("[api] a minted link opens the portal, honours expires_in and then expires", async () => {
  let now = Date.parse("2030-05-01T00:00:00.000Z");
  const t = await testPortal({ now: () => now });
  try {
    const api = integrator(t);
    await api.call("PUT", "/api/customers/acme", { name: "Acme" });

    // No body at all: the default 72 hours.
    const week = await api.call("POST", "/api/customers/acme/links");
    assert.equal(week.status, 201, week.text);
    assert.equal(week.body.expires_at, "2030-05-04T00:00:00.000Z");
    assert.ok(week.body.url.startsWith(`${BASE}/portal/`));
    assert.equal(week.headers.get("cache-control"), "no-store");

    const hour = await api.call("POST", "/api/customers/acme/links", {
      expires_in: 3600,
    });
    assert.equal(hour.status, 201, hour.text);
    assert.deepEqual(Object.keys(hour.body).sort(), [
      "expires_at",
      "single_use",
      "url",
    ]);
    assert.equal(hour.body.single_use, false);
    assert.equal(hour.body.expires_at, "2030-05-01T01:00:00.000Z");

    const longest = await api.call("POST", "/api/customers/acme/links", {
      expires_in: MAX_LINK_TTL_S,
    });
    assert.equal(longest.status, 201, longest.text);

    const client = t.client();
    const opened = await client.get(hour.body.url);
    assert.equal(opened.status, 303);
    assert.equal(opened.headers.get("location"), "/connections");
    assert.equal((await client.page()).status, 200);

    now += 3600_000;
    const late = await t.client().get(hour.body.url);
    assert.equal(late.status, 410);
    await late.body?.cancel();
    // The 72-hour one still works.
    const still = await t.client().get(week.body.url);
    assert.equal(still.status, 303);

    // A link is a credential: never logged.
    for (const url of [week.body.url, hour.body.url, longest.body.url]) {
      const token = url.split("/portal/")[1];
      for (const line of t.logs) assert.ok(!line.includes(token), line);
    }
    assert.ok(t.logs.some((l) => l.includes('"portal_link_created"')));
  } finally {
    await t.close();
  }
});

Deno.test("[api] revoking links turns away earlier links and ends their sessions; a new link works", async () => {
  let now = Date.parse("2030-05-01T00:00:00.000Z");
  const t = await testPortal({ now: () => now });
  try {
    const api = integrator(t);
    await api.call("PUT", "/api/customers/acme", { name: "Acme" });
    await api.call("PUT", "/api/customers/globex", { name: "Globex" });
    const old = await api.call("POST", "/api/customers/acme/links");
    const other = await api.call("POST", "/api/customers/globex/links");
    const employer = t.client();
    assert.equal((await employer.get(old.body.url)).status, 303);
    const neighbour = t.client();
    assert.equal((await neighbour.get(other.body.url)).status, 303);

    now += 1000;
    const revoked = await api.call("DELETE", "/api/customers/acme/links");
    assert.equal(revoked.status, 200, revoked.text);
    assert.equal(revoked.body.links_valid_after, "2030-05-01T00:00:01.000Z");

    const reopened = await t.client().get(old.body.url);
    assert.equal(reopened.status, 410);
    await reopened.body?.cancel();
    assert.equal((await employer.page()).status, 401);
    // Another customer's links and sessions are untouched.
    assert.equal((await neighbour.page()).status, 200);

    // Re-issuing at once (same instant) gives a link that works.
    const fresh = await api.call("POST", "/api/customers/acme/links");
    const client = t.client();
    assert.equal((await client.get(fresh.body.url)).status, 303);
    assert.equal((await client.page()).status, 200);
  } finally {
    await t.close();
  }
});
