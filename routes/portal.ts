/**
 * `GET /portal/:link`: an employer's admin opens the signed link the integrator sent;
 * it is redeemed into a browser session and they land on their connections page.
 *
 * @module
 */
import { Hono } from "hono";
import {
  createPortalSession,
  judgeLink,
  type LinkRefusal,
  readLinkTarget,
} from "../lib/db/portal_sessions.ts";
import { AppError } from "../lib/errors.ts";
import type { AppEnv } from "../lib/http/env.ts";
import {
  clientAddress,
  DEFAULT_RATE_LIMITS,
  enforceRateLimits,
} from "../lib/http/rate_limit.ts";
import { SESSION_TTL_MS, setSessionCookie } from "../lib/http/session.ts";
import { verifyLinkToken } from "../lib/links.ts";

export function portalRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get("/portal/:link", async (c) => {
    const { kv, signer, now } = c.var.deps;
    // Rate limit (lib/http/rate_limit.ts): every attempt counts per address, valid or not.
    const limits = c.var.deps.rateLimits ?? DEFAULT_RATE_LIMITS;
    await enforceRateLimits(c, "link", [
      ["linkPerAddress", clientAddress(c, limits.trustProxy)],
    ]);
    const link = await verifyLinkToken(signer, c.req.param("link"), now());
    if (link === "invalid") {
      throw new AppError(
        404,
        "link_invalid",
        "This portal link is not valid. Check that you copied all of it, or ask for a new one.",
        { title: "Link not valid" },
      );
    }
    if (link === "expired") throw linkExpired();
    const linkIssuedAt = new Date(link.issuedAt);
    const target = await readLinkTarget(kv, link.customerId, link.id);
    // Links issued at or before the customer's last revocation are dead, and a single-use
    // link already redeemed is spent: refused before it counts against the customer.
    const refusal = judgeLink(target, linkIssuedAt);
    if (refusal) throw refused(refusal);
    // Rate limit: sessions minted per customer, however many addresses the link is on.
    await enforceRateLimits(c, "link", [["linkPerCustomer", link.customerId]]);
    // Checked against the customer entry judged above: a revocation committed meanwhile,
    // on any process, is seen and the link refused.
    const session = await createPortalSession(kv, link.customerId, {
      ttlMs: SESSION_TTL_MS,
      now: new Date(now()),
      linkIssuedAt,
      target,
      singleUse: link.id
        ? { linkId: link.id, expiresAt: link.expiresAt }
        : undefined,
    });
    if (!session.ok) throw refused(session.reason);
    setSessionCookie(c, session.token);
    c.header("Referrer-Policy", "no-referrer");
    return c.redirect("/connections", 303);
  });

  return app;
}

const linkExpired = () =>
  new AppError(
    410,
    "link_expired",
    "This portal link has expired or was replaced by a newer one. Ask the team that sent it for a new link.",
    { title: "Link expired" },
  );

function refused(reason: LinkRefusal): AppError {
  if (reason !== "used") return linkExpired();
  return new AppError(
    410,
    "link_used",
    "This portal link could be opened once, and it has already been used. Ask the team that sent it for a new link.",
    { title: "Link already used" },
  );
}
