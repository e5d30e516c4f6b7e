/**
 * The hosted Connect page: `GET /authorize` shows the form, `POST /authorize` completes
 * the session and hands the code back, by redirect or, opened by Finch's Connect SDK
 * (`app_type=spa`), by a `finch-auth-message-v2` message to the embedding page.
 *
 * @module
 */

import { Hono } from "hono";
import type { Context } from "hono";
import type { SimContext } from "../context.ts";
import { normalizeName, randomUuid, tidyName } from "../ids.ts";
import { findProvider, logoUrl, PROVIDERS } from "../providers.ts";
import { DEFAULT_APP_NAME } from "../defaults.ts";
import type { Authorization, SessionProblem, SessionRecord } from "../store.ts";
import {
  ConnectForm,
  type ConnectFormProps,
  MessagePage,
  renderPage,
  scriptJson,
} from "../connect_page.tsx";

const SECURITY_CSP = (nonce: string) =>
  [
    "default-src 'none'",
    "style-src 'unsafe-inline'",
    "img-src * data:",
    `script-src 'nonce-${nonce}'`,
    "base-uri 'none'",
    // Connect is embedded by any integrator's page, so any ancestor may frame it.
    "frame-ancestors *",
  ].join("; ");

/** The hosted Connect sub-app. */
export function hostedConnectApp(ctx: SimContext): Hono {
  const app = new Hono();
  const { store, publicUrl } = ctx;

  type Embedded = { appType: string; sdkHostUrl: string };

  /** Embedded-mode parameters; `"invalid"` when present but unusable. */
  function embeddedFrom(
    appType?: string,
    sdkHostUrl?: string,
  ): Embedded | null | "invalid" {
    if (!appType && !sdkHostUrl) return null;
    if (appType !== "spa" || !sdkHostUrl) return "invalid";
    try {
      const url = new URL(sdkHostUrl);
      if (url.protocol !== "http:" && url.protocol !== "https:") {
        return "invalid";
      }
      // postMessage goes to this origin only, never "*".
      return { appType, sdkHostUrl: url.origin };
    } catch {
      return "invalid";
    }
  }

  function html(
    c: Context,
    body: string,
    status: number,
    nonce = randomUuid(),
  ) {
    return c.html(body, status as 200, {
      "content-security-policy": SECURITY_CSP(nonce),
      "cache-control": "no-store",
      "referrer-policy": "no-referrer",
      "x-content-type-options": "nosniff",
    });
  }

  /** The embedded hand-off: a page whose script posts one message to the host origin. */
  function handOff(
    c: Context,
    embedded: Embedded,
    message: Record<string, unknown>,
    page: { title: string; message: string; tone: "ok" | "warn" },
    status = 200,
  ) {
    const nonce = randomUuid();
    const code = `window.parent!==window&&window.parent.postMessage(${
      scriptJson({ name: "finch-auth-message-v2", ...message })
    },${scriptJson(embedded.sdkHostUrl)});`;
    return html(
      c,
      renderPage(
        MessagePage({ ...page, embedded: true, script: { nonce, code } }),
      ),
      status,
      nonce,
    );
  }

  const appName = ctx.options.appName ?? DEFAULT_APP_NAME;

  const PROBLEMS: Record<
    SessionProblem | "invalid_embed" | "no_redirect" | "unregistered",
    {
      status: number;
      title: string;
      message: string;
    }
  > = {
    unknown: {
      status: 404,
      title: "This link isn't valid",
      message:
        "We couldn't find this Connect session. Go back to the application that sent you here and start again.",
    },
    expired: {
      status: 410,
      title: "This link has expired",
      message:
        "This Connect session is no longer valid. Go back to the application that sent you here to get a new link.",
    },
    completed: {
      status: 410,
      title: "This link was already used",
      message:
        "This Connect session has already been completed. Go back to the application to see your connection.",
    },
    disconnected: {
      status: 410,
      title: "This connection no longer exists",
      message:
        "The connection this link was meant to reconnect has been disconnected. Start a new connection from the application.",
    },
    invalid_embed: {
      status: 400,
      title: "Connect can't open here",
      message:
        "The embedding page did not identify itself correctly (sdk_host_url).",
    },
    no_redirect: {
      status: 400,
      title: "Connect can't finish here",
      message:
        "This session has no redirect_uri, so it can only be completed through the Finch Connect SDK.",
    },
    unregistered: {
      status: 400,
      title: "Connect can't finish here",
      message:
        "The address this application asked to return to is not one of its registered redirect URIs.",
    },
  };

  /** Why a session cannot be completed by redirect, if it cannot. */
  const redirectProblem = (session: SessionRecord) =>
    !session.redirect_uri
      ? "no_redirect" as const
      : !ctx.redirectAllowed(session.redirect_uri)
      ? "unregistered" as const
      : null;

  /** Providers a session offers: assisted-only ones only when it asked for `manual`. */
  const offered = (session: SessionRecord) =>
    PROVIDERS.filter((p) =>
      session.manual || p.auth.some((a) => a !== "assisted")
    );

  function problemPage(
    c: Context,
    problem: keyof typeof PROBLEMS,
    embedded: Embedded | null,
  ) {
    const p = PROBLEMS[problem];
    const page = { title: p.title, message: p.message, tone: "warn" as const };
    if (embedded) {
      return handOff(
        c,
        embedded,
        {
          kind: "error",
          error: {
            shouldClose: true,
            message: p.title,
            type: "validation_error",
          },
        },
        page,
        p.status,
      );
    }
    return html(
      c,
      renderPage(MessagePage({ ...page, embedded: false })),
      p.status,
    );
  }

  function choice(id: string) {
    const p = findProvider(id)!;
    return {
      id: p.id,
      name: p.display_name,
      logo: logoUrl(publicUrl, p.id),
      assisted: !p.auth.some((a) => a !== "assisted"),
    };
  }

  function formProps(
    session: SessionRecord,
    state: string | null,
    embedded: Embedded | null,
    values: ConnectFormProps["values"],
    errors: ConnectFormProps["errors"],
  ): ConnectFormProps {
    const target = store.reauthTarget(session);
    return {
      action: `${publicUrl}/authorize`,
      sessionId: session.id,
      state,
      embedded,
      appName,
      products: session.products,
      providers: offered(session).map((p) => choice(p.id)),
      fixedProvider: session.provider_id ? choice(session.provider_id) : null,
      fixedCompany: session.kind === "reauth"
        ? target?.company_name ?? ""
        : null,
      sandbox: session.sandbox,
      values,
      errors,
    };
  }

  app.get("/authorize", (c) => {
    const q = c.req.query();
    const embedded = embeddedFrom(q.app_type, q.sdk_host_url);
    if (embedded === "invalid") return problemPage(c, "invalid_embed", null);
    const found = store.usableSession(q.session);
    if (found.problem) return problemPage(c, found.problem, embedded);
    const session = found.session;
    const problem = embedded ? null : redirectProblem(session);
    if (problem) return problemPage(c, problem, null);
    const props = formProps(session, q.state ?? null, embedded, {
      provider_id: session.provider_id ?? "",
      company_name: "",
      entities: "",
      username: "",
    }, {});
    return html(c, renderPage(ConnectForm(props)), 200);
  });

  app.post("/authorize", async (c) => {
    const raw = await c.req.parseBody();
    const field = (name: string) => {
      const v = raw[name];
      return typeof v === "string" ? v : "";
    };
    const state = raw.state === undefined ? null : field("state");
    const embedded = embeddedFrom(
      field("app_type") || undefined,
      field("sdk_host_url") || undefined,
    );
    if (embedded === "invalid") return problemPage(c, "invalid_embed", null);
    const found = store.usableSession(field("session"));
    if (found.problem) return problemPage(c, found.problem, embedded);
    const session = found.session;
    const problem = embedded ? null : redirectProblem(session);
    if (problem) return problemPage(c, problem, null);

    if (field("action") === "cancel") {
      if (embedded) {
        return handOff(c, embedded, { kind: "closed" }, {
          title: "Connection cancelled",
          message: "You can close this window.",
          tone: "warn",
        });
      }
      // [inferred] Finch documents no error redirect; this mirrors OAuth's access_denied.
      const url = new URL(session.redirect_uri!);
      url.searchParams.set("error", "access_denied");
      if (state !== null) url.searchParams.set("state", state);
      return c.redirect(url.href, 303);
    }

    const values = {
      provider_id: session.provider_id ?? field("provider_id"),
      company_name: field("company_name"),
      entities: field("entities"),
      username: field("username"),
    };
    const errors: ConnectFormProps["errors"] = {};
    if (!values.provider_id) {
      errors.provider_id = "Choose your HR or payroll provider.";
    } else if (!findProvider(values.provider_id)) {
      errors.provider_id =
        "This provider isn't supported. Choose one from the list.";
    } else if (
      !session.provider_id &&
      !offered(session).some((p) => p.id === values.provider_id)
    ) {
      errors.provider_id =
        "This provider isn't available here. Choose one from the list.";
    }
    const reauthTarget = session.kind === "reauth"
      ? store.reauthTarget(session)
      : undefined;
    const companyName = reauthTarget?.company_name ??
      tidyName(values.company_name);
    if (!companyName) errors.company_name = "Enter your company's legal name.";
    else if (companyName.length > 200) {
      errors.company_name = "The company name must be 200 characters or fewer.";
    }
    const seen = new Set<string>();
    const entities = reauthTarget
      ? []
      : values.entities.split(",").map(tidyName).filter((e) => {
        const key = normalizeName(e);
        if (!key || seen.has(key)) return false;
        seen.add(key);
        return true;
      });
    if (entities.some((e) => e.length > 200)) {
      errors.entities = "Each entity name must be 200 characters or fewer.";
    } else if (entities.length > 20) {
      errors.entities = "List at most 20 entities.";
    }
    const username = tidyName(values.username);
    if (username.length > 200) {
      errors.username = "The username must be 200 characters or fewer.";
    }

    if (Object.keys(errors).length > 0) {
      const props = formProps(session, state, embedded, values, errors);
      return html(c, renderPage(ConnectForm(props)), 400);
    }
    const auth: Authorization = {
      provider_id: values.provider_id,
      company_name: companyName,
      entities,
      username: username || null,
    };
    // The connection this completes, if it exists: a status change is news (webhook).
    const before = reauthTarget ??
      store.livePair(auth.provider_id, store.companyId(auth.company_name));
    const beforeStatus = before?.status;
    const code = store.authorize(session, auth);
    const conn = store.data.connections[code.connection_id];
    if (before && beforeStatus !== conn.status) {
      ctx.emit(conn, "account.updated", {
        status: conn.status,
        authentication_method: { type: conn.auth_method },
      });
    }
    if (!before) ctx.scheduleGoLive(conn);
    if (embedded) {
      return handOff(c, embedded, {
        kind: "success",
        code: code.code,
        ...(state !== null ? { state } : {}),
      }, {
        title: "You're connected",
        message: "Your account is connected. You can close this window.",
        tone: "ok",
      });
    }
    const url = new URL(session.redirect_uri!);
    url.searchParams.set("code", code.code);
    if (state !== null) url.searchParams.set("state", state);
    return c.redirect(url.href, 303);
  });

  return app;
}
