/**
 * The integrator's access token read (`GET /api/connections/:id/token`): the one way a
 * token leaves the server. Each read is counted against its key's rate limit and
 * recorded in the audit log (lib/db/token_reads.ts): who (the key's role and
 * fingerprint), which connection, when, and what it came to.
 *
 * Two KV round trips, as on Deno Deploy each is a network hop: the owner, the sealed
 * token and the key's rate counter in one read; then one atomic write that checks and
 * increments the counter and adds the audit entry. A concurrent read that counted first
 * sends only the counter back to be read again. A refused read is recorded too
 * (`forbidden`: the admin key when `TOKEN_API_KEY` is set; `not_found`), but one over
 * the rate limit is not: it writes nothing, so a flood costs one read each.
 *
 * @module
 */
import { monotonicFactory } from "../ulid.ts";
import { StoreBusy, WriteConflict } from "../db/errors.ts";
import { decideLoop, retryTransient } from "../db/retry.ts";
import {
  addAuditEntry,
  type AuditEntry,
  readToken,
  type TokenReadOutcome,
} from "../db/token_reads.ts";
import type { ApiKeyId } from "../http/api_keys.ts";
import type { AppDeps } from "../http/env.ts";
import {
  addRateHit,
  DEFAULT_RATE_LIMITS,
  rateWindow,
} from "../http/rate_limit.ts";

/** What a token read came to. */
export type TokenRead =
  | { outcome: "served"; customer_id: string; access_token: string }
  | { outcome: Exclude<TokenReadOutcome, "served"> }
  | { outcome: "rate_limited"; retryAfterS: number };

// Monotonic within this process: entries of one millisecond list in the order written.
const nextId = monotonicFactory();

/**
 * Reads a connection's token for `key`, which may read tokens when `allowed`; counts
 * the read and records it (see the module doc).
 *
 * @example
 * ```ts
 * const read = await readTokenAudited(deps, { connectionId: "conn_1", key, allowed: true });
 * if (read.outcome === "served") respond(read.access_token);
 * ```
 */
export async function readTokenAudited(
  deps: AppDeps,
  input: { connectionId: string; key: ApiKeyId; allowed: boolean },
): Promise<TokenRead> {
  const { kv, sealer, log } = deps;
  const now = deps.now();
  const rule = (deps.rateLimits ?? DEFAULT_RATE_LIMITS).tokenReadsPerKey;
  // The subject names the key by role and fingerprint, never by the key.
  const subject = `${input.key.role}:${input.key.fingerprint}`;
  const window = rule
    ? rateWindow("tokenReadsPerKey", subject, rule, now)
    : null;
  const counterKeys = window ? [window.key] : [];

  // A key that may not read tokens gets nothing read but its counter.
  const { found, also: [counter] } = input.allowed
    ? await readToken(kv, sealer, input.connectionId, { alsoRead: counterKeys })
    : {
      found: null,
      also: window ? [await retryTransient(() => kv.get(window.key))] : [],
    };
  const outcome: TokenReadOutcome = !input.allowed
    ? "forbidden"
    : found === "disconnected"
    ? "disconnected"
    : found
    ? "served"
    : "not_found";
  const served = found === "disconnected" ? null : found;
  const entry: AuditEntry = {
    id: nextId(now),
    at: new Date(now).toISOString(),
    key: input.key.role,
    key_fingerprint: input.key.fingerprint,
    connection_id: input.connectionId,
    customer_id: served?.customer_id ?? null,
    outcome,
  };

  let admitted: boolean;
  try {
    admitted = await decideLoop<boolean>("token read", async (round) => {
      const op = kv.atomic();
      if (window) {
        // A later round lost to another read's count: only the counter is read again.
        const current = round === 0 ? counter : await kv.get(window.key);
        if (!addRateHit(op, current, window)) return { done: false };
      }
      addAuditEntry(op, entry);
      return { commit: () => op, result: true };
    });
  } catch (err) {
    // So contended that the count could not be written: refuse, as the limits do.
    if (!(err instanceof WriteConflict || err instanceof StoreBusy)) throw err;
    admitted = false;
  }
  if (!admitted) {
    const retryAfterS = window?.retryAfterS ?? 1;
    log("warn", "rate_limited", {
      rule: "tokenReadsPerKey",
      subject,
      retry_after_s: retryAfterS,
    });
    return { outcome: "rate_limited", retryAfterS };
  }
  log("info", "access_token_read", {
    customer_id: entry.customer_id,
    connection_id: entry.connection_id,
    key: entry.key,
    key_fingerprint: entry.key_fingerprint,
    outcome,
  });
  return served && outcome === "served"
    ? { outcome, ...served }
    : { outcome: outcome as Exclude<TokenReadOutcome, "served"> };
}
