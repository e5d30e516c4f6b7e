/**
 * Finch's error bodies. They are not uniform across Finch's endpoints (reference §2.1), so
 * each shape the simulator answers with is built here, once, and routes throw `SimError`.
 *
 * @module
 */

/** A JSON error answer: the HTTP status, the exact body, and optional extra headers. */
export class SimError extends Error {
  /**
   * @param status HTTP status to answer with.
   * @param body JSON body, exactly as Finch sends it.
   * @param headers extra response headers (e.g. `retry-after`).
   */
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
    readonly headers: Record<string, string> = {},
  ) {
    super(String(body.message ?? `HTTP ${status}`));
    this.name = "SimError";
  }
}

/** Finch's standard shape: `{code, name, finch_code?, message}`. */
export function finchError(
  status: number,
  name: string,
  message: string,
  finchCode?: string,
  extra: Record<string, unknown> = {},
): SimError {
  const body: Record<string, unknown> = { code: status, name };
  if (finchCode) body.finch_code = finchCode;
  body.message = message;
  return new SimError(status, { ...body, ...extra });
}

/** 400 for a body or query that does not follow the spec. */
export function invalidRequest(message: string): SimError {
  return finchError(400, "bad_request", message, "invalid_request");
}

/** 401 on `/connect/sessions*` and sandbox creation: the exact body of reference §1.4. */
export function invalidClient(): SimError {
  return new SimError(401, {
    code: 401,
    finch_code: "invalid_client",
    message: "Invalid client: Unable to validate credentials",
  });
}

/** 401 on `/auth/token` with bad client credentials (docs error table). */
export function invalidClientError(): SimError {
  return finchError(
    401,
    "invalid_client_error",
    "Invalid client: Unable to validate credentials",
    "invalid_client",
  );
}

/** 401 with no bearer token at all: Finch's older "gateway" shape (reference §2.1). */
export function noAuthentication(): SimError {
  return new SimError(401, {
    statusCode: 401,
    status: 401,
    code: 401,
    message: "Unauthorized request: no authentication given",
    name: "unauthorized_request_error",
  });
}

/** 401 for an unknown or revoked token. The finch_code is [inferred]. */
export function invalidToken(): SimError {
  return finchError(
    401,
    "invalid_token_error",
    "Invalid or revoked access token",
    "invalid_token",
  );
}

/** 400 for an unknown, used or expired authorization code. */
export function invalidGrant(message: string): SimError {
  return finchError(400, "invalid_grant_error", message, "invalid_grant");
}

/** 404 JSON for any path Finch does not have. */
export function notFound(method: string, path: string): SimError {
  return finchError(
    404,
    "not_found_error",
    `Route ${method} ${path} not found`,
    "route_not_found",
  );
}

/** Names per status for injected faults, from Finch's docs error table. */
const FAULT_NAMES: Record<number, [string, string | undefined, string]> = {
  400: ["bad_request", "invalid_request", "Bad request"],
  401: ["invalid_token_error", "invalid_token", "Invalid access token"],
  402: ["payment_required", "payment_required", "Payment required"],
  403: [
    "error_permissions",
    "insufficient_account_permissions",
    "Insufficient permissions",
  ],
  404: ["not_found_error", "item_not_found", "Not found"],
  408: ["client_connection_closed", undefined, "Client connection closed"],
  409: ["conflict_error", undefined, "Conflict"],
  422: [
    "unprocessable_request_error",
    "unsupported_parameters",
    "Unprocessable request",
  ],
  429: [
    "rate_limit_exceeded_error",
    "finch_application_rl",
    "Rate limit exceeded, please try again later",
  ],
  500: ["server_error", undefined, "Internal server error"],
  501: ["not_implemented_error", undefined, "Not implemented"],
  502: [
    "bad_gateway_error",
    "upstream_provider_error",
    "The provider returned an unexpected error",
  ],
  503: ["service_unavailable_error", undefined, "Service unavailable"],
  504: ["gateway_timeout_error", undefined, "Gateway timeout"],
};

/** The Finch-style error an injected fault answers with for a given status. */
export function faultError(status: number): SimError {
  const [name, finchCode, message] = FAULT_NAMES[status] ??
    [
      status >= 500 ? "server_error" : "error",
      undefined,
      `Simulated error ${status}`,
    ];
  return finchError(status, name, message, finchCode);
}
