/**
 * The composition root: turns an environment into a running portal. main.ts serves what
 * this builds; tests and benchmarks build the very same thing in-process.
 *
 * In demo mode the Finch simulator is mounted at `/sim` beside the portal, the SDK and
 * Connect point there, and the simulator's webhooks come back to `/webhooks/finch`.
 * Both directions go through the in-process handler rather than the network, so demo
 * mode works behind any proxy; the portal code itself cannot tell the difference.
 */
import { dirname } from "node:path";
import { Hono } from "hono";
import { createApp } from "../app.tsx";
import { connectionsPageCache } from "../routes/portal.tsx";
import { createSimulator, type Simulator } from "../sim/app.ts";
import { loadAssets } from "./assets.ts";
import { type Config, loadConfig, type ResolvedConfig } from "./config.ts";
import { resolveConfig, SIM_MOUNT } from "./demo.ts";
import { createFinchGateway, type FinchGateway } from "./finch.ts";
import type { AppDeps } from "./http/env.ts";
import { loadRateLimits } from "./http/rate_limit.ts";
import { consoleLogger, type Logger } from "./log.ts";
import { createSealer, parseTokenKeys } from "./sealing.ts";
import { createSigner } from "./signing.ts";

/** A built portal, ready to serve. */
export interface Portal {
  /**
   * The root handler: the page cache's answers, then the portal, plus the simulator
   * under /sim in demo mode. `info` is what `Deno.serve` passes (the client address, for
   * per-address rate limits).
   */
  fetch: (
    request: Request,
    info?: Deno.ServeHandlerInfo,
  ) => Response | Promise<Response>;
  config: ResolvedConfig;
  deps: AppDeps;
  /** The built-in simulator, in demo mode. */
  sim?: Simulator;
  close(): Promise<void>;
}

export interface BootOptions {
  env: Record<string, string | undefined>;
  /** A KV handle to use instead of opening `KV_PATH` (tests pass `:memory:` ones). */
  kv?: Deno.Kv;
  log?: Logger;
  now?: () => number;
  /** Overrides for tests: any dependency, e.g. a gateway with short timeouts. */
  finch?: (defaults: Parameters<typeof createFinchGateway>[0]) => FinchGateway;
  /** Simulator options for tests (clock, webhook retry delays...). */
  sim?: Partial<Parameters<typeof createSimulator>[0]>;
  /** Use a prebuilt island bundle from static/build when present. */
  prebuiltAssets?: boolean;
}

/** Opens Deno KV at `path` (creating its folder), or Deno Deploy's store when undefined. */
export async function openKv(path: string | undefined): Promise<Deno.Kv> {
  if (path && path !== ":memory:") {
    await Deno.mkdir(dirname(path), { recursive: true });
  }
  return await Deno.openKv(path);
}

/**
 * Builds the portal from an environment.
 *
 * @example
 * ```ts
 * const portal = await bootPortal({ env: Deno.env.toObject() });
 * Deno.serve({ port: portal.config.port }, portal.fetch);
 * ```
 */
export async function bootPortal(options: BootOptions): Promise<Portal> {
  const parsed: Config = loadConfig(options.env);
  const kv = options.kv ?? await openKv(parsed.kvPath);
  const config = await resolveConfig(parsed, kv);
  const log = options.log ?? consoleLogger;
  const now = options.now ?? Date.now;
  const root = new Hono();
  const inProcess: typeof fetch = (input, init) =>
    Promise.resolve(root.fetch(new Request(input, init)));

  let sim: Simulator | undefined;
  if (config.demo) {
    sim = createSimulator({
      clientId: config.finch.clientId,
      clientSecret: config.finch.clientSecret,
      webhookSecret: config.finch.webhookSecrets[0],
      webhookUrl: `${config.publicUrl}/webhooks/finch`,
      publicUrl: `${config.publicUrl}${SIM_MOUNT}`,
      fetch: inProcess,
      statePath: config.kvPath && config.kvPath !== ":memory:" && !options.kv
        ? `${dirname(config.kvPath)}/simulator.json`
        : undefined,
      now,
      ...options.sim,
    });
    root.route(SIM_MOUNT, sim.app);
    const simApp = sim.app;
    // The Connect SDK opens `${connectUrl}/authorize`; connectUrl is our origin in demo mode.
    root.get(
      "/authorize",
      (c) =>
        simApp.fetch(
          new Request(
            new URL(`/authorize${new URL(c.req.url).search}`, c.req.url),
            c.req.raw,
          ),
        ),
    );
  }

  const gatewayOptions = {
    clientId: config.finch.clientId,
    clientSecret: config.finch.clientSecret,
    baseUrl: config.finch.baseUrl,
    products: config.finch.products,
    sandbox: config.finch.sandbox,
    redirectUri: config.redirectUri,
    fetch: config.demo ? inProcess : undefined,
    now,
  };
  const deps: AppDeps = {
    config,
    kv,
    log,
    now,
    assets: await loadAssets({ prebuilt: options.prebuiltAssets }),
    finch: options.finch
      ? options.finch(gatewayOptions)
      : createFinchGateway(gatewayOptions),
    signer: await createSigner(config.appSecret),
    sealer: await createSealer(parseTokenKeys(config.tokenKeys)),
    rateLimits: loadRateLimits(options.env),
    pageCache: connectionsPageCache(kv, config, now),
  };
  const app = createApp(deps);
  root.route("/", app);
  // `route()` copies routes but not the app's `notFound`: without this, unknown paths
  // would get Hono's bare text 404 instead of the portal's page or JSON error.
  root.notFound((c) => app.fetch(c.req.raw));

  return {
    // Hono hands `info` to the routes as `c.env` (see lib/http/rate_limit.ts).
    // A page kept by the page cache is answered before any routing (page_cache.ts).
    fetch: (request, info) =>
      deps.pageCache!.serve(request) ?? root.fetch(request, info),
    config,
    deps,
    sim,
    async close() {
      await sim?.close();
      if (!options.kv) kv.close();
    },
  };
}
