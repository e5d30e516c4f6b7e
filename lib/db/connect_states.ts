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
  const key = connectStateKey(sha256(state));
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

/** The key a state string is stored under, or null when it cannot be one of ours. */
export function connectStateKeyOf(state: string): Deno.KvKey | null {
  if (typeof state !== "string" || !/^[A-Za-z0-9_-]{20,100}$/.test(state)) {
    return null;
  }
  return connectStateKey(sha256(state));
}

/** A stored state as read from KV, to judge and later spend. */
export type ConnectStateEntry = Deno.KvEntryMaybe<unknown>;

/**
 * Judges a state read from KV (see {@linkcode connectStateKeyOf}), writing nothing: its
 * data when it is live and `accept` takes it; otherwise why not. A live state another
 * session's or customer's `accept` rejects answers `mismatch`.
 *
 * @example
 * ```ts
 * const judged = judgeConnectState(entry, { now, accept: (d) => d.session_hash === hash });
 * ```
 */
export function judgeConnectState(
  entry: ConnectStateEntry | null,
  options: { now?: Date; accept?: (data: ConnectStateData) => boolean } = {},
): TakeStateResult {
  const stored = entry?.value as Stored | null | undefined;
  if (!stored) return { ok: false, reason: "unknown" };
  if (stored.kind === "used") return { ok: false, reason: "used" };
  if (options.accept && !options.accept(stored.data)) {
    return { ok: false, reason: "mismatch" };
  }
  if (stored.expires_at <= iso(options.now ?? new Date())) {
    return { ok: false, reason: "expired" };
  }
  return { ok: true, data: stored.data };
}

/**
 * Adds to `op` what spends a live state: a check that it is unchanged since `entry` was
 * read, and its tombstone. The op then commits only if no other callback spent it first,
 * so the state is spent in the same atomic write as what it was for (the connection).
 * One check.
 */
export function addSpendState(
  op: Deno.AtomicOperation,
  entry: Deno.KvEntryMaybe<unknown>,
  now: Date,
): Deno.AtomicOperation {
  const tombstone: Stored = { kind: "used", used_at: iso(now) };
  return op.check(entry).set(entry.key, tombstone, { expireIn: TOMBSTONE_MS });
}

/**
 * Takes a state once: judges it and spends it in one step. Later takes answer `used`; a
 * state past its time answers `expired` (once; then it is gone: `unknown`). With `accept`, a live state whose data it
 * rejects (another session's, another customer's) answers `mismatch` and stays untouched.
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
  const key = connectStateKeyOf(state);
  if (!key) return { ok: false, reason: "unknown" };
  return await decideLoop<TakeStateResult>("take connect state", async () => {
    const entry = await kv.get<Stored>(key);
    const judged = judgeConnectState(entry, options);
    if (!judged.ok && judged.reason === "expired") {
      // Said once; then the state is gone.
      return {
        commit: () => kv.atomic().check(entry).delete(key),
        result: judged,
      };
    }
    if (!judged.ok) return { done: judged };
    const now = options.now ?? new Date();
    return {
      commit: () => addSpendState(kv.atomic(), entry, now),
      result: judged,
    };
  });
}
