/** The connection store: storeConnection and replaceConnection, with tenancy, duplicates and typed errors. */
import assert from "node:assert/strict";
import {
  applyStatus,
  ConnectionOwnedElsewhere,
  currentAttempt,
  DuplicateConnection,
  findConnection,
  findConnectionRecord,
  getAccessToken,
  getConnection,
  InvalidInput,
  NotFound,
  replaceConnection,
  storeConnection,
  WriteConflict,
} from "../../lib/db/mod.ts";
import {
  assertConsistent,
  connInput,
  dump,
  testSealer,
  withKv,
} from "./_helpers.ts";
import { at, setup, T0 } from "./_connections.ts";

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
