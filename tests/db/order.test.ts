/**
 * A customer's live connections list newest first, by when each was first added: the
 * added-order copy (`["connections_by_added", ...]`) is written and removed in the
 * record's own atomic ops, so a refresh, a reconnect or a status change never moves a
 * card, and pages continue by cursor. A store from before release 2 has records without
 * copies: `ensureAddedOrder` brings a customer up to date once, concurrently safe.
 */
import assert from "node:assert/strict";
import {
  applyStatus,
  connectionKey,
  customerKey,
  disconnectRecord,
  ensureAddedOrder,
  getCustomer,
  listConnections,
  storeConnection,
  upsertCustomer,
} from "../../lib/db/mod.ts";
import { checkStore } from "../reliability/_invariants.ts";
import { connInput, testSealer, withKv } from "./_helpers.ts";

const T0 = Date.parse("2026-05-01T10:00:00Z");
const at = (minutes: number) => new Date(T0 + minutes * 60_000);

/** Stores conn-1..conn-n of acme, one minute apart (conn-n the newest). */
async function seed(kv: Deno.Kv, n: number) {
  const sealer = await testSealer();
  await upsertCustomer(kv, { id: "acme", name: "Acme" });
  for (let i = 1; i <= n; i++) {
    await storeConnection(
      kv,
      sealer,
      connInput({
        connection_id: `conn-${i}`,
        company_id: `co-${i}`,
        finch_customer_id: `acme~${i}`,
      }),
      { now: at(i) },
    );
  }
  return sealer;
}

const ids = (values: { connection_id: string }[]) =>
  values.map((c) => c.connection_id);

Deno.test("[db] live connections list newest first, page by page", async () => {
  await withKv(async (kv) => {
    await seed(kv, 5);
    const first = await listConnections(kv, "acme", { limit: 2 });
    assert.deepEqual(ids(first.values), ["conn-5", "conn-4"]);
    const second = await listConnections(kv, "acme", {
      limit: 2,
      cursor: first.cursor,
    });
    assert.deepEqual(ids(second.values), ["conn-3", "conn-2"]);
    const last = await listConnections(kv, "acme", {
      limit: 2,
      cursor: second.cursor,
    });
    assert.deepEqual(ids(last.values), ["conn-1"]);
    assert.equal(last.cursor, undefined);
  });
});

Deno.test("[db] a refresh, a reconnect's new token or a status change does not move a connection; a disconnect removes it", async () => {
  await withKv(async (kv) => {
    const sealer = await seed(kv, 3);
    // The oldest connection gets a new token much later (the same company again).
    await storeConnection(
      kv,
      sealer,
      connInput({
        connection_id: "conn-1",
        company_id: "co-1",
        finch_customer_id: "acme~1",
      }),
      { now: at(60) },
    );
    await applyStatus(kv, "conn-2", { status: "reauth", at: at(61) });
    const page = await listConnections(kv, "acme");
    assert.deepEqual(ids(page.values), ["conn-3", "conn-2", "conn-1"]);
    assert.equal(
      page.values[1].status,
      "reauth",
      "the copy follows the record",
    );
    await disconnectRecord(kv, "acme", "conn-2", {
      by: "employer",
      revoked_upstream: true,
      disconnected_at: at(62).toISOString(),
    });
    assert.deepEqual(ids((await listConnections(kv, "acme")).values), [
      "conn-3",
      "conn-1",
    ]);
    assert.deepEqual((await checkStore(kv, sealer, [])).violations, []);
  });
});

Deno.test("[db] a store from before release 2 gets its added order once, for each customer, also with two at once", async () => {
  await withKv(async (kv) => {
    const sealer = await seed(kv, 4);
    // Undo release 2's copies and the customer's layout: a release 1 store.
    for await (
      const e of kv.list({ prefix: ["connections_by_added", "acme"] })
    ) await kv.delete(e.key);
    const customer =
      (await kv.get<Record<string, unknown>>(customerKey("acme")))
        .value!;
    delete customer.layout;
    await kv.set(customerKey("acme"), customer);
    assert.deepEqual((await listConnections(kv, "acme")).values, []);
    assert.ok(
      (await checkStore(kv, sealer, [])).violations.some((v) =>
        /without its added-order copy/.test(v)
      ),
    );

    const before = await getCustomer(kv, "acme");
    assert.equal(before?.layout, undefined);
    await Promise.all([
      ensureAddedOrder(kv, before!),
      ensureAddedOrder(kv, before!),
    ]);
    assert.deepEqual(ids((await listConnections(kv, "acme")).values), [
      "conn-4",
      "conn-3",
      "conn-2",
      "conn-1",
    ]);
    const after = await getCustomer(kv, "acme");
    assert.equal(after?.layout, 2);
    assert.deepEqual((await checkStore(kv, sealer, [])).violations, []);
    // Up to date: nothing is read or written again.
    const record = await kv.get(connectionKey("acme", "conn-1"));
    await ensureAddedOrder(kv, after!);
    assert.equal(
      (await kv.get(connectionKey("acme", "conn-1"))).versionstamp,
      record.versionstamp,
    );
  });
});
