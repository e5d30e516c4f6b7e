/** The integrator API's DELETE: upstream first, then locally, with Finch failing or not, and concurrently. */
import assert from "node:assert/strict";
import { testPortal } from "../../testing/portal.ts";
import {
  assertError,
  assertNoTokenLeak,
  CONNECTION_KEYS,
  connectOne,
  integrator,
} from "./_helpers.ts";

Deno.test("[api] DELETE disconnects upstream and locally and says what it revoked", async () => {
  const t = await testPortal();
  try {
    const api = integrator(t);
    const employer = await t.signedIn("acme", "Acme");
    const id = await connectOne(t, employer, "acme", {
      company_name: "Acme, Inc.",
    });
    const keep = await connectOne(t, employer, "acme", {
      company_name: "Acme West",
      provider_id: "rippling",
    });
    const token =
      (await api.call("GET", `/api/connections/${id}/token`)).body.access_token;

    const gone = await api.call("DELETE", `/api/connections/${id}`);
    assert.equal(gone.status, 200, gone.text);
    assert.equal(gone.body.revoked_upstream, true);
    assert.equal(gone.body.connection.connection_id, id);
    assert.equal(gone.body.connection.customer_id, "acme");
    // The answer shows the connection as it is after the disconnect.
    assert.equal(gone.body.connection.status, "disconnected");
    assert.equal(gone.body.connection.disconnect.by, "api");
    assert.ok(!Number.isNaN(Date.parse(gone.body.disconnected_at)));

    const revoked = t.portal.sim!.revoked();
    assert.ok(revoked.connection_ids.includes(id));
    assert.ok(revoked.tokens.some((x) => x.access_token === token));
    assert.ok(!revoked.connection_ids.includes(keep));

    // A tombstone: readable by id, with its receipt and no token.
    const tombstone = await api.call("GET", `/api/connections/${id}`);
    assert.equal(tombstone.status, 200, tombstone.text);
    assert.equal(tombstone.body.status, "disconnected");
    assert.deepEqual(tombstone.body.disconnect, {
      by: "api",
      revoked_upstream: true,
      disconnected_at: gone.body.disconnected_at,
      replaced_by: null,
    });
    for (const key of CONNECTION_KEYS) assert.ok(key in tombstone.body, key);
    assertError(
      await api.call("GET", `/api/connections/${id}/token`),
      410,
      "connection_disconnected",
    );
    assertError(
      await api.call("DELETE", `/api/connections/${id}`),
      410,
      "connection_disconnected",
    );
    const disconnected = await api.call(
      "GET",
      "/api/customers/acme/connections?status=disconnected",
    );
    assert.deepEqual(
      disconnected.body.connections.map((c: { connection_id: string }) =>
        c.connection_id
      ),
      [id],
    );
    const reauth = await api.call(
      "GET",
      "/api/customers/acme/connections?status=reauth",
    );
    assert.deepEqual(reauth.body.connections, []);
    const connected = await api.call(
      "GET",
      "/api/customers/acme/connections?status=connected",
    );
    assert.deepEqual(
      connected.body.connections.map((c: { connection_id: string }) =>
        c.connection_id
      ),
      [keep],
    );
    assertError(
      await api.call("GET", "/api/customers/acme/connections?status=gone"),
      400,
      "invalid_input",
    );
    const list = await api.call("GET", "/api/customers/acme/connections");
    assert.deepEqual(
      list.body.connections.map((c: { connection_id: string }) =>
        c.connection_id
      ),
      [
        keep,
      ],
    );
    const { html } = await employer.page();
    assert.doesNotMatch(html, /Acme, Inc\./);
    assert.match(html, /Acme West/);
    // The company is free: connecting it again makes a new live connection.
    const again = await connectOne(t, employer, "acme", {
      company_name: "Acme, Inc.",
    });
    assert.notEqual(again, id);
    assert.equal(
      (await api.call("GET", `/api/connections/${again}`)).body.status,
      "connected",
    );
    assertNoTokenLeak(t, api.seen);
  } finally {
    await t.close();
  }
});

Deno.test("[api] DELETE while Finch fails changes nothing and says so; later it succeeds", async () => {
  const t = await testPortal();
  try {
    const api = integrator(t);
    const employer = await t.signedIn("acme", "Acme");
    const id = await connectOne(t, employer, "acme", {
      company_name: "Acme, Inc.",
    });
    const sim = t.portal.sim!;

    for (const status of [503, 429]) {
      sim.addFault({ path: "/disconnect", status, count: 10, retry_after: 1 });
      const failed = await api.call("DELETE", `/api/connections/${id}`);
      assertError(failed, 503, "finch_unavailable");
      assert.ok(Number(failed.headers.get("retry-after")) >= 1);
      sim.clearFaults();
      assert.equal(sim.revoked().connection_ids.length, 0);
      assert.equal(
        (await api.call("GET", `/api/connections/${id}`)).status,
        200,
      );
      const token = await api.call("GET", `/api/connections/${id}/token`);
      const check = await t.fetch("/sim/introspect", {
        headers: { authorization: `Bearer ${token.body.access_token}` },
      });
      assert.equal(check.status, 200);
      await check.body?.cancel();
    }

    const done = await api.call("DELETE", `/api/connections/${id}`);
    assert.equal(done.status, 200, done.text);
    assert.ok(sim.revoked().connection_ids.includes(id));
    assertNoTokenLeak(t, api.seen);
  } finally {
    await t.close();
  }
});

Deno.test("[api] DELETE of a connection Finch already revoked removes it locally", async () => {
  const t = await testPortal();
  try {
    const api = integrator(t);
    const employer = await t.signedIn("acme", "Acme");
    const id = await connectOne(t, employer, "acme", {
      company_name: "Acme, Inc.",
    });
    const token =
      (await api.call("GET", `/api/connections/${id}/token`)).body.access_token;
    // Someone disconnected it straight at Finch.
    const upstream = await t.fetch("/sim/disconnect", {
      method: "POST",
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(upstream.status, 200);
    await upstream.body?.cancel();

    const gone = await api.call("DELETE", `/api/connections/${id}`);
    assert.equal(gone.status, 200, gone.text);
    assert.equal(gone.body.revoked_upstream, false);
    const after = await api.call("GET", `/api/connections/${id}`);
    assert.equal(after.body.status, "disconnected");
    assert.equal(after.body.disconnect.revoked_upstream, false);
  } finally {
    await t.close();
  }
});

Deno.test("[api] two concurrent DELETEs of one connection: one succeeds, the other says it is disconnected", async () => {
  const t = await testPortal();
  try {
    const api = integrator(t);
    const employer = await t.signedIn("acme", "Acme");
    const id = await connectOne(t, employer, "acme", {
      company_name: "Acme, Inc.",
    });
    const answers = await Promise.all([
      api.call("DELETE", `/api/connections/${id}`),
      api.call("DELETE", `/api/connections/${id}`),
    ]);
    const statuses = answers.map((a) => a.status).sort();
    assert.deepEqual(
      statuses,
      [200, 410],
      answers.map((a) => a.text).join("\n"),
    );
    assertError(
      answers.find((a) => a.status === 410)!,
      410,
      "connection_disconnected",
    );
    assert.ok(t.portal.sim!.revoked().connection_ids.includes(id));
    assert.equal(
      (await api.call("GET", `/api/connections/${id}`)).body.status,
      "disconnected",
    );
  } finally {
    await t.close();
  }
});
