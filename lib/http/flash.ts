/**
 * Flash messages: a sentence that survives one post-redirect-get. Kept in a short-lived
 * signed cookie, so a message shown on our page was written by our server.
 */
import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { fromBase64Url, toBase64Url } from "../signing.ts";
import type { AppEnv } from "./env.ts";

/** A message for the next page: what happened, in plain words. */
export interface Flash {
  kind: "success" | "error" | "info";
  message: string;
}

const FLASH_COOKIE = "portal_flash";

/** Leaves a message for the next page this browser shows. */
export async function setFlash(
  c: Context<AppEnv>,
  flash: Flash,
): Promise<void> {
  const payload = toBase64Url(new TextEncoder().encode(JSON.stringify(flash)));
  const signature = await c.var.deps.signer.sign("flash", payload);
  setCookie(c, FLASH_COOKIE, `${payload}.${signature}`, {
    httpOnly: true,
    sameSite: "Lax",
    secure: c.var.deps.config.publicUrl.startsWith("https:"),
    path: "/",
    maxAge: 60,
  });
}

/** Reads and clears the pending message, if any. */
export async function takeFlash(
  c: Context<AppEnv>,
): Promise<Flash | undefined> {
  const raw = getCookie(c, FLASH_COOKIE);
  if (!raw) return undefined;
  deleteCookie(c, FLASH_COOKIE, { path: "/" });
  const [payload, signature] = raw.split(".");
  if (!payload || !signature) return undefined;
  if (!await c.var.deps.signer.verify("flash", payload, signature)) {
    return undefined;
  }
  try {
    const flash = JSON.parse(new TextDecoder().decode(fromBase64Url(payload)!));
    if (
      ["success", "error", "info"].includes(flash.kind) &&
      typeof flash.message === "string"
    ) return { kind: flash.kind, message: flash.message.slice(0, 500) };
  } catch {
    // a damaged cookie is simply no message
  }
  return undefined;
}
