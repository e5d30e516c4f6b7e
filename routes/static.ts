/**
 * Static assets: the island bundle under its build-id path, cached `immutable`; the
 * stylesheet with an ETag and revalidation.
 */
import { Hono } from "hono";
import type { AppEnv } from "../lib/http/env.ts";

export function staticRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get("/static/*", (c) => {
    const file = c.var.deps.assets.files.get(c.req.path);
    if (!file) return c.notFound();
    c.header("ETag", file.etag);
    c.header(
      "Cache-Control",
      file.immutable
        ? "public, max-age=31536000, immutable"
        : "public, max-age=0, must-revalidate",
    );
    if (c.req.header("If-None-Match") === file.etag) return c.body(null, 304);
    c.header("Content-Type", file.contentType);
    return c.body(file.body as Uint8Array<ArrayBuffer>);
  });
  return app;
}
