/**
 * Connect sessions and the code exchange: `POST /connect/sessions`,
 * `POST /connect/sessions/reauthenticate` (Basic client credentials) and `POST /auth/token`
 * (client credentials in the body, or Basic).
 *
 * @module
 */

import { Hono } from "hono";
import { liveEntityIds, type SimContext } from "../context.ts";
import { invalidClientError, invalidGrant, invalidRequest } from "../errors.ts";
import { basicCredentials, readJson } from "../http.ts";
import { safeEqual } from "../ids.ts";
import { CreateSessionBody, ReauthSessionBody, TokenBody } from "../schemas.ts";
import type { ConnectionRecord, SessionRecord, TokenRecord } from "../store.ts";

/** `POST /auth/token` answer (spec `CreateAccessTokenResponse`). */
export function tokenJson(token: TokenRecord, conn: ConnectionRecord) {
  return {
    access_token: token.access_token,
    token_type: "bearer",
    connection_id: conn.id,
    client_type: conn.client_type,
    connection_type: conn.connection_type,
    products: token.products,
    provider_id: conn.provider_id,
    entity_ids: liveEntityIds(conn),
    account_id: conn.account_id,
    company_id: conn.company_id,
    customer_id: token.customer_id,
    customer_name: token.customer_name,
  };
}

/** The sessions and token sub-app. */
export function connectApp(ctx: SimContext): Hono {
  const app = new Hono();
  const { store, options } = ctx;

  // Finch checks redirect_uri against the application's registered list [inferred body].
  const registered = (uri: string | null | undefined) => {
    if (uri && !ctx.redirectAllowed(uri)) {
      throw invalidRequest(
        `redirect_uri ${uri} is not one of the application's registered redirect URIs`,
      );
    }
  };

  const sessionJson = (s: SessionRecord) => ({
    session_id: s.id,
    connect_url: `${ctx.publicUrl}/authorize?session=${
      encodeURIComponent(s.id)
    }`,
  });

  app.post("/connect/sessions", async (c) => {
    ctx.requireBasic(c);
    const body = await readJson(c, CreateSessionBody);
    registered(body.redirect_uri);
    return c.json(sessionJson(store.createSession(body)), 201);
  });

  app.post("/connect/sessions/reauthenticate", async (c) => {
    ctx.requireBasic(c);
    const body = await readJson(c, ReauthSessionBody);
    registered(body.redirect_uri);
    return c.json(sessionJson(store.reauthSession(body)), 201);
  });

  app.post("/auth/token", async (c) => {
    const body = await readJson(c, TokenBody);
    const basic = basicCredentials(c);
    const id = body.client_id ?? basic?.id;
    const secret = body.client_secret ?? basic?.secret;
    if (
      id === undefined || secret === undefined ||
      !safeEqual(id, options.clientId) ||
      !safeEqual(secret, options.clientSecret)
    ) throw invalidClientError();
    if (body.redirect_uri && !ctx.redirectAllowed(body.redirect_uri)) {
      throw invalidGrant("redirect_uri is not a registered redirect URI");
    }
    const { token, conn, firstToken } = store.exchange(
      body.code,
      body.redirect_uri,
    );
    if (firstToken && conn.status === "connected") {
      ctx.initialSync(conn, token.products);
    }
    return c.json(tokenJson(token, conn));
  });

  return app;
}
