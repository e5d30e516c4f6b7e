/**
 * Finch's sandbox endpoints: connections and accounts made without Connect, and the
 * connection status flip that sends `account.updated`.
 *
 * @module
 */

import { Hono } from "hono";
import { liveEntityIds, type SimContext } from "../context.ts";
import { readJson } from "../http.ts";
import {
  SandboxAccountBody,
  SandboxConnectionBody,
  UpdateAccountBody,
} from "../schemas.ts";
import type { ConnectionRecord, TokenRecord } from "../store.ts";

/** The sandbox sub-app. */
export function sandboxApp(ctx: SimContext): Hono {
  const app = new Hono();
  const { store } = ctx;

  const sandboxJson = (token: TokenRecord, conn: ConnectionRecord) => ({
    access_token: token.access_token,
    token_type: "bearer",
    connection_id: conn.id,
    entity_id: liveEntityIds(conn)[0] ?? conn.entities[0]?.id,
    account_id: conn.account_id,
    company_id: conn.company_id,
    provider_id: conn.provider_id,
    authentication_type: conn.auth_method,
    products: token.products,
  });

  app.post("/sandbox/connections", async (c) => {
    ctx.requireBasic(c);
    const body = await readJson(c, SandboxConnectionBody);
    const { token, conn } = store.sandboxConnection(body);
    return c.json(sandboxJson(token, conn));
  });

  app.post("/sandbox/connections/accounts", async (c) => {
    ctx.requireBasic(c);
    const body = await readJson(c, SandboxAccountBody);
    const { token, conn } = store.sandboxAccount(body);
    const { token_type: _, ...rest } = sandboxJson(token, conn);
    return c.json(rest);
  });

  app.put("/sandbox/connections/accounts", async (c) => {
    const { token, conn } = ctx.requireBearer(c);
    const body = await readJson(c, UpdateAccountBody);
    ctx.setConnectionStatus(conn, body.connection_status);
    const { access_token: _, token_type: __, ...rest } = sandboxJson(
      token,
      conn,
    );
    return c.json({ ...rest, products: conn.products });
  });

  return app;
}
