/**
 * The Finch simulator: Finch's HTTP API as the official SDK calls it, the hosted Connect
 * page, signed webhooks, and test controls under `/_sim/`. This file composes it: one Hono
 * sub-app per area (`routes/`), sharing one context (`context.ts`).
 *
 * It works standalone (served at `/`) and mounted (`portal.route("/sim", sim.app)`): every
 * URL it generates derives from `publicUrl`, and paths are matched relative to its pathname.
 *
 * @example
 * ```ts
 * const sim = createSimulator({ clientId, clientSecret, webhookSecret, publicUrl });
 * Deno.serve(sim.app.fetch);
 * ```
 *
 * @module
 */

import { Hono } from "hono";
import { createContext } from "./context.ts";
import { notFound, SimError } from "./errors.ts";
import { type Fault, Faults } from "./faults.ts";
import { randomUuid } from "./ids.ts";
import type { ConnectionStatus, FaultBody } from "./schemas.ts";
import type { SimStore } from "./store.ts";
import type { WebhookDelivery } from "./webhooks.ts";
import { accountApp } from "./routes/account.ts";
import { connectApp } from "./routes/connect.ts";
import {
  connectionView,
  connectionViews,
  controlsApp,
  liveConnection,
  type RevokedReport,
  revokedReport,
  setSize,
} from "./routes/controls.ts";
import { hostedConnectApp } from "./routes/hosted_connect.ts";
import { organizationApp } from "./routes/organization.ts";
import { payrollApp } from "./routes/payroll.ts";
import { payStatementItemsApp } from "./routes/pay_statement_items.ts";
import { benefitsApp } from "./routes/benefits.ts";
import { documentsApp } from "./routes/documents.ts";
import { forwardApp } from "./routes/forward.ts";
import { jobsApp } from "./routes/jobs.ts";
import { plansApp } from "./routes/plans.ts";
import { rateLimits } from "./rate_limits.ts";
import { sandboxApp } from "./routes/sandbox.ts";

export type { Fault, RevokedReport };

/** Options of {@link createSimulator}. */
export interface SimulatorOptions {
  /** Client id the simulator accepts (Finch's are UUIDs). */
  clientId: string;
  /** Client secret the simulator accepts. */
  clientSecret: string;
  /** Base64 webhook signing secret, as Finch's dashboard shows it. */
  webhookSecret: string;
  /** Where webhooks are POSTed; without it they are logged as `skipped`. */
  webhookUrl?: string;
  /** Absolute URL where this app is reachable, mount prefix included. */
  publicUrl: string;
  /** Clock in ms; drives code and session expiry and webhook timestamps. */
  now?: () => number;
  /** Used for webhook delivery (the portal's demo mode passes its in-process handler). */
  fetch?: typeof fetch;
  /** Delay before each delivery attempt; default Finch's 0, 5 s, 5 min, 30 min, 2 h. */
  webhookRetryDelaysMs?: number[];
  /** JSON file that keeps the state across restarts (written atomically). */
  statePath?: string;
  /**
   * Delay before `job.initial_data_sync_org.succeeded` follows a new connection's first
   * token; `null` sends none. Default 3 s.
   */
  initialSyncDelayMs?: number | null;
  /**
   * Redirect URIs registered for the client. Given, Connect refuses any other as Finch
   * does (session creation, the hosted page, the code exchange); absent, any is accepted.
   */
  redirectUris?: string[];
  /** The integrator's application name, shown on the Connect page. */
  appName?: string;
  /**
   * People per company unless a connection says otherwise (sandbox `employee_size`,
   * `/_sim/connections/:id/size`). Default: a few dozen, varying by company.
   */
  companySize?: number;
  /** `"finch"`: enforce Finch's documented per-endpoint rate limits (429). Default off. */
  rateLimits?: "finch" | "off";
  /** Each step of a job (pending -> in_progress -> done). Default 1 s. */
  jobDelayMs?: number;
  /**
   * How long a new assisted connection stays `pending` before it goes live on its own
   * (`account.updated`); `null` waits for a sandbox or `/_sim/` status change. Default 60 s.
   */
  assistedDelayMs?: number | null;
}

/** A running simulator. */
export interface Simulator {
  /** The Hono app; serve it or mount it. */
  app: Hono;
  /** `publicUrl` without a trailing slash. */
  publicUrl: string;
  /** The state and rules, for in-process assertions. */
  store: SimStore;
  /** Injects a failure (same as `POST /_sim/faults`). */
  addFault(fault: FaultBody): Fault;
  /** Removes every fault (same as `DELETE /_sim/faults`). */
  clearFaults(): void;
  /** Faults still armed. */
  faults(): Fault[];
  /** Revoked tokens and disconnected connections (same as `GET /_sim/revoked`). */
  revoked(): RevokedReport;
  /** Webhooks sent, with attempts (same as `GET /_sim/webhooks`). */
  webhooks(): WebhookDelivery[];
  /** Every connection, with its tokens' count (same as `GET /_sim/connections`). */
  connections(): ReturnType<typeof connectionView>[];
  /** Sets a connection's status and sends `account.updated`, as the sandbox PUT does. */
  setConnectionStatus(connectionId: string, status: ConnectionStatus): void;
  /** Sets how many people a connection's company has (same as `/_sim/connections/:id/size`). */
  setCompanySize(connectionId: string, size: number): void;
  /** Resolves when no webhook attempt is scheduled or running. */
  settled(): Promise<void>;
  /** Stops timers and pending deliveries, and writes the state. */
  close(): Promise<void>;
}

/** Creates a simulator. See {@link SimulatorOptions}. */
export function createSimulator(options: SimulatorOptions): Simulator {
  const ctx = createContext(options);
  const faults = new Faults();
  const app = new Hono();

  app.onError((err, c) => {
    if (err instanceof SimError) {
      return c.json(err.body, err.status as 400, err.headers);
    }
    console.error("finch simulator: unexpected error", err);
    return c.json({
      code: 500,
      name: "server_error",
      message: "Internal server error",
    }, 500);
  });
  app.use("*", async function requestId(c, next) {
    await next();
    c.res.headers.set("finch-request-id", randomUuid());
  });
  app.use("*", faults.middleware(ctx.relative));
  if (options.rateLimits === "finch") {
    app.use("*", rateLimits(ctx.relative, ctx.now));
  }

  for (
    const sub of [
      controlsApp(ctx, faults),
      connectApp(ctx),
      hostedConnectApp(ctx),
      accountApp(ctx),
      organizationApp(ctx),
      payrollApp(ctx),
      payStatementItemsApp(ctx),
      benefitsApp(ctx),
      plansApp(ctx),
      documentsApp(ctx),
      jobsApp(ctx),
      sandboxApp(ctx),
      forwardApp(ctx),
    ]
  ) app.route("/", sub);

  // Anything else: Finch-style 404 JSON. A route, not notFound(), so it also works mounted.
  app.all("*", (c) => {
    throw notFound(c.req.method, ctx.relative(c.req.path));
  });

  return {
    app,
    publicUrl: ctx.publicUrl,
    store: ctx.store,
    addFault: (fault) => faults.add(fault),
    clearFaults: () => faults.clear(),
    faults: () => faults.list(),
    revoked: () => revokedReport(ctx),
    webhooks: () => ctx.sender.list(),
    connections: () => connectionViews(ctx),
    setConnectionStatus(connectionId, status) {
      let conn;
      try {
        conn = liveConnection(ctx, connectionId);
      } catch {
        throw new Error("Connection not found");
      }
      ctx.setConnectionStatus(conn, status);
    },
    setCompanySize(connectionId, size) {
      setSize(ctx, liveConnection(ctx, connectionId), size);
    },
    settled: () => ctx.sender.settled(),
    async close() {
      faults.close();
      await ctx.sender.close();
      ctx.persist();
    },
  };
}
