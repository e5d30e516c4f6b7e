/**
 * Webhook delivery as Finch does it: a JSON POST signed like Svix (Finch's provider), retried
 * on a non-2xx answer or a network error on Finch's schedule, never blocking the API call that
 * caused it.
 *
 * @module
 */

import { eventId } from "./ids.ts";

/** One delivery attempt, as `/_sim/webhooks` reports it. */
export interface WebhookAttempt {
  at: string;
  timestamp: number;
  status?: number;
  error?: string;
}

/** One event and what happened to it. */
export interface WebhookDelivery {
  event_id: string;
  event_type: string;
  url: string | null;
  body: string;
  payload: unknown;
  /** `pending` while attempts remain; `skipped` when no webhook URL is configured. */
  state: "pending" | "delivered" | "failed" | "skipped";
  attempts: WebhookAttempt[];
}

/**
 * Signs a webhook exactly as Finch does (reference §3.2): HMAC-SHA256 keyed with the
 * base64-decoded secret over `${id}.${timestamp}.${body}`, base64, prefixed `v1,`.
 *
 * @example
 * ```ts
 * const sig = await signWebhook(secret, "msg_x", 1676312382, body); // "v1,..."
 * ```
 */
export async function signWebhook(
  secretBase64: string,
  id: string,
  timestamp: number,
  body: string,
): Promise<string> {
  const raw = Uint8Array.from(atob(secretBase64), (c) => c.charCodeAt(0));
  const key = await crypto.subtle.importKey(
    "raw",
    raw,
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const mac = new Uint8Array(
    await crypto.subtle.sign(
      "HMAC",
      key,
      new TextEncoder().encode(`${id}.${timestamp}.${body}`),
    ),
  );
  return `v1,${btoa(String.fromCharCode(...mac))}`;
}

/** Options of {@link WebhookSender}. */
export interface WebhookSenderOptions {
  url?: string;
  secret: string;
  fetch: typeof fetch;
  delaysMs: readonly number[];
  now: () => number;
  /** Per-attempt timeout; Finch expects a quick 2xx. */
  attemptTimeoutMs?: number;
}

/** Queues, signs and delivers webhooks, keeping a log for `/_sim/webhooks`. */
export class WebhookSender {
  #log: WebhookDelivery[] = [];
  #timers = new Set<ReturnType<typeof setTimeout>>();
  #inFlight = new Set<Promise<void>>();
  #aborts = new Set<AbortController>();
  #closed = false;
  #opts: WebhookSenderOptions;

  constructor(opts: WebhookSenderOptions) {
    this.#opts = opts;
  }

  /** Every event sent so far, oldest first. */
  list(): WebhookDelivery[] {
    return this.#log;
  }

  /** Queues an event; the first attempt starts after `delaysMs[0]`, asynchronously. */
  send(payload: Record<string, unknown>): WebhookDelivery {
    const body = JSON.stringify(payload);
    const delivery: WebhookDelivery = {
      event_id: eventId(),
      event_type: String(payload.event_type),
      url: this.#opts.url ?? null,
      body,
      payload,
      state: this.#opts.url ? "pending" : "skipped",
      attempts: [],
    };
    this.#log.push(delivery);
    if (this.#opts.url) this.#schedule(delivery, this.#opts.delaysMs[0] ?? 0);
    return delivery;
  }

  /**
   * Schedules a callback with a tracked timer so `close()` can cancel it; returns a
   * function that cancels it earlier.
   */
  later(ms: number, fn: () => void): () => void {
    if (this.#closed) return () => {};
    const id = setTimeout(() => {
      this.#timers.delete(id);
      fn();
    }, ms);
    this.#timers.add(id);
    return () => {
      clearTimeout(id);
      this.#timers.delete(id);
    };
  }

  #schedule(delivery: WebhookDelivery, ms: number): void {
    this.later(ms, () => {
      const p = this.#attempt(delivery).finally(() => this.#inFlight.delete(p));
      this.#inFlight.add(p);
    });
  }

  async #attempt(delivery: WebhookDelivery): Promise<void> {
    const timestamp = Math.floor(this.#opts.now() / 1000);
    const attempt: WebhookAttempt = {
      at: new Date(this.#opts.now()).toISOString(),
      timestamp,
    };
    delivery.attempts.push(attempt);
    const abort = new AbortController();
    this.#aborts.add(abort);
    const timer = setTimeout(
      () => abort.abort(),
      this.#opts.attemptTimeoutMs ?? 10_000,
    );
    try {
      // Svix signs each attempt with its own timestamp; the event id stays, for dedupe.
      const signature = await signWebhook(
        this.#opts.secret,
        delivery.event_id,
        timestamp,
        delivery.body,
      );
      const res = await this.#opts.fetch(delivery.url!, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "finch-event-id": delivery.event_id,
          "finch-timestamp": String(timestamp),
          "finch-signature": signature,
          "user-agent": "Svix-Webhooks/1.0 (finch-simulator)",
        },
        body: delivery.body,
        signal: abort.signal,
      });
      attempt.status = res.status;
      await res.body?.cancel();
      if (res.ok) {
        delivery.state = "delivered";
        return;
      }
    } catch (err) {
      attempt.error = err instanceof Error ? err.message : String(err);
    } finally {
      clearTimeout(timer);
      this.#aborts.delete(abort);
    }
    const next = this.#opts.delaysMs[delivery.attempts.length];
    if (next === undefined || this.#closed) delivery.state = "failed";
    else this.#schedule(delivery, next);
  }

  /** Resolves once nothing is scheduled or in flight (with short test delays). */
  async settled(): Promise<void> {
    while (this.#timers.size > 0 || this.#inFlight.size > 0) {
      if (this.#inFlight.size > 0) {
        await Promise.allSettled([...this.#inFlight]);
      } else await new Promise((r) => setTimeout(r, 5));
    }
  }

  /** Cancels scheduled attempts and aborts running ones. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const id of this.#timers) clearTimeout(id);
    this.#timers.clear();
    for (const a of this.#aborts) a.abort();
    await Promise.allSettled([...this.#inFlight]);
    for (const d of this.#log) if (d.state === "pending") d.state = "failed";
  }
}
