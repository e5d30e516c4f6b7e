/**
 * Callback state: the `state` a Connect run carries to `/callback`.
 *
 * The state string is 32 random bytes; KV keeps its SHA-256. Taking a state
 * is single-use: get, then `atomic().check(entry)` replacing it with a
 * tombstone, so of two concurrent callbacks exactly one wins. The tombstone
 * (kept a while) lets the page tell "already used" from "expired" from
 * "unknown".
 *
 * @module
 */
import { InvalidInput } from "./errors.ts";
import { connectStateKey } from "./keys.ts";
import { commitOrThrow, decideLoop } from "./retry.ts";
import { CustomerId, FinchId, iso, parse } from "./schemas.ts";
import { randomToken, sha256 } from "./secrets.ts";

/** How long a used state's tombstone is kept. */
export const TOMBSTONE_MS = 24 * 3600_000;

/** What a Connect run needs back at the callback. */
export interface ConnectStateData {
  customer_id: string;
  /** SHA-256 of the portal session that started the run. */
  session_hash: string;
  kind: "new" | "reauth";
  /** The Connect `customer_id` (attempt slot id) the session was made with. */
  finch_customer_id: string;
  /** Attempt slot (kind `new`). */
  slot?: number;
  /** The connection being reauthenticated (kind `reauth`). */
  connection_id?: string;
  created_at: string;
}

type Stored =
  | { kind: "state"; data: ConnectStateData; expires_at: string }
  | { kind: "used"; used_at: string };

/** Result of {@linkcode takeConnectState}. */
export type TakeStateResult =
  | { ok: true; data: ConnectStateData }
  | { ok: false; reason: "unknown" | "used" | "expired" | "mismatch" };

/**
 * Stores a state for one Connect run; returns the state string.
 *
 * @example
 * ```ts
 * const state = await createConnectState(kv, {
 *   customer_id: "acme", session_hash: session.session_hash, kind: "new",
 *   finch_customer_id: "acme", slot: 1,
 * }, { ttlMs: 30 * 60_000 });
 * ```
 */
export async function createConnectState(
  kv: Deno.Kv,
  data: Omit<ConnectStateData, "created_at">,
  options: { ttlMs: number; now?: Date },
): Promise<string> {
  parse(CustomerId, data.customer_id, "state customer id");
  if (
    (data.kind !== "new" && data.kind !== "reauth") ||
    typeof data.session_hash !== "string" || !data.session_hash ||
    typeof data.finch_customer_id !== "string" || !data.finch_customer_id ||
    (data.kind === "reauth" &&
      !FinchId.safeParse(data.connection_id).success) ||
    !(options.ttlMs > 0)
  ) {
    throw new InvalidInput("connect state", [
      "kind, session_hash, finch_customer_id, connection_id (reauth), ttlMs",
    ]);
  }
  const now = options.now ?? new Date();
  const state = randomToken();
  const key = connectStateKey(await sha256(state));
  const stored: Stored = {
    kind: "state",
    data: { ...data, created_at: iso(now) },
    expires_at: iso(new Date(now.getTime() + options.ttlMs)),
  };
  await commitOrThrow(
    () =>
      kv.atomic().check({ key, versionstamp: null }).set(key, stored, {
        expireIn: options.ttlMs + TOMBSTONE_MS,
      }),
    "create connect state",
  );
  return state;
}

/**
 * Takes a state once. Later takes answer `used`; a state past its time
 * answers `expired` (once; then it is gone: `unknown`). With `accept`, a
 * live state whose data it rejects (another session's, another customer's)
 * answers `mismatch` and stays untouched, so only the run's own session can
 * spend it.
 *
 * @example
 * ```ts
 * const r = await takeConnectState(kv, url.searchParams.get("state") ?? "");
 * if (!r.ok) return page(`This link was ${r.reason}. Start again.`);
 * ```
 */
export async function takeConnectState(
  kv: Deno.Kv,
  state: string,
  options: { now?: Date; accept?: (data: ConnectStateData) => boolean } = {},
): Promise<TakeStateResult> {
  if (typeof state !== "string" || !/^[A-Za-z0-9_-]{20,100}$/.test(state)) {
    return { ok: false, reason: "unknown" };
  }
  const key = connectStateKey(await sha256(state));
  return await decideLoop<TakeStateResult>("take connect state", async () => {
    const entry = await kv.get<Stored>(key);
    const stored = entry.value;
    if (!stored) return { done: { ok: false, reason: "unknown" } };
    if (stored.kind === "used") return { done: { ok: false, reason: "used" } };
    if (options.accept && !options.accept(stored.data)) {
      return { done: { ok: false, reason: "mismatch" } };
    }
    const now = iso(options.now ?? new Date());
    if (stored.expires_at <= now) {
      return {
        commit: () => kv.atomic().check(entry).delete(key),
        result: { ok: false, reason: "expired" },
      };
    }
    const tombstone: Stored = { kind: "used", used_at: now };
    return {
      commit: () =>
        kv.atomic().check(entry).set(key, tombstone, {
          expireIn: TOMBSTONE_MS,
        }),
      result: { ok: true, data: stored.data },
    };
  });
}
