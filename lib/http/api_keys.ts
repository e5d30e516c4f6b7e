/**
 * The integrator API's keys: `ADMIN_API_KEY` for every route, and, when set,
 * `TOKEN_API_KEY`, the only key that reads access tokens (so the key that reaches
 * everyone's payroll data can live apart from the one that manages customers and links).
 * Each may list `new,old` during a rotation.
 *
 * The bearer is compared with every configured key, all of them every time, over SHA-256
 * digests in constant time, so timing tells neither a key, its length, nor which one
 * matched. A key is named elsewhere (logs, the audit log) only by its role and a
 * fingerprint: the first 8 hex digits of its SHA-256, enough to tell a rotation's two
 * keys apart and of no use for guessing one (`printf %s "$KEY" | sha256sum | cut -c1-8`).
 *
 * @module
 */
import { sameBytes, sha256Bytes, toHex } from "../hash.ts";
import type { Context, MiddlewareHandler } from "hono";
import { secretList } from "../config.ts";
import { AppError } from "../errors.ts";
import type { AppEnv } from "./env.ts";

/** Which configured key a request carried. */
export interface ApiKeyId {
  role: "admin" | "token";
  /** First 8 hex digits of the key's SHA-256. */
  fingerprint: string;
}

/**
 * A key's fingerprint: the first 8 hex digits of its SHA-256.
 *
 * @example
 * ```ts
 * keyFingerprint("key_0123456789abcdef"); // "…8 hex digits…"
 * ```
 */
export function keyFingerprint(key: string): string {
  return toHex(sha256Bytes(key)).slice(0, 8);
}

const digest = (s: string) => sha256Bytes(s);

/**
 * The configured key the request's `Authorization: Bearer` names, or null (no header,
 * a malformed one, or an unknown key). Every configured key is compared, every time.
 *
 * @example
 * ```ts
 * const key = identifyApiKey(c);
 * if (key?.role !== "admin") throw unauthorized();
 * ```
 */
export function identifyApiKey(c: Context<AppEnv>): ApiKeyId | null {
  const supplied = bearer(c);
  const { adminApiKey, tokenApiKey } = c.var.deps.config;
  const candidates: [ApiKeyId["role"], string][] = [
    ...secretList(adminApiKey).map((k): [ApiKeyId["role"], string] => [
      "admin",
      k,
    ]),
    ...(tokenApiKey ? secretList(tokenApiKey) : []).map((
      k,
    ): [ApiKeyId["role"], string] => ["token", k]),
  ];
  const given = digest(supplied ?? "");
  let match: [ApiKeyId["role"], string] | null = null;
  for (const candidate of candidates) {
    if (sameBytes(digest(candidate[1]), given) && supplied && !match) {
      match = candidate;
    }
  }
  return match
    ? { role: match[0], fingerprint: keyFingerprint(match[1]) }
    : null;
}

function bearer(c: Context<AppEnv>): string | undefined {
  const header = c.req.header("authorization") ?? "";
  return /^Bearer +(\S+) *$/i.exec(header)?.[1];
}

/** The 401 of a request without a configured key; logged without the key. */
export function unauthorized(c: Context<AppEnv>): AppError {
  const header = c.req.header("authorization") ?? "";
  c.var.deps.log("warn", "api_unauthorized", {
    method: c.req.method,
    path: c.req.path,
    reason: bearer(c) ? "wrong_key" : header ? "malformed" : "missing",
  });
  return new AppError(
    401,
    "unauthorized",
    "Send the integrator API key as `Authorization: Bearer <ADMIN_API_KEY>`.",
    { headers: { "WWW-Authenticate": 'Bearer realm="integrator-api"' } },
  );
}

/**
 * Requires `ADMIN_API_KEY`. The token key is refused here with a 403: it reads access
 * tokens and nothing else. The key is checked before anything else, so a caller without
 * it learns nothing, not even whether a route or record exists.
 */
export function requireAdminKey(): MiddlewareHandler<AppEnv> {
  return async function requireAdminKey(c, next) {
    const key = identifyApiKey(c);
    if (!key) throw unauthorized(c);
    if (key.role !== "admin") {
      throw new AppError(
        403,
        "forbidden_key",
        "This key (TOKEN_API_KEY) reads access tokens only; use ADMIN_API_KEY for this route.",
      );
    }
    await next();
  };
}
