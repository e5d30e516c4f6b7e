/**
 * The integrator's events feed, mounted at `/api/events` behind the API key (api.ts):
 * every event in the order it happened, kept 30 days, with where its delivery stands;
 * and a way to deliver one again.
 *
 * - `GET /api/events?after=<cursor>&limit=<1-100>&type=<prefix>` answers
 *   `{events, next_cursor, has_more}`. `next_cursor` is where to read on from, also on
 *   the last page (poll with it later), and stays what `after` was when nothing new
 *   came. With `type`, a page may hold fewer events than `limit` and still be followed
 *   by more (`has_more`).
 * - `POST /api/events/:id/redeliver` starts the event's delivery over (202), whatever
 *   became of it before; 409 when no `EVENTS_WEBHOOK_URL` is configured.
 *
 * @module
 */
import { Hono } from "hono";
import { z } from "zod";
import {
  listEvents,
  redeliverEvent,
  type StoredEvent,
} from "../lib/db/events.ts";
import { parse } from "../lib/db/schemas.ts";
import { AppError } from "../lib/errors.ts";
import type { AppEnv } from "../lib/http/env.ts";
import { LimitParam } from "../lib/http/query.ts";

const FeedQuery = z.object({
  after: z.string().max(2000).optional(),
  limit: LimitParam.optional(),
  type: z.string().max(200).optional(),
});

/** An event as the feed shows it. */
function eventView(e: StoredEvent) {
  const d = e.delivery;
  return {
    id: e.id,
    type: e.type,
    timestamp: e.timestamp,
    data: e.data,
    delivery: {
      state: d.state,
      attempts: d.attempts,
      last_error: d.last_error,
      next_attempt_at: d.next_at,
      delivered_at: d.delivered_at,
    },
  };
}

/** The events routes; mounted by api.ts at `/api/events`. */
export function eventsRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get("/", async (c) => {
    const query = parse(FeedQuery, c.req.query(), "query");
    const page = await listEvents(c.var.deps.kv, {
      after: query.after || undefined,
      limit: query.limit ?? 50,
      type: query.type || undefined,
    });
    return c.json({
      events: page.events.map(eventView),
      next_cursor: page.next_cursor,
      has_more: page.has_more,
    });
  });

  app.post("/:id/redeliver", async (c) => {
    const { kv, config, now, log } = c.var.deps;
    if (!config.events.url) {
      throw new AppError(
        409,
        "events_webhook_not_configured",
        "No EVENTS_WEBHOOK_URL is configured, so there is nowhere to deliver events. The feed still records them.",
      );
    }
    const event = await redeliverEvent(kv, c.req.param("id"), { now: now() });
    if (!event) {
      throw new AppError(404, "not_found", "There is no such event.");
    }
    log("info", "event_redelivery", { event_id: event.id, type: event.type });
    return c.json(eventView(event), 202);
  });

  return app;
}
