/**
 * Finch's documented rate limits (reference §2.1, opt-in with `rateLimits: "finch"` or
 * `SIM_RATE_LIMITS=finch`): per application, per endpoint, in a rolling 60-second window,
 * 20 requests for company, directory, individual and employment and 12 for payment and
 * pay statements. Past the limit: 429 `rate_limit_exceeded_error` /
 * `finch_application_rl` with `Retry-After` in seconds, so a client's backoff can be
 * tested. Finch's per-IP limit (1,000 per 5 minutes) is not simulated: in-process calls
 * have no address.
 *
 * @module
 */

import type { MiddlewareHandler } from "hono";
import { finchError } from "./errors.ts";

/** Requests per rolling minute, by `METHOD path`. */
export const FINCH_LIMITS: Record<string, number> = {
  "GET /employer/company": 20,
  "GET /employer/directory": 20,
  "POST /employer/individual": 20,
  "POST /employer/employment": 20,
  "GET /employer/payment": 12,
  "POST /employer/pay-statement": 12,
};

const WINDOW_MS = 60_000;

/** The middleware; `relative` strips the mount prefix, `now` is the simulator's clock. */
export function rateLimits(
  relative: (path: string) => string,
  now: () => number,
): MiddlewareHandler {
  const seen = new Map<string, number[]>();
  return async (c, next) => {
    const key = `${c.req.method} ${relative(c.req.path)}`;
    const limit = FINCH_LIMITS[key];
    if (limit === undefined) return await next();
    const t = now();
    const recent = (seen.get(key) ?? []).filter((s) => s > t - WINDOW_MS);
    if (recent.length >= limit) {
      seen.set(key, recent);
      const wait = Math.max(1, Math.ceil((recent[0] + WINDOW_MS - t) / 1000));
      const err = finchError(
        429,
        "rate_limit_exceeded_error",
        `Rate limit exceeded: ${limit} requests per minute on ${key}. Retry in ${wait} s.`,
        "finch_application_rl",
      );
      return c.json(err.body, 429, { "retry-after": String(wait) });
    }
    recent.push(t);
    seen.set(key, recent);
    await next();
  };
}
