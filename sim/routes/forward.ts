/**
 * `POST /forward`: Finch passes a request through to the provider's own API and returns
 * its answer. The simulator has no provider behind it, so a small stand-in answers: a GET
 * lists employees in the provider's own field names (from the same people), anything
 * else is acknowledged. The envelope is exactly the spec's `ForwardResponse`.
 *
 * @module
 */

import { Hono } from "hono";
import { z } from "zod";
import type { SimContext } from "../context.ts";
import { readJson } from "../http.ts";

const ForwardBody = z.object({
  method: z.string().transform((m) => m.toUpperCase()).pipe(
    z.enum(["GET", "POST", "PUT", "DELETE", "PATCH"]),
  ),
  // "must begin with a forward-slash and may only contain alphanumeric characters,
  // hyphens, and underscores" (spec), path separators included.
  route: z.string().regex(
    /^\/[A-Za-z0-9_\-/]*$/,
    "must be a path like /employees",
  ),
  params: z.record(z.string(), z.unknown()).nullish(),
  data: z.union([z.string(), z.record(z.string(), z.unknown())]).nullish(),
  request_headers: z.record(z.string(), z.unknown()).nullish(),
});

/** The forward sub-app. */
export function forwardApp(ctx: SimContext): Hono {
  const app = new Hono();

  app.post("/forward", async (c) => {
    const { conn } = ctx.requireBearer(c);
    const body = await readJson(c, ForwardBody);
    const ds = ctx.dataset(conn);
    let statusCode = 200;
    let answer: unknown;
    if (body.method === "GET") {
      const limit = Math.min(ds.size, Number(body.params?.limit ?? 25) || 25);
      answer = {
        employees: Array.from({ length: limit }, (_, i) => {
          const f = ds.facts(i);
          return {
            employee_number: f.sourceId,
            firstName: f.human.first_name,
            lastName: f.human.last_name,
            jobTitle: f.job.title,
            status: f.job.is_active ? "Active" : "Terminated",
          };
        }),
      };
    } else {
      statusCode = body.method === "POST" ? 201 : 200;
      answer = { ok: true };
    }
    return c.json({
      headers: {
        "content-type": "application/json",
        "x-provider": conn.provider_id,
      },
      statusCode,
      data: JSON.stringify(answer),
      request: {
        method: body.method,
        route: body.route,
        headers: Object.fromEntries(
          Object.entries(body.request_headers ?? {}).map((
            [k, v],
          ) => [k, String(v)]),
        ),
        params: body.params ?? null,
        data: body.data ?? null,
      },
    });
  });

  return app;
}
