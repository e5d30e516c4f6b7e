/**
 * The employer's connections: the page, connecting, reconnecting and disconnecting.
 *
 * Every route here needs the portal session (lib/http/session.ts). Forms answer with
 * post-redirect-get (303) and a flash message; the same routes answer JSON to the
 * connections island, which runs Connect in the page. Handlers only parse, call a flow in
 * lib/flows, and present the result.
 *
 * The page itself costs two KV round trips: the session with its customer, then one page
 * of connections.
 *
 * @module
 */
import { type Context, Hono } from "hono";
import { z } from "zod";
import { DisconnectConfirmPage } from "../components/DisconnectConfirmPage.tsx";
import {
  ConnectionConsequence,
  disconnectPath,
  EntityConsequence,
} from "../components/disconnect_words.tsx";
import { disconnectReceipt, entityReceipt } from "../components/receipts.ts";
import { peopleWords } from "../components/status.ts";
import { Island } from "../islands/island.tsx";
import { connectStateKeyOf } from "../lib/db/connect_states.ts";
import { getConnectionEntry, listConnections } from "../lib/db/connections.ts";
import { ensureAddedOrder } from "../lib/db/layout.ts";
import { type PeopleSummary, peopleSummaryKey } from "../lib/db/people.ts";
import { AppError, badRequest } from "../lib/errors.ts";
import { completeConnect } from "../lib/flows/callback.ts";
import {
  disconnectConnection,
  disconnectEntity,
} from "../lib/flows/disconnect.ts";
import { connectionNotFound } from "../lib/flows/errors.ts";
import {
  type Actor,
  type LaunchedSession,
  startConnect,
  startReauth,
} from "../lib/flows/launch.ts";
import { outcomeMessage } from "../lib/flows/messages.ts";
import { refreshStaleStatuses } from "../lib/flows/refresh.ts";
import { isJson, limitBody } from "../lib/http/body.ts";
import type { AppEnv } from "../lib/http/env.ts";
import { setFlash, takeFlash } from "../lib/http/flash.ts";
import { connectRateLimit } from "../lib/http/rate_limit.ts";
import { csrfToken, requireSession } from "../lib/http/session.ts";
import { cardView, connectionView, loadProviders } from "../lib/views.ts";
import { renderPage } from "./_app.tsx";

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

const ConnectionId = z.string().min(1).max(200);
const EntityId = z.string().min(1).max(200);

/** The connections routes; mount at `/connections`. */
export function connectionsRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  // Forms here carry a token and a provider id: a bigger body is a mistake or abuse,
  // refused before it is read (hardening, tests/security/sessions_links.test.ts).
  app.use(limitBody(
    MAX_FORM_BYTES,
    "This request is larger than any form of this page sends. Nothing was changed.",
    {
      title: "Request too large",
      action: { href: "/connections", label: "Back to connections" },
    },
  ));
  app.use(requireSession({
    // The page reads the people list's counts with the session (one round trip); the
    // embedded flow's completion reads its state.
    alsoRead: async (c, customerId) => {
      if (c.req.method === "GET" && c.req.path === "/connections") {
        return [peopleSummaryKey(customerId)];
      }
      if (c.req.method !== "POST" || c.req.path !== "/connections/complete") {
        return [];
      }
      const body = await c.req.json().catch(() => null);
      const key = typeof body?.state === "string"
        ? connectStateKeyOf(body.state)
        : null;
      return key ? [key] : [];
    },
  }));

  app.get("/", async (c) => {
    const deps = c.var.deps;
    const customer = c.var.customer!;
    const cursor = c.req.query("cursor");
    // Once per customer from before release 2: its records get their added order.
    await ensureAddedOrder(deps.kv, customer);
    const [page, providers] = await Promise.all([
      listConnections(deps.kv, customer.id, {
        cursor: cursor || undefined,
        limit: PAGE_SIZE,
      }),
      loadProviders(deps),
    ]);
    // Statuses older than a few minutes are re-read from Finch, within a time budget.
    const shown = await refreshStaleStatuses(deps, page.values);
    const people = (c.var.session!.also[0]?.value ?? null) as
      | PeopleSummary
      | null;
    return renderPage(
      c,
      <Island
        name="ConnectionsBoard"
        props={{
          connections: shown.map((v) => cardView(v, providers, people)),
          csrf: csrfToken(c),
          now: deps.now(),
          brandName: deps.config.brand.name,
          providers: providerChoices(providers),
          connectUrl: deps.config.finch.connectUrl,
          people: peopleWords(people),
          more: page.cursor
            ? `/connections?cursor=${encodeURIComponent(page.cursor)}`
            : null,
        }}
      />,
      { title: "Your connections", flash: await takeFlash(c) },
    );
  });

  // Rate limit (lib/http/rate_limit.ts) on starting Connect sessions.
  app.post("/new", connectRateLimit(), async (c) => {
    const body = ProviderField.safeParse(await readForm(c));
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
      redirect: !isJson(c),
    });
    return await answerLaunch(c, launch);
  });

  app.post("/complete", async (c) => {
    if (!isJson(c)) throw new AppError(415, "json_required", "Send JSON.");
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
      stateEntry: c.var.session!.also[0],
    });
    const providers = await loadProviders(c.var.deps);
    const view = connectionView(done.connection, providers);
    return c.json({
      outcome: done.outcome,
      message: outcomeMessage(done.outcome, view),
      connection: cardView(done.connection, providers),
    });
  });

  // Rate limit (lib/http/rate_limit.ts) on starting Connect sessions.
  app.post("/:id/reauth", connectRateLimit(), async (c) => {
    const id = ConnectionId.safeParse(c.req.param("id"));
    if (!id.success) throw connectionNotFound();
    const launch = await startReauth(c.var.deps, actor(c), id.data, {
      redirect: !isJson(c),
    });
    return await answerLaunch(c, launch);
  });

  app.get("/:id/disconnect", async (c) => {
    const entry = await ownEntry(c);
    const view = connectionView(
      entry.value,
      await loadProviders(c.var.deps),
    );
    return renderPage(
      c,
      <DisconnectConfirmPage
        title={`Disconnect ${view.provider_name}?`}
        path={disconnectPath(view.connection_id)}
        csrf={csrfToken(c)}
      >
        <ConnectionConsequence
          provider={view.provider_name}
          company={view.company_name ?? "your company"}
        />
      </DisconnectConfirmPage>,
      { title: "Disconnect" },
    );
  });

  // One company (entity) of a multi-entity connection, the others staying connected.
  app.get("/:id/entities/:entityId/disconnect", async (c) => {
    const entry = await ownEntry(c);
    const view = connectionView(
      entry.value,
      await loadProviders(c.var.deps),
    );
    const entity = view.entities.find((e) => e.id === c.req.param("entityId"));
    if (!entity) throw entityNotFound();
    const name = entity.name ?? "this company";
    return renderPage(
      c,
      <DisconnectConfirmPage
        title={`Disconnect ${name}?`}
        path={disconnectPath(view.connection_id, entity.id)}
        csrf={csrfToken(c)}
      >
        <EntityConsequence
          provider={view.provider_name}
          entity={name}
          company={view.company_name ?? "your company"}
        />
      </DisconnectConfirmPage>,
      { title: "Disconnect" },
    );
  });

  app.post("/:id/entities/:entityId/disconnect", async (c) => {
    const entityId = EntityId.safeParse(c.req.param("entityId"));
    const entry = await ownEntry(c);
    if (!entityId.success) throw entityNotFound();
    const receipt = await disconnectEntity(
      c.var.deps,
      entry,
      entityId.data,
      "employer",
    );
    const view = connectionView(
      receipt.connection,
      await loadProviders(c.var.deps),
    );
    const message = entityReceipt(view, receipt);
    if (isJson(c)) {
      return c.json({
        message,
        connection: cardView(
          receipt.connection,
          await loadProviders(c.var.deps),
        ),
      });
    }
    await setFlash(c, { kind: "success", message });
    return c.redirect("/connections", 303);
  });

  app.post("/:id/disconnect", async (c) => {
    const receipt = await disconnectConnection(
      c.var.deps,
      await ownEntry(c),
      "employer",
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

  return app;
}

/** The provider picker's choices, by name. */
function providerChoices(
  providers: ReadonlyMap<
    string,
    { id: string; displayName: string; logo?: string | null }
  >,
): { id: string; name: string; logo: string | null }[] {
  return [...providers.values()].map((p) => ({
    id: p.id,
    name: p.displayName,
    logo: p.logo ?? null,
  })).sort((a, b) => a.name.localeCompare(b.name));
}

/** The 404 for an entity the connection does not have, as lib/flows/disconnect.ts says it. */
function entityNotFound(): AppError {
  return new AppError(
    404,
    "not_found",
    "This connection has no such company.",
    {
      title: "Company not found",
      action: { href: "/connections", label: "Back to connections" },
    },
  );
}

/** The customer's own connection named in the path, or the 404 any other id gets. */
async function ownEntry(c: Context<AppEnv>) {
  const id = ConnectionId.safeParse(c.req.param("id"));
  const entry = id.success
    ? await getConnectionEntry(c.var.deps.kv, c.var.customer!.id, id.data)
    : null;
  if (!entry) throw connectionNotFound();
  return entry;
}

/** Who is acting: the signed-in employer. */
export function actor(c: Context<AppEnv>): Actor {
  const customer = c.var.customer!;
  return {
    customerId: customer.id,
    customerName: customer.name,
    customerEmail: customer.email,
    sessionHash: c.var.session!.hash,
  };
}

async function readForm(c: Context<AppEnv>): Promise<unknown> {
  if (isJson(c)) return await c.req.json().catch(() => null);
  return await c.req.parseBody();
}

/** Sends the browser to Finch Connect, or hands the island what it needs to open it. */
async function answerLaunch(
  c: Context<AppEnv>,
  launch: LaunchedSession,
): Promise<Response> {
  if (isJson(c)) {
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
