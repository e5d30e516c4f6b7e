/**
 * Delivering integrator events: the listener of the KV queue.
 *
 * Every event's first delivery job is queued in the atomic op that recorded it
 * (lib/events/emit.ts). A job makes one attempt, then records the outcome and, after a
 * failure, queues the next attempt with `delay` (`EVENTS_RETRY_SCHEDULE`), in one atomic
 * op checked against the record it read. So:
 *
 * - nothing is lost across crashes, restarts and deploys: a job is acknowledged only
 *   once its outcome (and the next job) is stored; a process that dies mid-attempt
 *   leaves the job in flight, and KV hands it out again (to whichever process listens);
 * - a job delivered twice (KV queues are at-least-once), or left over from before a
 *   redelivery, finds the record moved on and does nothing: no double count, no skip,
 *   and a delivered event is not POSTed again unless redelivered;
 * - the queue's own retries are not the retry policy: a job throws only when the store
 *   itself fails, and a job KV gave up on (`keysIfUndelivered`) is queued again by the
 *   next worker that starts ({@linkcode startEventWorker});
 * - a slow or dead receiver costs only this listener's time: pages and API calls never
 *   wait on a delivery, and at most {@linkcode MAX_CONCURRENT} attempts run at once per
 *   process, so a receiver that never answers, with a backlog of thousands, keeps a few
 *   connections open and writes an outcome every few seconds, not hundreds a second
 *   (each one a KV write the pages would queue behind: bench/sections/events.ts).
 *
 * Every process on a store listens (KV hands each job to one of them). A KV handle
 * has one queue listener (lib/queue.ts), which hands deliveries to the worker started
 * last on it; while none is open (between a close and the next start on
 * the same handle, as tests do) a job waits, unacknowledged.
 *
 * @module
 */
import type { ResolvedConfig } from "../config.ts";
import {
  addEventWrite,
  addJob,
  type Delivery,
  type EventJob,
  eventJob,
  getEventEntry,
  isCurrentJob,
  isEventJob,
} from "../db/events.ts";
import { eventsUndeliveredPrefix } from "../db/keys.ts";
import { commit, retryTransient } from "../db/retry.ts";
import type { Logger } from "../log.ts";
import { registerQueueHandler } from "../queue.ts";
import { type AttemptResult, sendEvent } from "./send.ts";

/**
 * Attempts one process runs at once; the jobs beyond wait their turn, unacknowledged.
 * Enough to drain over 100 events a second from a healthy receiver.
 */
export const MAX_CONCURRENT = 16;

/** What a worker needs. */
export interface WorkerDeps {
  kv: Deno.Kv;
  config: Pick<ResolvedConfig, "events">;
  log: Logger;
  now: () => number;
  /** One attempt's timeout; 10 s unless a test shortens it. */
  timeoutMs?: number;
}

/** A running worker. */
export interface EventWorker {
  /**
   * Stops taking jobs; attempts under way are cut short and handed back (not counted),
   * so that closing the store afterwards loses nothing.
   */
  close(): Promise<void>;
}

/** The worker closed under a job: the job goes to the next worker. */
class WorkerClosed extends Error {
  override name = "WorkerClosed";
}

/** The one queue listener of a KV handle. */
interface Listener {
  worker: Worker | null;
  waiting: ((w: Worker) => void)[];
}

const listeners = new WeakMap<Deno.Kv, Listener>();

/**
 * Starts delivering events from `deps.kv`'s queue (see the module doc).
 *
 * @example
 * ```ts
 * const worker = startEventWorker({ kv, config, log, now: Date.now });
 * // ... on shutdown:
 * await worker.close();
 * kv.close();
 * ```
 */
export function startEventWorker(deps: WorkerDeps): EventWorker {
  let listener = listeners.get(deps.kv);
  if (!listener) {
    const fresh: Listener = { worker: null, waiting: [] };
    listener = fresh;
    listeners.set(deps.kv, fresh);
    // The handle's one queue listener routes deliveries here (lib/queue.ts).
    registerQueueHandler(
      deps.kv,
      deps.log,
      "portal.event_delivery",
      (message) => dispatch(fresh, message, deps.log),
    );
  }
  const worker = new Worker(deps);
  const l = listener;
  l.worker = worker;
  for (const wake of l.waiting.splice(0)) wake(worker);
  worker.track(requeueUndelivered(deps));
  return {
    async close() {
      if (l.worker === worker) l.worker = null;
      await worker.close();
    },
  };
}

/** Hands a job to the current worker, and to the next one if that one closes. */
async function dispatch(
  listener: Listener,
  message: unknown,
  log: Logger,
): Promise<void> {
  if (!isEventJob(message)) {
    // Malformed (lib/queue.ts routed it by kind): acknowledged, not retried forever.
    log("warn", "queue_message_unknown", {});
    return;
  }
  for (;;) {
    const worker = listener.worker ??
      await new Promise<Worker>((wake) => listener.waiting.push(wake));
    try {
      return await worker.handle(message);
    } catch (err) {
      if (!(err instanceof WorkerClosed)) throw err;
    }
  }
}

class Worker {
  #deps: WorkerDeps;
  #closed = false;
  #abort = new AbortController();
  #inFlight = new Set<Promise<unknown>>();
  #active = 0;
  #queued: (() => void)[] = [];

  constructor(deps: WorkerDeps) {
    this.#deps = deps;
  }

  /** Waits for one of the {@linkcode MAX_CONCURRENT} slots. */
  async #slot(): Promise<void> {
    while (this.#active >= MAX_CONCURRENT) {
      await new Promise<void>((wake) => this.#queued.push(wake));
      if (this.#closed) throw new WorkerClosed();
    }
    this.#active++;
  }

  #release(): void {
    this.#active--;
    this.#queued.shift()?.();
  }

  /** Keeps `work` in the set `close()` waits for. */
  track<T>(work: Promise<T>): Promise<T> {
    this.#inFlight.add(work);
    work.finally(() => this.#inFlight.delete(work)).catch(() => {});
    return work;
  }

  handle(job: EventJob): Promise<void> {
    if (this.#closed) return Promise.reject(new WorkerClosed());
    return this.track((async () => {
      await this.#slot();
      try {
        await this.#attempt(job);
      } finally {
        this.#release();
      }
    })());
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#abort.abort();
    for (const wake of this.#queued.splice(0)) wake();
    while (this.#inFlight.size) await Promise.allSettled([...this.#inFlight]);
  }

  async #attempt(job: EventJob): Promise<void> {
    const { kv, config, log, now } = this.#deps;
    const entry = await retryTransient(() => getEventEntry(kv, job.event_id));
    // Expired, delivered, redelivered since, or this attempt already recorded.
    if (!entry || !isCurrentJob(entry.value.delivery, job)) {
      log("info", "event_job_skipped", {
        event_id: job.event_id,
        run: job.run,
        attempt: job.attempt,
      });
      return;
    }
    const event = entry.value;
    const url = config.events.url;
    let result: AttemptResult;
    if (!url) {
      // Queued by a process that had a receiver; this one has none.
      result = { ok: false, error: "no EVENTS_WEBHOOK_URL configured" };
    } else {
      result = await sendEvent(url, config.events.secrets, event, {
        nowMs: now(),
        timeoutMs: this.#deps.timeoutMs,
        signal: this.#abort.signal,
      });
    }
    if ("aborted" in result) throw new WorkerClosed();
    const at = now();
    const next = nextDelivery(
      event.delivery,
      result,
      url ? config.events.retrySchedule : [],
      at,
    );
    const op = kv.atomic().check(entry);
    addEventWrite(op, { ...event, delivery: next.delivery }, at);
    if (next.retryInMs !== null) {
      addJob(
        op,
        eventJob(event.id, next.delivery.run, next.delivery.attempts),
        next.retryInMs,
      );
    }
    const res = await commit(() => op);
    const fields = {
      event_id: event.id,
      type: event.type,
      attempt: next.delivery.attempts,
    };
    if (!res.ok) {
      // A redelivery, or another copy of this job, wrote first: theirs stands.
      log("info", "event_delivery_superseded", fields);
    } else if (result.ok) {
      log("info", "event_delivered", { ...fields, status: result.status });
    } else {
      log("warn", "event_delivery_failed", {
        ...fields,
        error: result.error,
        state: next.delivery.state,
        next_at: next.delivery.next_at,
      });
    }
  }
}

/**
 * The delivery after one attempt: `delivered`, or `retrying` with the next attempt due
 * after the schedule's next delay, or `failed` once the schedule is spent.
 *
 * @example
 * ```ts
 * nextDelivery(d, { ok: false, error: "HTTP 500" }, [5, 300], Date.now());
 * // { delivery: { state: "retrying", attempts: 1, ... }, retryInMs: 5000 }
 * ```
 */
export function nextDelivery(
  delivery: Delivery,
  result: { ok: true } | { ok: false; error: string },
  scheduleS: readonly number[],
  nowMs: number,
): { delivery: Delivery; retryInMs: number | null } {
  const attempts = delivery.attempts + 1;
  if (result.ok) {
    return {
      delivery: {
        ...delivery,
        state: "delivered",
        attempts,
        last_error: null,
        next_at: null,
        delivered_at: new Date(nowMs).toISOString(),
      },
      retryInMs: null,
    };
  }
  const delayS = scheduleS[attempts - 1];
  if (delayS === undefined) {
    return {
      delivery: {
        ...delivery,
        state: "failed",
        attempts,
        last_error: result.error,
        next_at: null,
      },
      retryInMs: null,
    };
  }
  return {
    delivery: {
      ...delivery,
      state: "retrying",
      attempts,
      last_error: result.error,
      next_at: new Date(nowMs + delayS * 1000).toISOString(),
    },
    retryInMs: delayS * 1000,
  };
}

/**
 * Queues again the jobs KV gave up on (they wait under `["events_undelivered"]`): each
 * moved back in one atomic op, so two workers starting at once queue it once.
 */
async function requeueUndelivered(deps: WorkerDeps): Promise<void> {
  try {
    const entries = await retryTransient(async () => {
      const found: Deno.KvEntry<unknown>[] = [];
      for await (
        const e of deps.kv.list({ prefix: eventsUndeliveredPrefix() }, {
          limit: 1000,
        })
      ) found.push(e);
      return found;
    });
    for (const entry of entries) {
      const op = deps.kv.atomic().check(entry).delete(entry.key);
      if (isEventJob(entry.value)) addJob(op, entry.value);
      await commit(() => op);
    }
    if (entries.length) {
      deps.log("warn", "event_jobs_requeued", { count: entries.length });
    }
  } catch (err) {
    deps.log("warn", "event_requeue_failed", { error: errorName(err) });
  }
}

function errorName(err: unknown): string {
  return err instanceof Error ? err.name : "unknown";
}
