/**
 * The events feed: `GET /api/events` lists events in the order they happened, page by
 * page with an opaque cursor that also serves to poll for what comes later, filtered by
 * a type prefix; bad queries are 400s. Plus the rules under it: settings, the delivery
 * state machine, and signatures the `standardwebhooks` library accepts.
 */
import assert from "node:assert/strict";
import { Webhook } from "standardwebhooks";
import { ConfigError, isEventsSecret, loadConfig } from "../../lib/config.ts";
import { settingKey } from "../../lib/db/keys.ts";
import { testPortal } from "../../testing/portal.ts";
import type { Delivery } from "../../lib/db/events.ts";
import { signatureHeader } from "../../lib/events/sign.ts";
import { nextDelivery } from "../../lib/events/worker.ts";
import { deliver } from "../webhooks/_helpers.ts";
import { eventsTest, newSecret } from "./_helpers.ts";

Deno.test("[events] the feed: in order, page by page, a cursor to poll with, a type filter", async () => {
  const e = await eventsTest({ noUrl: true });
  try {
    const client = await e.t.signedIn("acme");
    for (let i = 0; i < 5; i++) {
      const res = await client.connect({ company_name: `Acme ${i}` });
      assert.equal(res.status, 303);
    }
    const all = await e.feed();
    const ids = all.map((x) => x.id);
    assert.deepEqual([...ids].sort(), ids);
    assert.deepEqual(
      all.map((x) => x.data.company_name ?? null).length,
      all.length,
    );
    const created = all.filter((x) => x.type === "connection.created");
    assert.equal(created.length, 5);

    // Two at a time: the same events, in the same order.
    const paged = await e.feed("", 2);
    assert.deepEqual(paged.map((x) => x.id), ids);

    // The last page's cursor polls for what comes later, and nothing is skipped.
    const last = await e.api("GET", "/api/events?limit=100");
    assert.equal(last.body.has_more, false);
    const cursor = last.body.next_cursor;
    assert.equal(typeof cursor, "string");
    const none = await e.api("GET", `/api/events?after=${cursor}`);
    assert.deepEqual(none.body.events, []);
    assert.equal(
      none.body.next_cursor,
      cursor,
      "poll again from the same place",
    );
    // A Finch event forwarded meanwhile.
    const id = created[0].data.connection_id;
    const hook = await deliver(e.t.fetch, {
      payload: {
        event_type: "directory.updated",
        connection_id: id,
        data: { individual_id: "ind_1" },
      },
    });
    assert.equal(hook.json.outcome, "forwarded");
    const later = await e.api("GET", `/api/events?after=${cursor}`);
    assert.deepEqual(later.body.events.map((x: { type: string }) => x.type), [
      "finch.directory.updated",
    ]);
    assert.notEqual(later.body.next_cursor, cursor);

    // Filtered by a type prefix.
    const finch = await e.api("GET", "/api/events?type=finch.");
    assert.deepEqual(
      finch.body.events.map((x: { type: string }) => x.type),
      ["finch.directory.updated"],
    );
    const connections = await e.feed("type=connection.", 2);
    assert.ok(connections.every((x) => x.type.startsWith("connection.")));
    assert.equal(connections.length, all.length);

    // Bad queries: 400 with the error shape, never a 5xx.
    for (
      const q of [
        "limit=0",
        "limit=101",
        "limit=ten",
        "after=not*a*cursor",
        "type=Connection.",
        "type=%3Cscript%3E",
      ]
    ) {
      const bad = await e.api("GET", `/api/events?${q}`);
      assert.equal(bad.status, 400, `${q}: ${bad.text}`);
      assert.equal(typeof bad.body.error.message, "string");
    }
    // Behind the API key like the rest.
    const anonymous = await e.t.fetch("/api/events");
    assert.equal(anonymous.status, 401);
    await anonymous.body?.cancel();
  } finally {
    await e.close();
  }
});

Deno.test("[events] settings: secrets are whsec_ base64 of 24-64 bytes, a URL needs a secret, the schedule is seconds", () => {
  const base = {
    FINCH_CLIENT_ID: "id",
    FINCH_CLIENT_SECRET: "secret",
    ADMIN_API_KEY: "k".repeat(20),
    APP_SECRET: "s".repeat(40),
    TOKEN_KEYS: "k1:x",
  };
  const a = newSecret(), b = newSecret();
  const ok = loadConfig({
    ...base,
    EVENTS_WEBHOOK_URL: "https://hooks.example.com/finch",
    EVENTS_WEBHOOK_SECRET: `${a}, ${b}`,
    EVENTS_RETRY_SCHEDULE: "1, 2.5,60",
  });
  assert.deepEqual(ok.events, {
    url: "https://hooks.example.com/finch",
    secrets: [a, b],
    retrySchedule: [1, 2.5, 60],
  });
  assert.deepEqual(
    loadConfig(base).events.retrySchedule,
    [5, 300, 1800, 7200, 18000, 36000],
  );
  const refused = (env: Record<string, string>, name: string) => {
    assert.throws(
      () => loadConfig({ ...base, ...env }),
      (err) => err instanceof ConfigError && err.message.includes(name),
    );
  };
  refused({ EVENTS_WEBHOOK_URL: "https://x.example" }, "EVENTS_WEBHOOK_SECRET");
  refused({ EVENTS_WEBHOOK_SECRET: "whsec_c2hvcnQ=" }, "EVENTS_WEBHOOK_SECRET");
  refused({ EVENTS_WEBHOOK_SECRET: a.slice(6) }, "EVENTS_WEBHOOK_SECRET");
  refused({ EVENTS_WEBHOOK_SECRET: `${a},nope` }, "EVENTS_WEBHOOK_SECRET");
  refused({ EVENTS_WEBHOOK_URL: "ftp://x.example" }, "EVENTS_WEBHOOK_URL");
  refused({ EVENTS_RETRY_SCHEDULE: "5,-1" }, "EVENTS_RETRY_SCHEDULE");
  refused({ EVENTS_RETRY_SCHEDULE: "5,soon" }, "EVENTS_RETRY_SCHEDULE");
  refused({ EVENTS_RETRY_SCHEDULE: "9999999" }, "EVENTS_RETRY_SCHEDULE");
  // A refusal never echoes the secret.
  try {
    loadConfig({ ...base, EVENTS_WEBHOOK_SECRET: `${a},whsec_short` });
  } catch (err) {
    assert.ok(!(err as Error).message.includes(a));
  }
});

Deno.test("[events] the delivery state machine: delivered, retrying on schedule, then failed", () => {
  const start: Delivery = {
    state: "pending",
    attempts: 0,
    last_error: null,
    next_at: null,
    delivered_at: null,
    run: 0,
  };
  const now = Date.parse("2026-01-01T00:00:00Z");
  const schedule = [5, 300];
  const fail = { ok: false as const, error: "HTTP 500" };
  const one = nextDelivery(start, fail, schedule, now);
  assert.equal(one.delivery.state, "retrying");
  assert.equal(one.retryInMs, 5000);
  assert.equal(one.delivery.next_at, "2026-01-01T00:00:05.000Z");
  const two = nextDelivery(one.delivery, fail, schedule, now);
  assert.equal(two.retryInMs, 300_000);
  const three = nextDelivery(two.delivery, fail, schedule, now);
  assert.deepEqual(
    [three.delivery.state, three.delivery.attempts, three.retryInMs],
    ["failed", 3, null],
  );
  const ok = nextDelivery(two.delivery, { ok: true }, schedule, now);
  assert.deepEqual(
    [ok.delivery.state, ok.delivery.attempts, ok.delivery.last_error],
    ["delivered", 3, null],
  );
});

Deno.test("[events] signatures are what the standardwebhooks library verifies, one per secret", () => {
  const secrets = [newSecret(), newSecret()];
  const body = JSON.stringify({ type: "t", timestamp: "x", data: {} });
  const ts = Math.floor(Date.now() / 1000);
  const header = signatureHeader(
    secrets,
    "01ARZ3NDEKTSV4RRFFQ69G5FAV",
    ts,
    body,
  );
  for (const secret of secrets) {
    const hook = new Webhook(secret);
    assert.deepEqual(
      hook.verify(body, {
        "webhook-id": "01ARZ3NDEKTSV4RRFFQ69G5FAV",
        "webhook-timestamp": String(ts),
        "webhook-signature": header,
      }),
      JSON.parse(body),
    );
    assert.ok(
      header.split(" ").includes(
        hook.sign("01ARZ3NDEKTSV4RRFFQ69G5FAV", new Date(ts * 1000), body),
      ),
    );
  }
});

Deno.test("[events] a Finch payload too large for a KV value is forwarded as a stub; odd event types are not forwarded", async () => {
  const e = await eventsTest({ noUrl: true });
  try {
    const { id } = await e.connect("Acme, Inc.");
    const big = await deliver(e.t.fetch, {
      payload: {
        event_type: "directory.updated",
        connection_id: id,
        data: { note: "é".repeat(100_000) },
      },
    });
    assert.equal(big.status, 200, big.text);
    const odd = await deliver(e.t.fetch, {
      payload: { event_type: "Weird Type!", connection_id: id, data: {} },
    });
    assert.equal(odd.status, 200, odd.text);
    assert.equal(odd.json.outcome, "ignored");
    const finch = await e.feed("type=finch.");
    assert.equal(finch.length, 1);
    assert.deepEqual(finch[0].data.finch, {
      event_type: "directory.updated",
      truncated: true,
    });
  } finally {
    await e.close();
  }
});

Deno.test("[events] demo mode: an events secret is generated once, also for a store made before events existed", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const older = {
      adminApiKey: "demo_older-key-0123456789",
      appSecret: "a".repeat(43),
      tokenKeys: `demo1:${
        crypto.getRandomValues(new Uint8Array(32)).toBase64()
      }`,
    };
    await kv.set(settingKey("demo_secrets"), older);
    const first = await testPortal({ kv });
    const secret = first.portal.config.events.secrets[0];
    await first.close();
    assert.ok(isEventsSecret(secret), "a whsec_ secret");
    assert.equal(first.portal.config.adminApiKey, older.adminApiKey);
    const again = await testPortal({ kv });
    assert.deepEqual(again.portal.config.events.secrets, [secret]);
    assert.equal(again.portal.config.events.url, undefined);
    await again.close();
  } finally {
    kv.close();
  }
});
