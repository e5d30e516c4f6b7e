/**
 * What the flows tell a person when something fails: every Finch failure and every
 * "not yours" mapped, in one place, to an `AppError` with words and a way on. The one
 * `onError` in app.tsx renders them as a page or as the API's JSON.
 *
 * @module
 */
import { AppError } from "../errors.ts";
import {
  FinchRejected,
  FinchTokenRevoked,
  FinchUnavailable,
} from "../finch/gateway.ts";

/** Where an employer's error page offers to go next. */
export const backToConnections = {
  href: "/connections",
  label: "Back to connections",
};

/** The 404 every lookup of a connection that is not the customer's answers. */
export function connectionNotFound(): AppError {
  return new AppError(404, "not_found", "There is no such connection.", {
    title: "Connection not found",
    action: backToConnections,
  });
}

/** 410 for a connection that only its tombstone is left of. */
export function connectionDisconnected(): AppError {
  return new AppError(
    410,
    "connection_disconnected",
    "This connection is disconnected: its access token was revoked and deleted.",
  );
}

/**
 * The error to throw for a failure while `what` (e.g. "disconnect"): a Finch failure
 * becomes a page that says what happened and how to go on; anything else is returned as
 * it is, to be thrown on.
 *
 * @example
 * ```ts
 * try { await deps.finch.disconnect(token); }
 * catch (err) { throw flowError(err, "disconnect"); }
 * ```
 */
export function flowError(err: unknown, what: string): unknown {
  if (err instanceof FinchUnavailable) {
    return new AppError(
      503,
      "finch_unavailable",
      `We could not reach Finch to ${what}: the service that connects to your payroll is not answering. Nothing was changed; please try again in a minute.`,
      {
        title: "Please try again in a minute",
        action: backToConnections,
        headers: {
          "Retry-After": String(
            Math.min(Math.max(err.retryAfterS ?? 30, 1), 300),
          ),
        },
      },
    );
  }
  if (err instanceof FinchTokenRevoked) {
    return new AppError(
      409,
      "finch_token_revoked",
      `Finch no longer accepts this connection, so we could not ${what}. Reconnect it, or disconnect it and connect again.`,
      { title: "Connection no longer valid", action: backToConnections },
    );
  }
  if (err instanceof FinchRejected) {
    return new AppError(
      502,
      "finch_rejected",
      `Finch refused our request to ${what}. Nothing was changed; if this keeps happening, contact support.`,
      { title: "That did not work", action: backToConnections },
    );
  }
  return err;
}
