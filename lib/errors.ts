/**
 * The portal's typed errors. Code anywhere in the app throws one of these; the single
 * `onError` in app.ts turns it into an HTML page for employers or
 * `{error: {code, message}}` for the integrator API. Messages are written for the person
 * who reads them and never carry a secret.
 */
import type { ContentfulStatusCode } from "hono/utils/http-status";

/** Where the error page offers to go next. */
export interface ErrorAction {
  href: string;
  label: string;
}

/** An error with an HTTP status, a stable machine code and a human message. */
export class AppError extends Error {
  override name = "AppError";
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly details: {
      title?: string;
      action?: ErrorAction;
      headers?: Record<string, string>;
    } = {},
  ) {
    super(message);
  }
}

/** 400: the request itself is wrong. */
export const badRequest = (
  code: string,
  message: string,
  details?: AppError["details"],
) => new AppError(400, code, message, details);

/** Raised when the environment cannot start the portal; the message names the variable. */
export class ConfigError extends Error {
  override name = "ConfigError";
}
