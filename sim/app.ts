/**
 * The Finch simulator as one Hono app: Finch's HTTP API as the official SDK calls it, the
 * hosted Connect page, signed webhooks, and test controls under `/_sim/`.
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
import type { Context } from "hono";
import type { z } from "zod";
import { FINCH_WEBHOOK_RETRY_DELAYS_MS } from "./defaults.ts";
import {
  faultError,
  finchError,
  invalidClient,
  invalidClientError,
  invalidRequest,
  noAuthentication,
  notFound,
  SimError,
} from "./errors.ts";
import { normalizeName, randomUuid, safeEqual, tidyName } from "./ids.ts";
import {
  findProvider,
  logoSvg,
  logoUrl,
  providerJson,
  PROVIDERS,
} from "./providers.ts";
import { companyData, directoryPage, headcount } from "./data.ts";
import {
  ConnectionStatus,
  CreateSessionBody,
  DirectoryQuery,
  DisconnectEntityBody,
  FaultBody,
  issuesMessage,
  ReauthSessionBody,
  SandboxAccountBody,
  SandboxConnectionBody,
  TokenBody,
  UpdateAccountBody,
} from "./schemas.ts";
import {
  type Authorization,
  type ConnectionRecord,
  type SessionProblem,
  type SessionRecord,
  type SimData,
  SimStore,
  type TokenRecord,
} from "./store.ts";
import { type WebhookDelivery, WebhookSender } from "./webhooks.ts";
import {
  ConnectForm,
  type ConnectFormProps,
  MessagePage,
  renderPage,
  scriptJson,
} from "./connect_page.tsx";

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
}

/** A fault waiting to hit requests, as `/_sim/faults` lists it. */
export interface Fault {
  id: string;
  method: string | null;
  path: string;
  status: number | null;
  delay_ms: number;
  remaining: number;
  retry_after: number | null;
}

/** What `/_sim/revoked` answers. */
export interface RevokedReport {
  tokens: { access_token: string; connection_id: string; revoked_at: string }[];
  connection_ids: string[];
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
  /** Resolves when no webhook attempt is scheduled or running. */
  settled(): Promise<void>;
  /** Stops timers and pending deliveries, and writes the state. */
  close(): Promise<void>;
}

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

function connectionView(conn: ConnectionRecord, tokens: TokenRecord[]) {
  return {
    ...conn,
    created_at: iso(conn.created_at),
    updated_at: iso(conn.updated_at),
    last_successful_sync: iso(conn.last_successful_sync),
    disconnected_at: iso(conn.disconnected_at),
    live: conn.disconnected_at === null,
    token_count: tokens.length,
    live_token_count: tokens.filter((t) => t.revoked_at === null).length,
  };
}

function loadState(path: string): SimData | undefined {
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined;
    throw err;
  }
  return JSON.parse(text) as SimData;
}

/** Reads a JSON body and validates it; malformed or invalid input is a Finch-style 400. */
async function readJson<T extends z.ZodType>(
  c: Context,
  schema: T,
): Promise<z.infer<T>> {
  const text = await c.req.text();
  let raw: unknown = {};
  if (text.trim()) {
    try {
      raw = JSON.parse(text);
    } catch {
      throw invalidRequest("Invalid request: the body is not valid JSON");
    }
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw invalidRequest(issuesMessage(parsed.error));
  return parsed.data;
}

/** `Basic` credentials of a request, if well-formed. */
function basicCredentials(c: Context): { id: string; secret: string } | null {
  const m = /^Basic\s+(\S+)$/i.exec(c.req.header("authorization") ?? "");
  if (!m) return null;
  try {
    const decoded = atob(m[1]);
    const i = decoded.indexOf(":");
    return i < 0
      ? null
      : { id: decoded.slice(0, i), secret: decoded.slice(i + 1) };
  } catch {
    return null;
  }
}

const SECURITY_CSP = (nonce: string) =>
  [
    "default-src 'none'",
    "style-src 'unsafe-inline'",
    "img-src * data:",
    `script-src 'nonce-${nonce}'`,
    "base-uri 'none'",
    // Connect is embedded by any integrator's page, so any ancestor may frame it.
    "frame-ancestors *",
  ].join("; ");

/** Query values that are arrays in Finch's bracket style (`entity_ids[]=...`). */
function queryArray(c: Context, name: string): string[] {
  return [
    ...(c.req.queries(`${name}[]`) ?? []),
    ...(c.req.queries(name) ?? []),
  ];
}

/** Creates a simulator. See {@link SimulatorOptions}. */
export function createSimulator(options: SimulatorOptions): Simulator {
  const publicUrl = options.publicUrl.replace(/\/+$/, "");
  const prefix = new URL(publicUrl).pathname.replace(/\/+$/, "");
  const now = options.now ?? Date.now;
  const initialSyncDelay = options.initialSyncDelayMs === undefined
    ? 3_000
    : options.initialSyncDelayMs;

  const persist = () => {
    if (!options.statePath) return;
    try {
      const tmp = `${options.statePath}.${randomUuid()}.tmp`;
      Deno.writeTextFileSync(tmp, JSON.stringify(store.data));
      Deno.renameSync(tmp, options.statePath);
    } catch (err) {
      // Persistence is a convenience; an API call must never fail because of it.
      console.error("finch simulator: could not write state:", err);
    }
  };
  const store = new SimStore({
    clientId: options.clientId,
    now,
    data: options.statePath ? loadState(options.statePath) : undefined,
    onChange: persist,
  });
  const sender = new WebhookSender({
    url: options.webhookUrl,
    secret: options.webhookSecret,
    fetch: options.fetch ?? fetch,
    delaysMs: options.webhookRetryDelaysMs ?? FINCH_WEBHOOK_RETRY_DELAYS_MS,
    now,
  });
  let faults: Fault[] = [];
  const sleeps = new Map<ReturnType<typeof setTimeout>, () => void>();

  const relative = (path: string) =>
    prefix && (path === prefix || path.startsWith(prefix + "/"))
      ? path.slice(prefix.length) || "/"
      : path;

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const id = setTimeout(() => {
        sleeps.delete(id);
        resolve();
      }, ms);
      sleeps.set(id, resolve);
    });

  function addFault(input: FaultBody): Fault {
    const parsed = FaultBody.parse(input);
    const fault: Fault = {
      id: randomUuid(),
      method: parsed.method?.toUpperCase() ?? null,
      path: parsed.path,
      status: parsed.status ?? null,
      delay_ms: parsed.delay_ms ?? 0,
      remaining: parsed.count,
      retry_after: parsed.retry_after ?? null,
    };
    faults.push(fault);
    return fault;
  }

  function revoked(): RevokedReport {
    const tokens = Object.values(store.data.tokens).filter((t) =>
      t.revoked_at !== null
    );
    return {
      tokens: tokens.map((t) => ({
        access_token: t.access_token,
        connection_id: t.connection_id,
        revoked_at: iso(t.revoked_at)!,
      })),
      connection_ids: Object.values(store.data.connections)
        .filter((c) => c.disconnected_at !== null)
        .map((c) => c.id),
    };
  }

  function connections() {
    return Object.values(store.data.connections).map((c) =>
      connectionView(c, store.tokensOf(c.id))
    );
  }

  function webhookBase(conn: ConnectionRecord) {
    return {
      connection_id: conn.id,
      company_id: conn.company_id,
      account_id: conn.account_id,
    };
  }

  function setConnectionStatus(
    conn: ConnectionRecord,
    status: ConnectionStatus,
  ) {
    store.setStatus(conn, status);
    sender.send({
      ...webhookBase(conn),
      event_type: "account.updated",
      // The spec types authentication_method as an object; older docs showed a bare string.
      data: { status, authentication_method: { type: conn.auth_method } },
    });
  }

  function liveEntityIds(conn: ConnectionRecord): string[] {
    return conn.entities.filter((e) => e.status !== "disconnected").map((e) =>
      e.id
    );
  }

  function tokenJson(token: TokenRecord, conn: ConnectionRecord) {
    return {
      access_token: token.access_token,
      token_type: "bearer",
      connection_id: conn.id,
      client_type: conn.client_type,
      connection_type: conn.connection_type,
      products: token.products,
      provider_id: conn.provider_id,
      entity_ids: liveEntityIds(conn),
      account_id: conn.account_id,
      company_id: conn.company_id,
      customer_id: token.customer_id,
      customer_name: token.customer_name,
    };
  }

  function requireBasic(c: Context): void {
    const creds = basicCredentials(c);
    const ok = creds !== null && safeEqual(creds.id, options.clientId) &&
      safeEqual(creds.secret, options.clientSecret);
    if (!ok) throw invalidClient();
  }

  function requireBearer(c: Context) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(c.req.header("authorization") ?? "");
    if (!m) throw noAuthentication();
    return store.bearer(m[1]);
  }

  /** Data endpoints answer as Finch does for a connection that is not healthy. */
  function requireData(
    conn: ConnectionRecord,
    token: TokenRecord,
    product: string,
  ) {
    if (!token.products.includes(product)) {
      throw finchError(
        403,
        "insufficient_scope_error",
        `The access token does not have the '${product}' product`,
        "insufficient_scope",
      );
    }
    switch (conn.status) {
      case "reauth":
        throw finchError(
          401,
          "authentication_error",
          "The employer must reauthenticate this connection",
          "reauthenticate_user",
        );
      case "error_permissions":
        throw finchError(
          403,
          "error_permissions",
          "Finch was granted insufficient permissions on the provider",
          "insufficient_account_permissions",
        );
      case "pending":
      case "error_no_account_setup":
        return {
          code: 202,
          name: "authorization_pending",
          finch_code: "pending",
          message:
            "The connection is waiting for the employer to grant Finch access",
        };
      case "processing":
        return {
          code: 202,
          name: "sync_in_progress",
          finch_code: "data_sync_in_progress",
          message: "The data is being fetched, please check back later",
        };
    }
    return null;
  }

  /** The entity selected by `entity_ids[]` (at most one), or null for the company. */
  function selectedEntity(c: Context, conn: ConnectionRecord) {
    const ids = queryArray(c, "entity_ids");
    if (ids.length === 0) return null;
    if (ids.length > 1) {
      throw invalidRequest("Provide exactly one entity ID per request");
    }
    const entity = conn.entities.find((e) =>
      e.id === ids[0] && e.status !== "disconnected"
    );
    if (!entity) throw invalidRequest(`Entity not found: ${ids[0]}`);
    // The company's own entity is the company itself.
    return normalizeName(entity.name) === normalizeName(conn.company_name)
      ? null
      : entity;
  }

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

  app.use("*", async function injectFaults(c, next) {
    const path = relative(c.req.path);
    if (path.startsWith("/_sim/")) return await next();
    const fault = faults.find((f) =>
      f.path === path && (f.method === null || f.method === c.req.method)
    );
    if (!fault) return await next();
    fault.remaining -= 1;
    if (fault.remaining <= 0) faults = faults.filter((f) => f !== fault);
    if (fault.delay_ms > 0) await sleep(fault.delay_ms);
    if (fault.status === null) return await next();
    const error = faultError(fault.status);
    const headers: Record<string, string> = {};
    if (fault.retry_after !== null) {
      headers["retry-after"] = String(fault.retry_after);
    }
    return c.json(error.body, fault.status as 400, headers);
  });

  // ---- test controls -------------------------------------------------------------------

  app.post("/_sim/faults", async (c) => {
    const body = await readJson(c, FaultBody);
    return c.json(addFault(body), 201);
  });
  app.get("/_sim/faults", (c) => c.json({ faults }));
  app.delete("/_sim/faults", (c) => {
    faults = [];
    return c.json({ status: "success" });
  });
  app.get("/_sim/revoked", (c) => c.json(revoked()));
  app.get("/_sim/webhooks", (c) => c.json({ webhooks: sender.list() }));
  app.get("/_sim/connections", (c) => c.json({ connections: connections() }));
  app.get("/_sim/sessions", (c) =>
    c.json({
      sessions: Object.values(store.data.sessions).map((s) => ({
        ...s,
        created_at: iso(s.created_at),
        expires_at: iso(s.expires_at),
        completed_at: iso(s.completed_at),
      })),
    }));
  app.post("/_sim/connections/:id/status", async (c) => {
    const body = await readJson(c, UpdateAccountBody);
    const conn = store.data.connections[c.req.param("id")];
    if (!conn || conn.disconnected_at !== null) {
      throw finchError(
        404,
        "not_found_error",
        "Connection not found",
        "item_not_found",
      );
    }
    setConnectionStatus(conn, body.connection_status);
    return c.json(connectionView(conn, store.tokensOf(conn.id)));
  });
  app.get("/_sim/logos/:file", (c) => {
    const provider = findProvider(c.req.param("file").replace(/\.svg$/, ""));
    if (!provider) throw notFound(c.req.method, relative(c.req.path));
    return c.body(logoSvg(provider), 200, {
      "content-type": "image/svg+xml; charset=utf-8",
      "cache-control": "public, max-age=86400",
    });
  });

  // ---- Connect sessions and tokens -----------------------------------------------------

  const sessionJson = (s: SessionRecord) => ({
    session_id: s.id,
    connect_url: `${publicUrl}/authorize?session=${encodeURIComponent(s.id)}`,
  });

  app.post("/connect/sessions", async (c) => {
    requireBasic(c);
    const body = await readJson(c, CreateSessionBody);
    return c.json(sessionJson(store.createSession(body)), 201);
  });

  app.post("/connect/sessions/reauthenticate", async (c) => {
    requireBasic(c);
    const body = await readJson(c, ReauthSessionBody);
    return c.json(sessionJson(store.reauthSession(body)), 201);
  });

  app.post("/auth/token", async (c) => {
    const body = await readJson(c, TokenBody);
    const basic = basicCredentials(c);
    const id = body.client_id ?? basic?.id;
    const secret = body.client_secret ?? basic?.secret;
    if (
      id === undefined || secret === undefined ||
      !safeEqual(id, options.clientId) ||
      !safeEqual(secret, options.clientSecret)
    ) throw invalidClientError();
    const { token, conn, firstToken } = store.exchange(
      body.code,
      body.redirect_uri,
    );
    if (
      firstToken && initialSyncDelay !== null && conn.status === "connected"
    ) {
      if (store.claimInitialSync(conn)) {
        sender.later(initialSyncDelay, () => {
          const jobId = randomUuid();
          sender.send({
            ...webhookBase(conn),
            event_type: "job.initial_data_sync_org.succeeded",
            data: {
              job_id: jobId,
              job_url: `${publicUrl}/jobs/automated/${jobId}`,
            },
          });
        });
      }
    }
    return c.json(tokenJson(token, conn));
  });

  // ---- account -------------------------------------------------------------------------

  app.get("/introspect", (c) => {
    const { token, conn } = requireBearer(c);
    const connectionStatus = {
      status: conn.status,
      ...(conn.status_message ? { message: conn.status_message } : {}),
      last_successful_sync: iso(conn.last_successful_sync),
    };
    return c.json({
      id: token.id,
      connection_id: conn.id,
      connection_status: connectionStatus,
      client_id: options.clientId,
      client_type: conn.client_type,
      connection_type: conn.connection_type,
      company_id: conn.company_id,
      account_id: conn.account_id,
      customer_id: token.customer_id,
      customer_name: token.customer_name,
      customer_email: token.customer_email,
      authentication_methods: [{
        type: conn.auth_method,
        connection_status: connectionStatus,
        products: token.products,
      }],
      products: token.products,
      username: token.username,
      provider_id: conn.provider_id,
      payroll_provider_id: conn.provider_id,
      manual: conn.auth_method === "assisted",
      entities: conn.entities.map((e) => ({ ...e })),
    });
  });

  app.post("/disconnect", (c) => {
    const { conn } = requireBearer(c);
    store.disconnect(conn);
    return c.json({ status: "success" });
  });

  app.post("/disconnect-entity", async (c) => {
    const { conn } = requireBearer(c);
    const body = await readJson(c, DisconnectEntityBody);
    store.disconnectEntities(conn, body.entity_ids);
    return c.json({ status: "success" });
  });

  // The API allows /providers without authentication (reference §1.9).
  app.get(
    "/providers",
    (c) => c.json(PROVIDERS.map((p) => providerJson(p, publicUrl))),
  );

  // ---- employer data -------------------------------------------------------------------

  app.get("/employer/company", (c) => {
    const { token, conn } = requireBearer(c);
    const entity = selectedEntity(c, conn);
    const notReady = requireData(conn, token, "company");
    if (notReady) return c.json(notReady, 202);
    return c.json(
      entity
        ? companyData(entity.id, entity.id, entity.name)
        : companyData(conn.company_id, conn.company_id, conn.company_name),
    );
  });

  app.get("/employer/directory", (c) => {
    const { token, conn } = requireBearer(c);
    const query = DirectoryQuery.safeParse(c.req.query());
    if (!query.success) throw invalidRequest(issuesMessage(query.error));
    const limit = query.data.limit ?? 100;
    if (limit > 10_000) {
      throw finchError(
        422,
        "unprocessable_entity_error",
        "The page size limit of 10000 has been exceeded",
        "page_size_limit_exceeded",
      );
    }
    const entity = selectedEntity(c, conn);
    const notReady = requireData(conn, token, "directory");
    if (notReady) return c.json(notReady, 202);
    const [seed, total] = entity
      ? [entity.id, headcount(entity.id, entity.name)]
      : [conn.company_id, conn.headcount];
    return c.json(directoryPage(seed, total, query.data.offset ?? 0, limit));
  });

  // ---- sandbox -------------------------------------------------------------------------

  const sandboxJson = (token: TokenRecord, conn: ConnectionRecord) => ({
    access_token: token.access_token,
    token_type: "bearer",
    connection_id: conn.id,
    entity_id: liveEntityIds(conn)[0] ?? conn.entities[0]?.id,
    account_id: conn.account_id,
    company_id: conn.company_id,
    provider_id: conn.provider_id,
    authentication_type: conn.auth_method,
    products: token.products,
  });

  app.post("/sandbox/connections", async (c) => {
    requireBasic(c);
    const body = await readJson(c, SandboxConnectionBody);
    const { token, conn } = store.sandboxConnection(body);
    return c.json(sandboxJson(token, conn));
  });

  app.post("/sandbox/connections/accounts", async (c) => {
    requireBasic(c);
    const body = await readJson(c, SandboxAccountBody);
    const { token, conn } = store.sandboxAccount(body);
    const { token_type: _, ...rest } = sandboxJson(token, conn);
    return c.json(rest);
  });

  app.put("/sandbox/connections/accounts", async (c) => {
    const { token, conn } = requireBearer(c);
    const body = await readJson(c, UpdateAccountBody);
    setConnectionStatus(conn, body.connection_status);
    const { access_token: _, token_type: __, ...rest } = sandboxJson(
      token,
      conn,
    );
    return c.json({ ...rest, products: conn.products });
  });

  // ---- hosted Connect ------------------------------------------------------------------

  type Embedded = { appType: string; sdkHostUrl: string };

  /** Embedded-mode parameters; `"invalid"` when present but unusable. */
  function embeddedFrom(
    appType?: string,
    sdkHostUrl?: string,
  ): Embedded | null | "invalid" {
    if (!appType && !sdkHostUrl) return null;
    if (appType !== "spa" || !sdkHostUrl) return "invalid";
    try {
      const url = new URL(sdkHostUrl);
      if (url.protocol !== "http:" && url.protocol !== "https:") {
        return "invalid";
      }
      // postMessage goes to this origin only, never "*".
      return { appType, sdkHostUrl: url.origin };
    } catch {
      return "invalid";
    }
  }

  function html(
    c: Context,
    body: string,
    status: number,
    nonce = randomUuid(),
  ) {
    return c.html(body, status as 200, {
      "content-security-policy": SECURITY_CSP(nonce),
      "cache-control": "no-store",
      "referrer-policy": "no-referrer",
      "x-content-type-options": "nosniff",
    });
  }

  /** The embedded hand-off: a page whose script posts one message to the host origin. */
  function handOff(
    c: Context,
    embedded: Embedded,
    message: Record<string, unknown>,
    page: { title: string; message: string; tone: "ok" | "warn" },
    status = 200,
  ) {
    const nonce = randomUuid();
    const code = `window.parent!==window&&window.parent.postMessage(${
      scriptJson({ name: "finch-auth-message-v2", ...message })
    },${scriptJson(embedded.sdkHostUrl)});`;
    return html(
      c,
      renderPage(
        MessagePage({ ...page, embedded: true, script: { nonce, code } }),
      ),
      status,
      nonce,
    );
  }

  const PROBLEMS: Record<SessionProblem | "invalid_embed" | "no_redirect", {
    status: number;
    title: string;
    message: string;
  }> = {
    unknown: {
      status: 404,
      title: "This link isn't valid",
      message:
        "We couldn't find this Connect session. Go back to the application that sent you here and start again.",
    },
    expired: {
      status: 410,
      title: "This link has expired",
      message:
        "This Connect session is no longer valid. Go back to the application that sent you here to get a new link.",
    },
    completed: {
      status: 410,
      title: "This link was already used",
      message:
        "This Connect session has already been completed. Go back to the application to see your connection.",
    },
    disconnected: {
      status: 410,
      title: "This connection no longer exists",
      message:
        "The connection this link was meant to reconnect has been disconnected. Start a new connection from the application.",
    },
    invalid_embed: {
      status: 400,
      title: "Connect can't open here",
      message:
        "The embedding page did not identify itself correctly (sdk_host_url).",
    },
    no_redirect: {
      status: 400,
      title: "Connect can't finish here",
      message:
        "This session has no redirect_uri, so it can only be completed through the Finch Connect SDK.",
    },
  };

  function problemPage(
    c: Context,
    problem: keyof typeof PROBLEMS,
    embedded: Embedded | null,
  ) {
    const p = PROBLEMS[problem];
    const page = { title: p.title, message: p.message, tone: "warn" as const };
    if (embedded) {
      return handOff(
        c,
        embedded,
        {
          kind: "error",
          error: {
            shouldClose: true,
            message: p.title,
            type: "validation_error",
          },
        },
        page,
        p.status,
      );
    }
    return html(
      c,
      renderPage(MessagePage({ ...page, embedded: false })),
      p.status,
    );
  }

  function choice(id: string) {
    const p = findProvider(id)!;
    return { id: p.id, name: p.display_name, logo: logoUrl(publicUrl, p.id) };
  }

  function formProps(
    session: SessionRecord,
    state: string | null,
    embedded: Embedded | null,
    values: ConnectFormProps["values"],
    errors: ConnectFormProps["errors"],
  ): ConnectFormProps {
    const target = store.reauthTarget(session);
    return {
      action: `${publicUrl}/authorize`,
      sessionId: session.id,
      state,
      embedded,
      customerName: session.customer_name,
      products: session.products,
      providers: PROVIDERS.filter((p) =>
        session.manual || p.auth.some((a) => a !== "assisted")
      )
        .map((p) => choice(p.id)),
      fixedProvider: session.provider_id ? choice(session.provider_id) : null,
      fixedCompany: session.kind === "reauth"
        ? target?.company_name ?? ""
        : null,
      sandbox: session.sandbox,
      values,
      errors,
    };
  }

  app.get("/authorize", (c) => {
    const q = c.req.query();
    const embedded = embeddedFrom(q.app_type, q.sdk_host_url);
    if (embedded === "invalid") return problemPage(c, "invalid_embed", null);
    const found = store.usableSession(q.session);
    if (found.problem) return problemPage(c, found.problem, embedded);
    const session = found.session;
    if (!embedded && !session.redirect_uri) {
      return problemPage(c, "no_redirect", null);
    }
    const props = formProps(session, q.state ?? null, embedded, {
      provider_id: session.provider_id ?? "",
      company_name: "",
      entities: "",
      username: "",
    }, {});
    return html(c, renderPage(ConnectForm(props)), 200);
  });

  app.post("/authorize", async (c) => {
    const raw = await c.req.parseBody();
    const field = (name: string) => {
      const v = raw[name];
      return typeof v === "string" ? v : "";
    };
    const state = raw.state === undefined ? null : field("state");
    const embedded = embeddedFrom(
      field("app_type") || undefined,
      field("sdk_host_url") || undefined,
    );
    if (embedded === "invalid") return problemPage(c, "invalid_embed", null);
    const found = store.usableSession(field("session"));
    if (found.problem) return problemPage(c, found.problem, embedded);
    const session = found.session;
    if (!embedded && !session.redirect_uri) {
      return problemPage(c, "no_redirect", null);
    }

    if (field("action") === "cancel") {
      if (embedded) {
        return handOff(c, embedded, { kind: "closed" }, {
          title: "Connection cancelled",
          message: "You can close this window.",
          tone: "warn",
        });
      }
      // [inferred] Finch documents no error redirect; this mirrors OAuth's access_denied.
      const url = new URL(session.redirect_uri!);
      url.searchParams.set("error", "access_denied");
      if (state !== null) url.searchParams.set("state", state);
      return c.redirect(url.href, 303);
    }

    const values = {
      provider_id: session.provider_id ?? field("provider_id"),
      company_name: field("company_name"),
      entities: field("entities"),
      username: field("username"),
    };
    const errors: ConnectFormProps["errors"] = {};
    if (!values.provider_id) {
      errors.provider_id = "Choose your HR or payroll provider.";
    } else if (!findProvider(values.provider_id)) {
      errors.provider_id =
        "This provider isn't supported. Choose one from the list.";
    }
    const reauthTarget = session.kind === "reauth"
      ? store.reauthTarget(session)
      : undefined;
    const companyName = reauthTarget?.company_name ??
      tidyName(values.company_name);
    if (!companyName) errors.company_name = "Enter your company's legal name.";
    else if (companyName.length > 200) {
      errors.company_name = "The company name must be 200 characters or fewer.";
    }
    const seen = new Set<string>();
    const entities = reauthTarget
      ? []
      : values.entities.split(",").map(tidyName).filter((e) => {
        const key = normalizeName(e);
        if (!key || seen.has(key)) return false;
        seen.add(key);
        return true;
      });
    if (entities.some((e) => e.length > 200)) {
      errors.entities = "Each entity name must be 200 characters or fewer.";
    } else if (entities.length > 20) {
      errors.entities = "List at most 20 entities.";
    }
    const username = tidyName(values.username);
    if (username.length > 200) {
      errors.username = "The username must be 200 characters or fewer.";
    }

    if (Object.keys(errors).length > 0) {
      const props = formProps(session, state, embedded, values, errors);
      return html(c, renderPage(ConnectForm(props)), 400);
    }
    const auth: Authorization = {
      provider_id: values.provider_id,
      company_name: companyName,
      entities,
      username: username || null,
    };
    const code = store.authorize(session, auth);
    if (embedded) {
      return handOff(c, embedded, {
        kind: "success",
        code: code.code,
        ...(state !== null ? { state } : {}),
      }, {
        title: "You're connected",
        message: "Your account is connected. You can close this window.",
        tone: "ok",
      });
    }
    const url = new URL(session.redirect_uri!);
    url.searchParams.set("code", code.code);
    if (state !== null) url.searchParams.set("state", state);
    return c.redirect(url.href, 303);
  });

  // Anything else: Finch-style 404 JSON. A route, not notFound(), so it also works mounted.
  app.all("*", (c) => {
    throw notFound(c.req.method, relative(c.req.path));
  });

  return {
    app,
    publicUrl,
    store,
    addFault,
    clearFaults: () => {
      faults = [];
    },
    faults: () => faults,
    revoked,
    webhooks: () => sender.list(),
    connections,
    setConnectionStatus(connectionId, status) {
      const conn = store.data.connections[connectionId];
      if (!conn || conn.disconnected_at !== null) {
        throw new Error("Connection not found");
      }
      setConnectionStatus(conn, status);
    },
    settled: () => sender.settled(),
    async close() {
      for (const [id, resolve] of sleeps) {
        clearTimeout(id);
        resolve();
      }
      sleeps.clear();
      await sender.close();
      persist();
    },
  };
}
