/**
 * The employer's browser session and the protections that ride on it.
 *
 * A portal link is redeemed into a session (lib/db/portal_sessions.ts) kept in an
 * `HttpOnly`, `SameSite=Lax` cookie (`Secure` and `__Host-` over https); KV keeps only
 * its hash. Every form carries the session's form token, and every state-changing
 * request, whatever its content type, must also come from our own origin
 * ({@linkcode fromOurOrigin}). JSON endpoints insist on `application/json`, which a
 * cross-site form cannot send, and on the same token in a header.
 *
 * Reading the session is one KV round trip; a route that needs another entry at once
 * (the callback's state) asks for it with `alsoRead` and gets it in the same read.
 */
import type { Context, MiddlewareHandler } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import { matchedRoutes } from "hono/route";
import { AppError } from "../errors.ts";
import {
  cookieCustomerId,
  getPortalSession,
  sameFormToken,
} from "../db/portal_sessions.ts";
import type { AppEnv } from "./env.ts";

/** How long a portal session lasts after a link is redeemed. */
export const SESSION_TTL_MS = 8 * 3600_000;

/** The cookie's name: `__Host-` pins it to our origin when served over https. */
export function sessionCookieName(publicUrl: string): string {
  return publicUrl.startsWith("https:")
    ? "__Host-portal_session"
    : "portal_session";
}

/** Puts the session token in its cookie. */
export function setSessionCookie(c: Context<AppEnv>, token: string): void {
  const secure = c.var.deps.config.publicUrl.startsWith("https:");
  setCookie(c, sessionCookieName(c.var.deps.config.publicUrl), token, {
    httpOnly: true,
    sameSite: "Lax",
    secure,
    path: "/",
    maxAge: SESSION_TTL_MS / 1000,
  });
}

/** The session's form token: proves a request was made from one of our pages. */
export function csrfToken(c: Context<AppEnv>): string {
  const session = c.var.session;
  if (!session) throw new Error("csrfToken needs a session");
  return session.csrf;
}

const sessionEnded = () =>
  new AppError(
    401,
    "session_required",
    "Your session has ended or this browser has not opened your portal link yet. Open the link you were sent again; if it has expired, ask for a new one.",
    { title: "Please open your portal link" },
  );

/**
 * Keys a route wants read together with the session, given the customer the cookie
 * names (used only once the session is found, which proves that customer).
 */
export type AlsoRead = (
  c: Context<AppEnv>,
  customerId: string,
) => Deno.KvKey[] | Promise<Deno.KvKey[]>;

/**
 * Requires a live portal session; puts the session and its customer on the context.
 * Unsafe methods must also pass the origin check and carry the session's form token
 * (form field `_csrf`, or header `x-csrf-token` on JSON requests).
 */
export function requireSession(
  options: { alsoRead?: AlsoRead } = {},
): MiddlewareHandler<AppEnv> {
  return async function requireSession(c, next) {
    // A path no route answers is a 404 for everyone: no session or form token needed.
    const method = c.req.method === "HEAD" ? "GET" : c.req.method;
    if (!matchedRoutes(c).some((route) => route.method === method)) {
      return await next();
    }
    const { kv, config } = c.var.deps;
    const token = getCookie(c, sessionCookieName(config.publicUrl));
    // The customer the cookie names: what `alsoRead` keys are built from.
    const named = token ? cookieCustomerId(token) : null;
    const session = token
      ? await getPortalSession(kv, token, {
        now: new Date(c.var.deps.now()),
        alsoRead: options.alsoRead && named !== null
          ? await options.alsoRead(c, named)
          : undefined,
      })
      : null;
    if (!session) throw sessionEnded();
    const customer = session.customer;
    c.set("session", {
      hash: session.session_hash,
      customerId: customer.id,
      expiresAt: Date.parse(session.expires_at),
      csrf: session.csrf,
      also: session.also,
    });
    c.set("customer", customer);

    if (c.req.method === "GET" || c.req.method === "HEAD") return await next();
    if (!fromOurOrigin(c)) throw crossOrigin();
    await verifyFormToken(c);
    await next();
  };
}

/**
 * Whether an unsafe request was sent by one of our own pages. Browsers send `Origin` on
 * every POST, so when it is there it decides alone (another origin, or `null` from a
 * sandboxed or privacy-minded context, is refused); without it, only
 * `Sec-Fetch-Site: same-origin` vouches for the request, as in hono/csrf. Unlike
 * hono/csrf this holds for every content type: it used to check forms only, so a JSON
 * post passed on the form token alone.
 */
export function fromOurOrigin(c: Context<AppEnv>): boolean {
  const origin = c.req.header("origin");
  if (origin !== undefined) {
    return origin === new URL(c.var.deps.config.publicUrl).origin;
  }
  return c.req.header("sec-fetch-site") === "same-origin";
}

const crossOrigin = () =>
  new AppError(
    403,
    "forbidden",
    "This request did not come from the portal's own page, so it was refused. Go back to the page and try again.",
    { title: "Request refused" },
  );

async function verifyFormToken(c: Context<AppEnv>): Promise<void> {
  const type = c.req.header("content-type") ?? "";
  let supplied: string | undefined;
  if (type.startsWith("application/json")) {
    supplied = c.req.header("x-csrf-token");
  } else if (
    type.startsWith("application/x-www-form-urlencoded") ||
    type.startsWith("multipart/form-data")
  ) {
    const form = await c.req.parseBody().catch(() => ({}));
    const value = (form as Record<string, unknown>)["_csrf"];
    supplied = typeof value === "string" ? value : undefined;
  } else {
    throw new AppError(415, "unsupported_media_type", "Send a form or JSON.");
  }
  if (!sameFormToken(c.var.session!, supplied)) {
    throw new AppError(
      403,
      "csrf_failed",
      "This form has expired or did not come from your portal page. Go back, reload the page and try again.",
      {
        title: "Please try again",
        action: { href: "/connections", label: "Back to connections" },
      },
    );
  }
}
