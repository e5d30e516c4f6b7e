/**
 * The invariant checker that the crash and process tests rely on must itself be able to
 * fail: each kind of damage, planted in a store the data layer wrote, is reported.
 */
import assert from "node:assert/strict";
import { storeConnection, upsertCustomer } from "../../lib/db/mod.ts";
import { testSealer } from "../db/_helpers.ts";
import { checkStore, scanKvFiles } from "./_invariants.ts";

async function seeded(kv: Deno.Kv) {
  const sealer = await testSealer("k1");
  await upsertCustomer(kv, { id: "acme", name: "Acme" });
  await upsertCustomer(kv, { id: "beta", name: "Beta" });
  const tokens: string[] = [];
  for (const [i, customer] of ["acme", "acme", "beta"].entries()) {
    const access_token = `tok-${crypto.randomUUID()}`;
    tokens.push(access_token);
    await storeConnection(kv, sealer, {
      customer_id: customer,
      connection_id: `conn-${i}`,
      provider_id: "gusto",
      company_id: `co-${i}`,
      access_token,
      products: ["company"],
      finch_customer_id: customer,
    });
  }
  return { sealer, tokens };
}

Deno.test("[reliability] invariant checker: a sound store passes, each planted fault is reported", async (t) => {
  const kv = await Deno.openKv(":memory:");
  try {
    const { sealer, tokens } = await seeded(kv);
    const sound = await checkStore(kv, sealer, tokens);
    assert.deepEqual(sound.violations, []);
    assert.equal(sound.connections, 3);

    const plant = async (
      name: string,
      damage: () => Promise<unknown>,
      expected: RegExp,
    ) => {
      await t.step(name, async () => {
        await damage();
        const report = await checkStore(kv, sealer, tokens);
        assert.ok(
          report.violations.some((v) => expected.test(v)),
          `expected ${expected} in ${JSON.stringify(report.violations)}`,
        );
      });
    };
    const record = (await kv.get(["connections", "acme", "conn-0"])).value;

    await plant(
      "a record without its owner index",
      () => kv.delete(["connections_by_id", "conn-0"]),
      /record conn-0 without its owner index/,
    );
    await plant(
      "an owner index without its record",
      () => kv.set(["connections_by_id", "conn-9"], { customer_id: "acme" }),
      /owner index of conn-9 without its record/,
    );
    await plant(
      "a company index without its record",
      () =>
        kv.set(["connections_by_company", "acme", "gusto", "co-9"], "conn-9"),
      /company index acme\/gusto\/co-9 without its record/,
    );
    await plant(
      "a record whose added-order copy differs, and a copy without its record",
      async () => {
        const r = record as { customer_id: string; created_at: string };
        const at = Date.parse(r.created_at);
        await kv.set(["connections_by_added", "acme", at, "conn-0"], {
          ...record as object,
          company_name: "Someone Else",
        });
        await kv.set(["connections_by_added", "acme", at, "conn-7"], {
          ...record as object,
          connection_id: "conn-7",
        });
      },
      /record conn-0 and its added-order copy differ/,
    );
    await plant(
      "a token without its record",
      () => kv.set(["connection_tokens", "conn-8"], "v1.k1.aaaa.bbbb"),
      /token of conn-8 without its record/,
    );
    await plant(
      "a connection stored under two customers",
      () =>
        kv.set(["connections", "beta", "conn-0"], {
          ...record as object,
          customer_id: "beta",
        }),
      /conn-0 is stored under two customers/,
    );
    await plant(
      "two live records for one company",
      () =>
        kv.set(["connections", "acme", "conn-7"], {
          ...record as object,
          connection_id: "conn-7",
        }),
      /two live records for acme\/gusto\/co-0/,
    );
    await plant(
      "a token sealed under a key TOKEN_KEYS does not list",
      async () => {
        const other = await testSealer("k2");
        const { tokenAad } = await import("../../lib/db/connections.ts");
        await kv.set(
          ["connection_tokens", "conn-1"],
          await other.seal(tokens[1], tokenAad("conn-1")),
        );
      },
      /token of conn-1 does not open/,
    );
    await plant(
      "a token in plain text",
      () => kv.set(["connection_tokens", "conn-2"], tokens[2]),
      /plaintext token in \["connection_tokens","conn-2"\]/,
    );
    await plant(
      "a token hidden inside another record",
      () => kv.set(["settings", "note"], { nested: [`x${tokens[0]}y`] }),
      /plaintext token in \["settings","note"\]/,
    );
    const tombstone = {
      ...record as object,
      connection_id: "conn-6",
      status: "disconnected",
      disconnect: {
        by: "api",
        revoked_upstream: true,
        disconnected_at: new Date().toISOString(),
        replaced_by: null,
      },
    };
    await plant(
      "a tombstone without its marked owner index",
      () => kv.set(["disconnected_connections", "acme", "conn-6"], tombstone),
      /tombstone conn-6 without its marked owner index/,
    );
    await plant(
      "a marked owner index without its tombstone",
      () =>
        kv.set(["connections_by_id", "conn-5"], {
          customer_id: "acme",
          disconnected_at: new Date().toISOString(),
        }),
      /marked owner index of conn-5 without its tombstone/,
    );
    await plant(
      "a connection both live and disconnected",
      () =>
        kv.set(["disconnected_connections", "acme", "conn-0"], {
          ...tombstone,
          connection_id: "conn-0",
        }),
      /connection conn-0 both live and disconnected/,
    );
    await plant(
      "an event carrying a token",
      () => kv.set(["events", "01ARZ3NDEKTSV4RRFFQ69G5FAV"], { t: tokens[1] }),
      /plaintext token in \["events"/,
    );
  } finally {
    kv.close();
  }
});

Deno.test("[reliability] invariant checker: the file scan finds a plaintext token in the KV file's bytes", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/store.db`;
    const kv = await Deno.openKv(path);
    const token = crypto.randomUUID();
    await kv.set(["settings", "leak"], `prefix ${token}`);
    await kv.set(["settings", "other"], "nothing");
    kv.close();
    assert.ok((await scanKvFiles(path, [token])).length > 0);
    assert.deepEqual(await scanKvFiles(path, [crypto.randomUUID()]), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
