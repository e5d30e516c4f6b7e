import assert from "node:assert/strict";
import {
  type Connection,
  ConnectionOwnedElsewhere,
  DuplicateConnection,
  getAccessToken,
  storeConnection,
  upsertCustomer,
} from "../../lib/db/mod.ts";
import {
  createSealer,
  generateTokenKey,
  parseTokenKeys,
} from "../../lib/sealing.ts";
import { assertConsistent, connInput, testSealer, withKv } from "./_helpers.ts";

Deno.test("[db] concurrency: 100 concurrent stores of one connection_id: one created, 99 refreshed, one record", async () => {
  await withKv(async (kv) => {
    const sealer = await testSealer();
    await upsertCustomer(kv, { id: "acme", name: "Acme" });
    const tokens = Array.from({ length: 100 }, (_, i) => `token-${i}`);
    const results = await Promise.all(
      tokens.map((access_token) =>
        storeConnection(kv, sealer, connInput({ access_token }))
      ),
    );
    const created = results.filter((r) => r.outcome === "created").length;
    const refreshed = results.filter((r) => r.outcome === "refreshed").length;
    assert.deepEqual([created, refreshed], [1, 99]);
    const records = await assertConsistent(kv);
    assert.equal(records.length, 1);
    // The stored token is one of the stored ones, and it opens.
    assert.ok(tokens.includes((await getAccessToken(kv, sealer, "conn-1"))!));
  });
});

Deno.test("[db] concurrency: 100 concurrent stores of one company under 100 connection_ids: one created, 99 duplicates", async () => {
  await withKv(async (kv) => {
    const sealer = await testSealer();
    await upsertCustomer(kv, { id: "acme", name: "Acme" });
    const results = await Promise.allSettled(
      Array.from(
        { length: 100 },
        (_, i) =>
          storeConnection(
            kv,
            sealer,
            connInput({ connection_id: `conn-${i}` }),
          ),
      ),
    );
    const winners = results.filter((r) =>
      r.status === "fulfilled"
    ) as PromiseFulfilledResult<
      { outcome: string; connection: Connection }
    >[];
    const losers = results.filter((r) =>
      r.status === "rejected"
    ) as PromiseRejectedResult[];
    assert.equal(winners.length, 1);
    assert.equal(winners[0].value.outcome, "created");
    assert.equal(losers.length, 99);
    for (const l of losers) {
      assert.ok(l.reason instanceof DuplicateConnection, String(l.reason));
      assert.equal(
        l.reason.existing.connection_id,
        winners[0].value.connection.connection_id,
      );
    }
    const records = await assertConsistent(kv);
    assert.deepEqual(records.map((c) => c.connection_id), [
      winners[0].value.connection.connection_id,
    ]);
  });
});

Deno.test("[db] concurrency: one connection_id stored by two customers at once: one owner, the other refused", async () => {
  await withKv(async (kv) => {
    const sealer = await testSealer();
    await upsertCustomer(kv, { id: "acme", name: "Acme" });
    await upsertCustomer(kv, { id: "globex", name: "Globex" });
    const results = await Promise.allSettled(
      Array.from({ length: 100 }, (_, i) => {
        const customer_id = i % 2 ? "acme" : "globex";
        return storeConnection(
          kv,
          sealer,
          connInput({ customer_id, finch_customer_id: customer_id }),
        );
      }),
    );
    const records = await assertConsistent(kv);
    assert.equal(records.length, 1);
    const owner = records[0].customer_id;
    for (const [i, r] of results.entries()) {
      const mine = (i % 2 ? "acme" : "globex") === owner;
      if (mine) {
        assert.equal(
          r.status,
          "fulfilled",
          String((r as PromiseRejectedResult).reason),
        );
      } else {
        assert.equal(r.status, "rejected");
        assert.ok(
          (r as PromiseRejectedResult).reason instanceof
            ConnectionOwnedElsewhere,
        );
      }
    }
  });
});

Deno.test("[db] concurrency: two processes storing one company into one KV file leave one record", async () => {
  const dir = await Deno.makeTempDir({ prefix: "kv-two-proc-" });
  const path = `${dir}/portal.db`;
  try {
    const TOKEN_KEYS = generateTokenKey("k1");
    const kv = await Deno.openKv(path);
    await upsertCustomer(kv, { id: "acme", name: "Acme" });
    kv.close();
    const START_AT = String(Date.now() + 1500);
    const spawn = (WORKER: string) =>
      new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          "--unstable-kv",
          new URL("./fixtures/store_worker.ts", import.meta.url).pathname,
        ],
        // The repo root, where deno.json maps the npm imports.
        cwd: new URL("../../", import.meta.url).pathname,
        env: {
          KV_PATH: path,
          TOKEN_KEYS,
          START_AT,
          WORKER,
          COUNT: "60",
          NO_COLOR: "1",
        },
        stdout: "piped",
        stderr: "piped",
      }).output();
    const outputs = await Promise.all([spawn("a"), spawn("b")]);
    const reports = outputs.map((o) => {
      assert.equal(o.code, 0, new TextDecoder().decode(o.stderr));
      return JSON.parse(
        new TextDecoder().decode(o.stdout).trim().split("\n").at(-1)!,
      );
    });
    const total: Record<string, number> = {};
    for (const r of reports) {
      for (
        const [k, n] of Object.entries(r.outcomes as Record<string, number>)
      ) total[k] = (total[k] ?? 0) + n;
    }
    // Every call got a defined outcome; exactly one created anything.
    assert.deepEqual(
      Object.keys(total).filter((k) => k.startsWith("error")),
      [],
      JSON.stringify(total),
    );
    assert.equal(total.created, 1, JSON.stringify(total));
    assert.equal((total.refreshed ?? 0) + (total.duplicate ?? 0), 119);

    const check = await Deno.openKv(path);
    try {
      const records = await assertConsistent(check);
      assert.equal(records.length, 1);
      const sealer = await createSealer(parseTokenKeys(TOKEN_KEYS));
      assert.match(
        (await getAccessToken(check, sealer, records[0].connection_id))!,
        /^token-/,
      );
    } finally {
      check.close();
    }
    console.log(
      `  retries across processes: ${
        JSON.stringify(reports.map((r) => r.retryStats))
      }`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
