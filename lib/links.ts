/**
 * Portal links: the signed, expiring URLs an integrator sends to an employer's admin.
 *
 * A link carries the customer id, when it was issued and when it expires, signed with
 * the app secret. It needs no KV lookup to verify, and it can still be revoked: a
 * customer's `links_valid_after` turns away every link issued at or before it. A
 * single-use link also carries an id, under which its redemption is marked.
 */
import { fromBase64Url, type Signer, toBase64Url } from "./signing.ts";

/** 72 hours, the default lifetime of a portal link: long enough to reach an inbox. */
export const DEFAULT_LINK_TTL_S = 72 * 3600;
/** Thirty days, the longest a portal link may live. */
export const MAX_LINK_TTL_S = 30 * 24 * 3600;

/** What a verified link says. */
export interface PortalLink {
  customerId: string;
  issuedAt: number;
  expiresAt: number;
  /**
   * A single-use link's id (a random nonce): its redemption is marked under it, in the
   * same atomic write as the session, so only the first one opens the portal.
   */
  id?: string;
}

/** The alphabet and length of a link id. */
const LINK_ID = /^[A-Za-z0-9_-]{22}$/;

/** Why a link was turned away. */
export type LinkProblem = "invalid" | "expired";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Mints the token part of a portal link (`/portal/<token>`).
 *
 * @example
 * ```ts
 * const token = await mintLinkToken(signer, { customerId: "acme", issuedAt: now, expiresAt });
 * ```
 */
export async function mintLinkToken(
  signer: Signer,
  link: PortalLink,
): Promise<string> {
  const payload = toBase64Url(
    encoder.encode(
      JSON.stringify({
        c: link.customerId,
        i: link.issuedAt,
        e: link.expiresAt,
        ...(link.id ? { u: link.id } : {}),
      }),
    ),
  );
  return `${payload}.${await signer.sign("portal-link", payload)}`;
}

/** Verifies a link token; returns the link, or why it cannot be used. */
export async function verifyLinkToken(
  signer: Signer,
  token: string,
  now: number,
): Promise<PortalLink | LinkProblem> {
  const [payload, signature, extra] = token.split(".");
  if (!payload || !signature || extra !== undefined || token.length > 2048) {
    return "invalid";
  }
  if (!await signer.verify("portal-link", payload, signature)) return "invalid";
  const bytes = fromBase64Url(payload);
  if (!bytes) return "invalid";
  let data: unknown;
  try {
    data = JSON.parse(decoder.decode(bytes));
  } catch {
    return "invalid";
  }
  const { c, i, e, u } = data as Record<string, unknown>;
  if (
    typeof c !== "string" || !Number.isSafeInteger(i) ||
    !Number.isSafeInteger(e) ||
    (u !== undefined && (typeof u !== "string" || !LINK_ID.test(u)))
  ) {
    return "invalid";
  }
  if (now >= (e as number)) return "expired";
  return {
    customerId: c,
    issuedAt: i as number,
    expiresAt: e as number,
    ...(u ? { id: u as string } : {}),
  };
}

/**
 * Mints a full portal link for a customer.
 *
 * @example
 * ```ts
 * const { url, expires_at } = await createPortalLink(deps, "acme", 72 * 3600);
 * ```
 */
export async function createPortalLink(
  deps: { signer: Signer; now: () => number; config: { publicUrl: string } },
  customerId: string,
  expiresInS: number = DEFAULT_LINK_TTL_S,
  options: {
    /**
     * The customer's revocation mark (`links_valid_after`): a link issued in the same
     * millisecond would be dead, so a link minted right after a revocation is dated
     * one millisecond past it.
     */
    validAfter?: string | null;
    /** Only the first redemption opens the portal. */
    singleUse?: boolean;
  } = {},
): Promise<{ url: string; expires_at: string; single_use: boolean }> {
  const mark = options.validAfter ? Date.parse(options.validAfter) : NaN;
  const issuedAt = Math.max(deps.now(), Number.isFinite(mark) ? mark + 1 : 0);
  const expiresAt = issuedAt + expiresInS * 1000;
  const singleUse = options.singleUse === true;
  const token = await mintLinkToken(deps.signer, {
    customerId,
    issuedAt,
    expiresAt,
    // 16 random bytes: unguessable and unique, short enough for an email.
    id: singleUse
      ? toBase64Url(crypto.getRandomValues(new Uint8Array(16)))
      : undefined,
  });
  return {
    url: `${deps.config.publicUrl}/portal/${token}`,
    expires_at: new Date(expiresAt).toISOString(),
    single_use: singleUse,
  };
}
