/**
 * The one listener of a KV handle's queue, routing each message by its `kind` field to
 * the handler registered for that kind (integrator event deliveries, people jobs...).
 *
 * Deno allows a single `kv.listenQueue` per handle, and a handle cannot stop listening
 * until it is closed; so the listener is started once per handle, on the first
 * registration, and handlers come and go on it (tests close a worker and start another
 * on the same handle). A message whose kind has no handler registered right now waits,
 * unacknowledged, until one registers; a message of a kind nothing of ours ever queues
 * is acknowledged and dropped, so it is not retried forever.
 *
 * A handler that throws makes KV retry the message (its own backoff): handlers throw
 * only when the store itself fails, and keep their retry policy in the messages they
 * queue.
 *
 * @module
 */
import type { Logger } from "./log.ts";

/** Handles one message of its kind; resolves once the message may be acknowledged. */
export type QueueHandler = (message: Record<string, unknown>) => Promise<void>;

/** Kinds queued by this app: anything else is acknowledged and dropped. */
const KNOWN_KINDS = /^(portal\.event_delivery|people\.[a-z_]+)$/;

interface Router {
  handlers: Map<string, QueueHandler>;
  /** Messages waiting for a handler of their kind to register. */
  waiting: Map<string, (() => void)[]>;
}

const routers = new WeakMap<Deno.Kv, Router>();

/**
 * Registers `handler` for messages whose `kind` is `kind` (a prefix ending in `.` takes
 * every kind under it), starting the handle's listener if none is running. Returns the
 * function that unregisters it (if it is still the one registered).
 *
 * @example
 * ```ts
 * const off = registerQueueHandler(kv, log, "people.", (m) => handlePeople(m));
 * // ... on shutdown:
 * off();
 * ```
 */
export function registerQueueHandler(
  kv: Deno.Kv,
  log: Logger,
  kind: string,
  handler: QueueHandler,
): () => void {
  let router = routers.get(kv);
  if (!router) {
    const fresh: Router = { handlers: new Map(), waiting: new Map() };
    router = fresh;
    routers.set(kv, fresh);
    kv.listenQueue((message) => route(fresh, message, log))
      .catch((err) => {
        log("error", "queue_stopped", {
          error: err instanceof Error ? err.name : "unknown",
        });
      })
      .finally(() => routers.delete(kv));
  }
  const r = router;
  r.handlers.set(kind, handler);
  for (const wake of r.waiting.get(kind)?.splice(0) ?? []) wake();
  return () => {
    if (r.handlers.get(kind) === handler) r.handlers.delete(kind);
  };
}

/** The registration a message's kind goes to: its exact kind, else its prefix. */
function registrationOf(kind: string): string {
  const dot = kind.indexOf(".");
  return kind.startsWith("people.") ? kind.slice(0, dot + 1) : kind;
}

async function route(
  router: Router,
  message: unknown,
  log: Logger,
): Promise<void> {
  const kind = typeof message === "object" && message !== null
    ? (message as { kind?: unknown }).kind
    : undefined;
  if (typeof kind !== "string" || !KNOWN_KINDS.test(kind)) {
    log("warn", "queue_message_unknown", {});
    return;
  }
  const name = registrationOf(kind);
  for (;;) {
    const handler = router.handlers.get(name);
    if (handler) return await handler(message as Record<string, unknown>);
    await new Promise<void>((wake) => {
      const list = router.waiting.get(name) ?? [];
      list.push(wake);
      router.waiting.set(name, list);
    });
  }
}
