/**
 * Demo mode: what the portal needs to run with no Finch credentials and no secrets.
 *
 * Loaded by boot.ts only in demo mode, so that production never loads the simulator.
 * Missing secrets are generated once and kept in KV, so that portal links, sessions and
 * sealed tokens survive a restart. The Finch simulator is mounted at `/sim` on the
 * portal's own server; the SDK and Connect point there, and the simulator's webhooks come
 * back to `/webhooks/finch`. Both directions go through the in-process handler rather than
 * the network, so demo mode works behind any proxy; the portal code itself cannot tell
 * the difference.
 *
 * @module
 */
import { dirname } from "node:path";
import { Hono } from "hono";
import {
  createSimulator,
  type Simulator,
  type SimulatorOptions,
} from "./sim/app.ts";
import {
  DEFAULT_CLIENT_ID,
  DEFAULT_CLIENT_SECRET,
  DEFAULT_WEBHOOK_SECRET,
} from "./sim/defaults.ts";
import type { Config, ResolvedConfig } from "./lib/config.ts";
import { settingKey } from "./lib/db/keys.ts";
import { randomToken } from "./lib/db/secrets.ts";

export type { Simulator, SimulatorOptions };

/** Where the simulator is mounted in demo mode. */
export const SIM_MOUNT = "/sim";

/** A request handler as `Deno.serve` calls it. */
export type Handler = (
  request: Request,
  info?: Deno.ServeHandlerInfo,
) => Response | Promise<Response>;

/** Demo mode, started. */
export interface Demo {
  config: ResolvedConfig;
  sim: Simulator;
  /** Reaches this process's own server, for the Finch SDK (`fetch` option). */
  fetch: typeof fetch;
  /** The server's handler: the simulator under /sim (and /authorize), `app` for the rest. */
  serve(app: Handler): Handler;
}

interface DemoSecrets {
  adminApiKey: string;
  appSecret: string;
  tokenKeys: string;
  /** Signs integrator events; kept by stores made before events existed too. */
  eventsSecret?: string;
}

/**
 * Fills in what demo mode generates and starts the simulator.
 *
 * @example
 * ```ts
 * const demo = await startDemo(loadConfig(env), kv, { now: Date.now });
 * Deno.serve(demo.serve(createApp(deps).fetch));
 * ```
 */
export async function startDemo(
  parsed: Config,
  kv: Deno.Kv,
  options: {
    now: () => number;
    /** Keep the simulator's state in a file beside the KV file. */
    persist: boolean;
    sim?: Partial<SimulatorOptions>;
  },
): Promise<Demo> {
  const config = await resolveConfig(parsed, kv);
  let serve: Handler = () => {
    throw new Error("demo mode: the server is not wired yet");
  };
  const inProcess: typeof fetch = (input, init) =>
    Promise.resolve(serve(new Request(input, init)));
  const sim = createSimulator({
    clientId: config.finch.clientId,
    clientSecret: config.finch.clientSecret,
    webhookSecret: config.finch.webhookSecrets[0],
    webhookUrl: `${config.publicUrl}/webhooks/finch`,
    publicUrl: `${config.publicUrl}${SIM_MOUNT}`,
    // Registered as Finch registers an application's: Connect refuses any other.
    redirectUris: [config.redirectUri],
    fetch: inProcess,
    statePath: options.persist && config.kvPath
      ? `${dirname(config.kvPath)}/simulator.json`
      : undefined,
    now: options.now,
    // Connect names who is asking for access: the integrator (the brand), as Finch
    // shows an application's name, never the employer.
    appName: config.brand.name,
    ...options.sim,
  });
  return {
    config,
    sim,
    fetch: inProcess,
    serve(app) {
      const root = new Hono();
      root.route(SIM_MOUNT, sim.app);
      // The Connect SDK opens `${connectUrl}/authorize`; connectUrl is our origin here.
      root.get("/authorize", (c) => {
        const url = new URL(c.req.url);
        return sim.app.fetch(
          new Request(new URL(`/authorize${url.search}`, url), c.req.raw),
        );
      });
      root.all("*", (c) => app(c.req.raw, c.env as Deno.ServeHandlerInfo));
      serve = (request, info) => root.fetch(request, info);
      return serve;
    },
  };
}

/** The config demo mode runs with: generated secrets, Finch pointed at the simulator. */
async function resolveConfig(
  config: Config,
  kv: Deno.Kv,
): Promise<ResolvedConfig> {
  const secrets = await demoSecrets(kv);
  const simUrl = `${config.publicUrl}${SIM_MOUNT}`;
  return Object.freeze({
    ...config,
    adminApiKey: config.adminApiKey ?? secrets.adminApiKey,
    appSecret: config.appSecret ?? secrets.appSecret,
    tokenKeys: config.tokenKeys ?? secrets.tokenKeys,
    events: Object.freeze({
      ...config.events,
      secrets: config.events.secrets.length
        ? config.events.secrets
        : Object.freeze([secrets.eventsSecret!]),
    }),
    finch: Object.freeze({
      ...config.finch,
      clientId: DEFAULT_CLIENT_ID,
      clientSecret: DEFAULT_CLIENT_SECRET,
      baseUrl: simUrl,
      // Finch's Connect SDK treats connectUrl as an origin (it checks message origins with
      // startsWith), so Connect is addressed at the portal's origin, where /authorize is
      // the simulator's Connect page.
      connectUrl: new URL(config.publicUrl).origin,
      webhookSecrets: [DEFAULT_WEBHOOK_SECRET],
    }),
  });
}

/** Reads the demo secrets, generating and storing them the first time. */
async function demoSecrets(kv: Deno.Kv): Promise<DemoSecrets> {
  const key = settingKey("demo_secrets");
  for (;;) {
    const entry = await kv.get<DemoSecrets>(key);
    if (entry.value?.eventsSecret) return entry.value;
    const eventsSecret = `whsec_${
      crypto.getRandomValues(new Uint8Array(32)).toBase64()
    }`;
    // A store from before events existed keeps its other secrets (links, sealed tokens).
    const fresh: DemoSecrets = entry.value
      ? { ...entry.value, eventsSecret }
      : {
        adminApiKey: `demo_${randomToken()}`,
        appSecret: randomToken(),
        tokenKeys: `demo1:${
          crypto.getRandomValues(new Uint8Array(32)).toBase64()
        }`,
        eventsSecret,
      };
    // Two processes starting at once must agree on one set: only the first write wins.
    const res = await kv.atomic().check(entry).set(key, fresh).commit();
    if (res.ok) return fresh;
  }
}
