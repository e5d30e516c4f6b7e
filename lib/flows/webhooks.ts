/**
 * Acting on Finch's webhooks (journey 8): statuses and syncs. Verification is done before
 * (lib/finch/webhooks.ts); this module decides what a verified event changes.
 *
 * Rules:
 * - A webhook's time is its `Finch-Timestamp`; `applyStatus` ignores anything older than
 *   what a record already knows, so retries and reordering never roll a status back.
 * - Events this portal does not act on (data events, `test`, types Finch adds later) are
 *   acknowledged: a retry would not make them useful.
 * - Every event about a known connection, acted on or not, is forwarded to the
 *   integrator as `finch.<event_type>` (lib/events/emit.ts), in the same atomic op as
 *   whatever it changed, with the status event that change means, if any.
 *
 * Webhooks can be lost, late or not configured: `refresh.ts` also re-reads stale
 * statuses from Finch when the page shows them.
 *
 * @module
 */
import { z } from "zod";
import {
  applyStatus,
  type StatusChange,
  updateConnection,
} from "../db/connection_status.ts";
import { type AlsoInOp, findConnection } from "../db/connections.ts";
import { commit } from "../db/retry.ts";
import { type Connection, ConnectionStatus } from "../db/schemas.ts";
import { AppError } from "../errors.ts";
import { finchEvents, recordEvents, statusEvents } from "../events/emit.ts";
import type { AppDeps } from "../http/env.ts";

/** What handling one webhook event did. */
export type WebhookOutcome =
  | "applied"
  | "stale"
  | "unknown_connection"
  /** Nothing changed here; the event went on to the integrator (`finch.*`). */
  | "forwarded"
  | "ignored";

type Deps = Pick<AppDeps, "kv" | "log" | "now" | "config">;

/** When and what Finch sent: its event id, `Finch-Timestamp` and the payload. */
export interface WebhookMeta {
  eventId: string;
  at: Date;
  payload?: unknown;
}

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
 * Applies a parsed event observed at `at` (its `Finch-Timestamp`) and forwards it to the
 * integrator when it is about a known connection. Store failures propagate, so the
 * caller can forget the event id and let Finch retry.
 *
 * @example
 * ```ts
 * const outcome = await handleWebhookEvent(deps, event, { eventId, at, payload });
 * ```
 */
export async function handleWebhookEvent(
  deps: Deps,
  event: WebhookEvent,
  meta: WebhookMeta,
): Promise<WebhookOutcome> {
  const fields = {
    event_id: meta.eventId,
    event_type: event.eventType,
    connection_id: event.connectionId,
  };
  const forwarding = (c: Connection) =>
    finchEvents(event.eventType, c, meta.payload ?? null, meta);
  // The change's own writes carry the events it means, and the forwarded one.
  const alsoForward: AlsoInOp<StatusChange> = (op, _round, change) =>
    recordEvents(deps, op, [
      ...statusEvents(
        change.previous,
        change.connection,
        meta.at.toISOString(),
      ),
      ...forwarding(change.connection),
    ]);
  /** Records the forwarded event alone; false when the type is not Finch's spelling. */
  const forwardOnly = async (c: Connection) => {
    const drafts = forwarding(c);
    if (drafts.length === 0) return false;
    const op = deps.kv.atomic();
    recordEvents(deps, op, drafts);
    await commit(() => op);
    return true;
  };
  const unknown = () => {
    deps.log("warn", "webhook_unknown_connection", fields);
    return "unknown_connection" as const;
  };

  if (event.kind === "other") {
    if (!event.connectionId) {
      deps.log("info", "webhook_ignored", fields);
      return "ignored";
    }
    const connection = await findConnection(deps.kv, event.connectionId);
    if (!connection) return unknown();
    const outcome = await forwardOnly(connection) ? "forwarded" : "ignored";
    deps.log("info", `webhook_${outcome}`, fields);
    return outcome;
  }
  if (event.kind === "status") {
    const status = ConnectionStatus.safeParse(event.status);
    if (!status.success) {
      // A status Finch added after this code was written: nothing to change, and a retry
      // would not help, so it is acknowledged (and forwarded: the integrator may know it).
      deps.log("warn", "webhook_unknown_status", {
        ...fields,
        // Logged only when it looks like a status name: a log line never echoes an
        // arbitrary value from a request.
        status: /^[a-z][a-z_]{0,39}$/.test(event.status)
          ? event.status
          : "(unrecognized)",
      });
      const connection = await findConnection(deps.kv, event.connectionId);
      if (!connection) return unknown();
      return await forwardOnly(connection) ? "forwarded" : "ignored";
    }
    const result = await applyStatus(deps.kv, event.connectionId, {
      status: status.data,
      at: meta.at,
      entity_id: event.entityId,
      // Finch's status message comes from introspect; a webhook carries none.
      message: null,
    }, { also: alsoForward });
    if (result.outcome === "not_found") return unknown();
    if (result.outcome === "stale") await forwardOnly(result.connection);
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
  if (!connection) return unknown();
  const at = meta.at.toISOString();
  if (connection.last_synced_at && connection.last_synced_at >= at) {
    await forwardOnly(connection);
    deps.log("info", "webhook_synced", { ...fields, outcome: "stale" });
    return "stale";
  }
  await updateConnection(
    deps.kv,
    connection.customer_id,
    connection.connection_id,
    { last_synced_at: at },
    { now: new Date(deps.now()), also: alsoForward },
  );
  deps.log("info", "webhook_synced", { ...fields, outcome: "applied" });
  return "applied";
}
