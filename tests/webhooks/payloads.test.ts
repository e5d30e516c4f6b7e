/** Finch's webhook payloads as they come: entities, authentication methods, status spellings, syncs, unknown types, failures, and no token anywhere. */
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
  simSdk,
  stored,
} from "./_helpers.ts";

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
