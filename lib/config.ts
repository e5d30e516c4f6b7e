/**
 * Configuration: every environment variable of the portal, parsed once with Zod into
 * one typed, frozen object.
 *
 * Two modes, and demo mode is only ever asked for (`main.ts --demo`, which
 * `deno task start` passes; `demo: true` in code): a deploy that forgets its Finch
 * credentials must not come up with the simulator's unauthenticated test controls on
 * its own origin. Production mode needs `FINCH_CLIENT_ID`, `FINCH_CLIENT_SECRET` and
 * every secret. Demo mode mounts the built-in Finch simulator at `/sim` and generates
 * the secrets that are missing once, keeping them in KV (see demo.ts) so that portal
 * links and sealed tokens survive a restart. Asking for demo mode with Finch
 * credentials set is refused: which of the two was meant is unclear, and guessing
 * either way is worse than one line that says so.
 */
import { z } from "zod";
import { type Brand, parseBrand } from "./brand.ts";
import { ConfigError } from "./errors.ts";

export { ConfigError };

const PRODUCTS = [
  "benefits",
  "company",
  "deduction",
  "directory",
  "documents",
  "employment",
  "individual",
  "payment",
  "pay_statement",
  "plans",
  "plans_dependents",
  "plans_enrollments",
  "recordkeeping",
  "ssn",
] as const;

/** A Finch product a Connect session may ask for. */
export type FinchProduct = typeof PRODUCTS[number];

/** `EVENTS_RETRY_SCHEDULE`'s default: seconds before each retry of a delivery. */
export const DEFAULT_RETRY_SCHEDULE = [5, 300, 1800, 7200, 18000, 36000];

const optional = z.string().trim().optional().transform((v) => v || undefined);

const EnvSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8000),
  PUBLIC_URL: optional.pipe(z.url({ protocol: /^https?$/ }).optional()),
  KV_PATH: optional,
  FINCH_CLIENT_ID: optional,
  FINCH_CLIENT_SECRET: optional,
  FINCH_BASE_URL: optional.pipe(z.url({ protocol: /^https?$/ }).optional()),
  FINCH_CONNECT_URL: optional.pipe(z.url({ protocol: /^https?$/ }).optional()),
  FINCH_WEBHOOK_SECRET: optional,
  FINCH_PRODUCTS: z.string().default("company directory individual employment")
    .transform((v) => v.split(/[\s,]+/).filter(Boolean))
    .pipe(z.array(z.enum(PRODUCTS)).min(1)),
  FINCH_SANDBOX: optional.pipe(z.enum(["finch", "provider"]).optional()),
  FINCH_MANUAL: optional.pipe(z.enum(["true", "false"]).optional()),
  // Both may list several values, comma-separated, during a rotation (SECURITY.md).
  ADMIN_API_KEY: optional.pipe(
    z.string().refine(
      (v) => secretList(v).every((k) => k.length >= 16),
      "each key must be 16 or more characters",
    ).optional(),
  ),
  // When set, the only key that reads access tokens (routes/api_tokens.ts).
  TOKEN_API_KEY: optional.pipe(
    z.string().refine(
      (v) => secretList(v).every((k) => k.length >= 16),
      "each key must be 16 or more characters",
    ).optional(),
  ),
  APP_SECRET: optional.pipe(
    z.string().refine(
      (v) => secretList(v).every((k) => k.length >= 32),
      "each secret must be 32 or more characters",
    ).optional(),
  ),
  TOKEN_KEYS: optional,
  EVENTS_WEBHOOK_URL: optional.pipe(
    z.url({ protocol: /^https?$/ }).optional(),
  ),
  EVENTS_WEBHOOK_SECRET: optional.pipe(
    z.string().refine(
      (v) => secretList(v).every(isEventsSecret),
      "each secret must be whsec_ followed by the base64 of 24 to 64 bytes",
    ).optional(),
  ),
  EVENTS_RETRY_SCHEDULE: z.string().trim()
    .default(DEFAULT_RETRY_SCHEDULE.join(","))
    .transform((v) => v.split(/[\s,]+/).filter(Boolean).map(Number))
    .pipe(
      z.array(
        // KV queues delay a message by at most 30 days.
        z.number().positive().max(30 * 24 * 3600),
        { error: "seconds, comma-separated" },
      ).min(1).max(20),
    ),
});

/**
 * Whether `value` is a Standard Webhooks secret: `whsec_` and the base64 of 24 to 64
 * random bytes (the specification's bounds).
 *
 * @example
 * ```ts
 * isEventsSecret(`whsec_${crypto.getRandomValues(new Uint8Array(32)).toBase64()}`); // true
 * ```
 */
export function isEventsSecret(value: string): boolean {
  const m = /^whsec_([A-Za-z0-9+/]+={0,2})$/.exec(value);
  if (!m) return false;
  try {
    const n = Uint8Array.fromBase64(m[1]).length;
    return n >= 24 && n <= 64;
  } catch {
    return false;
  }
}

/**
 * The values of a secret that may list several during a rotation (`ADMIN_API_KEY`,
 * `TOKEN_API_KEY`, `APP_SECRET`): comma-separated, the current one first. Never empty.
 *
 * @example
 * ```ts
 * secretList("new-key-0123456789,old-key-0123456789"); // ["new-key-...", "old-key-..."]
 * ```
 */
export function secretList(value: string): string[] {
  const list = value.split(",").map((s) => s.trim()).filter(Boolean);
  return list.length ? list : [value];
}

/** The portal's settings, as the rest of the code sees them. */
export interface Config {
  /** Demo mode, asked for explicitly: the simulator stands in for Finch. */
  readonly demo: boolean;
  readonly port: number;
  /** External base URL without a trailing slash. */
  readonly publicUrl: string;
  /** `$PUBLIC_URL/callback`, registered with Finch as the redirect URI. */
  readonly redirectUri: string;
  /** A file path, `:memory:`, or undefined for Deno Deploy's managed store. */
  readonly kvPath: string | undefined;
  readonly finch: {
    readonly clientId: string | undefined;
    readonly clientSecret: string | undefined;
    readonly baseUrl: string | undefined;
    readonly connectUrl: string;
    /** Accepted webhook secrets, newest first: several during a rotation. */
    readonly webhookSecrets: readonly string[];
    readonly products: readonly FinchProduct[];
    readonly sandbox: "finch" | "provider" | undefined;
    /** `FINCH_MANUAL=true`: Connect also offers assisted providers. */
    readonly manual: boolean;
  };
  /**
   * Secrets; undefined only in demo mode, before demo.ts fills them.
   * `adminApiKey` and `appSecret` may list several values (see {@linkcode secretList}).
   */
  readonly adminApiKey: string | undefined;
  readonly appSecret: string | undefined;
  readonly tokenKeys: string | undefined;
  /** Integrator events (lib/events/): where they are POSTed, how they are signed. */
  readonly events: {
    /** `EVENTS_WEBHOOK_URL`; undefined: events are recorded in the feed, not sent. */
    readonly url: string | undefined;
    /** `EVENTS_WEBHOOK_SECRET`, `whsec_...` each; every one signs. Demo mode fills it. */
    readonly secrets: readonly string[];
    /** Seconds before each retry (`EVENTS_RETRY_SCHEDULE`). */
    readonly retrySchedule: readonly number[];
  };
  /**
   * When set, the only key(s) `GET /api/connections/:id/token` accepts; the admin key
   * keeps every other route. Several during a rotation, like `adminApiKey`.
   */
  readonly tokenApiKey: string | undefined;
  /** The integrator's identity on every page (lib/brand.ts); demo mode has its own. */
  readonly brand: Brand;
}

/** A config whose secrets and Finch credentials are all present (see demo.ts). */
export type ResolvedConfig = Config & {
  readonly adminApiKey: string;
  readonly appSecret: string;
  readonly tokenKeys: string;
  readonly finch: Config["finch"] & {
    readonly clientId: string;
    readonly clientSecret: string;
  };
};

/**
 * Parses the environment, for demo mode when `options.demo` asks for it (nothing in the
 * environment does). Throws a `ConfigError` whose message names the variable at fault
 * and never echoes a secret's value.
 *
 * @example
 * ```ts
 * const config = loadConfig(Deno.env.toObject(), { demo: Deno.args.includes("--demo") });
 * ```
 */
export function loadConfig(
  env: Record<string, string | undefined>,
  options: { demo?: boolean } = {},
): Config {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const name = String(issue.path[0] ?? "environment");
    throw new ConfigError(`${name} is invalid: ${issue.message}`);
  }
  const e = parsed.data;
  const hasId = Boolean(e.FINCH_CLIENT_ID),
    hasSecret = Boolean(e.FINCH_CLIENT_SECRET);
  const demo = options.demo === true;
  if (demo && (hasId || hasSecret)) {
    throw new ConfigError(
      `${
        hasId ? "FINCH_CLIENT_ID" : "FINCH_CLIENT_SECRET"
      } is set, but demo mode (--demo) was asked for: demo mode never uses Finch ` +
        "credentials. Unset them for a demo, or start without --demo",
    );
  }
  if (!demo && !hasId && !hasSecret) {
    throw new ConfigError(
      "FINCH_CLIENT_ID is required: set FINCH_CLIENT_ID and FINCH_CLIENT_SECRET, " +
        "or ask for demo mode with --demo (deno task start)",
    );
  }
  if (!demo && hasId !== hasSecret) {
    throw new ConfigError(
      `${
        hasId ? "FINCH_CLIENT_SECRET" : "FINCH_CLIENT_ID"
      } is missing: set both Finch credentials`,
    );
  }
  if (!demo) {
    for (const name of ["ADMIN_API_KEY", "APP_SECRET", "TOKEN_KEYS"] as const) {
      if (!e[name]) {
        throw new ConfigError(`${name} is required outside demo mode`);
      }
    }
    // An unsigned event cannot be told from a forged one: refuse to send any.
    if (e.EVENTS_WEBHOOK_URL && !e.EVENTS_WEBHOOK_SECRET) {
      throw new ConfigError(
        "EVENTS_WEBHOOK_SECRET is required when EVENTS_WEBHOOK_URL is set",
      );
    }
  }
  if (e.TOKEN_API_KEY && e.ADMIN_API_KEY) {
    const admin = new Set(secretList(e.ADMIN_API_KEY));
    if (secretList(e.TOKEN_API_KEY).some((k) => admin.has(k))) {
      throw new ConfigError(
        "TOKEN_API_KEY is invalid: it must differ from every ADMIN_API_KEY",
      );
    }
  }
  const publicUrl = (e.PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(
    /\/+$/,
    "",
  );
  const kvPath = e.KV_PATH ??
    (Deno.env.get("DENO_DEPLOYMENT_ID") ? undefined : "./data/portal.db");
  return Object.freeze({
    demo,
    port: e.PORT,
    publicUrl,
    redirectUri: `${publicUrl}/callback`,
    kvPath,
    finch: Object.freeze({
      clientId: e.FINCH_CLIENT_ID,
      clientSecret: e.FINCH_CLIENT_SECRET,
      baseUrl: e.FINCH_BASE_URL,
      connectUrl: (e.FINCH_CONNECT_URL ?? "https://connect.tryfinch.com")
        .replace(/\/+$/, ""),
      webhookSecrets: (e.FINCH_WEBHOOK_SECRET ?? "").split(/[\s,]+/).filter(
        Boolean,
      ),
      products: e.FINCH_PRODUCTS,
      sandbox: e.FINCH_SANDBOX,
      manual: e.FINCH_MANUAL === "true",
    }),
    adminApiKey: e.ADMIN_API_KEY,
    appSecret: e.APP_SECRET,
    tokenKeys: e.TOKEN_KEYS,
    events: Object.freeze({
      url: e.EVENTS_WEBHOOK_URL,
      secrets: Object.freeze(
        e.EVENTS_WEBHOOK_SECRET ? secretList(e.EVENTS_WEBHOOK_SECRET) : [],
      ),
      retrySchedule: Object.freeze(e.EVENTS_RETRY_SCHEDULE),
    }),
    tokenApiKey: e.TOKEN_API_KEY,
    brand: parseBrand(env, demo),
  });
}
