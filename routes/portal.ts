/**
 * `GET /portal/:link`: an employer's admin opens the signed link the integrator sent;
 * it is redeemed into a browser session and they land on their connections page.
 *
 * @module
 */
import { Hono } from "hono";
import { getCustomer } from "../lib/db/customers.ts";
import { createPortalSession } from "../lib/db/portal_sessions.ts";
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
    const customer = link === "expired"
      ? null
      : await getCustomer(kv, link.customerId);
    // Links issued before the customer's last revocation are dead.
    const revoked = link !== "expired" && customer?.links_valid_after &&
      Date.parse(customer.links_valid_after) > link.issuedAt;
    if (link === "expired" || !customer || revoked) {
      throw new AppError(
        410,
        "link_expired",
        "This portal link has expired or was replaced by a newer one. Ask the team that sent it for a new link.",
        { title: "Link expired" },
      );
    }
    // Rate limit: sessions minted per customer, however many addresses the link is on.
    await enforceRateLimits(c, "link", [["linkPerCustomer", customer.id]]);
    const session = await createPortalSession(kv, customer.id, {
      ttlMs: SESSION_TTL_MS,
      now: new Date(now()),
    });
    setSessionCookie(c, session.token);
    c.header("Referrer-Policy", "no-referrer");
    return c.redirect("/connections", 303);
  });

  return app;
}
