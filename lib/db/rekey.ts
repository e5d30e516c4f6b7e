/**
 * Re-sealing every stored token under the current (first) key.
 *
 * Walks `["connection_tokens"]` page by page; each token not yet under the
 * current key is opened and sealed again in its own versionstamp-checked
 * atomic op. Tokens already under the current key are skipped, so a run can
 * be interrupted at any point and simply run again. A token rewritten
 * concurrently (a fresh login) is re-read and, being new, usually skipped.
 *
 * @module
 */
import type { Sealer } from "../sealing.ts";
import { tokenAad } from "./connections.ts";
import { connectionTokenKey, connectionTokensPrefix } from "./keys.ts";
import { decideLoop, retryTransient } from "./retry.ts";

/** Counts of one rekey run. */
export interface RekeyResult {
  /** Tokens looked at. */
  scanned: number;
  /** Tokens re-sealed under the current key by this run. */
  resealed: number;
  /** Tokens already under the current key (or deleted meanwhile). */
  skipped: number;
  /** Connection ids whose token could not be opened (unknown key, tampered). */
  failed: string[];
  /** False when the run stopped early because of `maxReseals`. */
  complete: boolean;
}

/**
 * Re-seals every token not under `sealer.currentKid`.
 *
 * @example
 * ```ts
 * const sealer = await createSealer(parseTokenKeys(Deno.env.get("TOKEN_KEYS")!));
 * const { resealed, skipped, failed } = await rekeyTokens(kv, sealer);
 * ```
 */
export async function rekeyTokens(
  kv: Deno.Kv,
  sealer: Sealer,
  options: {
    /** Entries fetched per page (default 100). */
    batchSize?: number;
    /** Stop after this many re-seals (to bound a run; tests use it). */
    maxReseals?: number;
  } = {},
): Promise<RekeyResult> {
  const result: RekeyResult = {
    scanned: 0,
    resealed: 0,
    skipped: 0,
    failed: [],
    complete: true,
  };
  const iter = kv.list<string>({ prefix: connectionTokensPrefix() }, {
    batchSize: options.batchSize ?? 100,
  });
  for await (const listed of iter) {
    const connection_id = listed.key[1];
    if (typeof connection_id !== "string") continue;
    result.scanned++;
    if (!sealer.needsRekey(listed.value)) {
      result.skipped++;
      continue;
    }
    if (
      options.maxReseals !== undefined && result.resealed >= options.maxReseals
    ) {
      result.complete = false;
      break;
    }
    const key = connectionTokenKey(connection_id);
    const outcome = await decideLoop<"resealed" | "skipped" | "failed">(
      `rekey ${connection_id}`,
      async () => {
        const entry = await retryTransient(() => kv.get<string>(key));
        if (!entry.value || !sealer.needsRekey(entry.value)) {
          return { done: "skipped" };
        }
        const aad = tokenAad(connection_id);
        let plaintext: string;
        try {
          plaintext = await sealer.open(entry.value, aad);
        } catch {
          return { done: "failed" };
        }
        const sealed = await sealer.seal(plaintext, aad);
        return {
          commit: () => kv.atomic().check(entry).set(key, sealed),
          result: "resealed",
        };
      },
    );
    if (outcome === "failed") result.failed.push(connection_id);
    else result[outcome]++;
  }
  return result;
}
