/**
 * What every sub-app of one simulator shares: the options, the clock, the state, the
 * webhook sender, and the guards that decide who may call what (Basic client credentials,
 * bearer tokens, products, the connection's status).
 *
 * @module
 */

import type { Context } from "hono";
import type { SimulatorOptions } from "./app.ts";
import { FINCH_WEBHOOK_RETRY_DELAYS_MS } from "./defaults.ts";
import {
  finchError,
  invalidClient,
  invalidRequest,
  noAuthentication,
} from "./errors.ts";
import { Dataset } from "./datagen/dataset.ts";
import { emptyOverlay, type Overlay } from "./datagen/overlay.ts";
import { basicCredentials, queryArray } from "./http.ts";
import { Jobs } from "./jobs.ts";
import { findProvider } from "./providers.ts";
import { normalizeName, randomUuid, safeEqual } from "./ids.ts";
import type { ConnectionStatus } from "./schemas.ts";
import {
  type ConnectionRecord,
  type EntityRecord,
  type SimData,
  SimStore,
  type TokenRecord,
} from "./store.ts";
import { WebhookSender } from "./webhooks.ts";

/** An ISO timestamp, or null. */
export function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

/** A bearer token and its connection. */
export interface Bearer {
  token: TokenRecord;
  conn: ConnectionRecord;
}

/** The shared state and helpers of one simulator. */
export interface SimContext {
  options: SimulatorOptions;
  /** `publicUrl` without a trailing slash. */
  publicUrl: string;
  now: () => number;
  store: SimStore;
  sender: WebhookSender;
  jobs: Jobs;
  /** A connection's data: generated people plus stored changes. */
  dataset(conn: ConnectionRecord): Dataset;
  /** The stored changes of a connection's data, for a write (call `touched` after). */
  overlay(conn: ConnectionRecord): Overlay;
  /** Marks a dataset changed: cached sums go stale, the state is written. */
  touched(overlay: Overlay): void;
  /** Whether a redirect URI is registered (any is, when none are configured). */
  redirectAllowed(uri: string): boolean;
  /** A new connection's first sync: a finished job and its webhooks, after a delay. */
  initialSync(conn: ConnectionRecord, products: string[]): void;
  /** Schedules a new pending (assisted) connection to go live on its own. */
  scheduleGoLive(conn: ConnectionRecord): void;
  /** A request path relative to where the simulator is mounted. */
  relative(path: string): string;
  /** Writes the state file, if there is one. */
  persist(): void;
  /** Sends a webhook about a connection, with Finch's common fields. */
  emit(
    conn: ConnectionRecord,
    eventType: string,
    data: unknown,
    entityId?: string,
  ): void;
  /** Sets a connection's status and sends `account.updated`. */
  setConnectionStatus(conn: ConnectionRecord, status: ConnectionStatus): void;
  /** 401 `invalid_client` unless the request carries the client's Basic credentials. */
  requireBasic(c: Context): void;
  /** The bearer token of a request and its connection; 401 otherwise. */
  requireBearer(c: Context): Bearer;
  /**
   * The answer Finch gives a data endpoint for a connection that cannot serve it: 403
   * without the product, 401 in reauth, a 202 body while pending or syncing (returned, not
   * thrown, because 202 is a success for the SDK).
   */
  requireData(bearer: Bearer, product: string): Record<string, unknown> | null;
  /** The entity picked by `entity_ids[]` (at most one), or null for the whole company. */
  selectedEntity(c: Context, conn: ConnectionRecord): EntityRecord | null;
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

/** The connection's entities that are still connected. */
export function liveEntityIds(conn: ConnectionRecord): string[] {
  return conn.entities.filter((e) => e.status !== "disconnected").map((e) =>
    e.id
  );
}

/** What a data endpoint works with once its guards passed. */
export interface DataAccess {
  bearer: Bearer;
  ds: Dataset;
  entity: EntityRecord | null;
}

/**
 * The guards every data endpoint runs, in Finch's order (token, entity, product,
 * connection state): its data, or the 202 answer to send as is. A handler that validates
 * its query or body calls `requireBearer` before it, since Finch authenticates first.
 */
export function openData(
  ctx: SimContext,
  c: Context,
  product: string,
): DataAccess | Response {
  const bearer = ctx.requireBearer(c);
  const entity = ctx.selectedEntity(c, bearer.conn);
  const notReady = ctx.requireData(bearer, product);
  if (notReady) return c.json(notReady, 202);
  return { bearer, ds: ctx.dataset(bearer.conn), entity };
}

/** Builds the context of a simulator from its options. */
export function createContext(options: SimulatorOptions): SimContext {
  const publicUrl = options.publicUrl.replace(/\/+$/, "");
  const prefix = new URL(publicUrl).pathname.replace(/\/+$/, "");
  const now = options.now ?? Date.now;

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
    companySize: options.companySize,
  });
  const sender = new WebhookSender({
    url: options.webhookUrl,
    secret: options.webhookSecret,
    fetch: options.fetch ?? fetch,
    delaysMs: options.webhookRetryDelaysMs ?? FINCH_WEBHOOK_RETRY_DELAYS_MS,
    now,
  });

  const emit: SimContext["emit"] = (conn, eventType, data, entityId) => {
    sender.send({
      connection_id: conn.id,
      company_id: conn.company_id,
      account_id: conn.account_id,
      ...(entityId ? { entity_id: entityId } : {}),
      event_type: eventType,
      data,
    });
  };

  const initialSyncDelay = options.initialSyncDelayMs === undefined
    ? 3_000
    : options.initialSyncDelayMs;
  const assistedDelay = options.assistedDelayMs === undefined
    ? 60_000
    : options.assistedDelayMs;
  // A pending connection whose time has come goes live when next looked at.
  const tick = (conn: ConnectionRecord) => {
    if (
      conn.status === "pending" && conn.go_live_at &&
      conn.go_live_at <= now() && conn.disconnected_at === null
    ) goLive(conn);
  };
  const goLive = (conn: ConnectionRecord) => {
    conn.go_live_at = null;
    ctx.setConnectionStatus(conn, "connected");
    ctx.initialSync(conn, conn.products);
  };
  const shared = Object.freeze(emptyOverlay());

  const ctx: SimContext = {
    options,
    publicUrl,
    now,
    store,
    sender,
    persist,
    emit,
    jobs: undefined as unknown as Jobs,
    dataset: (conn) =>
      new Dataset(conn, store.data.datasets[Dataset.key(conn)] ?? shared),
    overlay: (conn) => store.overlay(Dataset.key(conn)),
    touched(overlay) {
      overlay.version++;
      store.changed();
    },
    redirectAllowed: (uri) =>
      !options.redirectUris || options.redirectUris.includes(uri),
    initialSync(conn, products) {
      if (initialSyncDelay === null || !store.claimInitialSync(conn)) return;
      const types = ["initial_data_sync_org"];
      if (products.some((p) => p === "payment" || p === "pay_statement")) {
        types.push("initial_data_sync_payroll");
      }
      sender.later(initialSyncDelay, () => {
        for (const type of types) {
          const job = ctx.jobs.record(conn, "data_sync_all");
          emit(conn, `job.${type}.succeeded`, {
            job_id: job.id,
            job_url: ctx.jobs.url(job),
          });
        }
      });
    },
    scheduleGoLive(conn) {
      if (assistedDelay === null || conn.status !== "pending") return;
      conn.go_live_at = now() + assistedDelay;
      store.changed();
      sender.later(assistedDelay, () => {
        if (conn.status === "pending" && conn.disconnected_at === null) {
          goLive(conn);
        }
      });
    },
    relative: (path) =>
      prefix && (path === prefix || path.startsWith(prefix + "/"))
        ? path.slice(prefix.length) || "/"
        : path,

    setConnectionStatus(conn, status) {
      store.setStatus(conn, status);
      // The spec types authentication_method as an object; older docs showed a bare string.
      emit(conn, "account.updated", {
        status,
        authentication_method: { type: conn.auth_method },
      });
    },

    requireBasic(c) {
      const creds = basicCredentials(c);
      const ok = creds !== null && safeEqual(creds.id, options.clientId) &&
        safeEqual(creds.secret, options.clientSecret);
      if (!ok) throw invalidClient();
    },

    requireBearer(c) {
      const m = /^Bearer\s+(\S+)\s*$/i.exec(
        c.req.header("authorization") ?? "",
      );
      if (!m) throw noAuthentication();
      const bearer = store.bearer(m[1]);
      tick(bearer.conn);
      return bearer;
    },

    requireData({ token, conn }, product) {
      // `deduction` is the deprecated name of `benefits` (reference §1.4).
      const granted = token.products.includes(product) ||
        (product === "benefits" && token.products.includes("deduction"));
      if (!granted) {
        throw finchError(
          403,
          "insufficient_scope_error",
          `The access token does not have the '${product}' product`,
          "insufficient_scope",
        );
      }
      const provider = findProvider(conn.provider_id);
      if (provider && !provider.products.includes(product)) {
        throw finchError(
          501,
          "not_implemented_error",
          `${provider.display_name} does not support the '${product}' product`,
          "not_implemented",
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
        case "error_no_account_setup":
          throw finchError(
            401,
            "authentication_error",
            "Finch has not been given access to this account yet",
            "account_setup_required",
          );
        case "error_permissions":
          throw finchError(
            403,
            "error_permissions",
            "Finch was granted insufficient permissions on the provider",
            "insufficient_account_permissions",
          );
        // The 202 bodies are the spec's examples (`AcceptedResponse`).
        case "pending":
          return {
            code: 202,
            name: "authorization_pending",
            finch_code: "pending",
            message: "Authorization to this company's data is pending",
          };
        case "processing":
          return {
            code: 202,
            name: "sync_in_progress",
            finch_code: "data_sync_in_progress",
            message:
              "The data being requested is being fetched. Please check back later.",
          };
      }
      return null;
    },

    selectedEntity(c, conn) {
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
    },
  };
  ctx.jobs = new Jobs(ctx);
  return ctx;
}
