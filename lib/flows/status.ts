/**
 * Keeping connection status current (journey 8): from Finch's webhooks, and, since
 * webhooks can be lost, late or not configured, from introspect when the connections page
 * shows a status older than a few minutes.
 *
 * Rules:
 * - A webhook's time is its `Finch-Timestamp`; `applyStatus` ignores anything older than
 *   what a record already knows, so retries and reordering never roll a status back.
 * - Events this portal does not act on (data events, `test`, types Finch adds later) are
 *   acknowledged: a retry would not make them useful.
 * - The page refresh is bounded (a few connections per view, a time budget after which
 *   the page renders with what it has while the rest finishes in the background), takes a
 *   short per-connection lease in KV so concurrent views and processes refresh each
 *   connection once, and never fails the page: a Finch failure is only logged, and the
 *   lease doubles as a back-off before the next try.
 * - A token Finch no longer accepts (401 on introspect) means the connection is gone
 *   upstream: it is marked `disconnected`.
 *
 * @module
 */
import { z } from "zod";
import {
  applyStatus,
  findConnection,
  getAccessToken,
  updateConnection,
} from "../db/connections.ts";
import { statusRefreshLeaseKey } from "../db/keys.ts";
import { type Connection, ConnectionStatus } from "../db/schemas.ts";
import { AppError } from "../errors.ts";
import { type FinchGateway, FinchTokenRevoked } from "../finch.ts";
import type { AppDeps } from "../http/env.ts";
import { enrich } from "./connect.ts";

/** A status older than this is refreshed when the page shows it. */
export const STATUS_STALE_AFTER_MS = 5 * 60_000;
/** At most this many connections are refreshed per page view. */
export const REFRESH_MAX_PER_VIEW = 5;
/** The page waits at most this long for refreshes before it renders. */
export const REFRESH_BUDGET_MS = 1_500;
/** One refresh per connection per this long, across views and processes. */
export const REFRESH_LEASE_MS = 60_000;

/** What handling one webhook event did. */
export type WebhookOutcome =
  | "applied"
  | "stale"
  | "unknown_connection"
  | "ignored";

const Id = z.string().trim().min(1).max(200);

/** The fields every Finch event carries; the rest depends on `event_type`. */
const BaseEvent = z.object({
  event_type: z.string().min(1).max(200),
  connection_id: Id.nullish(),
  entity_id: Id.nullish(),
  data: z.unknown().optional(),
}).loose();

/**
 * `account.updated`'s data. Finch's docs show `authentication_method` as a string
 * (`"assisted"`), the SDK's types as an object (`{type}`): both are accepted.
 */
const AccountUpdatedData = z.object({
  status: z.string().min(1).max(100),
  authentication_method: z.union([
    z.string().max(100),
    z.object({ type: z.string().max(100).nullish() }).loose(),
  ]).nullish(),
}).loose();

/** Job events after which the connection's data is freshly readable. */
const SYNC_EVENTS = new Set([
  "job.initial_data_sync_org.succeeded",
  "job.initial_data_sync_payroll.succeeded",
  "job.data_sync_all.completed",
]);

function invalidEvent(what: string): AppError {
  return new AppError(
    400,
    "invalid_event",
    `The webhook event is missing or has an invalid ${what}. Nothing was changed.`,
  );
}

/**
 * Checks a verified event's shape before anything is recorded, so a malformed event is
 * refused (400) without being marked as handled.
 *
 * @example
 * ```ts
 * const event = parseWebhookEvent(verified.payload);
 * ```
 */
export function parseWebhookEvent(payload: unknown): WebhookEvent {
  const base = BaseEvent.safeParse(payload);
  if (!base.success) throw invalidEvent("event_type, connection_id or data");
  const event = base.data;
  if (event.event_type === "account.updated") {
    if (!event.connection_id) throw invalidEvent("connection_id");
    const data = AccountUpdatedData.safeParse(event.data);
    if (!data.success) throw invalidEvent("data.status");
    const method = data.data.authentication_method;
    return {
      kind: "status",
      eventType: event.event_type,
      connectionId: event.connection_id,
      entityId: event.entity_id ?? null,
      status: data.data.status,
      authenticationMethod: typeof method === "string"
        ? method
        : method?.type ?? null,
    };
  }
  if (SYNC_EVENTS.has(event.event_type)) {
    if (!event.connection_id) throw invalidEvent("connection_id");
    return {
      kind: "synced",
      eventType: event.event_type,
      connectionId: event.connection_id,
    };
  }
  return {
    kind: "other",
    eventType: event.event_type,
    connectionId: event.connection_id ?? null,
  };
}

/** A webhook event, reduced to what the portal acts on. */
export type WebhookEvent =
  | {
    kind: "status";
    eventType: string;
    connectionId: string;
    entityId: string | null;
    /** As Finch sent it; normalized (or found unknown) when applied. */
    status: string;
    authenticationMethod: string | null;
  }
  | { kind: "synced"; eventType: string; connectionId: string }
  | { kind: "other"; eventType: string; connectionId: string | null };

/**
 * Applies a parsed event observed at `at` (its `Finch-Timestamp`). Store failures
 * propagate, so the caller can forget the event id and let Finch retry.
 *
 * @example
 * ```ts
 * const outcome = await handleWebhookEvent(deps, event, { eventId, at });
 * ```
 */
export async function handleWebhookEvent(
  deps: Pick<AppDeps, "kv" | "log" | "now">,
  event: WebhookEvent,
  meta: { eventId: string; at: Date },
): Promise<WebhookOutcome> {
  const fields = {
    event_id: meta.eventId,
    event_type: event.eventType,
    connection_id: event.connectionId,
  };
  if (event.kind === "other") {
    deps.log("info", "webhook_ignored", fields);
    return "ignored";
  }
  if (event.kind === "status") {
    const status = ConnectionStatus.safeParse(event.status);
    if (!status.success) {
      // A status Finch added after this code was written: nothing to do, and a retry
      // would not help, so it is acknowledged.
      deps.log("warn", "webhook_unknown_status", {
        ...fields,
        // Logged only when it looks like a status name: a log line never echoes an
        // arbitrary value from a request.
        status: /^[a-z][a-z_]{0,39}$/.test(event.status)
          ? event.status
          : "(unrecognized)",
      });
      return "ignored";
    }
    const result = await applyStatus(deps.kv, event.connectionId, {
      status: status.data,
      at: meta.at,
      entity_id: event.entityId,
      // Finch's status message comes from introspect; a webhook carries none.
      message: null,
    });
    if (result.outcome === "not_found") {
      deps.log("warn", "webhook_unknown_connection", fields);
      return "unknown_connection";
    }
    deps.log("info", "webhook_status", {
      ...fields,
      entity_id: event.entityId,
      status: status.data,
      authentication_method: event.authenticationMethod,
      outcome: result.outcome,
    });
    return result.outcome;
  }
  // A sync finished: remember when, never moving the time backwards.
  const connection = await findConnection(deps.kv, event.connectionId);
  if (!connection) {
    deps.log("warn", "webhook_unknown_connection", fields);
    return "unknown_connection";
  }
  const at = meta.at.toISOString();
  if (connection.last_synced_at && connection.last_synced_at >= at) {
    deps.log("info", "webhook_synced", { ...fields, outcome: "stale" });
    return "stale";
  }
  await updateConnection(
    deps.kv,
    connection.customer_id,
    connection.connection_id,
    { last_synced_at: at },
    { now: new Date(deps.now()) },
  );
  deps.log("info", "webhook_synced", { ...fields, outcome: "applied" });
  return "applied";
}

// ---- refresh on view -------------------------------------------------------------------

/** Options of {@linkcode refreshStaleStatuses}; the defaults are the constants above. */
export interface RefreshOptions {
  staleAfterMs?: number;
  maxPerView?: number;
  budgetMs?: number;
  leaseMs?: number;
}

interface Lease {
  until: string;
}

/** Refreshes still running after their page rendered, per KV store (for tests). */
const running = new WeakMap<Deno.Kv, Set<Promise<unknown>>>();

/**
 * Refreshes, through introspect, the connections among `connections` whose status is
 * older than `staleAfterMs`, and returns the list with what was refreshed in time. Never
 * throws and never waits longer than about `budgetMs`.
 *
 * @example
 * ```ts
 * const shown = await refreshStaleStatuses(deps, page.values);
 * ```
 */
export async function refreshStaleStatuses(
  deps: AppDeps,
  connections: readonly Connection[],
  options: RefreshOptions = {},
): Promise<Connection[]> {
  const staleAfter = options.staleAfterMs ?? STATUS_STALE_AFTER_MS;
  const now = deps.now();
  const stale = connections
    // A disconnected connection's token is gone: introspect has nothing to tell.
    .filter((c) =>
      c.status !== "disconnected" &&
      now - Date.parse(c.status_at) >= staleAfter
    )
    .sort((a, b) => a.status_at.localeCompare(b.status_at))
    .slice(0, options.maxPerView ?? REFRESH_MAX_PER_VIEW);
  if (stale.length === 0) return [...connections];

  const fresh = new Map<string, Connection>();
  const work = stale.map((c) =>
    refreshOne(deps, c, options.leaseMs ?? REFRESH_LEASE_MS).then((r) => {
      if (r) fresh.set(r.connection_id, r);
    })
  );
  const all = Promise.all(work);
  const set = running.get(deps.kv) ?? new Set();
  running.set(deps.kv, set);
  set.add(all);
  all.finally(() => set.delete(all));

  let timer: ReturnType<typeof setTimeout> | undefined;
  const budget = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, options.budgetMs ?? REFRESH_BUDGET_MS);
  });
  try {
    await Promise.race([all, budget]);
  } finally {
    clearTimeout(timer);
  }
  return connections.map((c) => fresh.get(c.connection_id) ?? c);
}

/**
 * Resolves when every refresh started for this KV store has finished, also those that
 * outlived their page's budget (tests await it before closing the store).
 *
 * @example
 * ```ts
 * await statusRefreshesSettled(portal.deps);
 * ```
 */
export async function statusRefreshesSettled(
  deps: Pick<AppDeps, "kv">,
): Promise<void> {
  const set = running.get(deps.kv);
  while (set && set.size > 0) await Promise.allSettled([...set]);
}

/** Takes the lease with an absence check: false when another view holds it. */
async function takeLease(
  deps: AppDeps,
  connection_id: string,
  leaseMs: number,
): Promise<boolean> {
  const key = statusRefreshLeaseKey(connection_id);
  const entry = await deps.kv.get<Lease>(key);
  const now = deps.now();
  // KV expiry is lazy: a lease past its time counts as absent.
  if (entry.value && Date.parse(entry.value.until) > now) return false;
  const lease: Lease = { until: new Date(now + leaseMs).toISOString() };
  const res = await deps.kv.atomic().check(entry)
    .set(key, lease, { expireIn: leaseMs }).commit();
  return res.ok;
}

/** One connection's refresh: the refreshed record, or null when nothing was learnt. */
async function refreshOne(
  deps: AppDeps,
  connection: Connection,
  leaseMs: number,
): Promise<Connection | null> {
  const id = connection.connection_id;
  try {
    if (!await takeLease(deps, id, leaseMs)) return null;
    const token = await getAccessToken(deps.kv, deps.sealer, id);
    if (!token) return null;
    // enrich() reports nothing about why introspect failed, and a revoked token needs
    // its own answer, so introspect's error is caught on the way through.
    let failure: unknown = null;
    const finch: FinchGateway = {
      ...deps.finch,
      introspect: (t) =>
        deps.finch.introspect(t).catch((err) => {
          failure = err;
          throw err;
        }),
    };
    const updated = await enrich({ ...deps, finch }, connection, token);
    if (failure instanceof FinchTokenRevoked) {
      const r = await applyStatus(deps.kv, id, {
        status: "disconnected",
        at: new Date(deps.now()),
        message: null,
      });
      deps.log("info", "status_refreshed", {
        connection_id: id,
        status: "disconnected",
        reason: "token_revoked",
      });
      return r.outcome === "not_found" ? null : r.connection;
    }
    if (failure) {
      deps.log("warn", "status_refresh_failed", {
        connection_id: id,
        error: failure instanceof Error ? failure.name : "unknown",
      });
      return updated === connection ? null : updated;
    }
    deps.log("info", "status_refreshed", {
      connection_id: id,
      status: updated.status,
    });
    return updated;
  } catch (err) {
    // Store or sealing trouble: the page shows what it has; the next view tries again.
    deps.log("warn", "status_refresh_failed", {
      connection_id: id,
      error: err instanceof Error ? err.name : "unknown",
    });
    return null;
  }
}
