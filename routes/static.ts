/**
 * Static assets: the island bundle under its build-id path, cached `immutable`; the
 * stylesheet with an ETag and revalidation; the brand's favicon, cached for a day (a
 * changed brand reaches tabs by the next day, and the ETag revalidates it cheaply).
 */
import { type Context, Hono } from "hono";
import { ICON_PATH } from "../lib/assets.ts";
import type { AppEnv } from "../lib/http/env.ts";

export function staticRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get("/static/*", (c) => serve(c, c.req.path));
  // Browsers ask for /favicon.ico unprompted; an SVG answers it (Chromium and Firefox
  // read the content type, not the name).
  app.get("/favicon.ico", (c) => serve(c, ICON_PATH, 86400));
  app.get(ICON_PATH, (c) => serve(c, ICON_PATH, 86400));
  return app;
}

function serve(c: Context<AppEnv>, path: string, maxAge = 0) {
  const file = c.var.deps.assets.files.get(path);
  if (!file) return c.notFound();
  c.header("ETag", file.etag);
  c.header(
    "Cache-Control",
    file.immutable
      ? "public, max-age=31536000, immutable"
      : `public, max-age=${maxAge}, must-revalidate`,
  );
  if (c.req.header("If-None-Match") === file.etag) return c.body(null, 304);
  c.header("Content-Type", file.contentType);
  return c.body(file.body as Uint8Array<ArrayBuffer>);
}
