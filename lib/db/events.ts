/**
 * Integrator events as stored: one record per event under `["events", id]`, holding what
 * happened and where its delivery stands, kept 30 days.
 *
 * - An event is added to the atomic op of the change that caused it ({@linkcode addEvents}),
 *   so the change, its feed record and its delivery job (a KV queue message) commit
 *   together or not at all: no change without its event, no event without its change.
 * - Ids are ULIDs from one monotonic factory, so the feed's key order is the order in
 *   which this process minted them. Across processes, events minted within the same
 *   millisecond or so may list in either order.
 * - A delivery job names the run and the attempt it is for: a job delivered twice, or one
 *   left over from before a redelivery, finds the record moved on and does nothing
 *   ({@linkcode isCurrentJob}).
 *
 * Delivery itself (the POST, the retries) is lib/events/worker.ts.
 *
 * @module
 */
import { monotonicFactory } from "../ulid.ts";
import { InvalidInput } from "./errors.ts";
import { eventKey, eventsPrefix, eventUndeliveredKey } from "./keys.ts";
import { listPage, type PageOptions } from "./page.ts";
import { decideLoop, retryTransient } from "./retry.ts";

/** How long an event stays in the feed. */
export const EVENT_TTL_MS = 30 * 24 * 3600_000;

/** Where an event's delivery stands. */
export type DeliveryState =
  | "pending"
  | "retrying"
  | "delivered"
  | "failed"
  /** No `EVENTS_WEBHOOK_URL` was configured: recorded in the feed only. */
  | "skipped";

/** An event's delivery, as the feed shows it (plus what the worker needs). */
export interface Delivery {
  state: DeliveryState;
  /** POSTs made since the event was recorded or last redelivered. */
  attempts: number;
  /** Why the last attempt failed (`HTTP 500`, `timeout after 10 s`...); never a body. */
  last_error: string | null;
  /** When the next attempt is due (`retrying`). */
  next_at: string | null;
  delivered_at: string | null;
  /** Bumped by each redelivery; jobs of an earlier run are ignored. */
  run: number;
}

/** What every event's `data` carries. */
export interface EventData {
  customer_id: string;
  connection_id: string;
  provider_id: string;
  company_id: string;
  status: string;
  occurred_at: string;
  [field: string]: unknown;
}

/** What a customer-wide event's `data` carries (`people.updated`): no connection. */
export interface CustomerEventData {
  customer_id: string;
  occurred_at: string;
  connection_id?: undefined;
  status?: undefined;
  [field: string]: unknown;
}

/** An event to record: its type and data (the id and timestamp are minted here). */
export interface EventDraft {
  type: string;
  data: EventData | CustomerEventData;
}

/** An event as stored and as the feed shows it. */
export interface StoredEvent {
  id: string;
  type: string;
  timestamp: string;
  data: EventData | CustomerEventData;
  delivery: Delivery;
}

/** The queue message that asks for one delivery attempt. */
export interface EventJob {
  kind: "portal.event_delivery";
  event_id: string;
  run: number;
  /** Attempts already made when this job was queued: it makes attempt `attempt + 1`. */
  attempt: number;
}

const ulid = monotonicFactory();

/** The message that asks for attempt `attempt + 1` of run `run`. */
export function eventJob(event_id: string, run: number, attempt: number) {
  return {
    kind: "portal.event_delivery",
    event_id,
    run,
    attempt,
  } satisfies EventJob;
}

/** Whether a queue message is one of ours (a store may carry other messages). */
export function isEventJob(message: unknown): message is EventJob {
  const m = message as Partial<EventJob> | null;
  return typeof m === "object" && m !== null &&
    m.kind === "portal.event_delivery" && typeof m.event_id === "string" &&
    typeof m.run === "number" && typeof m.attempt === "number";
}

/** Whether `job` is the next attempt the record waits for (not a duplicate or stale). */
export function isCurrentJob(delivery: Delivery, job: EventJob): boolean {
  return (delivery.state === "pending" || delivery.state === "retrying") &&
    delivery.run === job.run && delivery.attempts === job.attempt;
}

/**
 * Adds the job to `op`: queued after `delayMs`, and left at
 * `["events_undelivered", id]` should KV give up on handing it to a listener.
 */
export function addJob(
  op: Deno.AtomicOperation,
  job: EventJob,
  delayMs = 0,
): Deno.AtomicOperation {
  return op.enqueue(job, {
    delay: Math.max(0, Math.round(delayMs)),
    keysIfUndelivered: [eventUndeliveredKey(job.event_id)],
  });
}

/** `set` of an event record, keeping it until 30 days after it happened. */
export function addEventWrite(
  op: Deno.AtomicOperation,
  event: StoredEvent,
  nowMs: number,
): Deno.AtomicOperation {
  const left = Date.parse(event.timestamp) + EVENT_TTL_MS - nowMs;
  return op.set(eventKey(event.id), event, { expireIn: Math.max(1, left) });
}

/**
 * Adds events to a change's atomic op: each one's feed record and, with `deliver`, its
 * first delivery job. Returns the events as they will be stored.
 *
 * @example
 * ```ts
 * const op = kv.atomic().check(entry).set(key, connection);
 * addEvents(op, [{ type: "connection.status_changed", data }], { now: Date.now(), deliver: true });
 * await op.commit();
 * ```
 */
export function addEvents(
  op: Deno.AtomicOperation,
  drafts: readonly EventDraft[],
  options: { now: number; deliver: boolean },
): StoredEvent[] {
  const timestamp = new Date(options.now).toISOString();
  return drafts.map((draft) => {
    const event: StoredEvent = {
      id: ulid(options.now),
      type: draft.type,
      timestamp,
      data: draft.data,
      delivery: {
        state: options.deliver ? "pending" : "skipped",
        attempts: 0,
        last_error: null,
        next_at: null,
        delivered_at: null,
        run: 0,
      },
    };
    addEventWrite(op, event, options.now);
    if (options.deliver) addJob(op, eventJob(event.id, 0, 0));
    return event;
  });
}

/**
 * One event with its versionstamp, or null (unknown, malformed or expired id).
 *
 * @example
 * ```ts
 * const entry = await getEventEntry(kv, "01J...");
 * ```
 */
export async function getEventEntry(
  kv: Deno.Kv,
  id: string,
): Promise<Deno.KvEntry<StoredEvent> | null> {
  if (!/^[0-9A-HJKMNP-TV-Z]{26}$/.test(id)) return null;
  const entry = await retryTransient(() => kv.get<StoredEvent>(eventKey(id)));
  return entry.value ? entry as Deno.KvEntry<StoredEvent> : null;
}

/** One page of the feed. */
export interface EventsPage {
  events: StoredEvent[];
  /** Where to read on from; the `after` given when nothing new was found. */
  next_cursor: string | null;
  /** Whether more events are stored after this page (read on at once). */
  has_more: boolean;
}

/**
 * Events in the order they happened, after `after` (a cursor from an earlier page),
 * optionally only those whose type starts with `type`. A filtered page may hold fewer
 * than `limit` events and still have more after it. One KV round trip.
 *
 * @example
 * ```ts
 * const page = await listEvents(kv, { after: cursor, limit: 50, type: "connection." });
 * ```
 */
export async function listEvents(
  kv: Deno.Kv,
  options: { after?: string; limit?: number; type?: string } = {},
): Promise<EventsPage> {
  const type = options.type;
  if (type !== undefined && !/^[a-z0-9_.]{1,200}$/.test(type)) {
    throw new InvalidInput("events query", [
      "type: a prefix of event types (lowercase letters, digits, _ and .)",
    ]);
  }
  const page = await listPage<StoredEvent>(
    kv,
    eventsPrefix(),
    {
      cursor: options.after,
      limit: options.limit,
      filter: type ? (e) => e.type.startsWith(type) : undefined,
    } satisfies PageOptions<StoredEvent>,
  );
  return {
    events: page.values,
    next_cursor: page.cursor ?? page.end ?? options.after ?? null,
    has_more: page.cursor !== undefined,
  };
}

/**
 * Delivers an event again, whatever became of it: a new run (`pending`, no attempts
 * yet, a new job), in one atomic op checked against the record read, so that the jobs of
 * the earlier run, if any are still queued, do nothing. Returns the event as stored now,
 * or null for an unknown (or expired) id.
 *
 * @example
 * ```ts
 * const event = await redeliverEvent(kv, "01J...", { now: Date.now() });
 * ```
 */
export async function redeliverEvent(
  kv: Deno.Kv,
  id: string,
  options: { now: number },
): Promise<StoredEvent | null> {
  return await decideLoop<StoredEvent | null>(
    `redeliver event ${id}`,
    async () => {
      const entry = await getEventEntry(kv, id);
      if (!entry) return { done: null };
      const run = entry.value.delivery.run + 1;
      const event: StoredEvent = {
        ...entry.value,
        delivery: {
          state: "pending",
          attempts: 0,
          last_error: null,
          next_at: null,
          delivered_at: null,
          run,
        },
      };
      const op = kv.atomic().check(entry);
      addEventWrite(op, event, options.now);
      addJob(op, eventJob(id, run, 0));
      return { commit: () => op, result: event };
    },
  );
}
