/**
 * The connection behind a token: `GET /introspect`, `POST /disconnect`,
 * `POST /disconnect-entity`, and the provider catalog `GET /providers`.
 *
 * @module
 */

import { Hono } from "hono";
import { iso, type SimContext } from "../context.ts";
import { readJson } from "../http.ts";
import { providerJson, PROVIDERS } from "../providers.ts";
import { DisconnectEntityBody } from "../schemas.ts";

/** The account sub-app. */
export function accountApp(ctx: SimContext): Hono {
  const app = new Hono();
  const { store } = ctx;

  app.get("/introspect", (c) => {
    const { token, conn } = ctx.requireBearer(c);
    const connectionStatus = {
      status: conn.status,
      ...(conn.status_message ? { message: conn.status_message } : {}),
      last_successful_sync: iso(conn.last_successful_sync),
    };
    return c.json({
      id: token.id,
      connection_id: conn.id,
      connection_status: connectionStatus,
      client_id: ctx.options.clientId,
      client_type: conn.client_type,
      connection_type: conn.connection_type,
      company_id: conn.company_id,
      account_id: conn.account_id,
      customer_id: token.customer_id,
      customer_name: token.customer_name,
      customer_email: token.customer_email,
      authentication_methods: [{
        type: conn.auth_method,
        connection_status: connectionStatus,
        products: token.products,
      }],
      products: token.products,
      username: token.username,
      provider_id: conn.provider_id,
      payroll_provider_id: conn.provider_id,
      manual: conn.auth_method === "assisted",
      entities: conn.entities.map((e) => ({ ...e })),
    });
  });

  app.post("/disconnect", (c) => {
    const { conn } = ctx.requireBearer(c);
    store.disconnect(conn);
    return c.json({ status: "success" });
  });

  app.post("/disconnect-entity", async (c) => {
    const { conn } = ctx.requireBearer(c);
    const body = await readJson(c, DisconnectEntityBody);
    store.disconnectEntities(conn, body.entity_ids);
    return c.json({ status: "success" });
  });

  // The API allows /providers without authentication (reference §1.9).
  app.get(
    "/providers",
    (c) => c.json(PROVIDERS.map((p) => providerJson(p, ctx.publicUrl))),
  );

  return app;
}
