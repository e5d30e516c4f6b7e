/**
 * Cursor pagination over a KV prefix: `{ values, cursor }`, in one round trip.
 *
 * A page reads one entry more than it returns, to know whether another page follows,
 * and its cursor names the last key it returned; the next page starts just after that
 * key. (Deno KV's own cursor can be non-empty after the last full page, which costs a
 * second read to rule out: on Deno Deploy every read is a network round trip.)
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
  /**
   * On the last page, a cursor after the last entry read (absent when none was): where
   * to read on from later, for a list that only grows at its end (the events feed).
   */
  end?: string;
}

/**
 * How many entries a filtered page reads at most in its one round trip. A page with
 * fewer matches than asked then ends there, with a cursor to read on.
 */
export const FILTER_SCAN = 300;

/** Options of every list operation. */
export interface PageOptions<T = unknown> {
  /** Cursor from the previous page. */
  cursor?: string;
  /** Page size, 1-100 (default 50). */
  limit?: number;
  /** Newest key first. */
  reverse?: boolean;
  /** Only values it accepts are returned (see {@linkcode FILTER_SCAN}). */
  filter?: (value: T) => boolean;
}

/** The key parts after the prefix that a cursor may carry. */
type Tail = (string | number)[];

function encodeCursor(tail: Deno.KvKey): string {
  return new TextEncoder().encode(JSON.stringify(tail)).toBase64({
    alphabet: "base64url",
    omitPadding: true,
  });
}

function decodeCursor(cursor: string): Tail {
  const bad = () =>
    new InvalidInput("page", ["cursor: not valid for this list"]);
  if (!/^[A-Za-z0-9_-]{1,2000}$/.test(cursor)) {
    throw new InvalidInput("page", ["cursor: malformed"]);
  }
  let tail: unknown;
  try {
    tail = JSON.parse(
      new TextDecoder().decode(
        Uint8Array.fromBase64(cursor, { alphabet: "base64url" }),
      ),
    );
  } catch {
    throw bad();
  }
  if (
    !Array.isArray(tail) || tail.length < 1 || tail.length > 4 ||
    !tail.every((p) => typeof p === "string" || typeof p === "number")
  ) throw bad();
  return tail;
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
  options: PageOptions<T> = {},
): Promise<Page<T>> {
  const limit = options.limit ?? 50;
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
    throw new InvalidInput("page", ["limit: integer 1-100"]);
  }
  let selector: Deno.KvListSelector = { prefix };
  if (options.cursor !== undefined) {
    const last = [...prefix, ...decodeCursor(options.cursor)];
    selector = options.reverse
      ? { prefix, end: last }
      // The smallest key after `last`: `last` itself extended by the lowest part.
      : { prefix, start: [...last, new Uint8Array()] };
  }
  const filter = options.filter;
  const scan = filter ? Math.max(FILTER_SCAN, limit + 1) : limit + 1;
  const cursorOf = (entry: Deno.KvEntry<T>) =>
    encodeCursor(entry.key.slice(prefix.length));
  return await retryTransient(async () => {
    const entries: Deno.KvEntry<T>[] = [];
    let scanned = 0;
    let last: Deno.KvEntry<T> | undefined;
    for await (
      const entry of kv.list<T>(selector, {
        limit: scan,
        // One batch for the whole page: left to its default, the iterator asks the
        // store a second time, which doubled the cost of a page's listing (bench/).
        batchSize: scan,
        reverse: options.reverse,
      })
    ) {
      scanned++;
      last = entry;
      if (!filter || filter(entry.value)) entries.push(entry);
      if (entries.length > limit) break;
    }
    if (entries.length > limit) {
      const page = entries.slice(0, limit);
      return {
        values: page.map((e) => e.value),
        cursor: cursorOf(page[limit - 1]),
      };
    }
    const values = entries.map((e) => e.value);
    // A filtered scan that stopped at its bound may have more beyond it.
    if (filter && scanned === scan && last) {
      return { values, cursor: cursorOf(last) };
    }
    return last ? { values, end: cursorOf(last) } : { values };
  });
}
