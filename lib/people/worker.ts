/**
 * Runs people jobs from the store's queue (lib/queue.ts routes `people.*` messages
 * here): at most {@linkcode MAX_STEPS} steps at once per process, so a customer with
 * many connections, or many customers refreshing at once, use a few connections to
 * Finch and a bounded amount of memory (a step holds one directory page).
 *
 * A step that fails on the store throws, and KV delivers its message again; everything
 * Finch answers is handled inside the step (lib/people/fetch.ts).
 *
 * @module
 */
import { registerQueueHandler } from "../queue.ts";
import { onReconcile } from "./build.ts";
import { onFetch } from "./fetch.ts";
import { isPeopleMessage, type JobDeps, onCheck, onTrigger } from "./job.ts";

/** Steps one process runs at once; the rest wait, unacknowledged. */
export const MAX_STEPS = 6;

/** A running people worker. */
export interface PeopleWorker {
  /** Stops taking steps and waits for those under way. */
  close(): Promise<void>;
}

/**
 * Starts running people jobs. With `enabled: false` (test portals that are not about
 * people), people messages are acknowledged and dropped, so that nothing runs behind
 * those tests' backs.
 *
 * @example
 * ```ts
 * const people = startPeopleWorker(deps);
 * // ... on shutdown:
 * await people.close();
 * ```
 */
export function startPeopleWorker(
  deps: JobDeps,
  options: { enabled?: boolean } = {},
): PeopleWorker {
  const enabled = options.enabled ?? true;
  let active = 0;
  const queued: (() => void)[] = [];
  const inFlight = new Set<Promise<void>>();
  let closed = false;

  const run = async (message: Record<string, unknown>) => {
    if (!isPeopleMessage(message)) {
      deps.log("warn", "people_message_malformed", {});
      return;
    }
    if (!enabled) return;
    while (active >= MAX_STEPS) {
      await new Promise<void>((wake) => queued.push(wake));
    }
    active++;
    try {
      switch (message.kind) {
        case "people.trigger":
          return await onTrigger(deps, message);
        case "people.fetch":
          return await onFetch(deps, message);
        case "people.check":
          return await onCheck(deps, message);
        case "people.reconcile":
          return await onReconcile(deps, message);
      }
    } catch (err) {
      deps.log("warn", "people_step_failed", {
        kind: message.kind,
        customer_id: message.customer_id,
        error: err instanceof Error ? err.name : "unknown",
      });
      throw err; // KV delivers the message again
    } finally {
      active--;
      queued.shift()?.();
    }
  };

  const handler = (message: Record<string, unknown>) => {
    // Unacknowledged: KV hands it out again, to this process's next worker or another.
    if (closed) return Promise.reject(new Error("people worker closed"));
    const work = run(message);
    inFlight.add(work);
    work.finally(() => inFlight.delete(work)).catch(() => {});
    return work;
  };
  const off = registerQueueHandler(deps.kv, deps.log, "people.", handler);
  return {
    async close() {
      closed = true;
      off();
      while (inFlight.size) await Promise.allSettled([...inFlight]);
    },
  };
}
