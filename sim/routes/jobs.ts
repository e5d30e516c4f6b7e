/**
 * The jobs API: `POST|GET /jobs/automated`, `GET /jobs/automated/:id` and
 * `GET /jobs/manual/:id`. `data_sync_all` keeps Finch's rules: one at a time per
 * connection (asking again returns the running job, 202) and one forced refresh per hour
 * in a fixed window (429 with `retry_at`); never for an assisted connection.
 *
 * @module
 */

import { Hono } from "hono";
import { z } from "zod";
import type { SimContext } from "../context.ts";
import { SimError } from "../errors.ts";
import { readJson, readQuery } from "../http.ts";
import type { JobOutcome } from "../jobs.ts";
import { queryInt } from "../schemas.ts";
import type { ConnectionRecord } from "../store.ts";

/** Forced refreshes per connection per hour (spec, `POST /jobs/automated`). */
export const ALLOWED_REFRESHES = 1;
const HOUR = 3_600_000;

/** Finch's older error shape, the one the jobs endpoints document. */
export function gatewayError(
  status: number,
  name: string,
  message: string,
  finchCode?: string,
): SimError {
  return new SimError(status, {
    statusCode: status,
    status,
    code: status,
    name,
    message,
    ...(finchCode ? { finch_code: finchCode } : {}),
  });
}

const CreateBody = z.discriminatedUnion("type", [
  z.object({ type: z.literal("data_sync_all") }),
  z.object({
    type: z.literal("w4_form_employee_sync"),
    params: z.object({ individual_id: z.string().min(1) }),
  }),
]);

/** How many refreshes are left in this hour's window, and when the next one opens. */
function quota(ctx: SimContext, conn: ConnectionRecord) {
  const now = ctx.now();
  const window = Math.floor(now / HOUR) * HOUR;
  const used =
    ctx.jobs.list(conn, "automated").filter((j) =>
      j.counted && j.created_at >= window
    ).length;
  return {
    allowed_refreshes: ALLOWED_REFRESHES,
    remaining_refreshes: Math.max(0, ALLOWED_REFRESHES - used),
    retry_at: new Date(window + HOUR).toISOString(),
  };
}

/** The outcome a data sync will have: the sandbox's setting, or the connection's state. */
function outcome(ctx: SimContext, conn: ConnectionRecord): JobOutcome {
  if (conn.status === "reauth") return "reauth_error";
  if (conn.status === "error_permissions") return "permissions_error";
  return (ctx.store.data.job_configs[conn.id] as JobOutcome) ?? "complete";
}

/**
 * Starts a `data_sync_all` (or returns the one running). `status` is 201 for a new job,
 * 202 for the running one; a spent quota is a 429 carrying the same fields.
 */
export function startDataSync(ctx: SimContext, conn: ConnectionRecord) {
  const running = ctx.jobs.list(conn, "automated").find((j) =>
    j.type === "data_sync_all" &&
    (j.status === "pending" || j.status === "in_progress")
  );
  const q = quota(ctx, conn);
  if (running) {
    return {
      status: 202 as const,
      job: running,
      body: {
        job_id: running.id,
        job_url: ctx.jobs.url(running),
        allowed_refreshes: q.allowed_refreshes,
        remaining_refreshes: q.remaining_refreshes,
      },
    };
  }
  if (q.remaining_refreshes === 0) {
    throw new SimError(429, {
      allowed_refreshes: q.allowed_refreshes,
      remaining_refreshes: 0,
      retry_at: q.retry_at,
    });
  }
  const job = ctx.jobs.create(conn, {
    kind: "automated",
    type: "data_sync_all",
    outcome: outcome(ctx, conn),
    counted: true,
  });
  return {
    status: 201 as const,
    job,
    body: {
      job_id: job.id,
      job_url: ctx.jobs.url(job),
      allowed_refreshes: q.allowed_refreshes,
      remaining_refreshes: q.remaining_refreshes - 1,
    },
  };
}

/** The jobs sub-app. */
export function jobsApp(ctx: SimContext): Hono {
  const app = new Hono();

  const notFound = (id: string, manual: boolean) =>
    manual
      ? new SimError(404, {
        code: 404,
        finch_code: "item_not_found",
        name: "not_found_error",
        message: `could not find job with id '${id}'`,
      })
      : gatewayError(
        404,
        "not_found_error",
        `could not find job with id ${id}`,
        "item_not_found",
      );

  app.post("/jobs/automated", async (c) => {
    const { conn } = ctx.requireBearer(c);
    const body = await readJson(c, CreateBody);
    if (conn.auth_method === "assisted") {
      throw gatewayError(
        400,
        "bad_request",
        "cannot create automated job for Assisted Connect token",
      );
    }
    if (body.type === "data_sync_all") {
      const started = startDataSync(ctx, conn);
      return c.json(started.body, started.status);
    }
    const ds = ctx.dataset(conn);
    const id = body.params.individual_id;
    if (ds.refOf(id, null) === null) {
      throw gatewayError(400, "bad_request", `individual ${id} not found`);
    }
    const job = ctx.jobs.create(conn, {
      kind: "automated",
      type: "w4_form_employee_sync",
      params: { individual_id: id },
      outcome: outcome(ctx, conn),
      effect: { kind: "w4", individual_id: id },
    });
    const q = quota(ctx, conn);
    return c.json({
      job_id: job.id,
      job_url: ctx.jobs.url(job),
      allowed_refreshes: q.allowed_refreshes,
      remaining_refreshes: q.remaining_refreshes,
    }, 201);
  });

  app.get("/jobs/automated", (c) => {
    const { conn } = ctx.requireBearer(c);
    const query = readQuery(
      c,
      z.object({ limit: queryInt.optional(), offset: queryInt.optional() }),
    );
    const q = quota(ctx, conn);
    const offset = query.offset ?? 0;
    return c.json({
      meta: {
        quotas: {
          data_sync_all: {
            allowed_refreshes: q.allowed_refreshes,
            remaining_refreshes: q.remaining_refreshes,
          },
        },
      },
      data: ctx.jobs.list(conn, "automated")
        .slice(offset, offset + (query.limit ?? 100))
        .map((j) => ctx.jobs.automatedJson(j)),
    });
  });

  app.get("/jobs/automated/:job_id", (c) => {
    const { conn } = ctx.requireBearer(c);
    const id = c.req.param("job_id");
    const job = ctx.jobs.get(conn, id, "automated");
    if (!job) throw notFound(id, false);
    return c.json(ctx.jobs.automatedJson(job));
  });

  app.get("/jobs/manual/:job_id", (c) => {
    const { conn } = ctx.requireBearer(c);
    const id = c.req.param("job_id");
    const job = ctx.jobs.get(conn, id, "manual");
    if (!job) throw notFound(id, true);
    return c.json(ctx.jobs.manualJson(job));
  });

  return app;
}
