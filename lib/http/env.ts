/** The Hono environment shared by every route: dependencies and per-request values. */
import type { Assets } from "../assets.ts";
import type { Customer } from "../db/schemas.ts";
import type { ResolvedConfig } from "../config.ts";
import type { FinchGateway } from "../finch/gateway.ts";
import type { Logger } from "../log.ts";
import type { RateLimits } from "./rate_limit.ts";
import type { Sealer } from "../sealing.ts";
import type { Signer } from "../signing.ts";

/** What the app is built from (see `createApp`); tests substitute any of it. */
export interface AppDeps {
  config: ResolvedConfig;
  kv: Deno.Kv;
  assets: Assets;
  log: Logger;
  finch: FinchGateway;
  signer: Signer;
  sealer: Sealer;
  /** The clock, in ms: injectable for expiry tests. */
  now: () => number;
  /** Rate limits (lib/http/rate_limit.ts); the defaults when absent. */
  rateLimits?: RateLimits;
}

/** The signed-in employer: its record, as read with the session. */
export type SessionCustomer = Customer;

/** The portal session of an employer page (lib/http/session.ts). */
export interface RequestSession {
  /** SHA-256 of the cookie value: binds callback states to this session. */
  hash: string;
  customerId: string;
  expiresAt: number;
  /** The session's form token, for the page's forms. */
  csrf: string;
  /** Entries a route asked to read together with the session (one round trip). */
  also: Deno.KvEntryMaybe<unknown>[];
}

export interface AppEnv {
  Variables: {
    deps: AppDeps;
    /** Set by hono/secure-headers for the island script tag. */
    secureHeadersNonce?: string;
    /** The portal session, on employer pages. */
    session?: RequestSession;
    customer?: SessionCustomer;
  };
}
