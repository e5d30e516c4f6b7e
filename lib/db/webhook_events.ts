/**
 * Webhook event ids already handled, for dedupe of Finch's retries.
 *
 * @module
 */
import { InvalidInput } from "./errors.ts";
import { webhookEventKey } from "./keys.ts";
import { commitOrThrow, decideLoop } from "./retry.ts";
import { iso } from "./schemas.ts";

interface SeenEvent {
  seen_at: string;
  expires_at: string;
}

function checkId(event_id: string): void {
  if (typeof event_id !== "string" || !/^[\x21-\x7e]{1,200}$/.test(event_id)) {
    throw new InvalidInput("webhook event id", [
      "event_id: 1-200 visible ASCII",
    ]);
  }
}

/**
 * Marks an event id seen: true the first time (handle it), false after
 * (a duplicate: skip it). The absence check makes it exact under concurrency.
 *
 * @example
 * ```ts
 * if (!await markEventSeen(kv, headers.get("finch-event-id")!, { ttlMs: 7 * 86400_000 })) {
 *   return c.body(null, 200); // already handled
 * }
 * ```
 */
export async function markEventSeen(
  kv: Deno.Kv,
  event_id: string,
  options: { ttlMs: number; now?: Date },
): Promise<boolean> {
  checkId(event_id);
  if (!(options.ttlMs > 0)) {
    throw new InvalidInput("webhook event", ["ttlMs: positive number"]);
  }
  const key = webhookEventKey(event_id);
  return await decideLoop<boolean>(`mark event ${event_id}`, async () => {
    const entry = await kv.get<SeenEvent>(key);
    const now = options.now ?? new Date();
    // KV expiry is lazy: an entry past its time counts as absent.
    if (entry.value && entry.value.expires_at > iso(now)) {
      return { done: false };
    }
    const value: SeenEvent = {
      seen_at: iso(now),
      expires_at: iso(new Date(now.getTime() + options.ttlMs)),
    };
    return {
      commit: () =>
        kv.atomic().check(entry).set(key, value, { expireIn: options.ttlMs }),
      result: true,
    };
  });
}

/**
 * Forgets an event id, so Finch's retry is handled again: call it when
 * handling the event failed after {@linkcode markEventSeen}.
 *
 * @example
 * ```ts
 * try { await handle(event); } catch (e) { await forgetEvent(kv, id); throw e; }
 * ```
 */
export async function forgetEvent(
  kv: Deno.Kv,
  event_id: string,
): Promise<void> {
  checkId(event_id);
  const key = webhookEventKey(event_id);
  await commitOrThrow(() => kv.atomic().delete(key), "forget event");
}
