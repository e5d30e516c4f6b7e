/**
 * Shared fixtures of the data-layer tests: a `:memory:` KV per test, test
 * sealers, connection input factories, a raw dump of the store and a
 * consistency checker of the connection indexes.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { Connection, StoreConnectionInput } from "../../lib/db/mod.ts";
import {
  createSealer,
  generateTokenKey,
  parseTokenKeys,
  type Sealer,
} from "../../lib/sealing.ts";

/** Runs `fn` with a fresh in-memory KV, closed afterwards. */
export async function withKv(
  fn: (kv: Deno.Kv) => Promise<void>,
): Promise<void> {
  const kv = await Deno.openKv(":memory:");
  try {
    await fn(kv);
  } finally {
    kv.close();
  }
}

/** A sealer over freshly generated keys (`kids` in order; the first seals). */
export async function testSealer(...kids: string[]): Promise<Sealer> {
  const text = (kids.length ? kids : ["k1"]).map((k) => generateTokenKey(k))
    .join(",");
  return await createSealer(parseTokenKeys(text));
}

/** A valid storeConnection input; override any field. */
export function connInput(
  over: Partial<StoreConnectionInput> = {},
): StoreConnectionInput {
  return {
    customer_id: "acme",
    connection_id: "conn-1",
    provider_id: "gusto",
    company_id: "co-1",
    access_token: `tok-${crypto.randomUUID()}`,
    products: ["directory", "company"],
    entity_ids: ["ent-1"],
    finch_customer_id: "acme",
    ...over,
  };
}

/** Every entry of the store, as `JSON(key) -> value`. */
export async function dump(kv: Deno.Kv): Promise<Map<string, unknown>> {
  const out = new Map<string, unknown>();
  for await (const e of kv.list({ prefix: [] })) {
    out.set(JSON.stringify(e.key), e.value);
  }
  return out;
}

/** Entries whose key starts with `collection`. */
export async function entriesOf(
  kv: Deno.Kv,
  collection: string,
): Promise<Deno.KvEntry<unknown>[]> {
  const out: Deno.KvEntry<unknown>[] = [];
  for await (const e of kv.list({ prefix: [collection] })) out.push(e);
  return out;
}

/**
 * Asserts the connection indexes agree with the records: every record has
 * its owner index, company index and token; every index and token points to
 * a record. Returns the records.
 */
export async function assertConsistent(kv: Deno.Kv): Promise<Connection[]> {
  const records = (await entriesOf(kv, "connections")).map((e) =>
    e.value as Connection
  );
  const allOwners = (await entriesOf(kv, "connections_by_id")).map((
    e,
  ) =>
    [
      e.key[1],
      e.value as { customer_id: string; disconnected_at?: string },
    ] as const
  );
  // A disconnect keeps the owner index, pointing to the tombstone.
  const tombstones = new Set(
    (await entriesOf(kv, "disconnected_connections")).map((e) =>
      JSON.stringify(e.key.slice(1))
    ),
  );
  for (const [id, owner] of allOwners) {
    if (!owner.disconnected_at) continue;
    assert.ok(
      tombstones.has(JSON.stringify([owner.customer_id, id])),
      `owner index of ${String(id)} without its tombstone`,
    );
  }
  const owners = new Map(allOwners.filter(([, o]) => !o.disconnected_at));
  const companies = new Map(
    (await entriesOf(kv, "connections_by_company")).map((
      e,
    ) => [JSON.stringify(e.key.slice(1)), e.value as string]),
  );
  const tokens = new Set(
    (await entriesOf(kv, "connection_tokens")).map((e) => e.key[1]),
  );
  assert.equal(owners.size, records.length, "one owner index per record");
  assert.equal(companies.size, records.length, "one company index per record");
  assert.equal(tokens.size, records.length, "one token per record");
  for (const r of records) {
    assert.deepEqual(owners.get(r.connection_id), {
      customer_id: r.customer_id,
    });
    assert.equal(
      companies.get(
        JSON.stringify([r.customer_id, r.provider_id, r.company_id]),
      ),
      r.connection_id,
    );
    assert.ok(tokens.has(r.connection_id));
  }
  return records;
}

/**
 * Wraps a KV so every atomic op records how many checks it carried; returns
 * the wrapper and the list of counts (one per committed op).
 */
export function countingKv(kv: Deno.Kv): { kv: Deno.Kv; checks: number[] } {
  const checks: number[] = [];
  const wrapped = new Proxy(kv, {
    get(target, prop) {
      if (prop === "atomic") {
        return () => {
          const op = target.atomic();
          let n = 0;
          const proxy: Deno.AtomicOperation = new Proxy(op, {
            get(o, p) {
              if (p === "check") {
                return (...c: Deno.AtomicCheck[]) => {
                  n += c.length;
                  o.check(...c);
                  return proxy;
                };
              }
              if (p === "commit") {
                return () => {
                  checks.push(n);
                  return o.commit();
                };
              }
              const v = Reflect.get(o, p, o);
              return typeof v === "function"
                ? (...a: unknown[]) => {
                  const r = v.apply(o, a);
                  return r === o ? proxy : r;
                }
                : v;
            },
          });
          return proxy;
        };
      }
      const v = Reflect.get(target, prop, target);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
  return { kv: wrapped, checks };
}
