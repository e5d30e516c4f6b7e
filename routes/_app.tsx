/**
 * Every page's shell, as Fresh's `routes/_app.tsx`: the page component is rendered first,
 * so we know whether it used an island, then placed into the shared layout
 * (components/Layout.tsx). The script tag (with the CSP nonce) is emitted only when an
 * island was rendered.
 *
 * @module
 */
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { VNode } from "preact";
import { renderToString } from "preact-render-to-string";
import { Layout } from "../components/Layout.tsx";
import { renderWithIslands } from "../islands/island.tsx";
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
  const { html, hydrate } = renderWithIslands(page);
  const { assets, config } = c.var.deps;
  const document = renderToString(
    <Layout
      title={options.title}
      bodyHtml={html}
      stylesUrl={assets.stylesUrl}
      scriptUrl={hydrate ? assets.islandsUrl : undefined}
      nonce={c.get("secureHeadersNonce") ?? ""}
      demo={config.demo}
      customerName={c.var.customer?.name}
      flash={options.flash}
    />,
  );
  c.header("Cache-Control", "no-store");
  return c.html(`<!doctype html>${document}`, options.status ?? 200);
}
