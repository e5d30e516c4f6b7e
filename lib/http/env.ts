/** The Hono environment shared by every route: dependencies and per-request values. */
import type { Assets } from "../assets.ts";
import type { ResolvedConfig } from "../config.ts";
import type { FinchGateway } from "../finch.ts";
import type { Logger } from "../log.ts";
import type { CacheMark, PageCache } from "./page_cache.ts";
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
  /** The page cache (lib/http/page_cache.ts); without one every view renders. */
  pageCache?: PageCache;
}

/** The signed-in employer. */
export interface SessionCustomer {
  id: string;
  name: string;
  email: string | null;
}

export interface AppEnv {
  Variables: {
    deps: AppDeps;
    /** Set by hono/secure-headers for the island script tag. */
    secureHeadersNonce?: string;
    /** The portal session, on employer pages: its hash keys form tokens and states. */
    session?: { hash: string; customerId: string; expiresAt: number };
    customer?: SessionCustomer;
    /** Set by a route whose page may be cached (lib/http/page_cache.ts). */
    cacheMark?: CacheMark;
  };
}
