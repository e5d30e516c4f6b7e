/**
 * `GET /`: a short page saying what this is and how to get in, rather than a 404 for
 * the admin who typed the address or lost the link. In demo mode it links straight to
 * the demo employer's page, so the demo needs nothing from the start log.
 *
 * @module
 */
import { Hono } from "hono";
import { HomePage } from "../components/HomePage.tsx";
import { DEMO_CUSTOMER } from "../lib/brand.ts";
import { upsertCustomer } from "../lib/db/customers.ts";
import type { AppEnv } from "../lib/http/env.ts";
import { createPortalLink } from "../lib/links.ts";
import { renderPage } from "./_app.tsx";

export function homeRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get("/", async (c) => {
    const deps = c.var.deps;
    let demoLink: string | undefined;
    if (deps.config.demo) {
      await upsertCustomer(deps.kv, DEMO_CUSTOMER);
      demoLink = (await createPortalLink(deps, DEMO_CUSTOMER.id)).url;
    }
    return renderPage(
      c,
      <HomePage brand={deps.config.brand} demoLink={demoLink} />,
      { title: "Welcome" },
    );
  });
  return app;
}
