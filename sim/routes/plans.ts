/**
 * The Benefits product (beta): `GET /employer/plans[/:id]`,
 * `GET|POST /employer/plans-enrollments` and `GET|POST /employer/plans-dependents`. Lists
 * page by `limit` (at most 50) and `offset`; batches take at most 50 ids.
 *
 * @module
 */

import { Hono } from "hono";
import { z } from "zod";
import { openData, type SimContext } from "../context.ts";
import { dayOf } from "../datagen/calendar.ts";
import {
  dependent,
  dependentIds,
  enrollment,
  enrollmentOf,
  plans,
} from "../datagen/plans.ts";
import { finchError } from "../errors.ts";
import { queryArray, readJson, readQuery } from "../http.ts";
import { queryInt } from "../schemas.ts";
import { overLimit } from "./organization.ts";

const Page = z.object({
  limit: queryInt.pipe(z.number().max(50)).optional(),
  offset: queryInt.optional(),
  plan_type: z.string().optional(),
});

const notFound = (what: string, id: string) => ({
  code: 404,
  name: "not_found_error",
  finch_code: "item_not_found",
  message: `${what} ${id} not found`,
});

/** The plans sub-app. */
export function plansApp(ctx: SimContext): Hono {
  const app = new Hono();
  const today = () => dayOf(ctx.now());

  app.get("/employer/plans", (c) => {
    ctx.requireBearer(c);
    const q = readQuery(c, Page);
    const o = openData(ctx, c, "plans");
    if (o instanceof Response) return o;
    const all = plans(o.ds, today()).map((p) => p.json)
      .filter((p) => !q.plan_type || p.type === q.plan_type);
    const offset = q.offset ?? 0;
    return c.json({
      paging: { count: all.length, offset },
      plans: all.slice(offset, offset + (q.limit ?? 50)),
    });
  });

  app.get("/employer/plans/:plan_id", (c) => {
    const o = openData(ctx, c, "plans");
    if (o instanceof Response) return o;
    const id = c.req.param("plan_id");
    const plan = plans(o.ds, today()).find((p) => p.json.id === id);
    if (!plan) {
      throw finchError(
        404,
        "not_found_error",
        `Plan ${id} not found`,
        "item_not_found",
      );
    }
    return c.json(plan.json);
  });

  app.get("/employer/plans-enrollments", (c) => {
    ctx.requireBearer(c);
    const q = readQuery(c, Page);
    const o = openData(ctx, c, "plans_enrollments");
    if (o instanceof Response) return o;
    const day = today();
    const all = plans(o.ds, day);
    const offset = q.offset ?? 0, limit = q.limit ?? 50;
    const page = [];
    let count = 0;
    for (const ref of o.ds.refs(o.entity)) {
      for (const plan of all) {
        const e = enrollment(o.ds, ref, plan, day);
        if (!e) continue;
        if (count >= offset && page.length < limit) page.push(e);
        count++;
      }
    }
    return c.json({ paging: { count, offset }, enrollments: page });
  });

  app.post("/employer/plans-enrollments", async (c) => {
    ctx.requireBearer(c);
    const body = await readJson(
      c,
      z.object({ requests: z.array(z.object({ enrollment_id: z.string() })) }),
    );
    if (body.requests.length > 50) throw overLimit("batch", 50, "items");
    const o = openData(ctx, c, "plans_enrollments");
    if (o instanceof Response) return o;
    return c.json({
      responses: body.requests.map(({ enrollment_id: id }) => {
        const e = enrollmentOf(o.ds, id, today());
        const visible = e && o.ds.refOf(e.individual_id, o.entity) !== null;
        return visible
          ? { enrollment_id: id, code: 200, body: e }
          : { enrollment_id: id, code: 404, body: notFound("Enrollment", id) };
      }),
    });
  });

  /** SSNs of dependents need the `ssn` product and asking for them. */
  const ssnAllowed = (products: string[], include: string[]) =>
    products.includes("ssn") && include.includes("ssn");

  app.get("/employer/plans-dependents", (c) => {
    ctx.requireBearer(c);
    const q = readQuery(c, Page);
    const o = openData(ctx, c, "plans_dependents");
    if (o instanceof Response) return o;
    const withSsn = ssnAllowed(
      o.bearer.token.products,
      queryArray(c, "include"),
    );
    const day = today();
    const offset = q.offset ?? 0, limit = q.limit ?? 50;
    const page = [];
    let count = 0;
    for (const id of dependentIds(o.ds, day, o.ds.refs(o.entity))) {
      if (count >= offset && page.length < limit) {
        page.push(dependent(o.ds, id, day, withSsn));
      }
      count++;
    }
    return c.json({ paging: { count, offset }, dependents: page });
  });

  app.post("/employer/plans-dependents", async (c) => {
    ctx.requireBearer(c);
    const body = await readJson(
      c,
      z.object({
        requests: z.array(z.object({ dependent_id: z.string() })),
        options: z.object({ include: z.array(z.string()).optional() })
          .optional(),
      }),
    );
    if (body.requests.length > 50) throw overLimit("batch", 50, "items");
    const o = openData(ctx, c, "plans_dependents");
    if (o instanceof Response) return o;
    const withSsn = ssnAllowed(
      o.bearer.token.products,
      body.options?.include ?? [],
    );
    return c.json({
      responses: body.requests.map(({ dependent_id: id }) => {
        const d = dependent(o.ds, id, today(), withSsn);
        const visible = d &&
          o.ds.refOf(d.coverage[0].individual_id, o.entity) !== null;
        return visible
          ? { dependent_id: id, code: 200, body: d }
          : { dependent_id: id, code: 404, body: notFound("Dependent", id) };
      }),
    });
  });

  return app;
}
