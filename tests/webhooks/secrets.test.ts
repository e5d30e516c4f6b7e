/** Webhook secrets: rotation, production configuration, no secret means refused, and the timestamp tolerance. */
import assert from "node:assert/strict";
import { createApp } from "../../app.tsx";
import { testPortal } from "../../testing/portal.ts";
import {
  accountUpdated,
  connected,
  deliver,
  eventId,
  seconds,
  shiftedClock,
  sign,
  stored,
} from "./_helpers.ts";

Deno.test("[webhooks] rotation: every configured secret verifies, others do not", async () => {
  const newest = btoa("newest-secret-24-bytes!!");
  const older = btoa("older-secret-of-24-bytes");
  const clock = shiftedClock(-120_000);
  const t = await testPortal({ now: clock.now });
  try {
    const { connection } = await connected(t);
    clock.offset = 0;
    const id = connection.connection_id;
    // Demo mode pins the simulator's secret, so the rotation is configured on an app
    // built from the same deps with two secrets, as FINCH_WEBHOOK_SECRET="new old" gives.
    const deps = t.portal.deps;
    const app = createApp({
      ...deps,
      config: {
        ...deps.config,
        finch: { ...deps.config.finch, webhookSecrets: [newest, older] },
      },
    });
    const send = (path: string, init?: RequestInit) =>
      Promise.resolve(app.request(path, init));
    const now = seconds(Date.now());

    const byOlder = await deliver(send, {
      secret: older,
      timestamp: now - 30,
      payload: accountUpdated(id, "reauth"),
    });
    assert.equal(byOlder.status, 200, byOlder.text);
    assert.equal((await stored(t, id)).status, "reauth");

    const byNewest = await deliver(send, {
      secret: newest,
      timestamp: now - 20,
      payload: accountUpdated(id, "connected"),
    });
    assert.equal(byNewest.status, 200, byNewest.text);
    assert.equal((await stored(t, id)).status, "connected");

    // Finch sends one signature per live secret during its own rotation.
    const body = JSON.stringify(accountUpdated(id, "pending"));
    const evt = eventId();
    const both = [
      await sign(btoa("retired-secret-24-bytes!"), evt, now - 10, body),
      await sign(older, evt, now - 10, body),
    ].join(" ");
    const multi = await deliver(send, {
      id: evt,
      timestamp: now - 10,
      body,
      signature: both,
    });
    assert.equal(multi.status, 200, multi.text);
    assert.equal((await stored(t, id)).status, "pending");

    // The simulator's (demo) secret is not configured on this app.
    const stranger = await deliver(send, {
      payload: accountUpdated(id, "reauth"),
    });
    assert.equal(stranger.status, 401);
    assert.equal((await stored(t, id)).status, "pending");
  } finally {
    await t.close();
  }
});

Deno.test("[webhooks] production config: FINCH_WEBHOOK_SECRET lists rotation secrets", async () => {
  const newest = btoa("prod-newest-secret-24byt");
  const older = btoa("prod-older-secret-24byte");
  const t = await testPortal({
    demo: false,
    env: {
      FINCH_CLIENT_ID: "client-id",
      FINCH_CLIENT_SECRET: "client-secret",
      FINCH_BASE_URL: "http://finch.invalid",
      FINCH_WEBHOOK_SECRET: `${newest}, ${older}`,
      ADMIN_API_KEY: "admin-key-0123456789",
      APP_SECRET: "a".repeat(40),
      TOKEN_KEYS: `k1:${btoa("k".repeat(32))}`,
    },
  });
  try {
    assert.equal(t.portal.config.demo, false);
    for (const secret of [newest, older]) {
      const res = await deliver(t.fetch, {
        secret,
        payload: accountUpdated("conn_prod", "reauth"),
      });
      assert.equal(res.status, 200, res.text);
      assert.equal(res.json.outcome, "unknown_connection");
    }
    const other = await deliver(t.fetch, {
      secret: btoa("not-configured-24-bytes!"),
      payload: accountUpdated("conn_prod", "reauth"),
    });
    assert.equal(other.status, 401);
  } finally {
    await t.close();
  }
});

Deno.test("[webhooks] without a configured secret webhooks are refused, never accepted", async () => {
  const t = await testPortal({
    demo: false,
    env: {
      FINCH_CLIENT_ID: "client-id",
      FINCH_CLIENT_SECRET: "client-secret",
      FINCH_BASE_URL: "http://finch.invalid",
      ADMIN_API_KEY: "admin-key-0123456789",
      APP_SECRET: "a".repeat(40),
      TOKEN_KEYS: `k1:${btoa("k".repeat(32))}`,
    },
  });
  try {
    const res = await deliver(t.fetch, {
      payload: accountUpdated("conn_prod", "reauth"),
    });
    assert.equal(res.status, 503);
    assert.equal(
      (res.json.error as { code: string }).code,
      "webhooks_not_configured",
    );
  } finally {
    await t.close();
  }
});

Deno.test("[webhooks] the tolerance holds on the portal's clock as well as the SDK's", async () => {
  const clock = shiftedClock(0);
  const t = await testPortal({ now: clock.now });
  try {
    const { connection } = await connected(t);
    const id = connection.connection_id;
    const real = seconds(Date.now());

    // Fresh by real time (the SDK's check) but 6 minutes old by the portal's clock.
    clock.offset = 6 * 60_000;
    const ahead = await deliver(t.fetch, {
      timestamp: real,
      payload: accountUpdated(id, "reauth"),
    });
    assert.equal(ahead.status, 400, ahead.text);
    assert.equal(
      (ahead.json.error as { code: string }).code,
      "timestamp_out_of_range",
    );

    // Fresh by the portal's clock but 6 minutes old by real time.
    clock.offset = -6 * 60_000;
    const behind = await deliver(t.fetch, {
      timestamp: real - 6 * 60,
      payload: accountUpdated(id, "reauth"),
    });
    assert.equal(behind.status, 400, behind.text);
    assert.equal(
      (behind.json.error as { code: string }).code,
      "timestamp_out_of_range",
    );
    assert.equal((await stored(t, id)).status, "connected");
  } finally {
    await t.close();
  }
});
