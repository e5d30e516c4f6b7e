/** The Hono environment shared by every route: dependencies and per-request values. */
import type { Assets } from "../assets.ts";
import type { ResolvedConfig } from "../config.ts";
import type { Logger } from "../log.ts";

/** What the app is built from (see `createApp`). */
export interface AppDeps {
  config: ResolvedConfig;
  kv: Deno.Kv;
  assets: Assets;
  log: Logger;
}

/** The customer a portal session belongs to. */
export interface SessionCustomer {
  id: string;
  name: string;
}

export interface AppEnv {
  Variables: {
    deps: AppDeps;
    /** Set by hono/secure-headers for the island script tag. */
    secureHeadersNonce?: string;
    /** The signed-in employer, on portal pages. */
    customer?: SessionCustomer;
  };
}
