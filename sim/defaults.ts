/**
 * Development defaults of the Finch simulator, in one place so that `sim/main.ts` and the
 * portal's demo mode agree on the credentials and the webhook secret without copying them.
 *
 * These values are public on purpose: they only ever unlock the local simulator.
 *
 * @module
 */

/** Client id the simulator accepts by default (a UUID, as Finch's client ids are). */
export const DEFAULT_CLIENT_ID = "8a3b7f0e-2c1d-4e5f-9a6b-7c8d9e0f1a2b";

/** Client secret the simulator accepts by default. */
export const DEFAULT_CLIENT_SECRET =
  "finch-sim-dev-secret-do-not-use-in-production";

/**
 * Webhook signing secret: 24 bytes in base64, the shape of a Finch dashboard secret (no
 * `whsec_` prefix; the SDK rejects one).
 */
export const DEFAULT_WEBHOOK_SECRET = "c2ltdWxhdG9yLXdlYmhvb2stc2VjcmV0";

/** Port of the standalone simulator (`deno task sim`). */
export const DEFAULT_PORT = 8787;

/**
 * Finch's documented webhook retry schedule: immediately, then 5 s, 5 min, 30 min and 2 h
 * after each failed attempt.
 */
export const FINCH_WEBHOOK_RETRY_DELAYS_MS: readonly number[] = [
  0,
  5_000,
  5 * 60_000,
  30 * 60_000,
  2 * 60 * 60_000,
];

/** Authorization codes live ten minutes (Finch docs). */
export const CODE_TTL_MS = 10 * 60_000;

/** Default lifetime of a Connect session: 129,600 minutes = 90 days (current spec). */
export const SESSION_DEFAULT_MINUTES = 129_600;

/** Default lifetime of a reauthentication session: 43,200 minutes = 30 days (spec). */
export const REAUTH_SESSION_DEFAULT_MINUTES = 43_200;

/**
 * The integrator application the Connect page names when none is configured. Neutral on
 * purpose: the portal's demo mode passes its own brand name.
 */
export const DEFAULT_APP_NAME = "Demo Integrator";

/** Where the portal receives Connect's redirect by default (`PUBLIC_URL/callback`). */
export const DEFAULT_REDIRECT_URI = "http://localhost:8000/callback";
