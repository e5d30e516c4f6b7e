/**
 * The employer's pages: redeeming a portal link, the connections page, connecting,
 * reconnecting, the Connect callback and disconnecting.
 *
 * Every route below `/connections` and `/callback` needs the portal session (see
 * lib/http/session.ts). Forms answer with post-redirect-get (303) and a flash message;
 * the same routes answer JSON to the connections island, which runs Connect in the page.
 * Handlers only parse, call a flow in lib/flows, and present the result.
 */
import { type Context, Hono, type MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { z } from "zod";
import { DisconnectConfirmPage } from "../components/DisconnectConfirmPage.tsx";
import { getCustomer } from "../lib/db/customers.ts";
import { getConnection, listConnections } from "../lib/db/connections.ts";
import { createPortalSession } from "../lib/db/portal_sessions.ts";
import { AppError, badRequest } from "../lib/errors.ts";
import {
  type Actor,
  completeConnect,
  connectionNotFound,
  type LaunchedSession,
  startConnect,
  startReauth,
} from "../lib/flows/connect.ts";
import { disconnectConnection } from "../lib/flows/disconnect.ts";
import { refreshStaleStatuses } from "../lib/flows/status.ts";
import type { AppEnv } from "../lib/http/env.ts";
import { setFlash, takeFlash } from "../lib/http/flash.ts";
import { cachePage, PageCache } from "../lib/http/page_cache.ts";
import type { ResolvedConfig } from "../lib/config.ts";
import { renderPage } from "../lib/http/render.tsx";
import {
  csrfToken,
  requireSession,
  SESSION_TTL_MS,
  sessionCookieName,
  setSessionCookie,
} from "../lib/http/session.ts";
import {
  clientAddress,
  connectRateLimit,
  DEFAULT_RATE_LIMITS,
  enforceRateLimits,
} from "../lib/http/rate_limit.ts";
import { formatDateTime } from "../components/status.ts";
import { Island } from "../lib/islands.tsx";
import { verifyLinkToken } from "../lib/links.ts";
import { cardView, connectionView, loadProviders } from "../lib/views.ts";
import { outcomeMessage } from "../lib/flows/messages.ts";

const PAGE_SIZE = 20;

/** The largest form or JSON body an employer route reads. */
const MAX_FORM_BYTES = 64 * 1024;

const ProviderField = z.object({
  provider_id: z.string().trim().max(100).regex(
    /^[a-z0-9_]*$/,
    "not a provider id",
  ).optional(),
}).loose();

const CompleteBody = z.object({
  code: z.string().min(1).max(2048),
  state: z.string().min(1).max(512),
});

const CallbackQuery = z.object({
  code: z.string().min(1).max(2048).optional(),
  state: z.string().max(512).optional(),
  error: z.string().max(200).optional(),
  error_description: z.string().max(1000).optional(),
});

const ConnectionId = z.string().min(1).max(200);

/**
 * The connections page's cache (lib/http/page_cache.ts): its path, and `cursor`, the
 * one query parameter the page reads.
 */
export function connectionsPageCache(
  kv: Deno.Kv,
  config: ResolvedConfig,
  now: () => number,
): PageCache {
  return new PageCache(kv, {
    path: "/connections",
    vary: (url) => url.searchParams.get("cursor") ?? "",
    ttlMs: config.pageCacheMs,
    cookieName: sessionCookieName(config.publicUrl),
    now,
  });
}

export function portalRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get("/portal/:link", async (c) => {
    const { kv, signer, now } = c.var.deps;
    // Rate limit (lib/http/rate_limit.ts): every attempt counts per address, valid or not.
    const limits = c.var.deps.rateLimits ?? DEFAULT_RATE_LIMITS;
    await enforceRateLimits(c, "link", [
      ["linkPerAddress", clientAddress(c, limits.trustProxy)],
    ]);
    const link = await verifyLinkToken(signer, c.req.param("link"), now());
    if (link === "invalid") {
      throw new AppError(
        404,
        "link_invalid",
        "This portal link is not valid. Check that you copied all of it, or ask for a new one.",
        { title: "Link not valid" },
      );
    }
    const customer = link === "expired"
      ? null
      : await getCustomer(kv, link.customerId);
    // Links issued before the customer's last revocation are dead.
    const revoked = link !== "expired" && customer?.links_valid_after &&
      Date.parse(customer.links_valid_after) > link.issuedAt;
    if (link === "expired" || !customer || revoked) {
      throw new AppError(
        410,
        "link_expired",
        "This portal link has expired or was replaced by a newer one. Ask the team that sent it for a new link.",
        { title: "Link expired" },
      );
    }
    // Rate limit: sessions minted per customer, however many addresses the link is on.
    await enforceRateLimits(c, "link", [["linkPerCustomer", customer.id]]);
    const session = await createPortalSession(kv, customer.id, {
      ttlMs: SESSION_TTL_MS,
      now: new Date(now()),
    });
    setSessionCookie(c, session.token);
    c.header("Referrer-Policy", "no-referrer");
    return c.redirect("/connections", 303);
  });

  const connections = new Hono<AppEnv>();
  // Forms here carry a token and a provider id: a bigger body is a mistake or abuse,
  // refused before it is read (hardening, tests/security/sessions_links.test.ts).
  connections.use(formBodyLimit());
  connections.use(requireSession());

  connections.get("/", async (c) => {
    const { kv } = c.var.deps;
    const customer = c.var.customer!;
    const cursor = c.req.query("cursor");
    const [page, providers, csrf, flash] = await Promise.all([
      listConnections(kv, customer.id, {
        cursor: cursor || undefined,
        limit: PAGE_SIZE,
      }).then(async (p) => ({
        ...p,
        // Statuses older than a few minutes are re-read from Finch, within a time budget.
        values: await refreshStaleStatuses(c.var.deps, p.values),
      })),
      loadProviders(c.var.deps),
      csrfToken(c),
      takeFlash(c),
    ]);
    // Served again for a moment to this session alone (lib/http/page_cache.ts).
    cachePage(c);
    return renderPage(
      c,
      <Island
        name="ConnectionsBoard"
        props={{
          connections: page.values.map((v) =>
            cardView(connectionView(v, providers))
          ),
          csrf,
          providers: [...providers.values()].map((p) => ({
            id: p.id,
            name: p.displayName,
          })),
          connectUrl: c.var.deps.config.finch.connectUrl,
          more: page.cursor
            ? `/connections?cursor=${encodeURIComponent(page.cursor)}`
            : null,
        }}
      />,
      { title: "Your connections", flash },
    );
  });

  // Rate limit (lib/http/rate_limit.ts) on starting Connect sessions.
  connections.post("/new", connectRateLimit(), async (c) => {
    const body = ProviderField.safeParse(await readBody(c));
    if (!body.success) {
      throw badRequest("invalid_provider", "Choose a provider from the list.");
    }
    const providerId = body.data.provider_id || undefined;
    if (providerId) {
      const providers = await loadProviders(c.var.deps);
      if (providers.size && !providers.has(providerId)) {
        throw badRequest(
          "invalid_provider",
          "Choose a provider from the list.",
        );
      }
    }
    const launch = await startConnect(c.var.deps, actor(c), {
      providerId,
      redirect: !wantsJson(c),
    });
    return await answerLaunch(c, launch);
  });

  connections.post("/complete", async (c) => {
    if (!wantsJson(c)) throw new AppError(415, "json_required", "Send JSON.");
    const body = CompleteBody.safeParse(await c.req.json().catch(() => null));
    if (!body.success) {
      throw badRequest(
        "invalid_body",
        "Send the code and state from Finch Connect.",
      );
    }
    const done = await completeConnect(c.var.deps, actor(c), {
      ...body.data,
      redirect: false,
    });
    const providers = await loadProviders(c.var.deps);
    const view = connectionView(done.connection, providers);
    return c.json({
      outcome: done.outcome,
      message: outcomeMessage(done.outcome, view),
      connection: view,
    });
  });

  // Rate limit (lib/http/rate_limit.ts) on starting Connect sessions.
  connections.post("/:id/reauth", connectRateLimit(), async (c) => {
    const id = ConnectionId.safeParse(c.req.param("id"));
    if (!id.success) throw connectionNotFound();
    const launch = await startReauth(c.var.deps, actor(c), id.data, {
      redirect: !wantsJson(c),
    });
    return await answerLaunch(c, launch);
  });

  connections.get("/:id/disconnect", async (c) => {
    const customer = c.var.customer!;
    const id = ConnectionId.safeParse(c.req.param("id"));
    const connection = id.success
      ? await getConnection(c.var.deps.kv, customer.id, id.data)
      : null;
    if (!connection) throw connectionNotFound();
    const view = connectionView(connection, await loadProviders(c.var.deps));
    return renderPage(
      c,
      <DisconnectConfirmPage connection={view} csrf={await csrfToken(c)} />,
      { title: "Disconnect" },
    );
  });

  connections.post("/:id/disconnect", async (c) => {
    const customer = c.var.customer!;
    const id = ConnectionId.safeParse(c.req.param("id"));
    if (!id.success) throw connectionNotFound();
    const receipt = await disconnectConnection(
      c.var.deps,
      customer.id,
      id.data,
    );
    const view = connectionView(
      receipt.connection,
      await loadProviders(c.var.deps),
    );
    await setFlash(c, {
      kind: "success",
      message: disconnectReceipt(view, receipt),
    });
    return c.redirect("/connections", 303);
  });

  app.route("/connections", connections);

  // Finch Connect's redirect target. It needs the session that started the run.
  app.get("/callback", requireSession(), async (c) => {
    const query = CallbackQuery.safeParse(c.req.query());
    if (!query.success) {
      throw badRequest("invalid_callback", "This sign-in link is malformed.");
    }
    const { code, state, error } = query.data;
    if (error || !code) {
      // The state is left as it is: a cancel carries no code, so there is nothing to
      // replay, and a person who goes back to Connect and finishes can still land here.
      await setFlash(c, {
        kind: error === "access_denied" ? "info" : "error",
        message: error === "access_denied"
          ? "You cancelled connecting. Nothing was changed; you can connect whenever you are ready."
          : "Finch Connect could not finish signing in. Nothing was changed; please try again.",
      });
      return c.redirect("/connections", 303);
    }
    if (!state) {
      throw badRequest(
        "state_unknown",
        "This sign-in is missing its state; please connect again.",
        { action: { href: "/connections", label: "Back to connections" } },
      );
    }
    const done = await completeConnect(c.var.deps, actor(c), {
      code,
      state,
      redirect: true,
    });
    const view = connectionView(
      done.connection,
      await loadProviders(c.var.deps),
    );
    await setFlash(c, {
      kind: "success",
      message: outcomeMessage(done.outcome, view),
    });
    return c.redirect("/connections", 303);
  });

  return app;
}

/** Refuses bodies larger than {@linkcode MAX_FORM_BYTES} with a 413 page. */
function formBodyLimit(): MiddlewareHandler<AppEnv> {
  const limit = bodyLimit({
    maxSize: MAX_FORM_BYTES,
    onError: () => {
      throw new AppError(
        413,
        "payload_too_large",
        "This request is larger than any form of this page sends. Nothing was changed.",
        {
          title: "Request too large",
          action: { href: "/connections", label: "Back to connections" },
        },
      );
    },
  });
  return async function formBodyLimit(c, next) {
    // boot.ts hands a request no route matched back to the app, which runs this again
    // on a body already read: there is nothing left to measure (or to read).
    if (c.req.raw.bodyUsed) return await next();
    return await limit(c, next);
  };
}

/** What a disconnect did, in words: the receipt the employer sees. */
function disconnectReceipt(
  view: ReturnType<typeof connectionView>,
  receipt: { revokedUpstream: boolean; disconnectedAt: string },
): string {
  const company = view.company_name ?? "your company";
  const entities = view.entities.length > 1
    ? ` It covered ${
      view.entities.map((e) => e.name ?? "an unnamed entity").join(", ")
    }.`
    : "";
  const revoked = receipt.revokedUpstream
    ? "Finch revoked every access token of this connection and data sharing has stopped"
    : "Finch had already ended this connection; the access stored here was deleted";
  return `${view.provider_name} for ${company} is disconnected: ${revoked} ` +
    `(${formatDateTime(receipt.disconnectedAt)}).${entities}`;
}

function actor(c: Context<AppEnv>): Actor {
  const customer = c.var.customer!;
  return {
    customerId: customer.id,
    customerName: customer.name,
    customerEmail: customer.email,
    sessionHash: c.var.session!.hash,
  };
}

function wantsJson(c: Context<AppEnv>): boolean {
  return (c.req.header("content-type") ?? "").startsWith("application/json");
}

async function readBody(c: Context<AppEnv>): Promise<unknown> {
  if (wantsJson(c)) return await c.req.json().catch(() => null);
  return await c.req.parseBody();
}

/** Sends the browser to Finch Connect, or hands the island what it needs to open it. */
async function answerLaunch(
  c: Context<AppEnv>,
  launch: LaunchedSession,
): Promise<Response> {
  if (wantsJson(c)) {
    return c.json({
      session_id: launch.sessionId,
      state: launch.state,
      kind: launch.kind,
      note: launch.note ?? null,
    });
  }
  if (launch.note) await setFlash(c, { kind: "info", message: launch.note });
  return c.redirect(launch.connectUrl, 303);
}
