/**
 * The integrator API: what the integrator's backend calls, server to server, with
 * `Authorization: Bearer $ADMIN_API_KEY`. Create customers, mint (and revoke) portal
 * links, list a customer's connections, read one connection, fetch its access token for
 * the integrator's own sync jobs (routes/api_tokens.ts: `TOKEN_API_KEY`, rate limit and
 * audit log), and disconnect it.
 *
 * The key is checked before anything else (lib/http/api_keys.ts), so a caller without
 * it learns nothing, not even whether a route or record exists. Bodies are JSON, read once, bounded, and
 * validated with the data layer's own schemas; every failure is a typed error that
 * app.tsx's `onError` turns into `{error: {code, message}}`. Connections are shown as
 * `connectionView` shows them to employers: never with a token, except on `/token`,
 * the one route through which an access token leaves the server. Nothing here logs a
 * token, a portal link or the API key.
 *
 * A disconnected connection stays readable by id (status `disconnected`, its receipt,
 * no token: `/token` answers 410) and is listed with `?status=disconnected`. The events
 * feed is in `api_events.ts`, the people list in `api_people.ts`, behind the same key.
 */
import { type Context, Hono, type MiddlewareHandler } from "hono";
import { z } from "zod";
import {
  type ConnectionEntry,
  findConnectionEntry,
  findConnectionRecord,
  listConnections,
} from "../lib/db/connections.ts";
import { NotFound } from "../lib/db/errors.ts";
import {
  getCustomer,
  revokePortalLinks,
  upsertCustomer,
} from "../lib/db/customers.ts";
import {
  ConnectionStatus,
  Customer,
  CustomerId,
  FinchId,
  parse,
} from "../lib/db/schemas.ts";
import { AppError, badRequest } from "../lib/errors.ts";
import { ensureAddedOrder } from "../lib/db/layout.ts";
import {
  disconnectConnection,
  disconnectEntity,
} from "../lib/flows/disconnect.ts";
import {
  connectionDisconnected,
  connectionNotFound,
} from "../lib/flows/errors.ts";
import { requireAdminKey } from "../lib/http/api_keys.ts";
import { limitBody, readJson } from "../lib/http/body.ts";
import type { AppEnv } from "../lib/http/env.ts";
import { LimitParam } from "../lib/http/query.ts";
import {
  createPortalLink,
  DEFAULT_LINK_TTL_S,
  MAX_LINK_TTL_S,
} from "../lib/links.ts";
import { connectionView, loadProviders } from "../lib/views.ts";
import { eventsRoutes } from "./api_events.ts";
import { peopleRoutes } from "./api_people.ts";
import { auditRoutes, tokenReadRoutes } from "./api_tokens.ts";

/** Bodies here are a name, an email or a number: anything larger is a mistake. */
const MAX_BODY_BYTES = 16 * 1024;

/** A link shorter than this could expire before anyone opens it. */
const MIN_LINK_TTL_S = 60;

/** `PUT /api/customers/:id`: a full replacement, so an omitted email clears it. */
const CustomerBody = Customer.pick({ name: true })
  .extend({ email: Customer.shape.email.optional() })
  .strict();

/** `POST /api/customers/:id/links`. */
const LinkBody = z.object({
  expires_in: z.number().int().min(MIN_LINK_TTL_S).max(MAX_LINK_TTL_S)
    .optional(),
  single_use: z.boolean().optional(),
}).strict();

/**
 * `GET /api/customers/:id/connections`: page size, the previous page's cursor, and
 * which connections (`live` by default, `disconnected`, or live ones in one status).
 */
const ListQuery = z.object({
  limit: LimitParam.optional(),
  cursor: z.string().max(2000).optional(),
  status: z.union([z.enum(["live"]), ConnectionStatus]).optional(),
});

/** The customer as the API shows it. */
export interface CustomerView {
  id: string;
  name: string;
  email: string | null;
  /** Portal links issued before this instant no longer open. */
  links_valid_after: string | null;
  created_at: string;
  updated_at: string;
}

function customerView(c: Customer): CustomerView {
  return {
    id: c.id,
    name: c.name,
    email: c.email,
    links_valid_after: c.links_valid_after,
    created_at: c.created_at,
    updated_at: c.updated_at,
  };
}

/** The integrator API, mounted at `/api`. */
export function apiRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use(noStore);
  // The token read checks keys of its own (TOKEN_API_KEY): mounted before the admin key
  // check below, which its requests never reach, since its handler answers first.
  app.route("/", tokenReadRoutes());
  app.use(requireAdminKey());
  app.route("/", auditRoutes());
  const limit = limitBody(
    MAX_BODY_BYTES,
    `The request body is larger than ${MAX_BODY_BYTES} bytes.`,
  );

  app.put("/customers/:customer_id", limit, async (c) => {
    const id = customerIdParam(c);
    const body = parse(CustomerBody, await readJson(c), "customer");
    const { outcome, customer } = await upsertCustomer(
      c.var.deps.kv,
      { id, ...body },
      { now: new Date(c.var.deps.now()) },
    );
    c.var.deps.log("info", "customer_saved", { customer_id: id, outcome });
    return c.json(customerView(customer), outcome === "created" ? 201 : 200);
  });

  app.get("/customers/:customer_id", async (c) => {
    return c.json(customerView(await requireCustomer(c)));
  });

  app.post("/customers/:customer_id/links", limit, async (c) => {
    const body = parse(LinkBody, await readJson(c, { optional: true }), "link");
    const customer = await requireCustomer(c);
    const link = await createPortalLink(
      c.var.deps,
      customer.id,
      body.expires_in ?? DEFAULT_LINK_TTL_S,
      { validAfter: customer.links_valid_after, singleUse: body.single_use },
    );
    // The URL is a credential: log only that it exists.
    c.var.deps.log("info", "portal_link_created", {
      customer_id: customer.id,
      expires_at: link.expires_at,
      single_use: link.single_use,
    });
    return c.json(link, 201);
  });

  // Revokes every link issued so far (this millisecond included) and ends the sessions
  // they opened, also those being opened right now (lib/db/portal_sessions.ts).
  app.delete("/customers/:customer_id/links", async (c) => {
    const id = customerIdParam(c);
    const customer = await revokePortalLinks(
      c.var.deps.kv,
      id,
      new Date(c.var.deps.now()),
    ).catch((err) => {
      throw err instanceof NotFound ? customerNotFound() : err;
    });
    c.var.deps.log("info", "portal_links_revoked", { customer_id: id });
    return c.json(customerView(customer));
  });

  app.get("/customers/:customer_id/connections", async (c) => {
    const query = parse(ListQuery, c.req.query(), "query");
    const customer = await requireCustomer(c);
    await ensureAddedOrder(c.var.deps.kv, customer);
    const [page, providers] = await Promise.all([
      listConnections(c.var.deps.kv, customer.id, query),
      loadProviders(c.var.deps),
    ]);
    return c.json({
      connections: page.values.map((v) => connectionView(v, providers)),
      next_cursor: page.cursor ?? null,
    });
  });

  // Live or disconnected (its tombstone): a connection id stays readable.
  app.get("/connections/:connection_id", async (c) => {
    const id = FinchId.safeParse(c.req.param("connection_id"));
    const found = id.success
      ? await findConnectionRecord(c.var.deps.kv, id.data)
      : null;
    if (!found) throw connectionNotFound();
    return c.json(connectionView(found, await loadProviders(c.var.deps)));
  });

  app.delete("/connections/:connection_id", async (c) => {
    const receipt = await disconnectConnection(
      c.var.deps,
      await requireConnection(c),
      "api",
    );
    return c.json({
      connection: connectionView(
        receipt.connection,
        await loadProviders(c.var.deps),
      ),
      // False when Finch had already revoked it; either way no token works any more.
      revoked_upstream: receipt.revokedUpstream,
      disconnected_at: receipt.disconnectedAt,
    });
  });

  // One entity of a multi-entity connection, the others staying connected.
  app.delete("/connections/:connection_id/entities/:entity_id", async (c) => {
    const entity = FinchId.safeParse(c.req.param("entity_id"));
    const entry = await requireConnection(c);
    if (!entity.success) throw connectionNotFound();
    const receipt = await disconnectEntity(
      c.var.deps,
      entry,
      entity.data,
      "api",
    );
    return c.json({
      connection: connectionView(
        receipt.connection,
        await loadProviders(c.var.deps),
      ),
      entity: receipt.entity,
      // False when Finch no longer had the entity; either way it shares nothing now.
      revoked_upstream: receipt.revokedUpstream,
      disconnected_at: receipt.disconnectedAt,
    });
  });

  app.route("/events", eventsRoutes());
  app.route("/", peopleRoutes());

  return app;
}

/** Tokens and links are credentials: no cache, shared or private, may keep an answer. */
const noStore: MiddlewareHandler<AppEnv> = async function noStore(c, next) {
  await next();
  c.header("Cache-Control", "no-store");
};

function customerIdParam(c: Context<AppEnv>): string {
  const id = CustomerId.safeParse(c.req.param("customer_id"));
  if (!id.success) {
    throw badRequest(
      "invalid_customer_id",
      "A customer id is 1-100 letters, digits, `.`, `_`, `:` or `-`, starting with a letter or digit.",
    );
  }
  return id.data;
}

const customerNotFound = () =>
  new AppError(404, "not_found", "There is no such customer.");

async function requireCustomer(c: Context<AppEnv>): Promise<Customer> {
  const customer = await getCustomer(c.var.deps.kv, customerIdParam(c));
  if (!customer) throw customerNotFound();
  return customer;
}

/** The live connection named in the path; 410 for a disconnected one. */
async function requireConnection(
  c: Context<AppEnv>,
): Promise<ConnectionEntry> {
  const id = FinchId.safeParse(c.req.param("connection_id"));
  const entry = id.success
    ? await findConnectionEntry(c.var.deps.kv, id.data)
    : null;
  if (entry) return entry;
  const gone = id.success
    ? await findConnectionRecord(c.var.deps.kv, id.data)
    : null;
  throw gone ? connectionDisconnected() : connectionNotFound();
}
