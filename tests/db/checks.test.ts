import assert from "node:assert/strict";
import {
  advanceAttempt,
  applyStatus,
  createConnectState,
  createPortalSession,
  disconnectRecord,
  DuplicateConnection,
  forgetEvent,
  markEventSeen,
  rekeyTokens,
  replaceConnection,
  revokePortalLinks,
  storeConnection,
  takeConnectState,
  updateConnection,
  upsertCustomer,
} from "../../lib/db/mod.ts";
import { connInput, countingKv, testSealer, withKv } from "./_helpers.ts";

Deno.test("[db] every atomic op stays within 10 checks", async () => {
  await withKv(async (raw) => {
    const { kv, checks } = countingKv(raw);
    const sealer = await testSealer("b");
    await upsertCustomer(kv, { id: "acme", name: "Acme" });
    await upsertCustomer(kv, { id: "acme", name: "Acme 2" });
    await storeConnection(
      kv,
      sealer,
      connInput({ attempt_slot: 1, entity_ids: ["e1", "e2"] }),
    );
    await storeConnection(kv, sealer, connInput({ attempt_slot: 2 }));
    const input = connInput({ connection_id: "conn-2", attempt_slot: 3 });
    const dup = await storeConnection(kv, sealer, input).catch((e) =>
      e as DuplicateConnection
    );
    await replaceConnection(kv, sealer, dup as DuplicateConnection, input);
    await updateConnection(kv, "acme", "conn-2", {
      company_name: "Acme",
      status: "connected",
    });
    await applyStatus(kv, "conn-2", { status: "reauth", at: new Date() });
    await applyStatus(kv, "conn-2", {
      status: "reauth",
      at: new Date(),
      entity_id: "e1",
    });
    await advanceAttempt(kv, "acme", 4);
    await revokePortalLinks(kv, "acme");
    await createPortalSession(kv, "acme", { ttlMs: 1000 });
    const state = await createConnectState(kv, {
      customer_id: "acme",
      session_hash: "h",
      kind: "new",
      finch_customer_id: "acme",
    }, { ttlMs: 1000 });
    await takeConnectState(kv, state);
    await markEventSeen(kv, "e", { ttlMs: 1000 });
    await forgetEvent(kv, "e");
    await raw.set(
      ["connection_tokens", "conn-2"],
      await (await testSealer("a")).seal("t", "connection_token:conn-2"),
    );
    await rekeyTokens(kv, sealer);
    await disconnectRecord(kv, "acme", "conn-2", {
      by: "employer",
      revoked_upstream: true,
      disconnected_at: new Date().toISOString(),
    });
    assert.ok(checks.length >= 15, `ops counted: ${checks.length}`);
    assert.ok(Math.max(...checks) <= 10, `checks per op: ${checks}`);
    // The biggest op (replace with slot advance) is well below the limit.
    assert.equal(Math.max(...checks), 6);
  });
});
