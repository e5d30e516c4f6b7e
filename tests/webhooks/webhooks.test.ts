import assert from "node:assert/strict";
import { listConnections } from "../../lib/db/connections.ts";
import { updateConnection } from "../../lib/db/connection_status.ts";
import { createApp } from "../../app.tsx";
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

Deno.test("[webhooks] entity_id updates that entity only", async () => {
  const t = await testPortal();
  try {
    const { client, connection } = await connected(t, "Holding Co", {
      entities: "North Co, South Co",
    });
    const id = connection.connection_id;
    assert.equal(connection.entities.length, 2, JSON.stringify(connection));
    const [north, south] = connection.entities;
    const res = await deliver(t.fetch, {
      payload: accountUpdated(id, "reauth", { entity_id: north.id }),
    });
    assert.equal(res.json.outcome, "applied");
    const after = await stored(t, id);
    assert.equal(after.status, "connected");
    assert.equal(
      after.entities.find((e) => e.id === north.id)!.status,
      "reauth",
    );
    assert.equal(
      after.entities.find((e) => e.id === south.id)!.status,
      "connected",
    );
    assert.equal((await client.page()).status, 200);
  } finally {
    await t.close();
  }
});

Deno.test("[webhooks] authentication_method as a string, an object or absent", async () => {
  const clock = shiftedClock(-120_000);
  const t = await testPortal({ now: clock.now });
  try {
    const { connection } = await connected(t);
    clock.offset = 0;
    const id = connection.connection_id;
    const now = seconds(Date.now());
    const forms: [unknown, string][] = [
      ["assisted", "pending"],
      [{ type: "credential", supported_fields: null }, "reauth"],
      [null, "error_permissions"],
      [undefined, "connected"],
    ];
    let i = 0;
    for (const [method, status] of forms) {
      const res = await deliver(t.fetch, {
        timestamp: now - 40 + 10 * i++,
        payload: accountUpdated(id, status, {}, method),
      });
      assert.equal(res.status, 200, `${JSON.stringify(method)}: ${res.text}`);
      assert.equal(res.json.outcome, "applied");
      assert.equal((await stored(t, id)).status, status);
    }
    assert.ok(
      t.logs.some((l) =>
        l.includes('"webhook_status"') &&
        l.includes('"authentication_method":"assisted"')
      ),
    );
    // A bad shape for the method is refused, not guessed at.
    const bad = await deliver(t.fetch, {
      payload: accountUpdated(id, "reauth", {}, 42),
    });
    assert.equal(bad.status, 400);
  } finally {
    await t.close();
  }
});

Deno.test("[webhooks] disconnected, legacy spellings and unknown statuses", async () => {
  const clock = shiftedClock(-120_000);
  const t = await testPortal({ now: clock.now });
  try {
    const { client, connection } = await connected(t);
    clock.offset = 0;
    const id = connection.connection_id;
    const now = seconds(Date.now());
    const legacy = await deliver(t.fetch, {
      timestamp: now - 30,
      payload: accountUpdated(id, "error_reauth"),
    });
    assert.equal(legacy.json.outcome, "applied");
    assert.equal((await stored(t, id)).status, "reauth");

    const future = await deliver(t.fetch, {
      timestamp: now - 20,
      payload: accountUpdated(id, "some_new_status"),
    });
    assert.equal(future.status, 200);
    // Nothing changes here; the event still goes on to the integrator.
    assert.equal(future.json.outcome, "forwarded");
    assert.equal((await stored(t, id)).status, "reauth");
    assert.ok(t.logs.some((l) => l.includes('"webhook_unknown_status"')));

    const gone = await deliver(t.fetch, {
      timestamp: now - 10,
      payload: accountUpdated(id, "disconnected"),
    });
    assert.equal(gone.json.outcome, "applied");
    assert.equal((await stored(t, id)).status, "disconnected");
    assert.match((await client.page()).html, /Disconnected/);
  } finally {
    await t.close();
  }
});

Deno.test("[webhooks] initial data sync and sync-all events set last synced, never backwards", async () => {
  const clock = shiftedClock(-120_000);
  const t = await testPortal({ now: clock.now });
  try {
    const { client, connection } = await connected(t, "Sync Co");
    clock.offset = 0;
    const id = connection.connection_id;
    // Introspect reported a sync at connect time; start from "never" to see each step.
    await updateConnection(t.kv, "acme", id, { last_synced_at: null });
    const now = seconds(Date.now());
    const job = (type: string) => ({
      company_id: connection.company_id,
      account_id: "acc",
      connection_id: id,
      event_type: type,
      data: { job_id: "job_1", job_url: "https://api.tryfinch.com/jobs/job_1" },
    });
    const org = await deliver(t.fetch, {
      timestamp: now - 30,
      payload: job("job.initial_data_sync_org.succeeded"),
    });
    assert.equal(org.json.outcome, "applied");
    const at = new Date((now - 30) * 1000 + 999).toISOString();
    assert.equal((await stored(t, id)).last_synced_at, at);
    const shown = new Date(at).toLocaleDateString("en-US", {
      year: "numeric",
      month: "short",
      day: "numeric",
      timeZone: "UTC",
    });
    assert.ok((await client.page()).html.includes(shown));

    const older = await deliver(t.fetch, {
      timestamp: now - 60,
      payload: job("job.initial_data_sync_payroll.succeeded"),
    });
    assert.equal(older.json.outcome, "stale");
    assert.equal((await stored(t, id)).last_synced_at, at);

    const all = await deliver(t.fetch, {
      timestamp: now - 5,
      payload: job("job.data_sync_all.completed"),
    });
    assert.equal(all.json.outcome, "applied");
    assert.equal(
      (await stored(t, id)).last_synced_at,
      new Date((now - 5) * 1000 + 999).toISOString(),
    );
    assert.equal((await stored(t, id)).status, "connected");
  } finally {
    await t.close();
  }
});

Deno.test("[webhooks] test and unknown event types are acknowledged; those about a known connection are forwarded", async () => {
  const t = await testPortal();
  try {
    const { connection } = await connected(t);
    const before = await stored(t, connection.connection_id);
    for (
      const payload of [
        { event_type: "test", data: {} },
        {
          event_type: "company.updated",
          connection_id: connection.connection_id,
          data: null,
        },
        {
          event_type: "individual.created",
          connection_id: connection.connection_id,
          data: { individual_id: "ind_1" },
        },
        { event_type: "something.finch.adds.later" },
      ]
    ) {
      const res = await deliver(t.fetch, { payload });
      assert.equal(res.status, 200, res.text);
      assert.equal(
        res.json.outcome,
        "connection_id" in payload ? "forwarded" : "ignored",
      );
    }
    assert.deepEqual(await stored(t, connection.connection_id), before);
  } finally {
    await t.close();
  }
});

Deno.test("[webhooks] a failure while handling forgets the event so Finch's retry applies", async () => {
  const clock = shiftedClock(-120_000);
  const t = await testPortal({ now: clock.now });
  try {
    const { connection } = await connected(t);
    clock.offset = 0;
    const id = connection.connection_id;
    // A store that fails the owner lookup while `broken` is set.
    let broken = true;
    const kv = t.portal.deps.kv;
    const flaky = new Proxy(kv, {
      get(target, prop) {
        const value = Reflect.get(target, prop, target);
        if (prop === "get") {
          return (key: Deno.KvKey, ...rest: unknown[]) => {
            if (broken && key[0] === "connections_by_id") {
              return Promise.reject(new Error("disk on fire"));
            }
            return (value as Deno.Kv["get"]).call(
              target,
              key,
              ...rest as [],
            );
          };
        }
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    const app = createApp({ ...t.portal.deps, kv: flaky });
    const send = (path: string, init?: RequestInit) =>
      Promise.resolve(app.request(path, init));
    const evt = eventId();
    const payload = accountUpdated(id, "reauth");
    const failed = await deliver(send, { id: evt, payload });
    assert.equal(failed.status, 500, failed.text);
    assert.doesNotMatch(failed.text, /disk on fire/);
    assert.equal((await stored(t, id)).status, "connected");

    broken = false;
    const retry = await deliver(send, { id: evt, payload });
    assert.equal(retry.status, 200, retry.text);
    assert.equal(retry.json.outcome, "applied");
    assert.equal((await stored(t, id)).status, "reauth");
  } finally {
    await t.close();
  }
});

Deno.test("[webhooks] no access token in any webhook answer or log line", async () => {
  const clock = shiftedClock(-120_000);
  const t = await testPortal({ now: clock.now });
  try {
    const { connection } = await connected(t, "Secret Co");
    clock.offset = 0;
    const id = connection.connection_id;
    const { sdk, token } = await simSdk(t, id);
    const answers: string[] = [];
    const now = seconds(Date.now());
    for (
      const d of [
        { payload: accountUpdated(id, "reauth") },
        { payload: accountUpdated(id, "connected"), timestamp: now - 100 },
        { payload: accountUpdated(id, token) }, // a token where a status goes
        { payload: { ...accountUpdated(id, "reauth"), access_token: token } },
        { body: `{"access_token":"${token}"`, secret: btoa("x".repeat(24)) },
        { body: `{"access_token":"${token}"` },
      ]
    ) {
      answers.push((await deliver(t.fetch, d)).text);
    }
    await sdk.sandbox.connections.accounts.update({
      connection_status: "reauth",
    });
    await t.portal.sim!.settled();
    const { values } = await listConnections(t.kv, "acme");
    assert.equal(values.length, 1);
    assert.ok(t.logs.length > 0);
    for (const text of [...answers, ...t.logs]) {
      assert.ok(!text.includes(token), `token leaked in: ${text}`);
    }
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
