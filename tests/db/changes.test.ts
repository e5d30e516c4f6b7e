/**
 * The change notices of lib/db/changes.ts: every write to a customer's data tells the
 * listeners on that KV handle, once the write is done, and nobody else. The page cache
 * (tests/portal/page_cache.test.ts) relies on it to never serve a page older than a
 * change made in this process.
 */
import assert from "node:assert/strict";
import {
  applyStatus,
  createPortalSession,
  deleteConnection,
  deletePortalSession,
  DuplicateConnection,
  onCustomerChange,
  replaceConnection,
  revokePortalLinks,
  storeConnection,
  updateConnection,
  upsertCustomer,
} from "../../lib/db/mod.ts";
import { customerChanged } from "../../lib/db/changes.ts";
import { connInput, testSealer, withKv } from "./_helpers.ts";

Deno.test("[db] every write to a customer's data notifies that customer, after the commit", async () => {
  await withKv(async (kv) => {
    const sealer = await testSealer();
    const heard: string[] = [];
    const stop = onCustomerChange(kv, (id) => heard.push(id));
    /** Runs `write`; the listener must hear `customer` exactly once. */
    const expect = async (
      what: string,
      customer: string,
      write: () => Promise<unknown>,
    ) => {
      heard.length = 0;
      await write();
      assert.deepEqual(heard, [customer], what);
    };

    await expect(
      "upsertCustomer",
      "acme",
      () => upsertCustomer(kv, { id: "acme", name: "Acme" }),
    );
    await upsertCustomer(kv, { id: "globex", name: "Globex" });
    await expect(
      "storeConnection",
      "acme",
      () => storeConnection(kv, sealer, connInput()),
    );
    await expect(
      "updateConnection",
      "acme",
      () => updateConnection(kv, "acme", "conn-1", { company_name: "Acme Co" }),
    );
    await expect(
      "applyStatus",
      "acme",
      () =>
        applyStatus(kv, "conn-1", {
          status: "reauth",
          at: new Date(Date.now() + 1000),
        }),
    );
    const input = connInput({ connection_id: "conn-2", attempt_slot: 1 });
    const dup = await storeConnection(kv, sealer, input).catch((e) => e);
    assert.ok(dup instanceof DuplicateConnection);
    await expect(
      "replaceConnection",
      "acme",
      () => replaceConnection(kv, sealer, dup, input),
    );
    await expect(
      "deleteConnection",
      "acme",
      () => deleteConnection(kv, "acme", "conn-2"),
    );
    const session = await createPortalSession(kv, "globex", { ttlMs: 60_000 });
    await expect(
      "deletePortalSession",
      "globex",
      () => deletePortalSession(kv, session.token),
    );
    await expect(
      "revokePortalLinks",
      "globex",
      () => revokePortalLinks(kv, "globex"),
    );

    // A write that changes nothing, or fails, may stay silent; it never names another customer.
    heard.length = 0;
    await applyStatus(kv, "conn-unknown", {
      status: "connected",
      at: new Date(),
    });
    await deleteConnection(kv, "acme", "conn-2").catch(() => {});
    assert.ok(heard.every((id) => id === "acme"), heard.join());

    stop();
    heard.length = 0;
    await upsertCustomer(kv, { id: "acme", name: "Acme again" });
    assert.deepEqual(heard, [], "a stopped listener hears nothing");
  });
});

Deno.test("[db] change notices stay with their KV handle, and a failing listener cannot fail a write", async () => {
  await withKv(async (kv) => {
    await withKv(async (other) => {
      const heard: string[] = [];
      onCustomerChange(other, (id) => heard.push(id));
      onCustomerChange(kv, () => {
        throw new Error("a listener's bug");
      });
      const ok: string[] = [];
      onCustomerChange(kv, (id) => ok.push(id));
      await upsertCustomer(kv, { id: "acme", name: "Acme" });
      assert.deepEqual(heard, [], "another handle hears nothing");
      assert.deepEqual(ok, ["acme"], "the next listener still hears");
      customerChanged(other, "globex");
      assert.deepEqual(heard, ["globex"]);
    });
  });
});
