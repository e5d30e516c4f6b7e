/**
 * A counting wrapper around a Deno KV handle, for tests and benchmarks: how many KV round
 * trips a request makes, and how many of them it waits for one after another.
 *
 * On Deno Deploy every KV read and commit is a network round trip to the managed store,
 * so their number, not local SQLite speed, sets a request's latency there. Round trips
 * started while another is still in flight (`Promise.all`, `getMany`) cost one wait, so
 * `sequential` counts waves: a round trip that starts when none is in flight.
 *
 * Counted: `get`, `getMany`, each `list` (one round trip for a page of up to a few
 * hundred entries), `atomic().commit()` and `enqueue`.
 *
 * @module
 */

/** The counts since the last `reset()`. */
export interface KvCounts {
  /** Every round trip. */
  total: number;
  /** Round trips waited for one after another. */
  sequential: number;
  /** What each round trip was, in order (`get`, `getMany`, `list`, `commit`, ...). */
  ops: string[];
}

/** A KV handle that counts, and its counter. */
export interface CountingKv {
  kv: Deno.Kv;
  counts(): KvCounts;
  reset(): void;
}

/**
 * Wraps `kv`; the wrapper behaves exactly like it.
 *
 * @example
 * ```ts
 * const { kv, counts, reset } = countingKv(await Deno.openKv(":memory:"));
 * reset(); await handler(request); console.log(counts().sequential);
 * ```
 */
export function countingKv(inner: Deno.Kv): CountingKv {
  let total = 0, sequential = 0, inFlight = 0;
  let ops: string[] = [];
  const track = async <T>(op: string, run: () => Promise<T>): Promise<T> => {
    if (inFlight === 0) sequential++;
    total++;
    inFlight++;
    ops.push(op);
    try {
      return await run();
    } finally {
      inFlight--;
    }
  };

  const countedList = (
    selector: Deno.KvListSelector,
    options?: Deno.KvListOptions,
  ) => {
    const iter = inner.list(selector, options);
    let started = false;
    const next = () => {
      if (started) return iter.next();
      started = true;
      return track("list", () => iter.next());
    };
    const proxy: Deno.KvListIterator<unknown> = new Proxy(iter, {
      get(target, prop) {
        if (prop === "next") return next;
        if (prop === Symbol.asyncIterator) return () => proxy;
        const value = Reflect.get(target, prop, target);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    return proxy;
  };

  const countedAtomic = () => {
    const op = inner.atomic();
    const proxy: Deno.AtomicOperation = new Proxy(op, {
      get(target, prop) {
        if (prop === "commit") return () => track("commit", () => op.commit());
        const value = Reflect.get(target, prop, target);
        if (typeof value !== "function") return value;
        // Chained calls (check, set, delete...) keep returning the counting proxy.
        return (...args: unknown[]) => {
          const result = value.apply(target, args);
          return result === target ? proxy : result;
        };
      },
    });
    return proxy;
  };

  const kv = new Proxy(inner, {
    get(target, prop) {
      switch (prop) {
        case "get":
        case "getMany":
        case "enqueue":
          return (...args: unknown[]) =>
            track(
              prop,
              () =>
                (target[prop] as (...a: unknown[]) => Promise<unknown>).apply(
                  target,
                  args,
                ),
            );
        case "list":
          return countedList;
        case "atomic":
          return countedAtomic;
      }
      const value = Reflect.get(target, prop, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return {
    kv,
    counts: () => ({ total, sequential, ops: [...ops] }),
    reset() {
      total = 0;
      sequential = 0;
      ops = [];
    },
  };
}
