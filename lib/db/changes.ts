/**
 * In-process notices that a customer's stored data changed: connections, the customer
 * record (name, link revocation), portal sessions. Caches of what a customer sees (the
 * page cache, lib/http/page_cache.ts) listen and drop what they hold for that customer.
 *
 * Every write function of this layer that touches a customer's data calls
 * {@linkcode customerChanged} once its commit is done. Listeners are kept per KV handle
 * (a WeakMap, so a closed store and its listeners are collected), which also scopes
 * them: another process, or another handle on the same file, never hears of the change;
 * caches bound that case with their time to live.
 *
 * @module
 */

type Listener = (customer_id: string) => void;

const listeners = new WeakMap<Deno.Kv, Set<Listener>>();

/**
 * Calls `listener` after every change to a customer's data made through `kv` in this
 * process. Returns the function that stops it.
 *
 * @example
 * ```ts
 * const stop = onCustomerChange(kv, (id) => cache.invalidate(id));
 * ```
 */
export function onCustomerChange(kv: Deno.Kv, listener: Listener): () => void {
  let set = listeners.get(kv);
  if (!set) listeners.set(kv, set = new Set());
  set.add(listener);
  return () => set.delete(listener);
}

/**
 * Tells the listeners on `kv` that `customer_id`'s data changed. A listener that throws
 * cannot undo or fail the write that already happened: its error is dropped.
 *
 * @example
 * ```ts
 * await commit(...); customerChanged(kv, "acme");
 * ```
 */
export function customerChanged(kv: Deno.Kv, customer_id: string): void {
  for (const listener of listeners.get(kv) ?? []) {
    try {
      listener(customer_id);
    } catch {
      // A cache's bookkeeping must never turn a committed write into an error.
    }
  }
}
