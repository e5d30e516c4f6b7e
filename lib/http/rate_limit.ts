/**
 * Rate limits on the things an abuser would repeat: starting Finch Connect sessions
 * (each is a call to Finch under our client credentials and a callback state in KV),
 * redeeming portal links (guessing links, or replaying a leaked one to mint sessions),
 * and reading access tokens through the integrator API (a leaked key draining every
 * token at once; counted per key, see lib/flows/token_read.ts).
 *
 * Each rule allows `limit` hits per `window` seconds for one subject: a customer, or a
 * client address. Over the limit the request is refused with 429 and a `Retry-After`
 * that says when the oldest counted hit leaves the window.
 *
 * The counters live in KV, so every process on one store shares them: a fixed window per
 * rule and subject, `["rate_limits", rule, subject, window_start_ms]` holding the count,
 * written with `expireIn` so that finished windows disappear. A hit reads the count, and
 * if it is under the limit writes count + 1 under a versionstamp check, deciding again
 * when another hit (in any process) wrote first; so exactly `limit` hits pass per window,
 * never more, even in a concurrent burst. A subject at its limit is refused without a
 * write, so a flood costs one read per request. (`sum` needs no check but cannot carry
 * `expireIn`: its counters would stay forever.) A fixed window lets a subject spend two
 * windows' worth across a boundary; at these limits that is harmless, and the answer is
 * exact and cheap.
 *
 * Client address: the socket's peer address (`Deno.ServeHandlerInfo.remoteAddr`, which
 * `Deno.serve` passes as Hono's `c.env`). Behind N trusted reverse proxies set
 * `TRUST_PROXY=N` and the address is the one the outermost trusted proxy saw: the Nth
 * entry from the right of `X-Forwarded-For`. Never trust that header without a proxy that
 * overwrites it, or anyone can pick their own address. IPv6 addresses are counted per
 * /64, the block one subscriber usually holds. A request with no address (the app called
 * in-process, as tests do) skips the per-address rules.
 *
 * @module
 */
import type { Context, MiddlewareHandler } from "hono";
import { ConfigError } from "../config.ts";
import { StoreBusy, WriteConflict } from "../db/errors.ts";
import { rateLimitKey } from "../db/keys.ts";
import { decideLoop } from "../db/retry.ts";
import { AppError } from "../errors.ts";
import type { AppEnv } from "./env.ts";

/** One rule: at most `limit` hits per `windowS` seconds per subject. */
export interface RateRule {
  limit: number;
  windowS: number;
}

/** The portal's rules; `null` turns one off. */
export interface RateLimits {
  /** Connect sessions started (new and reconnect) per customer. */
  connectPerCustomer: RateRule | null;
  /** Connect sessions started per client address. */
  connectPerAddress: RateRule | null;
  /** Portal link redemptions per client address, valid or not. */
  linkPerAddress: RateRule | null;
  /** Redemptions of valid links per customer. */
  linkPerCustomer: RateRule | null;
  /** Access token reads (`GET /api/connections/:id/token`) per API key. */
  tokenReadsPerKey: RateRule | null;
  /** Reverse proxies in front of the portal whose `X-Forwarded-For` is trusted. */
  trustProxy: number;
}

/** Which rule a hit counts against. */
export type RateRuleName = Exclude<keyof RateLimits, "trustProxy">;

/**
 * Defaults: enough for a person (an admin retrying Connect a few times, several admins
 * sharing one office address) and far below what a script would need.
 */
export const DEFAULT_RATE_LIMITS: RateLimits = Object.freeze({
  connectPerCustomer: { limit: 20, windowS: 600 },
  connectPerAddress: { limit: 60, windowS: 600 },
  linkPerAddress: { limit: 30, windowS: 600 },
  linkPerCustomer: { limit: 30, windowS: 600 },
  // Ten a second, sustained: a sync job reading each connection's token before its
  // calls stays well below; a script draining every token at once does not.
  tokenReadsPerKey: { limit: 600, windowS: 60 },
  trustProxy: 0,
});

/** The environment variable of each rule. */
export const RATE_LIMIT_ENV: Record<RateRuleName, string> = {
  connectPerCustomer: "RATE_LIMIT_CONNECT_PER_CUSTOMER",
  connectPerAddress: "RATE_LIMIT_CONNECT_PER_ADDRESS",
  linkPerAddress: "RATE_LIMIT_LINK_PER_ADDRESS",
  linkPerCustomer: "RATE_LIMIT_LINK_PER_CUSTOMER",
  tokenReadsPerKey: "RATE_LIMIT_TOKEN_READS_PER_KEY",
};

/** A sanity bound on a rule's count; nobody needs more per window. */
const MAX_LIMIT = 100_000;

/**
 * Reads the rules from the environment: each `RATE_LIMIT_*` variable is
 * `<hits>/<seconds>` (e.g. `20/600`) or `off`; `TRUST_PROXY` is a number of proxies.
 * Throws a `ConfigError` naming the variable.
 *
 * @example
 * ```ts
 * const limits = loadRateLimits({ RATE_LIMIT_CONNECT_PER_CUSTOMER: "5/60" });
 * ```
 */
export function loadRateLimits(
  env: Record<string, string | undefined>,
): RateLimits {
  const limits: RateLimits = { ...DEFAULT_RATE_LIMITS };
  for (const [rule, name] of Object.entries(RATE_LIMIT_ENV)) {
    const text = env[name]?.trim();
    if (!text) continue;
    if (text === "off") {
      limits[rule as RateRuleName] = null;
      continue;
    }
    const m = /^(\d{1,6})\/(\d{1,6})$/.exec(text);
    const limit = Number(m?.[1]), windowS = Number(m?.[2]);
    if (!m || limit < 1 || limit > MAX_LIMIT || windowS < 1) {
      throw new ConfigError(
        `${name} is invalid: write <hits>/<seconds>, e.g. 20/600, or off`,
      );
    }
    limits[rule as RateRuleName] = { limit, windowS };
  }
  const proxies = env.TRUST_PROXY?.trim();
  if (proxies) {
    if (!/^\d{1,2}$/.test(proxies)) {
      throw new ConfigError(
        "TRUST_PROXY is invalid: the number of reverse proxies in front of the portal (0 for none)",
      );
    }
    limits.trustProxy = Number(proxies);
  }
  return Object.freeze(limits);
}

/** What one hit decided. */
export type RateDecision = { ok: true } | { ok: false; retryAfterS: number };

/** One rule's counter for one subject in the window that holds `now`. */
export interface RateWindow {
  name: RateRuleName;
  rule: RateRule;
  key: Deno.KvKey;
  /** Seconds until the window ends: the 429's `Retry-After`. */
  retryAfterS: number;
  /** What the counter's writes carry, so finished windows disappear. */
  expireIn: number;
}

/**
 * The counter `subject` hits under `rule` at `now`.
 *
 * @example
 * ```ts
 * const w = rateWindow("tokenReadsPerKey", "token:3f2a9c1e", { limit: 600, windowS: 60 }, Date.now());
 * ```
 */
export function rateWindow(
  name: RateRuleName,
  subject: string,
  rule: RateRule,
  now: number,
): RateWindow {
  const windowMs = rule.windowS * 1000;
  const start = Math.floor(now / windowMs) * windowMs;
  return {
    name,
    rule,
    key: rateLimitKey(name, subject, start),
    retryAfterS: Math.max(1, Math.ceil((start + windowMs - now) / 1000)),
    // Kept a little past the window's end, so a slow clock elsewhere still finds it.
    expireIn: start + windowMs - now + 60_000,
  };
}

/**
 * Adds one hit to `op`: the count read in `entry` plus one, under a check that it is
 * unchanged, so the op commits only if no other hit (in any process) wrote first.
 * Returns false, adding nothing, when the subject is already at its limit. For callers
 * that count a hit in the same atomic write as what it admits.
 *
 * @example
 * ```ts
 * const entry = await kv.get<number>(w.key);
 * if (!addRateHit(op, entry, w)) throw tooMany();
 * ```
 */
export function addRateHit(
  op: Deno.AtomicOperation,
  entry: Deno.KvEntryMaybe<unknown>,
  window: RateWindow,
): boolean {
  const count = typeof entry.value === "number" ? entry.value : 0;
  if (count >= window.rule.limit) return false;
  op.check(entry).set(window.key, count + 1, { expireIn: window.expireIn });
  return true;
}

/**
 * Counts one hit of `subject` against `rule`; refuses when the subject is at its limit.
 * An admitted hit returns a function that takes it back (used when a later rule of the
 * same request refuses, so that a refused request costs nothing).
 *
 * @example
 * ```ts
 * const d = await hitRateLimit(kv, "connectPerCustomer", "acme", { limit: 20, windowS: 600 }, Date.now());
 * if (!d.ok) console.log(`retry in ${d.retryAfterS} s`);
 * ```
 */
export async function hitRateLimit(
  kv: Deno.Kv,
  name: RateRuleName,
  subject: string,
  rule: RateRule,
  now: number,
): Promise<RateDecision & { undo?: () => Promise<void> }> {
  const window = rateWindow(name, subject, rule, now);
  const { key, retryAfterS, expireIn } = window;
  try {
    const admitted = await decideLoop<boolean>(
      `rate limit ${name}`,
      async () => {
        const entry = await kv.get<number>(key);
        const op = kv.atomic();
        if (!addRateHit(op, entry, window)) return { done: false };
        return { commit: () => op, result: true };
      },
    );
    if (!admitted) return { ok: false, retryAfterS };
  } catch (err) {
    // A burst so contended that the count could not be written: refusing is the safe
    // answer, and the person is told to come back in a moment.
    if (err instanceof WriteConflict || err instanceof StoreBusy) {
      return { ok: false, retryAfterS: 1 };
    }
    throw err;
  }
  const undo = async () => {
    await decideLoop<void>(`rate limit ${name} undo`, async () => {
      const entry = await kv.get<number>(key);
      if (typeof entry.value !== "number" || entry.value < 1) {
        return { done: undefined };
      }
      return {
        commit: () =>
          kv.atomic().check(entry).set(key, entry.value! - 1, { expireIn }),
        result: undefined,
      };
    });
  };
  return { ok: true, undo };
}

/**
 * The client's address for per-address limits, or null when the request did not come
 * through a socket (in-process calls). See the module doc for `TRUST_PROXY`.
 *
 * @example
 * ```ts
 * const address = clientAddress(c, deps.rateLimits.trustProxy);
 * ```
 */
export function clientAddress(
  c: Context<AppEnv>,
  trustProxy: number,
): string | null {
  if (trustProxy > 0) {
    const hops = (c.req.header("x-forwarded-for") ?? "").split(",")
      .map((s) => s.trim()).filter(Boolean);
    // Each trusted proxy appends the address it saw; the client's is the one the
    // outermost trusted proxy appended. With fewer entries than proxies the header did
    // not come through all of them, so the socket's address (a proxy's, shared by many
    // clients: stricter, never looser) is counted instead.
    const seen = hops.length >= trustProxy ? hops.at(-trustProxy) : undefined;
    if (seen) return normalizeAddress(seen);
  }
  const remote = (c.env as { remoteAddr?: Deno.Addr } | undefined)?.remoteAddr;
  return remote && "hostname" in remote
    ? normalizeAddress(remote.hostname)
    : null;
}

/** IPv4 as is; IPv4-mapped IPv6 as IPv4; other IPv6 as its /64; anything else bounded. */
export function normalizeAddress(address: string): string {
  const a = address.trim().replace(/^\[|\]$/g, "").toLowerCase();
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(a);
  if (mapped) return mapped[1];
  if (!a.includes(":")) return a.slice(0, 64);
  const [head, tail = ""] = a.split("::");
  const left = head ? head.split(":") : [];
  const right = tail ? tail.split(":") : [];
  const groups = a.includes("::")
    ? [
      ...left,
      ...Array(Math.max(0, 8 - left.length - right.length)).fill("0"),
      ...right,
    ]
    : left;
  return `${
    groups.slice(0, 4).map((g) => (g || "0").replace(/^0+(?=.)/, "")).join(":")
  }::/64`.slice(0, 64);
}

/** The 429 every rule answers with: what was refused and when to try again. */
export function tooMany(
  what: "connect" | "link" | "token",
  retryAfterS: number,
): AppError {
  const minutes = Math.ceil(retryAfterS / 60);
  const wait = retryAfterS < 60
    ? `${retryAfterS} seconds`
    : `${minutes} minute${minutes === 1 ? "" : "s"}`;
  return new AppError(
    429,
    "rate_limited",
    {
      connect:
        `Too many attempts to connect in a short time. Nothing was changed; please try again in ${wait}.`,
      link:
        `This portal link was opened too many times in a short time. Please try again in ${wait}.`,
      token:
        `Too many access token reads with this key in a short time. Please try again in ${wait}.`,
    }[what],
    {
      title: "Too many attempts",
      headers: { "Retry-After": String(retryAfterS) },
      action: what === "connect"
        ? { href: "/connections", label: "Back to connections" }
        : undefined,
    },
  );
}

/**
 * Counts this request against each `[rule, subject]` pair (a null rule or subject is
 * skipped) and throws the 429 if any refuses; hits this call already counted are taken
 * back then, so a request refused by one rule costs nothing under the others. (A link's
 * per-address hit is counted in an earlier call, before the link is even verified: every
 * attempt counts for its address.)
 *
 * @example
 * ```ts
 * await enforceRateLimits(c, "link", [["linkPerCustomer", customer.id]]);
 * ```
 */
export async function enforceRateLimits(
  c: Context<AppEnv>,
  what: "connect" | "link",
  checks: [RateRuleName, string | null][],
): Promise<void> {
  const { kv, now, log } = c.var.deps;
  const limits = c.var.deps.rateLimits ?? DEFAULT_RATE_LIMITS;
  const taken: (() => Promise<void>)[] = [];
  for (const [name, subject] of checks) {
    const rule = limits[name];
    if (!rule || subject === null) continue;
    const decision = await hitRateLimit(kv, name, subject, rule, now());
    if (decision.ok) {
      if (decision.undo) taken.push(decision.undo);
      continue;
    }
    await Promise.all(taken.map((undo) => undo().catch(() => {})));
    // The subject is a customer id or an address, never a secret.
    log("warn", "rate_limited", {
      rule: name,
      subject,
      retry_after_s: decision.retryAfterS,
    });
    throw tooMany(what, decision.retryAfterS);
  }
}

/**
 * Middleware for the routes that start a Connect session: per customer (the session's)
 * and per client address. Mount after `requireSession()`, so only requests that passed
 * the session and form-token checks count, and a forged cross-site form cannot spend a
 * customer's allowance.
 */
export function connectRateLimit(): MiddlewareHandler<AppEnv> {
  return async function connectRateLimit(c, next) {
    const limits = c.var.deps.rateLimits ?? DEFAULT_RATE_LIMITS;
    await enforceRateLimits(c, "connect", [
      ["connectPerAddress", clientAddress(c, limits.trustProxy)],
      ["connectPerCustomer", c.var.customer?.id ?? null],
    ]);
    await next();
  };
}
