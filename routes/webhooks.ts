/**
 * `POST /webhooks/finch`: Finch's webhooks (journey 8).
 *
 * Order of checks, each refusing with nothing changed: body size (413), signature headers,
 * timestamp and signature (lib/finch_webhooks.ts, 400/401), JSON and event shape (400).
 * Only then is the event id recorded (`markEventSeen`), so a duplicate, even a concurrent
 * one, answers 200 without effect. It is recorded *before* handling rather than after so
 * that two deliveries of one event cannot both act; if handling then fails, the id is
 * forgotten again and the error answers 5xx, so Finch's retry is handled afresh.
 *
 * Finch wants a quick 2xx: handling is a KV write or two, done inline.
 */
import { Hono } from "hono";
import { forgetEvent, markEventSeen } from "../lib/db/webhook_events.ts";
import {
  verifyFinchWebhook,
  WEBHOOK_MAX_BYTES,
} from "../lib/finch/webhooks.ts";
import {
  handleWebhookEvent,
  parseWebhookEvent,
} from "../lib/flows/webhooks.ts";
import { limitBody } from "../lib/http/body.ts";
import type { AppEnv } from "../lib/http/env.ts";

/** How long an event id is remembered: Finch's retries span about 2.5 hours. */
export const WEBHOOK_DEDUPE_TTL_MS = 3 * 24 * 3600_000;

/** The webhook routes; mount at `/`. */
export function webhookRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.post(
    "/webhooks/finch",
    limitBody(
      WEBHOOK_MAX_BYTES,
      `The webhook body is larger than ${WEBHOOK_MAX_BYTES} bytes. Nothing was changed.`,
    ),
    async (c) => {
      const deps = c.var.deps;
      // The signature covers the exact bytes: read the raw text, parse only after.
      const rawBody = await c.req.text();
      const hook = await verifyFinchWebhook(
        rawBody,
        c.req.raw.headers,
        deps.config.finch.webhookSecrets,
        deps.now(),
      );
      const event = parseWebhookEvent(hook.payload);
      const first = await markEventSeen(deps.kv, hook.eventId, {
        ttlMs: WEBHOOK_DEDUPE_TTL_MS,
        now: new Date(deps.now()),
      });
      if (!first) {
        deps.log("info", "webhook_duplicate", {
          event_id: hook.eventId,
          event_type: event.eventType,
        });
        return c.json({ received: true, outcome: "duplicate" });
      }
      try {
        const outcome = await handleWebhookEvent(deps, event, hook);
        return c.json({ received: true, outcome });
      } catch (err) {
        await forgetEvent(deps.kv, hook.eventId).catch(() => {
          // The retry will be taken for a duplicate; say so for whoever investigates.
          deps.log("error", "webhook_forget_failed", {
            event_id: hook.eventId,
          });
        });
        deps.log("warn", "webhook_failed", {
          event_id: hook.eventId,
          event_type: event.eventType,
          error: err instanceof Error ? err.name : "unknown",
        });
        throw err;
      }
    },
  );

  return app;
}
