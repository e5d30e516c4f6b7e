import assert from "node:assert/strict";
import {
  createConnectState,
  createPortalSession,
  deletePortalSession,
  forgetEvent,
  getPortalSession,
  markEventSeen,
  revokePortalLinks,
  sha256,
  takeConnectState,
  upsertCustomer,
} from "../../lib/db/mod.ts";
import { dump, withKv } from "./_helpers.ts";

const T0 = new Date("2025-01-01T00:00:00.000Z");
const plus = (ms: number) => new Date(T0.getTime() + ms);
const HOUR = 3600_000;

Deno.test("[db] portal sessions: unguessable token, only its hash stored, expiry checked on read", async () => {
  await withKv(async (kv) => {
    await upsertCustomer(kv, { id: "acme", name: "Acme" }, {
      now: plus(-HOUR),
    });
    const created = await createPortalSession(kv, "acme", {
      ttlMs: HOUR,
      now: T0,
    });
    assert.ok(created.ok);
    const { token, session_hash, expires_at } = created;
    assert.match(token, /^[A-Za-z0-9_-]{43}\.acme$/);
    assert.equal(session_hash, sha256(token));
    assert.equal(expires_at, plus(HOUR).toISOString());
    const raw = JSON.stringify([...(await dump(kv)).entries()]);
    assert.ok(!raw.includes(token), "cookie value never stored");
    const live = await getPortalSession(kv, token, { now: plus(HOUR - 1) });
    assert.equal(live?.customer_id, "acme");
    assert.equal(live?.session_hash, session_hash);
    assert.equal(
      await getPortalSession(kv, token, { now: plus(HOUR) }),
      null,
      "expired",
    );
    assert.equal(await getPortalSession(kv, token + "x", { now: T0 }), null);
    assert.equal(await getPortalSession(kv, "", { now: T0 }), null);
    const other = await createPortalSession(kv, "acme", {
      ttlMs: HOUR,
      now: T0,
    });
    assert.ok(other.ok);
    assert.notEqual(other.token, token);
    await deletePortalSession(kv, token);
    assert.equal(
      await getPortalSession(kv, token, { now: T0 }),
      null,
      "deleted",
    );
    assert.ok(await getPortalSession(kv, other.token, { now: T0 }));
  });
});

Deno.test("[db] portal sessions: revoking a customer's links ends sessions started before", async () => {
  await withKv(async (kv) => {
    await upsertCustomer(kv, { id: "acme", name: "Acme" }, {
      now: plus(-HOUR),
    });
    const before = await createPortalSession(kv, "acme", {
      ttlMs: HOUR,
      now: T0,
    });
    await revokePortalLinks(kv, "acme", plus(1000));
    const after = await createPortalSession(kv, "acme", {
      ttlMs: HOUR,
      now: plus(2000),
    });
    assert.ok(before.ok && after.ok);
    assert.equal(
      await getPortalSession(kv, before.token, { now: plus(3000) }),
      null,
    );
    assert.ok(await getPortalSession(kv, after.token, { now: plus(3000) }));
  });
});

const stateData = {
  customer_id: "acme",
  session_hash: "h".repeat(43),
  kind: "new" as const,
  finch_customer_id: "acme",
  slot: 1,
};

Deno.test("[db] connect state: single use, then 'used'", async () => {
  await withKv(async (kv) => {
    const state = await createConnectState(kv, stateData, {
      ttlMs: HOUR,
      now: T0,
    });
    assert.match(state, /^[A-Za-z0-9_-]{43}$/);
    assert.ok(
      !JSON.stringify([...(await dump(kv)).entries()]).includes(state),
      "only the hash is stored",
    );
    const first = await takeConnectState(kv, state, { now: plus(1000) });
    assert.deepEqual(first, {
      ok: true,
      data: { ...stateData, created_at: T0.toISOString() },
    });
    assert.deepEqual(await takeConnectState(kv, state, { now: plus(2000) }), {
      ok: false,
      reason: "used",
    });
    assert.deepEqual(await takeConnectState(kv, "x".repeat(43)), {
      ok: false,
      reason: "unknown",
    });
    assert.deepEqual(await takeConnectState(kv, "../etc"), {
      ok: false,
      reason: "unknown",
    });
  });
});

Deno.test("[db] connect state: concurrent takes, exactly one wins", async () => {
  await withKv(async (kv) => {
    const state = await createConnectState(kv, stateData, { ttlMs: HOUR });
    const rs = await Promise.all(
      Array.from({ length: 20 }, () => takeConnectState(kv, state)),
    );
    assert.equal(rs.filter((r) => r.ok).length, 1);
    assert.ok(rs.every((r) => r.ok || r.reason === "used"));
  });
});

Deno.test("[db] connect state: expired answers 'expired' once, then 'unknown'", async () => {
  await withKv(async (kv) => {
    const state = await createConnectState(kv, stateData, {
      ttlMs: 10 * 60_000,
      now: T0,
    });
    assert.deepEqual(
      await takeConnectState(kv, state, { now: plus(10 * 60_000) }),
      { ok: false, reason: "expired" },
    );
    assert.deepEqual(await takeConnectState(kv, state, { now: T0 }), {
      ok: false,
      reason: "unknown",
    });
    await assert.rejects(
      createConnectState(kv, { ...stateData, kind: "reauth" }, { ttlMs: HOUR }),
      {
        code: "invalid_input",
      },
    );
    await assert.rejects(createConnectState(kv, stateData, { ttlMs: 0 }), {
      code: "invalid_input",
    });
  });
});

Deno.test("[db] webhook events: seen once, duplicates false, even concurrently; forget and expiry", async () => {
  await withKv(async (kv) => {
    assert.equal(
      await markEventSeen(kv, "msg_1", { ttlMs: HOUR, now: T0 }),
      true,
    );
    assert.equal(
      await markEventSeen(kv, "msg_1", { ttlMs: HOUR, now: plus(1) }),
      false,
    );
    const rs = await Promise.all(
      Array.from(
        { length: 20 },
        () => markEventSeen(kv, "msg_2", { ttlMs: HOUR }),
      ),
    );
    assert.equal(rs.filter(Boolean).length, 1);
    await forgetEvent(kv, "msg_1");
    assert.equal(
      await markEventSeen(kv, "msg_1", { ttlMs: HOUR, now: T0 }),
      true,
      "forgotten: handled again",
    );
    // Past its time an entry counts as absent even before KV purges it.
    assert.equal(
      await markEventSeen(kv, "msg_1", { ttlMs: HOUR, now: plus(HOUR) }),
      true,
    );
    await assert.rejects(markEventSeen(kv, "", { ttlMs: HOUR }), {
      code: "invalid_input",
    });
  });
});
