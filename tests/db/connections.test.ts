import assert from "node:assert/strict";
import {
  AlreadyDisconnected,
  applyStatus,
  ConnectionOwnedElsewhere,
  currentAttempt,
  disconnectRecord,
  DuplicateConnection,
  findConnection,
  findConnectionRecord,
  getAccessToken,
  getConnection,
  InvalidInput,
  listAttemptLog,
  listConnections,
  NotFound,
  readToken,
  replaceConnection,
  storeConnection,
  updateConnection,
  upsertCustomer,
  WriteConflict,
} from "../../lib/db/mod.ts";
import {
  assertConsistent,
  connInput,
  dump,
  testSealer,
  withKv,
} from "./_helpers.ts";

const T0 = new Date("2025-01-01T00:00:00.000Z");
const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);

async function setup(kv: Deno.Kv) {
  await upsertCustomer(kv, { id: "acme", name: "Acme" });
  await upsertCustomer(kv, { id: "globex", name: "Globex" });
  return await testSealer();
}

Deno.test("[db] storeConnection: new connection creates record, both indexes and sealed token", async () => {
  await withKv(async (kv) => {
    const sealer = await setup(kv);
    const input = connInput({ company_name: "Acme Inc" });
    const r = await storeConnection(kv, sealer, input, { now: T0 });
    assert.equal(r.outcome, "created");
    assert.equal(r.connection.connection_id, "conn-1");
    assert.equal(r.connection.customer_id, "acme");
    assert.equal(r.connection.status, "connected");
    assert.deepEqual(r.connection.products, ["company", "directory"]);
    assert.deepEqual(r.connection.entities, [
      {
        id: "ent-1",
        name: null,
        source_id: null,
        status: "connected",
        status_at: T0.toISOString(),
      },
    ]);
    assert.equal(r.connection.created_at, T0.toISOString());
    const raw = await dump(kv);
    assert.deepEqual(raw.get(JSON.stringify(["connections_by_id", "conn-1"])), {
      customer_id: "acme",
    });
    assert.equal(
      raw.get(
        JSON.stringify(["connections_by_company", "acme", "gusto", "co-1"]),
      ),
      "conn-1",
    );
    const sealed = raw.get(
      JSON.stringify(["connection_tokens", "conn-1"]),
    ) as string;
    assert.match(sealed, /^v1\.k1\./);
    assert.ok(
      !JSON.stringify([...raw.values()]).includes(input.access_token),
      "token never stored in clear",
    );
    assert.equal(
      await getAccessToken(kv, sealer, "conn-1"),
      input.access_token,
    );
    assert.deepEqual(await getConnection(kv, "acme", "conn-1"), r.connection);
    assert.deepEqual(await findConnection(kv, "conn-1"), r.connection);
    await assertConsistent(kv);
  });
});

Deno.test("[db] storeConnection: same connection_id again refreshes the token, keeps the record", async () => {
  await withKv(async (kv) => {
    const sealer = await setup(kv);
    await storeConnection(kv, sealer, connInput({ company_name: "Acme Inc" }), {
      now: T0,
    });
    await applyStatus(kv, "conn-1", { status: "reauth", at: at(1) });
    const input = connInput({
      access_token: "new-token",
      products: ["payment"],
      entity_ids: ["ent-2"],
    });
    const r = await storeConnection(kv, sealer, input, { now: at(2) });
    assert.equal(r.outcome, "refreshed");
    const c = r.connection;
    assert.equal(c.created_at, T0.toISOString(), "record kept");
    assert.equal(c.company_name, "Acme Inc", "known name kept");
    assert.equal(c.token_updated_at, at(2).toISOString());
    assert.equal(
      c.status,
      "connected",
      "a fresh token (reauth done) is connected",
    );
    assert.deepEqual(c.products, ["payment"]);
    assert.deepEqual(
      c.entities.map((e) => e.id),
      ["ent-1", "ent-2"],
      "entities merged",
    );
    assert.equal(await getAccessToken(kv, sealer, "conn-1"), "new-token");
    assert.equal((await assertConsistent(kv)).length, 1);
  });
});

Deno.test("[db] storeConnection: connection_id owned by another customer is refused, nothing written", async () => {
  await withKv(async (kv) => {
    const sealer = await setup(kv);
    await storeConnection(kv, sealer, connInput(), { now: T0 });
    const before = await dump(kv);
    const err = await storeConnection(
      kv,
      sealer,
      connInput({
        customer_id: "globex",
        finch_customer_id: "globex",
        attempt_slot: 1,
        access_token: "stolen",
      }),
    ).catch((e) => e);
    assert.ok(err instanceof ConnectionOwnedElsewhere);
    assert.equal(err.code, "connection_owned_elsewhere");
    assert.ok(!err.message.includes("acme"), "the owner is not named");
    assert.deepEqual(await dump(kv), before, "not one KV entry changed");
    assert.equal(await getConnection(kv, "globex", "conn-1"), null);
    assert.equal(
      (await currentAttempt(kv, "globex")).slot,
      1,
      "slot not advanced",
    );
  });
});

Deno.test("[db] storeConnection: same company under another connection_id is a duplicate, record untouched", async () => {
  await withKv(async (kv) => {
    const sealer = await setup(kv);
    const first = await storeConnection(kv, sealer, connInput(), { now: T0 });
    const before = await dump(kv);
    const err = await storeConnection(
      kv,
      sealer,
      connInput({ connection_id: "conn-2", attempt_slot: 2 }),
    )
      .catch((e) => e);
    assert.ok(err instanceof DuplicateConnection);
    assert.equal(err.code, "duplicate_connection");
    assert.deepEqual(err.existing, first.connection);
    assert.equal(typeof err.versionstamp, "string");
    assert.deepEqual(await dump(kv), before, "not one KV entry changed");
    // Other company or other provider: a second, separate connection.
    const other = await storeConnection(
      kv,
      sealer,
      connInput({ connection_id: "conn-3", company_id: "co-2" }),
    );
    const otherProv = await storeConnection(
      kv,
      sealer,
      connInput({ connection_id: "conn-4", provider_id: "justworks" }),
    );
    assert.equal(other.outcome, "created");
    assert.equal(otherProv.outcome, "created");
    // The same company for another customer is that customer's own connection.
    const g = await storeConnection(
      kv,
      sealer,
      connInput({ customer_id: "globex", connection_id: "conn-5" }),
    );
    assert.equal(g.outcome, "created");
    assert.equal((await assertConsistent(kv)).length, 4);
  });
});

Deno.test("[db] storeConnection: unknown customer and bad input are typed errors", async () => {
  await withKv(async (kv) => {
    const sealer = await setup(kv);
    await assert.rejects(
      storeConnection(kv, sealer, connInput({ customer_id: "nobody" })),
      NotFound,
    );
    await assert.rejects(
      storeConnection(kv, sealer, connInput({ customer_id: "bad id!" })),
      InvalidInput,
    );
    await assert.rejects(
      storeConnection(kv, sealer, connInput({ access_token: "" })),
      InvalidInput,
    );
    const err = await storeConnection(
      kv,
      sealer,
      connInput({ status: "bogus" as "connected" }),
    ).catch((e) => e);
    assert.ok(err instanceof InvalidInput);
    assert.equal((await dump(kv)).size, 2, "only the two customers");
  });
});

Deno.test("[db] replaceConnection: swaps the duplicate atomically and hands back the old token", async () => {
  await withKv(async (kv) => {
    const sealer = await setup(kv);
    const oldInput = connInput({ access_token: "old-token" });
    await storeConnection(kv, sealer, oldInput, { now: T0 });
    const input = connInput({
      connection_id: "conn-2",
      access_token: "new-token",
      attempt_slot: 1,
    });
    const dup = await storeConnection(kv, sealer, input).catch((e) => e);
    assert.ok(dup instanceof DuplicateConnection);

    await t_staleView(kv, sealer, dup, input);

    const fresh = await storeConnection(kv, sealer, input).catch((e) =>
      e
    ) as DuplicateConnection;
    const r = await replaceConnection(kv, sealer, fresh, input, { now: at(5) });
    assert.equal(r.outcome, "replaced");
    assert.equal(r.connection.connection_id, "conn-2");
    assert.equal(r.retired.connection.connection_id, "conn-1");
    assert.equal(r.retired.access_token, "old-token");
    const records = await assertConsistent(kv);
    assert.deepEqual(records.map((c) => c.connection_id), ["conn-2"]);
    assert.equal(
      await getAccessToken(kv, sealer, "conn-1"),
      null,
      "old token destroyed",
    );
    assert.equal(await getAccessToken(kv, sealer, "conn-2"), "new-token");
    // The retired connection left a tombstone that says why.
    const retired = await findConnectionRecord(kv, "conn-1");
    assert.equal(retired?.status, "disconnected");
    assert.deepEqual(
      retired && "disconnect" in retired
        ? [retired.disconnect.by, retired.disconnect.replaced_by]
        : null,
      ["system", "conn-2"],
    );
    assert.equal(
      (await currentAttempt(kv, "acme")).slot,
      2,
      "slot advanced in the same op",
    );
    // Input that is not a replacement of this record is refused.
    await assert.rejects(
      replaceConnection(kv, sealer, {
        existing: r.connection,
        versionstamp: "x",
      }, connInput({ connection_id: "conn-9", company_id: "co-9" })),
      InvalidInput,
    );
  });
});

/** A replace based on a view that changed since (a status update) writes nothing. */
async function t_staleView(
  kv: Deno.Kv,
  sealer: Awaited<ReturnType<typeof testSealer>>,
  dup: DuplicateConnection,
  input: ReturnType<typeof connInput>,
) {
  await applyStatus(kv, "conn-1", { status: "reauth", at: at(3) });
  const before = await dump(kv);
  await assert.rejects(
    replaceConnection(kv, sealer, dup, input),
    WriteConflict,
  );
  assert.deepEqual(await dump(kv), before);
}

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
