/**
 * Zod schemas for the request bodies and queries the simulator accepts, following Finch's
 * `openapi.json` (components `CreateConnectSessionRequest`, `ReauthenticateRequest`,
 * `CreateAccessTokenRequest`, `DisconnectEntityRequest`, the sandbox bodies and the
 * directory query). Unknown keys are ignored, as a tolerant API does.
 *
 * @module
 */

import { z } from "zod";

/** `ConnectProducts`. */
export const Product = z.enum([
  "benefits",
  "company",
  "deduction",
  "directory",
  "documents",
  "employment",
  "individual",
  "payment",
  "pay_statement",
  "plans",
  "plans_dependents",
  "plans_enrollments",
  "recordkeeping",
  "ssn",
]);

/** `ConnectionStatus` (the enum has no `disconnected`). */
export const ConnectionStatus = z.enum([
  "pending",
  "processing",
  "connected",
  "error_no_account_setup",
  "error_permissions",
  "reauth",
]);
/** A connection status value. */
export type ConnectionStatus = z.infer<typeof ConnectionStatus>;

/** `AuthenticationType`. */
export const AuthenticationType = z.enum([
  "api_token",
  "assisted",
  "credential",
  "oauth",
]);

/** `POST /connect/sessions` body. */
export const CreateSessionBody = z.object({
  customer_id: z.string().min(1).max(255),
  customer_name: z.string().min(1).max(255),
  customer_email: z.email().nullish(),
  products: z.array(Product),
  redirect_uri: z.string().nullish(),
  minutes_to_expire: z.number().min(1).max(129_600).nullish(),
  sandbox: z.enum(["finch", "provider"]).nullish(),
  manual: z.boolean().nullish(),
  integration: z.object({
    provider: z.string().min(1),
    auth_method: z.enum(["assisted", "credential", "oauth", "api_token"])
      .nullish(),
  }).nullish(),
  recordkeeping: z.object({
    recordkeeper: z.enum(["voya", "empower", "fidelity", "transamerica"]),
    plan_id: z.string().nullish(),
  }).nullish(),
});
/** Parsed `POST /connect/sessions` body. */
export type CreateSessionBody = z.infer<typeof CreateSessionBody>;

/** `POST /connect/sessions/reauthenticate` body. */
export const ReauthSessionBody = z.object({
  connection_id: z.string().min(1),
  minutes_to_expire: z.number().int().min(1).max(129_600).nullish(),
  products: z.array(Product).nullish(),
  redirect_uri: z.url().nullish(),
});
/** Parsed reauthenticate body. */
export type ReauthSessionBody = z.infer<typeof ReauthSessionBody>;

/** `POST /auth/token` body (client credentials may also come as Basic auth). */
export const TokenBody = z.object({
  code: z.string().min(1),
  client_id: z.string().optional(),
  client_secret: z.string().optional(),
  redirect_uri: z.string().nullish(),
});

/** `POST /disconnect-entity` body. */
export const DisconnectEntityBody = z.object({
  entity_ids: z.array(z.string().min(1)).min(1),
});

/** `PUT /sandbox/connections/accounts` body. */
export const UpdateAccountBody = z.object({
  connection_status: ConnectionStatus,
});

/** `POST /sandbox/connections` body. */
export const SandboxConnectionBody = z.object({
  provider_id: z.string().min(1),
  authentication_type: AuthenticationType.optional(),
  products: z.array(z.string()).optional(),
  employee_size: z.number().int().min(1).max(10_000).optional(),
});

/** `POST /sandbox/connections/accounts` body. */
export const SandboxAccountBody = z.object({
  company_id: z.string().min(1),
  provider_id: z.string().min(1),
  authentication_type: AuthenticationType.optional(),
  products: z.array(z.string()).optional(),
});

/** `POST /_sim/faults` body. */
export const FaultBody = z.object({
  method: z.string().min(1).max(10).optional(),
  path: z.string().startsWith("/").max(500),
  status: z.number().int().min(400).max(599).optional(),
  delay_ms: z.number().int().min(0).max(600_000).optional(),
  count: z.number().int().min(1).max(1_000_000).default(1),
  retry_after: z.number().min(0).max(86_400).optional(),
});
/** A fault to inject. */
export type FaultBody = z.input<typeof FaultBody>;

/** Integer query parameter that must be a whole non-negative number when present. */
export const queryInt = z.string().regex(
  /^\d+$/,
  "must be a non-negative integer",
)
  .transform(Number);

/** Turns Zod issues into one readable sentence for Finch's `message` field. */
export function issuesMessage(error: z.ZodError): string {
  return "Invalid request: " + error.issues.map((i) => {
    const where = i.path.length ? i.path.join(".") : "body";
    return `${where}: ${i.message}`;
  }).join("; ");
}
