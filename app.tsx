/**
 * The portal as a Hono app, built from its dependencies so that tests run it in-process
 * with `app.request()` and main.ts only wires and serves it.
 *
 * A request's life: dependencies are put on the context, security headers (with the CSP
 * nonce the island script needs) wrap every response, the route module for the area
 * answers, and anything thrown ends in the one `onError` below: an HTML page for
 * people, `{error: {code, message}}` for the integrator API.
 */
import { Hono } from "hono";
import { NONCE, secureHeaders } from "hono/secure-headers";
import { HTTPException } from "hono/http-exception";
import { ErrorPage } from "./components/ErrorPage.tsx";
import { AppError } from "./lib/errors.ts";
import type { AppDeps, AppEnv } from "./lib/http/env.ts";

import { DbError } from "./lib/db/errors.ts";
import { SealError } from "./lib/sealing.ts";
import { renderPage } from "./routes/_app.tsx";
import { apiRoutes } from "./routes/api.ts";
import { callbackRoutes } from "./routes/callback.ts";
import { connectionsRoutes } from "./routes/connections.tsx";
import { homeRoutes } from "./routes/home.tsx";
import { portalRoutes } from "./routes/portal.ts";
import { staticRoutes } from "./routes/static.ts";
import { webhookRoutes } from "./routes/webhooks.ts";

export type { AppDeps };

/** Builds the portal app. */
export function createApp(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const connectOrigin = new URL(deps.config.finch.connectUrl).origin;
  // Provider logos come from Finch (https), or from a simulator on plain http.
  const finchOrigin = deps.config.finch.baseUrl
    ? new URL(deps.config.finch.baseUrl).origin
    : null;

  app.use(async function provideDeps(c, next) {
    c.set("deps", deps);
    await next();
  });
  // A portal link must not follow the person to the next page as a Referer.
  // hono/secure-headers sets one Referrer-Policy on every answer, after the route set
  // its own, so this runs outside it to have the last word on `/portal/` answers.
  app.use(async function linkReferrerPolicy(c, next) {
    await next();
    if (c.req.path.startsWith("/portal/")) {
      c.res.headers.set("Referrer-Policy", "no-referrer");
    }
  });
  app.use(secureHeaders({
    contentSecurityPolicy: {
      defaultSrc: ["'none'"],
      // The island script carries the nonce; 'strict-dynamic' lets it import its own
      // lazily loaded chunk (Finch's Connect SDK, fetched when Connect opens), and
      // nothing else: no inline script, no other origin.
      scriptSrc: [NONCE, "'strict-dynamic'"],
      styleSrc: ["'self'"],
      imgSrc: [
        "'self'",
        "data:",
        "https:",
        ...(finchOrigin ? [finchOrigin] : []),
      ],
      connectSrc: ["'self'"],
      // Finch Connect opens in an iframe from its own origin (the simulator in demo mode).
      frameSrc: [connectOrigin],
      formAction: ["'self'", connectOrigin],
      frameAncestors: ["'none'"],
      baseUri: ["'none'"],
    },
    xFrameOptions: "DENY",
    referrerPolicy: "same-origin",
    // Only meaningful over https; harmless on localhost where browsers ignore it.
    strictTransportSecurity: deps.config.publicUrl.startsWith("https:"),
  }));

  app.route("/", staticRoutes());
  app.get("/healthz", (c) => c.json({ status: "ok" }));
  app.route("/api", apiRoutes());
  app.route("/", homeRoutes());
  app.route("/", portalRoutes());
  app.route("/connections", connectionsRoutes());
  app.route("/", callbackRoutes());
  app.route("/", webhookRoutes());

  app.notFound((c) => {
    if (isApi(c.req.path)) {
      return c.json(
        { error: { code: "not_found", message: "No such route." } },
        404,
      );
    }
    return renderPage(
      c,
      <ErrorPage
        status={404}
        title="Page not found"
        message="There is nothing at this address. If you followed a link from an email, ask for a new one."
        supportHref={deps.config.brand.supportHref}
      />,
      { title: "Page not found", status: 404 },
    );
  });

  app.onError((err, c) => {
    const error = toAppError(err);
    if (error.status >= 500) {
      deps.log("error", "unhandled_error", {
        // A portal link is a credential: log its route, never the link itself.
        path: c.req.path.replace(/^\/portal\/.*/s, "/portal/:link"),
        name: err.name,
      });
    }
    for (const [name, value] of Object.entries(error.details.headers ?? {})) {
      c.header(name, value);
    }
    if (
      isApi(c.req.path) || c.req.path.startsWith("/webhooks/") ||
      (c.req.header("content-type") ?? "").startsWith("application/json")
    ) {
      return c.json(
        { error: { code: error.code, message: error.message } },
        error.status,
      );
    }
    const title = error.details.title ?? "Something went wrong";
    return renderPage(
      c,
      <ErrorPage
        status={error.status}
        title={title}
        message={error.message}
        action={error.details.action}
        supportHref={deps.config.brand.supportHref}
      />,
      { title, status: error.status },
    );
  });

  return app;
}

function isApi(path: string): boolean {
  return path === "/api" || path.startsWith("/api/");
}

/** Anything thrown becomes an AppError; unknown failures become a bland 500. */
function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  if (err instanceof DbError) {
    switch (err.code) {
      case "not_found":
        return new AppError(404, "not_found", "There is nothing here.", {
          title: "Not found",
        });
      case "invalid_input":
        return new AppError(400, "invalid_input", err.message, {
          title: "Check your input",
        });
      case "write_conflict":
        return new AppError(
          409,
          "conflict",
          "Someone else changed this at the same moment. Reload and try again.",
          { title: "Please try again" },
        );
      case "already_disconnected":
        return new AppError(
          410,
          "connection_disconnected",
          "This connection is disconnected: its access was revoked and deleted.",
          { title: "Already disconnected" },
        );
      case "store_busy":
        return new AppError(
          503,
          "busy",
          "The portal is busy. Nothing was changed; please try again.",
          { title: "Please try again", headers: { "Retry-After": "2" } },
        );
      default:
        return new AppError(
          409,
          err.code,
          "This change conflicts with another record.",
        );
    }
  }
  if (err instanceof SealError) {
    // A token that cannot be opened means a missing key: an operator problem, not the user's.
    return new AppError(
      500,
      "token_unavailable",
      "This connection's stored access cannot be read. Nothing was changed; please contact support.",
    );
  }
  if (err instanceof HTTPException) {
    const status = err.status;
    if (status === 403) {
      return new AppError(
        403,
        "forbidden",
        "This request did not come from the portal's own page, so it was refused. Go back to the page and try again.",
        { title: "Request refused" },
      );
    }
    return new AppError(
      status,
      "http_error",
      err.message || "The request could not be served.",
    );
  }
  return new AppError(
    500,
    "internal_error",
    "Something went wrong on our side. Nothing was changed; please try again.",
  );
}
