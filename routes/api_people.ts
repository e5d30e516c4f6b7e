/**
 * A customer's people, reconciled across its connections (lib/people/), behind the
 * admin API key (mounted by api.ts):
 *
 * - `GET /api/customers/:customer_id/people?cursor=&limit=<1-100>` answers one page of
 *   the last list built: `{as_of, state, connections, people, conflicts, next_cursor}`.
 *   `state` is `fresh`, `partial` (a connection could not be read: see
 *   `connections[].state` and `error`), `refreshing` (a job is building the next list,
 *   or the list was older than 24 hours and one was queued) or `never`. Conflicts come
 *   with the first page. A cursor of a list since refreshed answers 409.
 * - `POST /api/customers/:customer_id/people/refresh` queues a job: 202.
 *
 * Answers hold names, birth dates and emails (what the integrator asked for), never an
 * SSN (none is requested from Finch); nothing here logs any of it.
 *
 * @module
 */
import { type Context, Hono } from "hono";
import { z } from "zod";
import { getCustomer } from "../lib/db/customers.ts";
import { requestPeopleJob } from "../lib/db/people.ts";
import { CustomerId, parse } from "../lib/db/schemas.ts";
import { AppError, badRequest } from "../lib/errors.ts";
import type { AppEnv } from "../lib/http/env.ts";
import { LimitParam } from "../lib/http/query.ts";
import { readPeople } from "../lib/people/read.ts";

const PeopleQuery = z.object({
  cursor: z.string().max(100).optional(),
  limit: LimitParam.optional(),
});

/** The people routes; mounted by api.ts behind the admin key. */
export function peopleRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get("/customers/:customer_id/people", async (c) => {
    const query = parse(PeopleQuery, c.req.query(), "query");
    const id = await requireCustomerId(c);
    const page = await readPeople(c.var.deps, id, {
      cursor: query.cursor || undefined,
      limit: query.limit ?? 100,
    });
    return c.json(page);
  });

  app.post("/customers/:customer_id/people/refresh", async (c) => {
    const id = await requireCustomerId(c);
    await requestPeopleJob(c.var.deps.kv, id, c.var.deps.now());
    c.var.deps.log("info", "people_refresh_requested", { customer_id: id });
    return c.json({ state: "refreshing" }, 202);
  });

  return app;
}

/** The path's customer id, of a customer that exists: 400 / 404 otherwise. */
async function requireCustomerId(c: Context<AppEnv>): Promise<string> {
  const id = CustomerId.safeParse(c.req.param("customer_id"));
  if (!id.success) {
    throw badRequest(
      "invalid_customer_id",
      "A customer id is 1-100 letters, digits, `.`, `_`, `:` or `-`, starting with a letter or digit.",
    );
  }
  if (!await getCustomer(c.var.deps.kv, id.data)) {
    throw new AppError(404, "not_found", "There is no such customer.");
  }
  return id.data;
}
