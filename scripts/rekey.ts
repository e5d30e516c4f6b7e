/**
 * `deno task rekey`: re-seal every stored access token under the first key of
 * `TOKEN_KEYS`.
 *
 * Environment: `KV_PATH` (default `./data/portal.db`) and `TOKEN_KEYS`
 * (`kid:base64key,...`, the new key first, every key still in use after it).
 * Idempotent and safe to interrupt: run it again until it reports 0
 * re-sealed and 0 failed, then drop the old keys from `TOKEN_KEYS`.
 * `--max=N` stops after N re-seals.
 *
 * Without `TOKEN_KEYS`, the key that demo mode generated and kept in KV
 * (see lib/demo.ts) is used.
 *
 * @module
 */
import { settingKey } from "../lib/db/keys.ts";
import { rekeyTokens } from "../lib/db/rekey.ts";
import { createSealer, parseTokenKeys, SealError } from "../lib/sealing.ts";

/**
 * Runs a rekey with the given environment; returns the process exit code.
 *
 * @example
 * ```ts
 * Deno.exit(await main(Deno.args, Deno.env.toObject()));
 * ```
 */
export async function main(
  args: string[],
  env: Record<string, string | undefined>,
): Promise<number> {
  const keysText = env.TOKEN_KEYS ??
    await demoTokenKeys(env.KV_PATH ?? "./data/portal.db");
  if (!keysText) {
    console.error(
      "rekey: TOKEN_KEYS is not set (kid:base64key,..., new key first)",
    );
    return 2;
  }
  let sealer;
  try {
    sealer = await createSealer(parseTokenKeys(keysText));
  } catch (err) {
    console.error(
      `rekey: ${err instanceof SealError ? err.message : "bad TOKEN_KEYS"}`,
    );
    return 2;
  }
  const maxArg = args.find((a) => a.startsWith("--max="));
  const maxReseals = maxArg ? Number(maxArg.slice(6)) : undefined;
  if (
    maxReseals !== undefined &&
    !(Number.isInteger(maxReseals) && maxReseals >= 0)
  ) {
    console.error("rekey: --max must be a non-negative integer");
    return 2;
  }
  const path = env.KV_PATH ?? "./data/portal.db";
  const kv = await Deno.openKv(path);
  try {
    const r = await rekeyTokens(kv, sealer, { maxReseals });
    console.log(
      `rekey: key ${sealer.currentKid}: scanned ${r.scanned}, re-sealed ${r.resealed}, ` +
        `already current ${r.skipped}, failed ${r.failed.length}` +
        (r.complete ? "" : " (stopped early by --max; run again)"),
    );
    for (const id of r.failed) {
      console.error(`rekey: cannot open token of ${id}`);
    }
    return r.failed.length > 0 ? 1 : 0;
  } finally {
    kv.close();
  }
}

/** The TOKEN_KEYS demo mode generated, if this store has them. */
async function demoTokenKeys(path: string): Promise<string | undefined> {
  const exists = await Deno.stat(path).then(() => true, () => false);
  if (!exists) return undefined;
  const kv = await Deno.openKv(path);
  try {
    const entry = await kv.get<{ tokenKeys: string }>(
      settingKey("demo_secrets"),
    );
    return entry.value?.tokenKeys;
  } finally {
    kv.close();
  }
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args, Deno.env.toObject()));
}
