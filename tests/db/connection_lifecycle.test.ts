/** The connection store after the first write: listing, reading, disconnecting, status ordering, introspect updates and attempt slots. */
import assert from "node:assert/strict";
import {
  AlreadyDisconnected,
  applyStatus,
  ConnectionOwnedElsewhere,
  currentAttempt,
  disconnectRecord,
  findConnection,
  findConnectionRecord,
  getAccessToken,
  getConnection,
  InvalidInput,
  listAttemptLog,
  listConnections,
  NotFound,
  readToken,
  storeConnection,
  updateConnection,
  upsertCustomer,
} from "../../lib/db/mod.ts";
import { assertConsistent, connInput, dump, withKv } from "./_helpers.ts";
import { at, setup, T0 } from "./_connections.ts";

Deno.test("[db] listConnections: cursor pagination, 25 records by 10, tenancy by key", async () => {
  await withKv(async (kv) => {
    const sealer = await setup(kv);
    for (let i = 0; i < 25; i++) {
      const n = String(i).padStart(2, "0");
      await storeConnection(
        kv,
        sealer,
        connInput({ connection_id: `conn-${n}`, company_id: `co-${n}` }),
      );
    }
    await storeConnection(
      kv,
      sealer,
      connInput({ customer_id: "globex", connection_id: "g-1" }),
    );
    const seen: string[] = [];
    let cursor: string | undefined;
    const sizes: number[] = [];
    do {
      const page = await listConnections(kv, "acme", { limit: 10, cursor });
      sizes.push(page.values.length);
      seen.push(...page.values.map((c) => c.connection_id));
      cursor = page.cursor;
    } while (cursor);
    assert.deepEqual(sizes, [10, 10, 5]);
    assert.equal(new Set(seen).size, 25);
    assert.ok(
      seen.every((id) => id.startsWith("conn-")),
      "no other customer's connection",
    );
    // A last page that is exactly full carries no cursor.
    const exact = await listConnections(kv, "acme", { limit: 25 });
    assert.equal(exact.values.length, 25);
    assert.equal(exact.cursor, undefined);
    const empty = await listConnections(kv, "nobody");
    assert.deepEqual(empty, { values: [] });
    await assert.rejects(
      listConnections(kv, "acme", { limit: 0 }),
      InvalidInput,
    );
    await assert.rejects(
      listConnections(kv, "acme", { cursor: "%%%" }),
      InvalidInput,
    );
  });
});

Deno.test("[db] getConnection: another customer's connection answers null, like a missing one", async () => {
  await withKv(async (kv) => {
    const sealer = await setup(kv);
    await storeConnection(kv, sealer, connInput());
    assert.equal(await getConnection(kv, "globex", "conn-1"), null);
    assert.equal(await getConnection(kv, "acme", "nope"), null);
    assert.equal(await findConnection(kv, "nope"), null);
    assert.equal(await getAccessToken(kv, sealer, "nope"), null);
    await assert.rejects(
      disconnectRecord(kv, "globex", "conn-1", receipt()),
      NotFound,
    );
    assert.equal((await assertConsistent(kv)).length, 1);
  });
});

/** A disconnect's receipt, as the flows give it. */
function receipt() {
  return {
    by: "api" as const,
    revoked_upstream: true,
    disconnected_at: new Date().toISOString(),
  };
}

Deno.test("[db] disconnectRecord: a tombstone in place of the record; company index and token deleted; owner kept", async () => {
  await withKv(async (kv) => {
    const sealer = await setup(kv);
    await storeConnection(kv, sealer, connInput());
    await storeConnection(
      kv,
      sealer,
      connInput({ connection_id: "conn-2", company_id: "co-2" }),
    );
    const gone = await disconnectRecord(kv, "acme", "conn-1", receipt());
    assert.equal(gone.connection_id, "conn-1");
    assert.equal(gone.status, "disconnected");
    assert.equal(gone.disconnect.by, "api");
    const keys = [...(await dump(kv)).keys()];
    const withId = keys.filter((k) => k.includes('"conn-1"'));
    assert.deepEqual(withId.sort(), [
      '["connections_by_id","conn-1"]',
      '["disconnected_connections","acme","conn-1"]',
    ]);
    assert.ok(!keys.some((k) => k.includes('"co-1"')), keys.join("\n"));
    assert.equal((await assertConsistent(kv)).length, 1);
    // Not live any more: not listed, not found by id, no token; readable as a record.
    assert.equal(await findConnection(kv, "conn-1"), null);
    assert.equal(await getAccessToken(kv, sealer, "conn-1"), null);
    assert.equal((await readToken(kv, sealer, "conn-1")).found, "disconnected");
    assert.equal(
      (await findConnectionRecord(kv, "conn-1"))?.status,
      "disconnected",
    );
    assert.deepEqual(
      (await listConnections(kv, "acme")).values.map((c) => c.connection_id),
      ["conn-2"],
    );
    assert.deepEqual(
      (await listConnections(kv, "acme", { status: "disconnected" })).values
        .map((c) => c.connection_id),
      ["conn-1"],
    );
    await assert.rejects(
      disconnectRecord(kv, "acme", "conn-1", receipt()),
      AlreadyDisconnected,
    );
    // Another customer still cannot take the id.
    await upsertCustomer(kv, { id: "globex", name: "Globex" });
    await assert.rejects(
      storeConnection(kv, sealer, connInput({ customer_id: "globex" })),
      ConnectionOwnedElsewhere,
    );
    // The company is free again: a new connection for it is created.
    const again = await storeConnection(
      kv,
      sealer,
      connInput({ connection_id: "conn-3" }),
    );
    assert.equal(again.outcome, "created");
    assert.equal((await assertConsistent(kv)).length, 2);
    // The disconnected id connected again by its own customer lives again.
    await disconnectRecord(kv, "acme", "conn-3", receipt());
    const back = await storeConnection(kv, sealer, connInput());
    assert.equal(back.outcome, "created");
    assert.equal((await findConnection(kv, "conn-1"))?.status, "connected");
    assert.equal(
      (await listConnections(kv, "acme", { status: "disconnected" })).values
        .map((c) => c.connection_id).join(),
      "conn-3",
    );
    assert.equal((await assertConsistent(kv)).length, 2);
  });
});

Deno.test("[db] applyStatus: an older event never rolls back a newer one", async (t) => {
  await withKv(async (kv) => {
    const sealer = await setup(kv);
    await storeConnection(
      kv,
      sealer,
      connInput({ entity_ids: ["ent-1", "ent-2"] }),
      { now: T0 },
    );

    await t.step("newer status applies, with its message", async () => {
      const r = await applyStatus(kv, "conn-1", {
        status: "reauth",
        at: at(10),
        message: "password changed",
      });
      assert.equal(r.outcome, "applied");
      const c = (await findConnection(kv, "conn-1"))!;
      assert.equal(c.status, "reauth");
      assert.equal(c.status_message, "password changed");
      assert.equal(c.status_at, at(10).toISOString());
    });
    await t.step("older event is stale and changes nothing", async () => {
      const before = await dump(kv);
      const r = await applyStatus(kv, "conn-1", {
        status: "connected",
        at: at(5),
      });
      assert.equal(r.outcome, "stale");
      assert.deepEqual(await dump(kv), before);
    });
    await t.step("legacy spelling is normalized", async () => {
      await applyStatus(kv, "conn-1", { status: "error_reauth", at: at(11) });
      assert.equal((await findConnection(kv, "conn-1"))!.status, "reauth");
    });
    await t.step(
      "entity status is tracked per entity, with its own ordering",
      async () => {
        const r = await applyStatus(kv, "conn-1", {
          status: "disconnected",
          at: at(20),
          entity_id: "ent-2",
        });
        assert.equal(r.outcome, "applied");
        let c = (await findConnection(kv, "conn-1"))!;
        assert.equal(
          c.status,
          "reauth",
          "connection status unchanged by an entity event",
        );
        assert.deepEqual(c.entities.map((e) => [e.id, e.status]), [[
          "ent-1",
          "connected",
        ], ["ent-2", "disconnected"]]);
        assert.equal(
          (await applyStatus(kv, "conn-1", {
            status: "connected",
            at: at(15),
            entity_id: "ent-2",
          })).outcome,
          "stale",
        );
        await applyStatus(kv, "conn-1", {
          status: "pending",
          at: at(1),
          entity_id: "ent-new",
        });
        c = (await findConnection(kv, "conn-1"))!;
        assert.deepEqual(c.entities.map((e) => e.id), [
          "ent-1",
          "ent-2",
          "ent-new",
        ]);
      },
    );
    await t.step(
      "unknown connection is not_found; bad status is invalid",
      async () => {
        assert.deepEqual(
          await applyStatus(kv, "nope", { status: "connected", at: at(30) }),
          { outcome: "not_found" },
        );
        await assert.rejects(
          applyStatus(kv, "conn-1", { status: "exploded", at: at(30) }),
          InvalidInput,
        );
      },
    );
  });
});

Deno.test("[db] updateConnection: introspect details, status ordering, not found", async () => {
  await withKv(async (kv) => {
    const sealer = await setup(kv);
    await storeConnection(kv, sealer, connInput(), { now: T0 });
    const c = await updateConnection(kv, "acme", "conn-1", {
      company_name: "Acme Holdings",
      status: "pending",
      status_at: at(2).toISOString(),
      entities: [{
        id: "ent-9",
        name: "Acme West",
        source_id: "w",
        status: "connected",
      }],
      authentication_methods: [{
        type: "assisted",
        status: "pending",
        products: ["directory"],
      }],
      last_synced_at: at(1).toISOString(),
    }, { now: at(3) });
    assert.equal(c.company_name, "Acme Holdings");
    assert.equal(c.status, "pending");
    assert.deepEqual(c.entities.map((e) => [e.id, e.name, e.status]), [[
      "ent-9",
      "Acme West",
      "connected",
    ]]);
    assert.equal(c.updated_at, at(3).toISOString());
    const older = await updateConnection(kv, "acme", "conn-1", {
      status: "connected",
      status_at: at(1).toISOString(),
    });
    assert.equal(older.status, "pending", "an older status is ignored");
    assert.deepEqual(await getConnection(kv, "acme", "conn-1"), older);
    await assert.rejects(
      updateConnection(kv, "globex", "conn-1", { company_name: "x" }),
      NotFound,
    );
    await assert.rejects(
      updateConnection(kv, "acme", "conn-1", { access_token: "x" } as never),
      InvalidInput,
    );
  });
});

Deno.test("[db] storeConnection: a converted attempt slot advances in the same op and is logged", async () => {
  await withKv(async (kv) => {
    const sealer = await setup(kv);
    assert.deepEqual(await currentAttempt(kv, "acme"), {
      slot: 1,
      finch_customer_id: "acme",
    });
    await storeConnection(kv, sealer, connInput({ attempt_slot: 1 }), {
      now: T0,
    });
    assert.deepEqual(await currentAttempt(kv, "acme"), {
      slot: 2,
      finch_customer_id: "acme~2",
    });
    // A replayed callback of slot 1 refreshes and does not advance again.
    await storeConnection(kv, sealer, connInput({ attempt_slot: 1 }));
    assert.equal((await currentAttempt(kv, "acme")).slot, 2);
    const log = await listAttemptLog(kv, "acme");
    assert.deepEqual(
      log.map((e) => [e.slot, e.outcome, e.connection_id, e.detail]),
      [[1, "converted", "conn-1", "created"]],
    );
  });
});
