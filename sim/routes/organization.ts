/**
 * Organization: `GET /employer/company`, `GET /employer/directory`,
 * `POST /employer/individual` and `POST /employer/employment` (batches with a per-item
 * `code` and `body`).
 *
 * @module
 */

import { Hono } from "hono";
import { z } from "zod";
import type { Context } from "hono";
import { openData, type SimContext } from "../context.ts";
import { finchError } from "../errors.ts";
import { readJson, readQuery } from "../http.ts";
import { queryInt } from "../schemas.ts";

/** 422 for a page or batch over Finch's limit (the spec's exact bodies). */
export function overLimit(kind: "page" | "batch", max: number, what: string) {
  return kind === "page"
    ? finchError(
      422,
      "unprocessable_entity_error",
      `Page size exceeds the maximum of ${max} items. Please reduce the limit parameter.`,
      "page_size_limit_exceeded",
    )
    : finchError(
      422,
      "unprocessable_entity_error",
      `Batch size exceeds the maximum of ${max} ${what}. Please reduce the number of ${what} in your request.`,
      "batch_limit_exceeded",
    );
}

/** A batch item for an individual that is not there (spec `BatchError` example). */
export function individualNotFound(id: string) {
  return {
    individual_id: id,
    code: 404,
    body: {
      code: 404,
      finch_code: "individual_not_found",
      message: `No individual with id ${id} found`,
      name: "not_found_error",
    },
  };
}

const DirectoryQuery = z.object({
  limit: queryInt.optional(),
  offset: queryInt.optional(),
});

const BatchBody = z.object({
  requests: z.array(z.object({ individual_id: z.string() })),
  options: z.object({ include: z.array(z.string()).optional() }).nullish(),
});

/** The organization sub-app. */
export function organizationApp(ctx: SimContext): Hono {
  const app = new Hono();

  const open = (c: Context, product: string) => openData(ctx, c, product);

  app.get("/employer/company", (c) => {
    const o = open(c, "company");
    if (o instanceof Response) return o;
    return c.json(o.ds.company(o.entity));
  });

  app.get("/employer/directory", (c) => {
    ctx.requireBearer(c);
    const query = readQuery(c, DirectoryQuery);
    const limit = query.limit ?? 100;
    if (limit > 10_000) throw overLimit("page", 10_000, "items");
    const o = open(c, "directory");
    if (o instanceof Response) return o;
    const view = o.ds.view(o.entity);
    const offset = query.offset ?? 0;
    const individuals = [];
    for (let p = offset; p < Math.min(view.count, offset + limit); p++) {
      individuals.push(o.ds.directory(view.at(p)));
    }
    return c.json({ paging: { count: view.count, offset }, individuals });
  });

  app.post("/employer/individual", async (c) => {
    ctx.requireBearer(c);
    const body = await readJson(c, BatchBody);
    if (body.requests.length > 10_000) {
      throw overLimit("batch", 10_000, "items");
    }
    const o = open(c, "individual");
    if (o instanceof Response) return o;
    // SSNs need both the `ssn` product and `options.include: ["ssn"]` (SDK docs).
    const withSsn = o.bearer.token.products.includes("ssn") &&
      (body.options?.include ?? []).includes("ssn");
    return c.json({
      responses: body.requests.map(({ individual_id: id }) => {
        const ref = o.ds.refOf(id, o.entity);
        return ref === null ? individualNotFound(id) : {
          individual_id: id,
          code: 200,
          body: o.ds.individual(ref, withSsn),
        };
      }),
    });
  });

  app.post("/employer/employment", async (c) => {
    ctx.requireBearer(c);
    const body = await readJson(c, BatchBody);
    if (body.requests.length > 10_000) {
      throw overLimit("batch", 10_000, "items");
    }
    const o = open(c, "employment");
    if (o instanceof Response) return o;
    return c.json({
      responses: body.requests.map(({ individual_id: id }) => {
        const ref = o.ds.refOf(id, o.entity);
        return ref === null
          ? individualNotFound(id)
          : { individual_id: id, code: 200, body: o.ds.employment(ref) };
      }),
    });
  });

  return app;
}
