/**
 * Opening the store: a local SQLite file, `:memory:`, a KV Connect URL, or (no location)
 * Deno Deploy's managed store.
 *
 * - A file path gets its folder created first (`./data/` on a fresh clone).
 * - An `http(s)://` URL is a KV Connect endpoint: Deno Deploy's managed store reached
 *   from elsewhere, or a self-hosted `denokv` server shared by several machines. Deno
 *   reads its access token from `DENO_KV_ACCESS_TOKEN`. No folder is made for it.
 * - Several processes opening one file at the same moment can meet SQLite's lock while
 *   the first one sets the file up (`database is locked`): opening is retried briefly,
 *   as every write is (`retry.ts`).
 *
 * @module
 */
import { backoff, isTransient, TRANSIENT_ATTEMPTS } from "./retry.ts";

/** Whether `location` names a KV Connect endpoint rather than a file. */
export function isKvConnectUrl(location: string): boolean {
  return /^https?:\/\//i.test(location);
}

/**
 * Opens Deno KV at `location`; undefined opens Deno Deploy's managed store.
 *
 * @example
 * ```ts
 * const kv = await openKv("./data/portal.db");
 * const shared = await openKv("https://kv.internal.example:4512"); // DENO_KV_ACCESS_TOKEN
 * ```
 */
export async function openKv(location: string | undefined): Promise<Deno.Kv> {
  if (location && location !== ":memory:" && !isKvConnectUrl(location)) {
    const folder = location.slice(0, location.lastIndexOf("/") + 1);
    if (folder) await Deno.mkdir(folder, { recursive: true });
  }
  for (let attempt = 0;; attempt++) {
    try {
      return await Deno.openKv(location);
    } catch (err) {
      if (!isTransient(err) || attempt + 1 >= TRANSIENT_ATTEMPTS) throw err;
      await backoff(attempt, 100);
    }
  }
}
