/**
 * The composition root: turns an environment into a running portal. main.ts serves what
 * this builds; tests and benchmarks build the very same thing in-process.
 *
 * Only what the mode needs is loaded: in production the Finch gateway, the app and a
 * prebuilt island bundle; demo mode (demo.ts) adds the simulator and builds the bundle in
 * memory. Nothing below this file knows that demo mode exists.
 *
 * @module
 */
import { createApp } from "./app.tsx";
import type { Demo, Handler, Simulator, SimulatorOptions } from "./demo.ts";
import { loadAssets } from "./lib/assets.ts";
import { brandCss, brandIcon } from "./lib/brand.ts";
import { ConfigError, loadConfig, type ResolvedConfig } from "./lib/config.ts";
import { openKv } from "./lib/db/open.ts";
import { createFinchGateway, type FinchGateway } from "./lib/finch/gateway.ts";
import type { AppDeps } from "./lib/http/env.ts";
import { loadRateLimits } from "./lib/http/rate_limit.ts";
import { consoleLogger, type Logger } from "./lib/log.ts";
import { createSealer, parseTokenKeys } from "./lib/sealing.ts";
import { createSigner } from "./lib/signing.ts";
import { startEventWorker } from "./lib/events/worker.ts";
import { startPeopleWorker } from "./lib/people/worker.ts";

/** A built portal, ready to serve. */
export interface Portal {
  /**
   * The root handler: the portal, plus the simulator under /sim in demo mode. `info` is
   * what `Deno.serve` passes (the client address, for per-address rate limits).
   */
  fetch: Handler;
  config: ResolvedConfig;
  deps: AppDeps;
  /** The built-in simulator, in demo mode. */
  sim?: Simulator;
  close(): Promise<void>;
}

export interface BootOptions {
  env: Record<string, string | undefined>;
  /**
   * Demo mode: the built-in simulator stands in for Finch. Only ever asked for (main.ts
   * `--demo`, tests); never inferred from missing credentials (lib/config.ts).
   */
  demo?: boolean;
  /** A KV handle to use instead of opening `KV_PATH` (tests pass `:memory:` ones). */
  kv?: Deno.Kv;
  log?: Logger;
  now?: () => number;
  /** Overrides for tests: any dependency, e.g. a gateway with short timeouts. */
  finch?: (defaults: Parameters<typeof createFinchGateway>[0]) => FinchGateway;
  /** Integrator events: a shorter attempt timeout for tests (10 s otherwise). */
  events?: { timeoutMs?: number };
  /**
   * People jobs (lib/people/): on unless a test portal that is not about people turns
   * them off, so that no job runs behind its back (testing/portal.ts).
   */
  people?: { enabled?: boolean };
  /** Simulator options for tests (clock, webhook retry delays...). */
  sim?: Partial<SimulatorOptions>;
  /**
   * Where the island bundle comes from: `prebuilt` (static/build/, required in
   * production), or `build` (in memory, never stale: development and tests). Demo mode
   * defaults to the prebuilt bundle when there is one and builds otherwise.
   */
  islands?: "prebuilt" | "build";
}

/**
 * Builds the portal from an environment.
 *
 * @example
 * ```ts
 * const portal = await bootPortal({ env: Deno.env.toObject(), demo: false });
 * Deno.serve({ port: portal.config.port }, portal.fetch);
 * ```
 */
export async function bootPortal(options: BootOptions): Promise<Portal> {
  const parsed = loadConfig(options.env, { demo: options.demo });
  const kv = options.kv ?? await openKv(parsed.kvPath).catch((err) => {
    // A KV Connect URL that refuses us, a file we may not write: one line, no trace.
    throw new ConfigError(
      `KV_PATH could not be opened: ${
        err instanceof Error ? err.message : String(err)
      }`,
    );
  });
  try {
    return await build(options, parsed, kv);
  } catch (err) {
    if (!options.kv) kv.close();
    throw err;
  }
}

async function build(
  options: BootOptions,
  parsed: ReturnType<typeof loadConfig>,
  kv: Deno.Kv,
): Promise<Portal> {
  const now = options.now ?? Date.now;
  let demo: Demo | undefined;
  if (parsed.demo) {
    const { startDemo } = await import("./demo.ts");
    demo = await startDemo(parsed, kv, {
      now,
      persist: !options.kv && parsed.kvPath !== ":memory:",
      sim: options.sim,
    });
  }
  const config = demo?.config ?? parsed as ResolvedConfig;
  const islands = options.islands ?? (demo ? undefined : "prebuilt");

  const gatewayOptions = {
    clientId: config.finch.clientId,
    clientSecret: config.finch.clientSecret,
    baseUrl: config.finch.baseUrl,
    products: config.finch.products,
    sandbox: config.finch.sandbox,
    manual: config.finch.manual,
    redirectUri: config.redirectUri,
    fetch: demo?.fetch,
    now,
  };
  const deps: AppDeps = {
    config,
    kv,
    log: options.log ?? consoleLogger,
    now,
    assets: await loadAssets({
      prebuilt: islands !== "build",
      brand: { css: brandCss(config.brand), icon: brandIcon(config.brand) },
      // Production never bundles: a missing build stops the start (lib/assets.ts).
      build: islands === "prebuilt"
        ? undefined
        : () => import("./islands/build.ts").then((m) => m.bundleOnce()),
    }),
    finch: options.finch
      ? options.finch(gatewayOptions)
      : createFinchGateway(gatewayOptions),
    signer: await createSigner(config.appSecret),
    sealer: await createSealer(parseTokenKeys(config.tokenKeys)),
    rateLimits: loadRateLimits(options.env),
  };
  const app = createApp(deps);
  // Hono hands `info` to the routes as `c.env` (see lib/http/rate_limit.ts).
  const appFetch: Handler = (request, info) => app.fetch(request, info);
  // Every process delivers integrator events from the store's queue (lib/events/).
  const events = startEventWorker({
    kv,
    config,
    log: deps.log,
    now,
    timeoutMs: options.events?.timeoutMs,
  });
  // ... and runs people jobs (lib/people/), on the same queue listener (lib/queue.ts).
  const people = startPeopleWorker(deps, { enabled: options.people?.enabled });
  return {
    fetch: demo ? demo.serve(appFetch) : appFetch,
    config,
    deps,
    sim: demo?.sim,
    async close() {
      // First: attempts under way are handed back to the queue before the store closes.
      await people.close();
      await events.close();
      await demo?.sim.close();
      if (!options.kv) kv.close();
    },
  };
}
