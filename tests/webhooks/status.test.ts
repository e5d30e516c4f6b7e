/** Finch's webhooks change a connection's status: signed, in order, once; bad deliveries answer 4xx and change nothing. */
import assert from "node:assert/strict";
import { testPortal } from "../../testing/portal.ts";
import {
  accountUpdated,
  connected,
  deliver,
  eventId,
  seconds,
  shiftedClock,
  showsReconnect,
  sign,
  simSdk,
  stored,
} from "./_helpers.ts";

Deno.test("[webhooks] a signed account.updated sets reauth and the page shows Reconnect", async () => {
  const t = await testPortal();
  try {
    const { client, connection } = await connected(t);
    const id = connection.connection_id;
    assert.equal(connection.status, "connected");
    assert.equal(showsReconnect((await client.page()).html, id), false);

    const res = await deliver(t.fetch, {
      payload: accountUpdated(id, "reauth"),
    });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json, { received: true, outcome: "applied" });
    assert.equal((await stored(t, id)).status, "reauth");

    const page = await client.page();
    assert.equal(page.status, 200);
    assert.ok(showsReconnect(page.html, id), "Reconnect button shown");
    assert.match(page.html, /Reconnect needed/);
  } finally {
    await t.close();
  }
});

Deno.test("[webhooks] the simulator's own webhook flips the status, and reconnecting restores it", async () => {
  const t = await testPortal();
  try {
    const { client, connection } = await connected(t, "Flip Co");
    const id = connection.connection_id;
    t.portal.sim!.setConnectionStatus(id, "reauth");
    await t.portal.sim!.settled();
    const delivery = t.portal.sim!.webhooks().at(-1)!;
    assert.equal(delivery.event_type, "account.updated");
    assert.equal(delivery.state, "delivered");
    assert.deepEqual(delivery.attempts.map((a) => a.status), [200]);
    assert.equal((await stored(t, id)).status, "reauth");

    const page = await client.page();
    assert.ok(showsReconnect(page.html, id));

    // Reconnect through the redirect flow: same connection id, connected again.
    const started = await client.postForm(
      `/connections/${encodeURIComponent(id)}/reauth`,
      { _csrf: page.csrf },
    );
    assert.equal(started.status, 303, await started.clone().text());
    const callback = await client.authorize(started.headers.get("location")!, {
      company_name: "Flip Co",
    });
    const done = await client.get(callback);
    assert.equal(done.status, 303, await done.clone().text());
    const after = await stored(t, id);
    assert.equal(after.status, "connected");
    assert.equal(showsReconnect((await client.page()).html, id), false);
  } finally {
    await t.close();
  }
});

Deno.test("[webhooks] PUT /sandbox/connections/accounts through the SDK reaches the portal", async () => {
  const t = await testPortal();
  try {
    const { client, connection } = await connected(t, "Sandbox Co");
    const id = connection.connection_id;
    const { sdk } = await simSdk(t, id);
    const res = await sdk.sandbox.connections.accounts.update({
      connection_status: "reauth",
    });
    assert.equal(res.connection_id, id);
    await t.portal.sim!.settled();
    assert.equal((await stored(t, id)).status, "reauth");
    assert.ok(showsReconnect((await client.page()).html, id));

    await sdk.sandbox.connections.accounts.update({
      connection_status: "connected",
    });
    await t.portal.sim!.settled();
    assert.equal((await stored(t, id)).status, "connected");
  } finally {
    await t.close();
  }
});

Deno.test("[webhooks] a replayed event id does nothing the second time", async () => {
  const clock = shiftedClock(-120_000);
  const t = await testPortal({ now: clock.now });
  try {
    const { connection } = await connected(t);
    clock.offset = 0;
    const id = connection.connection_id;
    const now = Date.now();
    const replayed = eventId();
    const first = await deliver(t.fetch, {
      id: replayed,
      timestamp: seconds(now) - 20,
      payload: accountUpdated(id, "reauth"),
    });
    assert.equal(first.json.outcome, "applied");
    const newer = await deliver(t.fetch, {
      timestamp: seconds(now) - 10,
      payload: accountUpdated(id, "connected"),
    });
    assert.equal(newer.json.outcome, "applied");

    // Svix re-signs a retry with a new timestamp: without dedupe this would win.
    const again = await deliver(t.fetch, {
      id: replayed,
      timestamp: seconds(now),
      payload: accountUpdated(id, "reauth"),
    });
    assert.equal(again.status, 200);
    assert.deepEqual(again.json, { received: true, outcome: "duplicate" });
    assert.equal((await stored(t, id)).status, "connected");
    assert.ok(t.logs.some((l) => l.includes('"webhook_duplicate"')));
  } finally {
    await t.close();
  }
});

Deno.test("[webhooks] an older event arriving after a newer one keeps the newer status", async () => {
  const clock = shiftedClock(-120_000);
  const t = await testPortal({ now: clock.now });
  try {
    const { connection } = await connected(t);
    clock.offset = 0;
    const id = connection.connection_id;
    const now = seconds(Date.now());
    const newer = await deliver(t.fetch, {
      timestamp: now - 10,
      payload: accountUpdated(id, "reauth"),
    });
    assert.equal(newer.json.outcome, "applied");
    const older = await deliver(t.fetch, {
      timestamp: now - 70,
      payload: accountUpdated(id, "connected"),
    });
    assert.equal(older.status, 200);
    assert.equal(older.json.outcome, "stale");
    const after = await stored(t, id);
    assert.equal(after.status, "reauth");
    assert.equal(
      after.status_at,
      new Date((now - 10) * 1000 + 999).toISOString(),
    );
  } finally {
    await t.close();
  }
});

Deno.test("[webhooks] an unknown connection is acknowledged and logged", async () => {
  const t = await testPortal();
  try {
    const res = await deliver(t.fetch, {
      payload: accountUpdated("conn_does_not_exist", "reauth"),
    });
    assert.equal(res.status, 200);
    assert.equal(res.json.outcome, "unknown_connection");
    const line = t.logs.find((l) => l.includes('"webhook_unknown_connection"'));
    assert.ok(line, t.logs.join("\n"));
    assert.match(line, /conn_does_not_exist/);

    const job = await deliver(t.fetch, {
      payload: {
        connection_id: "conn_also_unknown",
        event_type: "job.initial_data_sync_org.succeeded",
        data: { job_id: "j1", job_url: "https://example.test/j1" },
      },
    });
    assert.equal(job.status, 200);
    assert.equal(job.json.outcome, "unknown_connection");
  } finally {
    await t.close();
  }
});

Deno.test("[webhooks] bad deliveries answer 4xx and change nothing", async () => {
  const t = await testPortal();
  try {
    const { connection } = await connected(t);
    const id = connection.connection_id;
    const now = seconds(Date.now());
    const payload = accountUpdated(id, "reauth");
    const body = JSON.stringify(payload);
    // One event id for every bad attempt: none may be recorded as handled.
    const evt = eventId();
    const validSig = await sign(
      "c2ltdWxhdG9yLXdlYmhvb2stc2VjcmV0",
      evt,
      now,
      body,
    );
    const cases: {
      name: string;
      status: number;
      code: string;
      d: Parameters<typeof deliver>[1];
    }[] = [
      {
        name: "wrong secret",
        status: 401,
        code: "invalid_signature",
        d: { secret: btoa("another-secret-of-24-by"), body },
      },
      {
        name: "tampered body",
        status: 401,
        code: "invalid_signature",
        d: { signature: validSig, body: body.replace("reauth", "connected") },
      },
      {
        name: "no event id",
        status: 400,
        code: "missing_signature",
        d: { body, omit: ["finch-event-id"] },
      },
      {
        name: "no timestamp",
        status: 400,
        code: "missing_signature",
        d: { body, omit: ["finch-timestamp"] },
      },
      {
        name: "no signature",
        status: 400,
        code: "missing_signature",
        d: { body, omit: ["finch-signature"] },
      },
      {
        name: "non-numeric timestamp",
        status: 400,
        code: "invalid_signature_headers",
        d: { body, signature: validSig, timestamp: NaN },
      },
      {
        name: "old timestamp",
        status: 400,
        code: "timestamp_out_of_range",
        d: { body, timestamp: now - 6 * 60 },
      },
      {
        name: "future timestamp",
        status: 400,
        code: "timestamp_out_of_range",
        d: { body, timestamp: now + 6 * 60 },
      },
      {
        name: "unknown signature version only",
        status: 401,
        code: "invalid_signature",
        d: { body, signature: validSig.replace("v1,", "v2,") },
      },
      {
        name: "signed malformed JSON",
        status: 400,
        code: "invalid_json",
        d: { body: body.slice(0, -1) },
      },
      {
        name: "signed account.updated without connection_id",
        status: 400,
        code: "invalid_event",
        d: { payload: { ...payload, connection_id: undefined } },
      },
      {
        name: "signed account.updated without status",
        status: 400,
        code: "invalid_event",
        d: { payload: { ...payload, data: {} } },
      },
      {
        name: "signed JSON that is not an event",
        status: 400,
        code: "invalid_event",
        d: { body: "[1,2]" },
      },
      {
        name: "too large",
        status: 413,
        code: "payload_too_large",
        d: {
          payload: { ...payload, padding: "x".repeat(300 * 1024) },
        },
      },
    ];
    for (const c of cases) {
      const res = await deliver(t.fetch, { id: evt, timestamp: now, ...c.d });
      assert.equal(res.status, c.status, `${c.name}: ${res.text}`);
      const error = res.json.error as { code: string; message: string };
      assert.equal(error?.code, c.code, c.name);
      assert.ok(error.message.length > 10, c.name);
      assert.equal((await stored(t, id)).status, "connected", c.name);
    }

    // Nothing was recorded: the genuine delivery of that event id still applies.
    const good = await deliver(t.fetch, { id: evt, timestamp: now, body });
    assert.equal(good.status, 200, good.text);
    assert.equal(good.json.outcome, "applied");
    assert.equal((await stored(t, id)).status, "reauth");
  } finally {
    await t.close();
  }
});
