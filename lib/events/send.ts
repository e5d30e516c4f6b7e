/**
 * One delivery attempt of an integrator event: a signed JSON POST to
 * `EVENTS_WEBHOOK_URL`, the only address this module ever sends to (it comes from the
 * environment, never from a request). Any 2xx is a success; any other status, a
 * redirect (never followed: a receiver that moved must be reconfigured, and following
 * would send signed events wherever a redirect points), a timeout or a network error is
 * a failure, described in a few words for the feed (`HTTP 500`, `timeout after 10 s`,
 * `connection refused`), never with the receiver's body.
 *
 * @module
 */
import type { StoredEvent } from "../db/events.ts";
import { signatureHeader } from "./sign.ts";

/** How long one attempt may take, headers included. */
export const DELIVERY_TIMEOUT_MS = 10_000;

/** What one attempt came to. */
export type AttemptResult =
  | { ok: true; status: number }
  | { ok: false; error: string }
  /** The worker is closing: the attempt does not count. */
  | { ok: false; aborted: true };

/** The body of a delivery: exactly `{type, timestamp, data}`. */
export function deliveryBody(event: StoredEvent): string {
  return JSON.stringify({
    type: event.type,
    timestamp: event.timestamp,
    data: event.data,
  });
}

/**
 * POSTs `event` to `url`, signed with every secret. Never throws.
 *
 * @example
 * ```ts
 * const r = await sendEvent(url, secrets, event, { nowMs: Date.now() });
 * ```
 */
export async function sendEvent(
  url: string,
  secrets: readonly string[],
  event: StoredEvent,
  options: { nowMs: number; timeoutMs?: number; signal?: AbortSignal },
): Promise<AttemptResult> {
  const timeoutMs = options.timeoutMs ?? DELIVERY_TIMEOUT_MS;
  const body = deliveryBody(event);
  const timestamp = Math.floor(options.nowMs / 1000);
  const controller = new AbortController();
  let timedOut = false;
  // A timer of our own, cleared on every path: AbortSignal.timeout's would outlive a
  // fast answer and hold a closing process (and a test) for the full ten seconds.
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeoutMs);
  const stop = () => controller.abort();
  options.signal?.addEventListener("abort", stop);
  try {
    const res = await fetch(url, {
      method: "POST",
      redirect: "manual",
      signal: controller.signal,
      headers: {
        "content-type": "application/json",
        "user-agent": "finch-connections-portal",
        "webhook-id": event.id,
        "webhook-timestamp": String(timestamp),
        "webhook-signature": signatureHeader(
          secrets,
          event.id,
          timestamp,
          body,
        ),
      },
      body,
    });
    await res.body?.cancel().catch(() => {});
    if (res.status >= 200 && res.status < 300) {
      return { ok: true, status: res.status };
    }
    if (res.status >= 300 && res.status < 400) {
      return {
        ok: false,
        error: `HTTP ${res.status} (redirects are not followed)`,
      };
    }
    return { ok: false, error: `HTTP ${res.status}` };
  } catch (err) {
    if (options.signal?.aborted && !timedOut) {
      return { ok: false, aborted: true };
    }
    if (timedOut) {
      return { ok: false, error: `timeout after ${timeoutMs / 1000} s` };
    }
    return { ok: false, error: networkError(err) };
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener("abort", stop);
  }
}

/** A network failure in a few words; never the URL or anything the receiver sent. */
function networkError(err: unknown): string {
  // Deno says "fetch failed"; the reason is in the cause.
  const cause = err instanceof Error ? err.cause : undefined;
  const text = [err, cause].map((e) =>
    e instanceof Error ? `${e.name} ${e.message}` : String(e ?? "")
  ).join(" ");
  if (/refused/i.test(text)) return "connection refused";
  if (/reset/i.test(text)) return "connection reset";
  if (/closed|incomplete/i.test(text)) return "connection closed";
  if (/dns|lookup|resolve|not known/i.test(text)) return "address not found";
  if (/certificate|tls|ssl/i.test(text)) return "TLS error";
  return "network error";
}
