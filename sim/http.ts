/**
 * Request helpers shared by the simulator's sub-apps: JSON bodies validated once at the
 * edge, Basic credentials, and query values in the encodings Finch's clients send.
 *
 * @module
 */

import type { Context } from "hono";
import type { z } from "zod";
import { invalidRequest } from "./errors.ts";
import { issuesMessage } from "./schemas.ts";

/** Reads a JSON body and validates it; malformed or invalid input is a Finch-style 400. */
export async function readJson<T extends z.ZodType>(
  c: Context,
  schema: T,
): Promise<z.infer<T>> {
  const text = await c.req.text();
  let raw: unknown = {};
  if (text.trim()) {
    try {
      raw = JSON.parse(text);
    } catch {
      throw invalidRequest("Invalid request: the body is not valid JSON");
    }
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw invalidRequest(issuesMessage(parsed.error));
  return parsed.data;
}

/** Validates the query string against a schema of plain string values. */
export function readQuery<T extends z.ZodType>(
  c: Context,
  schema: T,
): z.infer<T> {
  const parsed = schema.safeParse(c.req.query());
  if (!parsed.success) throw invalidRequest(issuesMessage(parsed.error));
  return parsed.data;
}

/** `Basic` credentials of a request, if well-formed. */
export function basicCredentials(
  c: Context,
): { id: string; secret: string } | null {
  const m = /^Basic\s+(\S+)$/i.exec(c.req.header("authorization") ?? "");
  if (!m) return null;
  try {
    const decoded = atob(m[1]);
    const i = decoded.indexOf(":");
    return i < 0
      ? null
      : { id: decoded.slice(0, i), secret: decoded.slice(i + 1) };
  } catch {
    return null;
  }
}

/**
 * Query values that are arrays. The SDK sends brackets (`entity_ids[]=a`); the spec also
 * allows repeated names and, for `explode: false` parameters, one comma-separated value.
 */
export function queryArray(c: Context, name: string): string[] {
  return [
    ...(c.req.queries(`${name}[]`) ?? []),
    ...(c.req.queries(name) ?? []),
  ].flatMap((v) => v.split(",")).map((v) => v.trim()).filter(Boolean);
}
