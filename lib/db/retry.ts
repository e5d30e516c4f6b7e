/**
 * Commit helpers: bounded retries for transient store errors, and a typed
 * error for every `ok: false`.
 *
 * Two processes on one local KV file see about 5% of contended commits throw
 * `TypeError: database is locked`; those are retried with a short jittered
 * backoff. A commit that returns `ok: false` lost a versionstamp check: that is
 * information, never retried blindly here; callers either re-read and decide
 * again ({@linkcode decideLoop}) or get a {@linkcode WriteConflict}.
 *
 * @module
 */
import { StoreBusy, WriteConflict } from "./errors.ts";

/**
 * How many times a transient error is retried before {@linkcode StoreBusy}. With
 * {@linkcode TRANSIENT_CAP_MS} that is about 2.5 s of waiting at worst: a burst of
 * hundreds of concurrent callbacks over four processes on one file (the soak) kept
 * reads locked for longer than the 0.3 s that 12 attempts at 40 ms allowed, and a
 * person should wait a moment rather than see "busy".
 */
export const TRANSIENT_ATTEMPTS = 30;
/** The longest single backoff between transient retries. */
export const TRANSIENT_CAP_MS = 100;
/** How many read-decide-commit rounds before {@linkcode WriteConflict}. */
export const DECIDE_ATTEMPTS = 40;

/** Counters for tests and diagnostics (per process). */
export const retryStats = { transient: 0, conflicts: 0, maxRounds: 0 };

/**
 * Whether an error is a transient store condition worth retrying.
 *
 * @example
 * ```ts
 * isTransient(new TypeError("database is locked")); // true
 * ```
 */
export function isTransient(err: unknown): boolean {
  return err instanceof Error &&
    /database is (locked|busy)|SQLITE_BUSY/i.test(err.message);
}

/** Sleeps a jittered, capped exponential delay. Jitter spreads contenders. */
export function backoff(attempt: number, capMs = 40): Promise<void> {
  const max = Math.min(capMs, 2 ** Math.min(attempt, 10));
  const [r] = crypto.getRandomValues(new Uint32Array(1));
  const ms = 1 + (r / 0x1_0000_0000) * max;
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Runs `fn`, retrying transient store errors with bounded backoff; any other
 * error propagates at once.
 *
 * @example
 * ```ts
 * const entry = await retryTransient(() => kv.get(["customers", "acme"]));
 * ```
 */
export async function retryTransient<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 0;; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (!isTransient(err)) throw err;
      if (attempt + 1 >= TRANSIENT_ATTEMPTS) throw new StoreBusy(err);
      retryStats.transient++;
      await backoff(attempt, TRANSIENT_CAP_MS);
    }
  }
}

/**
 * Commits the atomic op returned by `build` (called on each retry; returning
 * the same op again is fine, an `AtomicOperation` can be committed again),
 * retrying transient errors. Returns the raw result so the caller can act on
 * `ok`.
 *
 * @example
 * ```ts
 * const res = await commit(() => kv.atomic().check(entry).set(key, value));
 * if (!res.ok) console.log("lost a check: re-read and decide again");
 * ```
 */
export function commit(
  build: () => Deno.AtomicOperation,
): Promise<Deno.KvCommitResult | Deno.KvCommitError> {
  return retryTransient(() => build().commit());
}

/**
 * Like {@linkcode commit} but `ok: false` throws {@linkcode WriteConflict}:
 * for ops whose checks encode the caller's precondition.
 *
 * @example
 * ```ts
 * await commitOrThrow(() => kv.atomic().check(entry).delete(key), "delete x");
 * ```
 */
export async function commitOrThrow(
  build: () => Deno.AtomicOperation,
  what: string,
): Promise<Deno.KvCommitResult> {
  const res = await commit(build);
  if (!res.ok) {
    retryStats.conflicts++;
    throw new WriteConflict(what);
  }
  return res;
}

/** One round of {@linkcode decideLoop}: finished, or a commit to attempt. */
export type Step<T> =
  | { done: T }
  | { commit: () => Deno.AtomicOperation; result: T };

/**
 * Read-decide-commit loop. `round` reads, decides, and either returns
 * `{ done: value }` or returns `{ commit: build, result: value }` to commit;
 * when that commit loses a check the round runs again on fresh data, at most
 * {@linkcode DECIDE_ATTEMPTS} times, then {@linkcode WriteConflict}.
 *
 * @example
 * ```ts
 * const n = await decideLoop("bump", async () => {
 *   const e = await kv.get<number>(["n"]);
 *   const next = (e.value ?? 0) + 1;
 *   return { commit: () => kv.atomic().check(e).set(["n"], next), result: next };
 * });
 * ```
 */
export async function decideLoop<T>(
  what: string,
  round: (attempt: number) => Promise<Step<T>>,
): Promise<T> {
  return (await decide(what, round)).value;
}

/**
 * {@linkcode decideLoop}, also giving the versionstamp of the commit that decided it
 * (null when a round ended without one): every key that commit set now has it, so a
 * following write can check against it without reading the key again.
 *
 * @example
 * ```ts
 * const { value, versionstamp } = await decide("store", round);
 * ```
 */
export async function decide<T>(
  what: string,
  round: (attempt: number) => Promise<Step<T>>,
): Promise<{ value: T; versionstamp: string | null }> {
  for (let attempt = 0; attempt < DECIDE_ATTEMPTS; attempt++) {
    const step = await retryTransient(() => round(attempt));
    if ("done" in step) return { value: step.done, versionstamp: null };
    const res = await commit(step.commit);
    if (attempt + 1 > retryStats.maxRounds) retryStats.maxRounds = attempt + 1;
    if (res.ok) return { value: step.result, versionstamp: res.versionstamp };
    retryStats.conflicts++;
    await backoff(attempt);
  }
  throw new WriteConflict(what);
}
