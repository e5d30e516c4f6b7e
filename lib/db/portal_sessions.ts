/**
 * Portal sessions: what an employer's browser holds after redeeming a link.
 *
 * The cookie carries 32 random bytes and the customer id (`<random>.<customer_id>`); KV
 * keeps only the SHA-256 of the whole value, under the customer, with `expireIn` for
 * cleanup. Naming the customer in the cookie lets one read fetch both the session and the
 * customer it is checked against (on Deno Deploy each read is a network round trip); a
 * tampered customer id simply names a key that does not exist.
 *
 * KV expiry is lazy, so reads check `expires_at` themselves. A session records when the
 * link it came from was issued (`link_issued_at`), and it is judged by that, not by when
 * it was created: a link issued at or before the customer's `links_valid_after` (the
 * same millisecond included) opens nothing, and the sessions it opened end with it,
 * however a redemption in flight interleaved with the revocation. Creating a session is
 * one atomic write checked against the customer entry the decision read, so a
 * revocation committed in between (by any process) sends the decision round again. A
 * single-use link's redemption is marked in that same write
 * (`["portal_link_redemptions", link_id]`, checked absent), so of redemptions racing on
 * any number of processes exactly one opens a session.
 *
 * Each session also holds a random form token (`csrf`): pages put it in their forms and
 * posts must bring it back, compared in constant time. Kept with the session, it costs a
 * page view no cryptography.
 *
 * @module
 */
import {
  customerKey,
  portalLinkRedemptionKey,
  portalSessionKey,
} from "./keys.ts";
import { commitOrThrow, decideLoop, retryTransient } from "./retry.ts";
import { type Customer, CustomerId, iso, parse } from "./schemas.ts";
import { randomToken, sha256 } from "./secrets.ts";
import { sameBytes } from "../hash.ts";
import { InvalidInput } from "./errors.ts";

/** A stored portal session. */
export interface PortalSession {
  customer_id: string;
  created_at: string;
  /**
   * When the portal link that opened the session was issued: revoking the customer's
   * links at or after this instant ends the session. (Absent on sessions stored before
   * it was recorded; `created_at` stands in.)
   */
  link_issued_at?: string;
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

/**
 * The customer a cookie value names, before the session is checked: for the keys a
 * route reads with it (a forged cookie names a customer, but its session is not found,
 * and nothing read with it is used).
 */
export function cookieCustomerId(token: string): string | null {
  return parseToken(token)?.customer_id ?? null;
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

/** Why a portal link may not open a session. */
export type LinkRefusal = "unknown_customer" | "revoked" | "used";

/** A single-use link's redemption mark. */
export interface LinkRedemption {
  customer_id: string;
  redeemed_at: string;
}

/** What a redemption is decided on, read in one round trip. */
export interface LinkTarget {
  customer: Deno.KvEntryMaybe<Customer>;
  /** A single-use link's redemption mark (absent for other links). */
  redemption?: Deno.KvEntryMaybe<LinkRedemption>;
}

/**
 * Reads what deciding a link's redemption needs, in one round trip: the customer (with
 * its revocation mark) and, for a single-use link (`link_id`), its redemption mark. Pass
 * the result to {@linkcode judgeLink}, then to {@linkcode createPortalSession} so that
 * its write is checked against exactly what was judged.
 *
 * @example
 * ```ts
 * const target = await readLinkTarget(kv, "acme", link.id);
 * ```
 */
export async function readLinkTarget(
  kv: Deno.Kv,
  customer_id: string,
  link_id?: string,
): Promise<LinkTarget> {
  const key = customerKey(customer_id);
  // An id no customer can have names nothing: no need to ask the store.
  if (!CustomerId.safeParse(customer_id).success) {
    return { customer: { key, value: null, versionstamp: null } };
  }
  if (link_id === undefined) {
    return { customer: await retryTransient(() => kv.get<Customer>(key)) };
  }
  const [customer, redemption] = await retryTransient(() =>
    kv.getMany<[Customer, LinkRedemption]>([
      key,
      portalLinkRedemptionKey(link_id),
    ])
  );
  return { customer, redemption };
}

/**
 * Whether a link issued at `linkIssuedAt` may open a session: null when it may, or why
 * not. A link issued at or before the customer's last revocation is dead, the same
 * millisecond included (which of two writes in one millisecond came first is unknown).
 *
 * @example
 * ```ts
 * if (judgeLink(target, new Date(link.issuedAt))) throw linkExpired();
 * ```
 */
export function judgeLink(
  target: LinkTarget,
  linkIssuedAt: Date,
): LinkRefusal | null {
  const customer = target.customer.value;
  if (!customer) return "unknown_customer";
  if (revokedBy(customer, iso(linkIssuedAt))) return "revoked";
  if (target.redemption?.value) return "used";
  return null;
}

/** Whether the customer's revocation mark covers a link issued at `issuedAt` (ISO). */
function revokedBy(customer: Customer, issuedAt: string): boolean {
  const mark = customer.links_valid_after;
  return mark !== null && issuedAt <= mark;
}

/** A started session: `token` goes into the cookie and nowhere else. */
export type CreatedSession =
  | { ok: true; token: string; session_hash: string; expires_at: string }
  | { ok: false; reason: LinkRefusal };

/**
 * Starts a session for a link issued at `linkIssuedAt` (default: now, for sessions
 * minted without a link, such as seeded ones). One atomic write, checked against the
 * customer entry it was decided on (`target`, when the caller already read it; read
 * here otherwise): if the customer changed in between (a revocation, on any process),
 * the redemption is decided again on fresh data, so no session is created from a link
 * that a committed revocation covers.
 *
 * @example
 * ```ts
 * const created = await createPortalSession(kv, "acme", {
 *   ttlMs: 8 * 3600_000, linkIssuedAt: new Date(link.issuedAt),
 * });
 * if (created.ok) setCookie(created.token);
 * ```
 */
export async function createPortalSession(
  kv: Deno.Kv,
  customer_id: string,
  options: {
    ttlMs: number;
    now?: Date;
    linkIssuedAt?: Date;
    target?: LinkTarget;
    /** A single-use link: its id, and when it expires (ms), to keep its mark until. */
    singleUse?: { linkId: string; expiresAt: number };
  },
): Promise<CreatedSession> {
  const id = parse(CustomerId, customer_id, "customer id");
  if (!Number.isFinite(options.ttlMs) || options.ttlMs <= 0) {
    throw new InvalidInput("session", ["ttlMs: positive number"]);
  }
  const now = options.now ?? new Date();
  const linkIssuedAt = options.linkIssuedAt ?? now;
  if (!Number.isFinite(linkIssuedAt.getTime())) {
    throw new InvalidInput("session", ["linkIssuedAt: a date"]);
  }
  const token = `${randomToken()}.${id}`;
  const session_hash = sha256(token);
  const session: PortalSession = {
    customer_id: id,
    created_at: iso(now),
    link_issued_at: iso(linkIssuedAt),
    expires_at: iso(new Date(now.getTime() + options.ttlMs)),
    csrf: randomToken(),
  };
  const key = portalSessionKey(id, session_hash);
  const single = options.singleUse;
  return await decideLoop<CreatedSession>(
    `create portal session for ${id}`,
    async (round) => {
      const target = round === 0 && options.target
        ? options.target
        : await readLinkTarget(kv, id, single?.linkId);
      const refusal = judgeLink(target, linkIssuedAt);
      if (refusal) return { done: { ok: false, reason: refusal } };
      // The absence check makes a (practically impossible) hash collision loud.
      const op = kv.atomic()
        .check(target.customer)
        .check({ key, versionstamp: null })
        .set(key, session, { expireIn: options.ttlMs });
      if (single) {
        const mark = portalLinkRedemptionKey(single.linkId);
        op.check({ key: mark, versionstamp: null }).set(
          mark,
          {
            customer_id: id,
            redeemed_at: session.created_at,
          } satisfies LinkRedemption,
          {
            // Kept as long as the link could be redeemed, and a minute for clock skew.
            expireIn: Math.max(0, single.expiresAt - now.getTime()) + 60_000,
          },
        );
      }
      return {
        commit: () => op,
        result: {
          ok: true,
          token,
          session_hash,
          expires_at: session.expires_at,
        },
      };
    },
  );
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
  // Judged by the link's issue time: a session created a moment after a revocation, from
  // a link issued before it, is as dead as the link.
  if (revokedBy(customer.value, session.link_issued_at ?? session.created_at)) {
    return null;
  }
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
