/**
 * Webhooks: `account.updated` on status changes, signed exactly as Finch signs (checked with
 * the SDK's `webhooks.unwrap`), unique event ids, retries with backoff, never failing the API.
 */

import assert from "node:assert/strict";
import Finch from "@tryfinch/finch-api";
import { signWebhook } from "../../sim/webhooks.ts";
import { connect, fixture, WEBHOOK_SECRET } from "./helpers.ts";

interface Received {
  body: string;
  headers: Headers;
}

/** An in-process receiver whose answers are scripted per call. */
function receiver(answers: (number | "throw")[] = []) {
  const received: Received[] = [];
  const fetchFn: typeof fetch = async (input, init) => {
    const req = new Request(input, init);
    received.push({ body: await req.text(), headers: req.headers });
    const answer = answers[received.length - 1] ?? 200;
    if (answer === "throw") throw new TypeError("connection refused");
    return new Response(null, { status: answer });
  };
  return { received, fetch: fetchFn };
}

Deno.test("[sim webhooks] the signature matches Finch's test vector", async () => {
  const sig = await signWebhook(
    WEBHOOK_SECRET,
    "msg_2Lh9KRb0pzN4LePd3XiA4v12Axj",
    1676312382,
    '{"company_id":"720be419-0293-4d32-a707-32179b0827ab"}',
  );
  assert.equal(sig, "v1,m7y0TV2C+hlHxU42wCieApTSTaA8/047OAplBqxIV/s=");
});

Deno.test("[sim webhooks] account.updated is delivered and unwraps with the SDK", async () => {
  const r = receiver();
  const f = fixture({
    webhookUrl: "http://portal.test/webhooks/finch",
    fetch: r.fetch,
  });
  try {
    const token = await connect(f, { company_name: "Hooks Co" });
    const client = f.as(token.access_token);
    await client.sandbox.connections.accounts.update({
      connection_status: "reauth",
    });
    await client.sandbox.connections.accounts.update({
      connection_status: "connected",
    });
    await f.sim.settled();
    assert.equal(r.received.length, 2);
    const events = r.received.map((m) =>
      f.client.webhooks.unwrap(m.body, m.headers)
    );
    for (const [i, event] of events.entries()) {
      assert.equal(event.event_type, "account.updated");
      if (event.event_type !== "account.updated") continue;
      assert.equal(event.connection_id, token.connection_id);
      assert.equal(event.company_id, token.company_id);
      assert.equal(event.account_id, token.account_id);
      assert.equal(event.data?.status, i === 0 ? "reauth" : "connected");
      assert.deepEqual(event.data?.authentication_method, { type: "oauth" });
    }
    const ids = r.received.map((m) => m.headers.get("finch-event-id")!);
    assert.match(ids[0], /^msg_[0-9A-Za-z]{27}$/);
    assert.notEqual(ids[0], ids[1], "event ids are unique");
    const ts = Number(r.received[0].headers.get("finch-timestamp"));
    assert.ok(Math.abs(ts - Date.now() / 1000) < 5, "timestamp in seconds");
    assert.equal(r.received[0].headers.get("content-type"), "application/json");

    // A wrong secret or a tampered body fails verification: the check is real.
    const wrong = new Finch({
      webhookSecret: btoa("another-secret-24-bytes!"),
    });
    assert.throws(() =>
      wrong.webhooks.unwrap(r.received[0].body, r.received[0].headers)
    );
    assert.throws(() =>
      f.client.webhooks.unwrap(
        r.received[0].body.replace("reauth", "connected"),
        r.received[0].headers,
      )
    );

    const log = f.sim.webhooks();
    assert.deepEqual(log.map((d) => d.state), ["delivered", "delivered"]);
    assert.equal(log[0].attempts[0].status, 200);
  } finally {
    await f.sim.close();
  }
});

Deno.test("[sim webhooks] failing receivers get retries; the API call never fails", async (t) => {
  await t.step(
    "500, network error, then 200: three attempts, delivered",
    async () => {
      const r = receiver([500, "throw", 200]);
      const f = fixture({
        webhookUrl: "http://portal.test/hook",
        fetch: r.fetch,
        webhookRetryDelaysMs: [0, 20, 20, 20],
      });
      try {
        const token = await connect(f);
        const res = await f.as(token.access_token).sandbox.connections.accounts
          .update({
            connection_status: "error_permissions",
          });
        assert.equal(
          res.connection_id,
          token.connection_id,
          "the API answered at once",
        );
        await f.sim.settled();
        assert.equal(r.received.length, 3);
        const ids = new Set(
          r.received.map((m) => m.headers.get("finch-event-id")),
        );
        assert.equal(ids.size, 1, "retries keep the event id");
        for (const m of r.received) f.client.webhooks.unwrap(m.body, m.headers);
        const [delivery] = f.sim.webhooks();
        assert.equal(delivery.state, "delivered");
        assert.deepEqual(delivery.attempts.map((a) => a.status ?? a.error), [
          500,
          "connection refused",
          200,
        ]);
      } finally {
        await f.sim.close();
      }
    },
  );

  await t.step(
    "always failing: one attempt per delay, then failed",
    async () => {
      const r = receiver([503, 503, 503, 503]);
      const f = fixture({
        webhookUrl: "http://portal.test/hook",
        fetch: r.fetch,
        webhookRetryDelaysMs: [0, 5, 5],
      });
      try {
        const token = await connect(f);
        await f.as(token.access_token).sandbox.connections.accounts.update({
          connection_status: "reauth",
        });
        await f.sim.settled();
        assert.equal(r.received.length, 3);
        const res = await f.sim.app.request("http://sim.test/_sim/webhooks");
        const { webhooks } = await res.json();
        assert.equal(webhooks[0].state, "failed");
        assert.equal(webhooks[0].attempts.length, 3);
      } finally {
        await f.sim.close();
      }
    },
  );

  await t.step("no webhook URL: recorded as skipped", async () => {
    const f = fixture();
    try {
      const token = await connect(f);
      f.sim.setConnectionStatus(token.connection_id, "reauth");
      assert.equal(f.sim.webhooks()[0].state, "skipped");
    } finally {
      await f.sim.close();
    }
  });

  await t.step("close() cancels pending retries", async () => {
    const r = receiver([500]);
    const f = fixture({
      webhookUrl: "http://portal.test/hook",
      fetch: r.fetch,
      webhookRetryDelaysMs: [0, 60_000],
    });
    const token = await connect(f);
    f.sim.setConnectionStatus(token.connection_id, "reauth");
    while (r.received.length === 0) {
      await new Promise((ok) => setTimeout(ok, 5));
    }
    await f.sim.close();
    assert.equal(f.sim.webhooks()[0].state, "failed");
  });
});

Deno.test("[sim webhooks] job.initial_data_sync_org.succeeded follows a new connection", async () => {
  const r = receiver();
  const f = fixture({
    webhookUrl: "http://portal.test/hook",
    fetch: r.fetch,
    initialSyncDelayMs: 10,
  });
  try {
    const first = await connect(f, { company_name: "Sync Co" });
    await connect(f, { company_name: "Sync Co" }); // same connection: no second sync event
    await f.sim.settled();
    assert.equal(r.received.length, 1);
    const event = f.client.webhooks.unwrap(
      r.received[0].body,
      r.received[0].headers,
    );
    assert.equal(event.event_type, "job.initial_data_sync_org.succeeded");
    assert.equal(event.connection_id, first.connection_id);
  } finally {
    await f.sim.close();
  }
});

Deno.test("[sim webhooks] /_sim/connections/:id/status sends account.updated", async () => {
  const r = receiver();
  const f = fixture({ webhookUrl: "http://portal.test/hook", fetch: r.fetch });
  try {
    const token = await connect(f);
    const res = await f.sim.app.request(
      `http://sim.test/_sim/connections/${token.connection_id}/status`,
      {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ connection_status: "reauth" }),
      },
    );
    assert.equal(res.status, 200);
    assert.equal((await res.json()).status, "reauth");
    await f.sim.settled();
    const event = f.client.webhooks.unwrap(
      r.received[0].body,
      r.received[0].headers,
    );
    assert.equal(event.event_type, "account.updated");
  } finally {
    await f.sim.close();
  }
});
