/**
 * Cursor pagination over a KV prefix: `{ values, cursor }`.
 *
 * A KV list cursor can be non-empty after the last full page, so a page of
 * exactly `limit` items peeks one entry further before handing out a cursor:
 * `cursor` is present only when more values remain.
 *
 * @module
 */
import { InvalidInput } from "./errors.ts";
import { retryTransient } from "./retry.ts";

/** One page of results. */
export interface Page<T> {
  /** The values on this page, in key order. */
  values: T[];
  /** Pass back to get the next page; absent on the last page. */
  cursor?: string;
}

/** Options of every list operation. */
export interface PageOptions {
  /** Cursor from the previous page. */
  cursor?: string;
  /** Page size, 1-100 (default 50). */
  limit?: number;
}

/**
 * Lists one page of values under `prefix`.
 *
 * @example
 * ```ts
 * const { values, cursor } = await listPage<Customer>(kv, ["customers"], { limit: 10 });
 * ```
 */
export async function listPage<T>(
  kv: Deno.Kv,
  prefix: Deno.KvKey,
  options: PageOptions = {},
): Promise<Page<T>> {
  const limit = options.limit ?? 50;
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
    throw new InvalidInput("page", ["limit: integer 1-100"]);
  }
  if (
    options.cursor !== undefined &&
    !/^[A-Za-z0-9+/=_-]{1,2000}$/.test(options.cursor)
  ) {
    throw new InvalidInput("page", ["cursor: malformed"]);
  }
  return await retryTransient(async () => {
    const values: T[] = [];
    const iter = kv.list<T>({ prefix }, { limit, cursor: options.cursor });
    try {
      for await (const entry of iter) values.push(entry.value);
    } catch (err) {
      if (err instanceof TypeError && /cursor/i.test(err.message)) {
        throw new InvalidInput("page", ["cursor: not valid for this list"]);
      }
      throw err;
    }
    if (values.length < limit || !iter.cursor) return { values };
    const peek = kv.list({ prefix }, { limit: 1, cursor: iter.cursor });
    for await (const _ of peek) return { values, cursor: iter.cursor };
    return { values };
  });
}
