/**
 * Organization data: `GET /employer/company` and `GET /employer/directory`.
 *
 * @module
 */

import { Hono } from "hono";
import type { SimContext } from "../context.ts";
import { finchError } from "../errors.ts";
import { readQuery } from "../http.ts";
import { companyData, directoryPage, headcount } from "../data.ts";
import { DirectoryQuery } from "../schemas.ts";

/** The organization sub-app. */
export function organizationApp(ctx: SimContext): Hono {
  const app = new Hono();

  app.get("/employer/company", (c) => {
    const bearer = ctx.requireBearer(c);
    const { conn } = bearer;
    const entity = ctx.selectedEntity(c, conn);
    const notReady = ctx.requireData(bearer, "company");
    if (notReady) return c.json(notReady, 202);
    return c.json(
      entity
        ? companyData(entity.id, entity.id, entity.name)
        : companyData(conn.company_id, conn.company_id, conn.company_name),
    );
  });

  app.get("/employer/directory", (c) => {
    const bearer = ctx.requireBearer(c);
    const { conn } = bearer;
    const query = readQuery(c, DirectoryQuery);
    const limit = query.limit ?? 100;
    if (limit > 10_000) {
      throw finchError(
        422,
        "unprocessable_entity_error",
        "The page size limit of 10000 has been exceeded",
        "page_size_limit_exceeded",
      );
    }
    const entity = ctx.selectedEntity(c, conn);
    const notReady = ctx.requireData(bearer, "directory");
    if (notReady) return c.json(notReady, 202);
    const [seed, total] = entity
      ? [entity.id, headcount(entity.id, entity.name)]
      : [conn.company_id, conn.headcount];
    return c.json(directoryPage(seed, total, query.offset ?? 0, limit));
  });

  return app;
}
