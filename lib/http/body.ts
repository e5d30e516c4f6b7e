/**
 * Reading request bodies: one size limit per route area, refused before the body is
 * read, and JSON read once with a clear 4xx for anything that is not.
 *
 * @module
 */
import type { Context, MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { AppError, badRequest, type ErrorAction } from "../errors.ts";
import type { AppEnv } from "./env.ts";

/**
 * Refuses a body over `maxBytes` with a 413 that says so (`message`), before reading
 * it: a bigger body than a route's forms or JSON ever send is a mistake or abuse.
 *
 * @example
 * ```ts
 * app.use(limitBody(16 * 1024, "The request body is larger than 16 KB."));
 * ```
 */
export function limitBody(
  maxBytes: number,
  message: string,
  page?: { title: string; action: ErrorAction },
): MiddlewareHandler<AppEnv> {
  return bodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw new AppError(413, "payload_too_large", message, page ?? {});
    },
  });
}

/** Whether a request says its body is JSON. */
export function isJson(c: Context<AppEnv>): boolean {
  return /^application\/json\s*(;|$)/i.test(c.req.header("content-type") ?? "");
}

/**
 * Reads a JSON body. It must be `application/json` and parse; with `optional`, an empty
 * body counts as `{}` (routes whose every field is optional).
 *
 * @example
 * ```ts
 * const body = parse(LinkBody, await readJson(c, { optional: true }), "link");
 * ```
 */
export async function readJson(
  c: Context<AppEnv>,
  options: { optional?: boolean } = {},
): Promise<unknown> {
  const text = await c.req.text();
  if (!text.trim() && options.optional) return {};
  if (!isJson(c)) {
    throw new AppError(
      415,
      "unsupported_media_type",
      "Send the body as JSON with `Content-Type: application/json`.",
    );
  }
  try {
    return JSON.parse(text);
  } catch {
    throw badRequest("invalid_json", "The request body is not valid JSON.");
  }
}
