/**
 * Integrator events, built from the change that causes them and recorded in that
 * change's own atomic op (lib/db/events.ts), so that no change goes without its event and
 * recording one costs no KV round trip of its own.
 *
 * What each change becomes (README, "Events"):
 * - a Connect callback's store: `created` → `connection.created`; `refreshed` →
 *   `connection.token_refreshed`, or `connection.reconnected` when the run was a
 *   reauthentication; `replaced` (the same company on the same provider came back under a
 *   new Finch connection) → `connection.disconnected` of the old one (`by: "system"`,
 *   `replaced_by`) then `connection.created` of the new one;
 * - any other change of a connection's status (webhook, introspect, refresh on view) →
 *   `connection.reauth_required` when it became `reauth`, `connection.status_changed`
 *   otherwise, with `previous_status`; nothing when the status stayed the same;
 * - a disconnect → `connection.disconnected` with its receipt and who did it;
 * - a Finch webhook about a known connection → `finch.<event_type>`, Finch's payload in
 *   `data.finch`;
 * - a customer's people list changed (lib/people/build.ts) → `people.updated`, whose
 *   data is the customer's and counts only (no connection fields, never a name).
 *
 * Events that change a customer's people (a connection made, reconnected, gone live or
 * disconnected, Finch's directory, individual and employment webhooks) also queue a
 * people job in the same op (lib/people/job.ts), debounced for webhooks.
 *
 * `data` always holds the connection's `customer_id`, `connection_id`, `provider_id`,
 * `company_id`, `status` and `occurred_at`, and never a token: it is built only from the
 * stored records (which hold none) and Finch's webhook payloads.
 *
 * @module
 */
import type { StatusChange } from "../db/connection_status.ts";
import type {
  AlsoInOp,
  ReplaceChange,
  StoreChange,
} from "../db/connections.ts";
import { addEvents, type EventData, type EventDraft } from "../db/events.ts";
import type { Connection, DisconnectedConnection } from "../db/schemas.ts";
import type { AppDeps } from "../http/env.ts";
import { addPeopleTrigger, WEBHOOK_DEBOUNCE_MS } from "../db/people.ts";

/**
 * The largest Finch payload forwarded whole, in characters of its JSON. A KV value holds
 * at most 64 KiB and a character may take two bytes there; Finch's events are a few
 * hundred bytes, so only a hostile (if signed) one comes near.
 */
export const FINCH_PAYLOAD_MAX_CHARS = 16_000;

/** Finch's event types as they are spelled (`job.data_sync_all.completed`). */
const FINCH_TYPE = /^[a-z0-9_]+(\.[a-z0-9_]+){0,9}$/;

/**
 * Adds `drafts` to `op`: recorded in the feed, and queued for delivery when
 * `EVENTS_WEBHOOK_URL` is set.
 *
 * @example
 * ```ts
 * recordEvents(deps, op, statusEvents(before, after, at));
 * ```
 */
export function recordEvents(
  deps: Pick<AppDeps, "config" | "now">,
  op: Deno.AtomicOperation,
  drafts: readonly EventDraft[],
): void {
  if (drafts.length === 0) return;
  addEvents(op, drafts, {
    now: deps.now(),
    deliver: Boolean(deps.config.events.url),
  });
  // What changes a customer's people asks for a people job, in the same op.
  const delays = new Map<string, number>();
  for (const d of drafts) {
    const delay = peopleTriggerDelay(d);
    if (delay === null) continue;
    const id = d.data.customer_id;
    delays.set(id, Math.min(delays.get(id) ?? delay, delay));
  }
  for (const [customer_id, delay] of delays) {
    addPeopleTrigger(op, customer_id, deps.now(), delay);
  }
}

/** Finch's data webhooks whose storms are debounced into one people job. */
const PEOPLE_DATA_EVENT = /^finch\.(directory|individual|employment)\./;

/**
 * How long after an event its people job starts, or null when it asks for none: a
 * connection made, reconnected, gone live or disconnected (the list is rebuilt with or
 * without it), or a Finch data webhook (debounced).
 */
function peopleTriggerDelay(d: EventDraft): number | null {
  switch (d.type) {
    case "connection.created":
    case "connection.reconnected":
    case "connection.disconnected":
    case "connection.entity_disconnected":
      return 0;
    case "connection.status_changed":
      return d.data.status === "connected" ? WEBHOOK_DEBOUNCE_MS : null;
  }
  return PEOPLE_DATA_EVENT.test(d.type) ? WEBHOOK_DEBOUNCE_MS : null;
}

/** The fields every event's data carries, and `extra`. */
export function connectionData(
  c: Connection,
  occurredAt: string,
  extra: Record<string, unknown> = {},
): EventData {
  return {
    customer_id: c.customer_id,
    connection_id: c.connection_id,
    provider_id: c.provider_id,
    company_id: c.company_id,
    company_name: c.company_name,
    status: c.status,
    occurred_at: occurredAt,
    ...extra,
  };
}

/** A change of status, in the integrator's words; none when the status is the same. */
export function statusEvents(
  previous: Connection,
  next: Connection,
  occurredAt: string,
): EventDraft[] {
  if (previous.status === next.status) return [];
  return [{
    type: next.status === "reauth"
      ? "connection.reauth_required"
      : "connection.status_changed",
    data: connectionData(next, occurredAt, {
      previous_status: previous.status,
    }),
  }];
}

/**
 * The `also` of a status write that records what its change of status means (refresh
 * on view, introspect's details).
 *
 * @example
 * ```ts
 * await applyStatus(kv, id, update, { also: recordStatusChange(deps) });
 * ```
 */
export function recordStatusChange(
  deps: Pick<AppDeps, "config" | "now">,
): AlsoInOp<StatusChange> {
  return (op, _round, { previous, connection }) =>
    recordEvents(
      deps,
      op,
      statusEvents(previous, connection, connection.status_at),
    );
}

/** What a Connect callback's store means (see the module doc). */
export function storedEvents(
  change: StoreChange | ReplaceChange,
  run: "new" | "reauth",
  occurredAt: string,
): EventDraft[] {
  const created: EventDraft = {
    type: "connection.created",
    data: connectionData(change.connection, occurredAt),
  };
  if (change.outcome === "replaced") {
    return [disconnectedEvent(change.retired), created];
  }
  if (change.outcome === "created") return [created];
  return [{
    type: run === "reauth"
      ? "connection.reconnected"
      : "connection.token_refreshed",
    data: connectionData(change.connection, occurredAt, {
      previous_status: change.previous?.status ?? null,
    }),
  }];
}

/** `connection.disconnected`, with the tombstone's receipt. */
export function disconnectedEvent(t: DisconnectedConnection): EventDraft {
  const d = t.disconnect;
  return {
    type: "connection.disconnected",
    data: connectionData(t, d.disconnected_at, {
      by: d.by,
      revoked_upstream: d.revoked_upstream,
      disconnected_at: d.disconnected_at,
      replaced_by: d.replaced_by,
      entities: t.entities.map((e) => ({ id: e.id, name: e.name })),
    }),
  };
}

/** `connection.entity_disconnected`: one entity of a connection, the rest still live. */
export function entityDisconnectedEvent(
  connection: Connection,
  entity: { id: string; name: string | null },
  receipt: { by: string; revoked_upstream: boolean; disconnected_at: string },
): EventDraft {
  return {
    type: "connection.entity_disconnected",
    data: connectionData(connection, receipt.disconnected_at, {
      by: receipt.by,
      revoked_upstream: receipt.revoked_upstream,
      disconnected_at: receipt.disconnected_at,
      entity,
      entities: connection.entities.filter((e) => e.status !== "disconnected")
        .map((e) => ({ id: e.id, name: e.name })),
    }),
  };
}

/**
 * `finch.<event_type>` for a Finch webhook about `connection` (after whatever it
 * changed), or none for a type not spelled as Finch spells them.
 */
export function finchEvents(
  eventType: string,
  connection: Connection,
  payload: unknown,
  meta: { eventId: string; at: Date },
): EventDraft[] {
  if (!FINCH_TYPE.test(eventType) || eventType.length > 150) return [];
  const text = JSON.stringify(payload) ?? "null";
  return [{
    type: `finch.${eventType}`,
    data: connectionData(connection, meta.at.toISOString(), {
      finch_event_id: meta.eventId,
      finch: text.length <= FINCH_PAYLOAD_MAX_CHARS
        ? payload
        : { event_type: eventType, truncated: true },
    }),
  }];
}
