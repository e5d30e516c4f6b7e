/**
 * Every page's shell, as Fresh's `routes/_app.tsx`: the page inside the shared layout
 * (components/Layout.tsx), rendered in one pass. The island script (with the CSP nonce)
 * closes the body only when the page rendered an island, so pages without one ship no
 * JavaScript.
 *
 * @module
 */
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { VNode } from "preact";
import { Layout } from "../components/Layout.tsx";
import { IslandScript, renderWithIslands } from "../islands/island.tsx";
import type { Flash } from "../lib/http/flash.ts";
import type { AppEnv } from "../lib/http/env.ts";

/** Options for one rendered page. */
export interface PageOptions {
  title: string;
  status?: ContentfulStatusCode;
  flash?: Flash;
}

/** Renders `page` inside the layout and answers with it. */
export function renderPage(
  c: Context<AppEnv>,
  page: VNode,
  options: PageOptions,
): Response {
  const { assets, config } = c.var.deps;
  const { html } = renderWithIslands(
    <Layout
      title={options.title}
      stylesUrl={assets.stylesUrl}
      brand={config.brand}
      demo={config.demo}
      customerName={c.var.customer?.name}
      flash={options.flash}
      tail={
        <IslandScript
          src={assets.islandsUrl}
          nonce={c.get("secureHeadersNonce") ?? ""}
        />
      }
    >
      {page}
    </Layout>,
  );
  c.header("Cache-Control", "no-store");
  return c.html(`<!doctype html>${html}`, options.status ?? 200);
}
