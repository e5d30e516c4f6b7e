/**
 * Bringing a customer's records up to the current layout, when they are first listed.
 *
 * Release 2 keeps each live connection twice in one atomic op: by id, and in the order it
 * was first added (`["connections_by_added", ...]`, a copy of the record), so that the
 * page lists a customer's connections newest first in one read. A store written by
 * release 1 has the records but not the copies. Rather than a migration at start (Deno
 * Deploy starts instances on demand, and a store can hold many customers), each customer
 * is brought up to date the first time its connections are listed: its records are
 * copied, each under a check that the record is unchanged and the copy absent (so
 * concurrent upgrades and writes never clash), and its `layout` then says so. A customer
 * created by release 2 starts in the current layout.
 *
 * Run every process of a deployment at one release: a release 1 process still writing
 * after a customer's upgrade would leave records without their copy.
 *
 * @module
 */
import { recordKeys } from "./connection_records.ts";
import { connectionsPrefix, customerKey } from "./keys.ts";
import { commit, decideLoop, retryTransient } from "./retry.ts";
import type { Connection, Customer } from "./schemas.ts";

/** The layout every record of a customer is in once upgraded (see the module doc). */
export const CURRENT_LAYOUT = 2;

/**
 * Makes sure a customer's records are in the current layout; a no-op for one already
 * there (the common case: no KV access at all).
 *
 * @example
 * ```ts
 * await ensureAddedOrder(kv, customer); // then listConnections
 * ```
 */
export async function ensureAddedOrder(
  kv: Deno.Kv,
  customer: Pick<Customer, "id" | "layout">,
): Promise<void> {
  if ((customer.layout ?? 1) >= CURRENT_LAYOUT) return;
  const records: Deno.KvEntry<Connection>[] = await retryTransient(async () => {
    const out = [];
    for await (
      const e of kv.list<Connection>({ prefix: connectionsPrefix(customer.id) })
    ) out.push(e);
    return out;
  });
  // One op per record: a customer upgrades once, and a lost check then concerns one.
  for (const entry of records) await copy(kv, entry);
  await decideLoop("upgrade customer layout", async () => {
    const entry = await kv.get<Customer>(customerKey(customer.id));
    if (!entry.value || (entry.value.layout ?? 1) >= CURRENT_LAYOUT) {
      return { done: undefined };
    }
    const upgraded: Customer = { ...entry.value, layout: CURRENT_LAYOUT };
    return {
      commit: () => kv.atomic().check(entry).set(entry.key, upgraded),
      result: undefined,
    };
  });
}

/** Writes one record's added-order copy, unless it exists or the record moved on. */
async function copy(kv: Deno.Kv, entry: Deno.KvEntry<Connection>) {
  const [, added] = recordKeys(entry.value);
  // A lost check means the record was written (with its copy) or deleted meanwhile,
  // or another process copied it first: nothing left to do either way.
  await commit(() =>
    kv.atomic().check(entry).check({ key: added, versionstamp: null }).set(
      added,
      entry.value,
    )
  );
}
