/**
 * Portal sessions: what an employer's browser holds after redeeming a link.
 *
 * The cookie carries 32 random bytes and the customer id (`<random>.<customer_id>`); KV
 * keeps only the SHA-256 of the whole value, under the customer, with `expireIn` for
 * cleanup. Naming the customer in the cookie lets one read fetch both the session and the
 * customer it is checked against (on Deno Deploy each read is a network round trip); a
 * tampered customer id simply names a key that does not exist.
 *
 * KV expiry is lazy, so reads check `expires_at` themselves. A session started before
 * the customer's `links_valid_after` is dead too: revoking links also ends the sessions
 * they opened.
 *
 * Each session also holds a random form token (`csrf`): pages put it in their forms and
 * posts must bring it back, compared in constant time. Kept with the session, it costs a
 * page view no cryptography.
 *
 * @module
 */
import { customerKey, portalSessionKey } from "./keys.ts";
import { commitOrThrow, retryTransient } from "./retry.ts";
import { type Customer, CustomerId, iso, parse } from "./schemas.ts";
import { randomToken, sha256 } from "./secrets.ts";
import { sameBytes } from "../hash.ts";
import { InvalidInput } from "./errors.ts";

/** A stored portal session. */
export interface PortalSession {
  customer_id: string;
  created_at: string;
  expires_at: string;
  /** The session's form token. */
  csrf: string;
}

/** A live session as {@linkcode getPortalSession} returns it. */
export interface LivePortalSession extends PortalSession {
  /** SHA-256 of the cookie value: binds callback state to this session. */
  session_hash: string;
  /** The session's customer, read with it. */
  customer: Customer;
  /** The other entries read in the same round trip (see `alsoRead`), in order. */
  also: Deno.KvEntryMaybe<unknown>[];
}

/** The customer a cookie value names, and the hash its session is stored under. */
function parseToken(
  token: string,
): { customer_id: string; session_hash: string } | null {
  if (typeof token !== "string" || token.length > 200) return null;
  const dot = token.indexOf(".");
  const customer_id = token.slice(dot + 1);
  if (dot !== 43 || !CustomerId.safeParse(customer_id).success) return null;
  return { customer_id, session_hash: sha256(token) };
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
  const token = `${randomToken()}.${id}`;
  const session_hash = sha256(token);
  const session: PortalSession = {
    customer_id: id,
    created_at: iso(now),
    expires_at: iso(new Date(now.getTime() + options.ttlMs)),
    csrf: randomToken(),
  };
  const key = portalSessionKey(id, session_hash);
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
 * The live session for a cookie value, or null (unknown, expired, or revoked through the
 * customer's `links_valid_after`). One KV round trip: the session, its customer, and any
 * `alsoRead` keys the caller needs (at most 8), which come back in `also`.
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
  options: { now?: Date; alsoRead?: Deno.KvKey[] } = {},
): Promise<LivePortalSession | null> {
  const parsed = parseToken(token);
  if (!parsed) return null;
  const { customer_id, session_hash } = parsed;
  const [entry, customer, ...also] = await retryTransient(() =>
    kv.getMany([
      portalSessionKey(customer_id, session_hash),
      customerKey(customer_id),
      ...(options.alsoRead ?? []),
    ])
  ) as [
    Deno.KvEntryMaybe<PortalSession>,
    Deno.KvEntryMaybe<Customer>,
    ...Deno.KvEntryMaybe<unknown>[],
  ];
  const session = entry.value;
  const now = iso(options.now ?? new Date());
  if (!session || session.expires_at <= now || !customer.value) return null;
  const revokedAt = customer.value.links_valid_after;
  if (revokedAt && session.created_at < revokedAt) return null;
  return { ...session, session_hash, customer: customer.value, also };
}

/**
 * Whether `supplied` is the session's form token, compared in constant time.
 *
 * @example
 * ```ts
 * if (!sameFormToken(session, form._csrf)) throw forbidden();
 * ```
 */
export function sameFormToken(
  session: Pick<PortalSession, "csrf">,
  supplied: string | undefined,
): boolean {
  if (typeof supplied !== "string") return false;
  const a = new TextEncoder().encode(session.csrf);
  const b = new TextEncoder().encode(supplied);
  return sameBytes(a, b);
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
  const parsed = parseToken(token);
  if (!parsed) return;
  const key = portalSessionKey(parsed.customer_id, parsed.session_hash);
  await commitOrThrow(() => kv.atomic().delete(key), "delete portal session");
}
