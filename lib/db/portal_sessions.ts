/**
 * Portal sessions: what an employer's browser holds after redeeming a link.
 *
 * The cookie carries 32 random bytes; KV keeps only their SHA-256, with
 * `expireIn` for cleanup. KV expiry is lazy, so reads check `expires_at`
 * themselves. A session started before the customer's `links_valid_after`
 * is dead too: revoking links also ends the sessions they opened.
 *
 * @module
 */
import { customerKey, portalSessionKey } from "./keys.ts";
import { customerChanged } from "./changes.ts";
import { commitOrThrow, retryTransient } from "./retry.ts";
import { type Customer, CustomerId, iso, parse } from "./schemas.ts";
import { randomToken, sha256 } from "./secrets.ts";
import { InvalidInput } from "./errors.ts";

/** A stored portal session. */
export interface PortalSession {
  customer_id: string;
  created_at: string;
  expires_at: string;
}

/** A live session as {@linkcode getPortalSession} returns it. */
export interface LivePortalSession extends PortalSession {
  /** SHA-256 of the cookie value: binds callback state to this session. */
  session_hash: string;
  /** The session's customer, as read to check revocation (saves a second read). */
  customer: Customer;
}

/**
 * Starts a session. `token` goes into the cookie and nowhere else.
 *
 * @example
 * ```ts
 * const { token, expires_at } = await createPortalSession(kv, "acme", { ttlMs: 8 * 3600_000 });
 * ```
 */
export async function createPortalSession(
  kv: Deno.Kv,
  customer_id: string,
  options: { ttlMs: number; now?: Date },
): Promise<{ token: string; session_hash: string; expires_at: string }> {
  const id = parse(CustomerId, customer_id, "customer id");
  if (!Number.isFinite(options.ttlMs) || options.ttlMs <= 0) {
    throw new InvalidInput("session", ["ttlMs: positive number"]);
  }
  const now = options.now ?? new Date();
  const token = randomToken();
  const session_hash = await sha256(token);
  const session: PortalSession = {
    customer_id: id,
    created_at: iso(now),
    expires_at: iso(new Date(now.getTime() + options.ttlMs)),
  };
  const key = portalSessionKey(session_hash);
  // The absence check makes a (practically impossible) hash collision loud.
  await commitOrThrow(
    () =>
      kv.atomic().check({ key, versionstamp: null }).set(key, session, {
        expireIn: options.ttlMs,
      }),
    "create portal session",
  );
  return { token, session_hash, expires_at: session.expires_at };
}

/**
 * The live session for a cookie value, or null (unknown, expired, or
 * revoked through the customer's `links_valid_after`).
 *
 * @example
 * ```ts
 * const session = await getPortalSession(kv, cookieValue);
 * if (!session) return redirectToExpiredPage();
 * ```
 */
export async function getPortalSession(
  kv: Deno.Kv,
  token: string,
  options: { now?: Date } = {},
): Promise<LivePortalSession | null> {
  if (typeof token !== "string" || token.length === 0 || token.length > 200) {
    return null;
  }
  const session_hash = await sha256(token);
  const entry = await retryTransient(() =>
    kv.get<PortalSession>(portalSessionKey(session_hash))
  );
  const session = entry.value;
  const now = iso(options.now ?? new Date());
  if (!session || session.expires_at <= now) return null;
  const customer = await retryTransient(() =>
    kv.get<Customer>(customerKey(session.customer_id))
  );
  if (!customer.value) return null;
  const revokedAt = customer.value.links_valid_after;
  if (revokedAt && session.created_at < revokedAt) return null;
  return { ...session, session_hash, customer: customer.value };
}

/**
 * Ends a session (logout). Deleting an unknown one is fine.
 *
 * @example
 * ```ts
 * await deletePortalSession(kv, cookieValue);
 * ```
 */
export async function deletePortalSession(
  kv: Deno.Kv,
  token: string,
): Promise<void> {
  const key = portalSessionKey(await sha256(token));
  const entry = await retryTransient(() => kv.get<PortalSession>(key));
  await commitOrThrow(() => kv.atomic().delete(key), "delete portal session");
  if (entry.value) customerChanged(kv, entry.value.customer_id);
}
