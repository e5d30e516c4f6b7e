/**
 * Test controls under `/_sim/` (never a Finch path): faults, what was revoked, webhooks
 * sent, connections and sessions, setting a connection's status, and provider logos.
 *
 * @module
 */

import { Hono } from "hono";
import { iso, type SimContext } from "../context.ts";
import { z } from "zod";
import { finchError, invalidRequest, notFound } from "../errors.ts";
import type { Faults } from "../faults.ts";
import { readJson } from "../http.ts";
import { findProvider, logoSvg } from "../providers.ts";
import { FaultBody, UpdateAccountBody } from "../schemas.ts";
import type { ConnectionRecord, TokenRecord } from "../store.ts";

/** What `/_sim/revoked` answers. */
export interface RevokedReport {
  tokens: { access_token: string; connection_id: string; revoked_at: string }[];
  connection_ids: string[];
}

/** A connection as `/_sim/connections` shows it: dates as ISO, with token counts. */
export function connectionView(conn: ConnectionRecord, tokens: TokenRecord[]) {
  return {
    ...conn,
    created_at: iso(conn.created_at),
    updated_at: iso(conn.updated_at),
    last_successful_sync: iso(conn.last_successful_sync),
    disconnected_at: iso(conn.disconnected_at),
    live: conn.disconnected_at === null,
    token_count: tokens.length,
    live_token_count: tokens.filter((t) => t.revoked_at === null).length,
  };
}

/** Revoked tokens and disconnected connections. */
export function revokedReport(ctx: SimContext): RevokedReport {
  const { data } = ctx.store;
  return {
    tokens: Object.values(data.tokens).filter((t) => t.revoked_at !== null)
      .map((t) => ({
        access_token: t.access_token,
        connection_id: t.connection_id,
        revoked_at: iso(t.revoked_at)!,
      })),
    connection_ids: Object.values(data.connections)
      .filter((c) => c.disconnected_at !== null)
      .map((c) => c.id),
  };
}

/** Every connection, with its tokens' count. */
export function connectionViews(ctx: SimContext) {
  return Object.values(ctx.store.data.connections).map((c) =>
    connectionView(c, ctx.store.tokensOf(c.id))
  );
}

/** The live connection with this id; 404 otherwise. */
export function liveConnection(ctx: SimContext, id: string): ConnectionRecord {
  const conn = ctx.store.data.connections[id];
  if (!conn || conn.disconnected_at !== null) {
    throw finchError(
      404,
      "not_found_error",
      "Connection not found",
      "item_not_found",
    );
  }
  return conn;
}

/** The most people one company may have in the simulator. */
export const MAX_COMPANY_SIZE = 1_000_000;

/** Sets a connection's headcount (its generated people; additions stay). */
export function setSize(ctx: SimContext, conn: ConnectionRecord, size: number) {
  if (!Number.isInteger(size) || size < 1 || size > MAX_COMPANY_SIZE) {
    throw invalidRequest(
      `size must be a whole number from 1 to ${MAX_COMPANY_SIZE}`,
    );
  }
  conn.headcount = size;
  ctx.store.changed();
}

/** The `/_sim/` sub-app. */
export function controlsApp(ctx: SimContext, faults: Faults): Hono {
  const app = new Hono();

  app.post("/_sim/faults", async (c) => {
    const body = await readJson(c, FaultBody);
    return c.json(faults.add(body), 201);
  });
  app.get("/_sim/faults", (c) => c.json({ faults: faults.list() }));
  app.delete("/_sim/faults", (c) => {
    faults.clear();
    return c.json({ status: "success" });
  });
  app.get("/_sim/revoked", (c) => c.json(revokedReport(ctx)));
  app.get("/_sim/webhooks", (c) => c.json({ webhooks: ctx.sender.list() }));
  app.get(
    "/_sim/connections",
    (c) => c.json({ connections: connectionViews(ctx) }),
  );
  app.get("/_sim/sessions", (c) =>
    c.json({
      sessions: Object.values(ctx.store.data.sessions).map((s) => ({
        ...s,
        created_at: iso(s.created_at),
        expires_at: iso(s.expires_at),
        completed_at: iso(s.completed_at),
      })),
    }));
  app.post("/_sim/connections/:id/status", async (c) => {
    const body = await readJson(c, UpdateAccountBody);
    const conn = liveConnection(ctx, c.req.param("id"));
    ctx.setConnectionStatus(conn, body.connection_status);
    return c.json(connectionView(conn, ctx.store.tokensOf(conn.id)));
  });
  app.post("/_sim/connections/:id/size", async (c) => {
    const body = await readJson(c, z.object({ size: z.number() }));
    const conn = liveConnection(ctx, c.req.param("id"));
    setSize(ctx, conn, body.size);
    return c.json(connectionView(conn, ctx.store.tokensOf(conn.id)));
  });
  app.get("/_sim/logos/:file", (c) => {
    const provider = findProvider(c.req.param("file").replace(/\.svg$/, ""));
    if (!provider) throw notFound(c.req.method, ctx.relative(c.req.path));
    return c.body(logoSvg(provider), 200, {
      "content-type": "image/svg+xml; charset=utf-8",
      "cache-control": "public, max-age=86400",
    });
  });

  return app;
}
