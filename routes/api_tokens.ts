/**
 * The integrator API's access token read and its audit log.
 *
 * `GET /api/connections/:connection_id/token` is the one route through which an access
 * token leaves the server. It has keys of its own: with `TOKEN_API_KEY` set only that key
 * reads tokens and `ADMIN_API_KEY` gets a 403; without it the admin key reads them. Every
 * read is rate-limited per key and recorded (lib/flows/token_read.ts), and
 * `GET /api/audit` (admin key) lists the record. Mounted by routes/api.ts: the read
 * before the admin key check, the audit log after it.
 *
 * @module
 */
import { Hono } from "hono";
import { z } from "zod";
import { parse } from "../lib/db/schemas.ts";
import { AUDIT_ID, listAuditEntries } from "../lib/db/token_reads.ts";
import { AppError } from "../lib/errors.ts";
import {
  connectionDisconnected,
  connectionNotFound,
} from "../lib/flows/errors.ts";
import { readTokenAudited } from "../lib/flows/token_read.ts";
import { identifyApiKey, unauthorized } from "../lib/http/api_keys.ts";
import type { AppEnv } from "../lib/http/env.ts";
import { tooMany } from "../lib/http/rate_limit.ts";
import { FinchId } from "../lib/db/schemas.ts";

/** `GET /api/audit`: where to start, how many, and optionally one connection's. */
const AuditQuery = z.object({
  after: z.string().regex(AUDIT_ID, "an entry id").optional(),
  limit: z.string().regex(/^\d{1,3}$/, "must be a whole number 1-500")
    .transform(Number).pipe(z.number().int().min(1).max(500)).optional(),
  connection_id: FinchId.optional(),
}).strict();

/** `GET /connections/:connection_id/token`; mount before the admin key check. */
export function tokenReadRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get("/connections/:connection_id/token", async (c) => {
    const key = identifyApiKey(c);
    if (!key) throw unauthorized(c);
    const { deps } = c.var;
    const allowed = deps.config.tokenApiKey
      ? key.role === "token"
      : key.role === "admin";
    const id = FinchId.safeParse(c.req.param("connection_id"));
    // A malformed id names nothing and reads nothing: there is nothing to record.
    if (!id.success) {
      if (!allowed) throw forbidden();
      throw connectionNotFound();
    }
    const read = await readTokenAudited(deps, {
      connectionId: id.data,
      key,
      allowed,
    });
    switch (read.outcome) {
      case "rate_limited":
        throw tooMany("token", read.retryAfterS);
      case "forbidden":
        throw forbidden();
      case "not_found":
        // No token beside an owner is half of a concurrent delete: it is going away.
        throw connectionNotFound();
      case "disconnected":
        throw connectionDisconnected();
    }
    return c.json({
      connection_id: id.data,
      access_token: read.access_token,
    });
  });
  return app;
}

/** `GET /audit`; mount after the admin key check. */
export function auditRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  // Oldest first; `next_after` continues the page, and a follower keeps the last id.
  app.get("/audit", async (c) => {
    const query = parse(AuditQuery, c.req.query(), "query");
    return c.json(await listAuditEntries(c.var.deps.kv, query));
  });
  return app;
}

const forbidden = () =>
  new AppError(
    403,
    "forbidden_key",
    "Access tokens are read with TOKEN_API_KEY only; ADMIN_API_KEY keeps every other route.",
  );
