/**
 * The KV data layer in one import. Every function takes the KV handle first;
 * see each module for its records and rules, and `keys.ts` for the layout.
 *
 * @example
 * ```ts
 * import { getCustomer, storeConnection } from "./lib/db/mod.ts";
 * ```
 *
 * @module
 */
export * from "./errors.ts";
export * from "./schemas.ts";
export * from "./keys.ts";
export * from "./customers.ts";
export * from "./connections.ts";
export * from "./connection_status.ts";
export * from "./disconnected.ts";
export * from "./events.ts";
export * from "./open.ts";
export * from "./attempts.ts";
export * from "./portal_sessions.ts";
export * from "./connect_states.ts";
export * from "./webhook_events.ts";
export * from "./rekey.ts";
export * from "./layout.ts";
export type { Page, PageOptions } from "./page.ts";
export { randomToken, sha256 } from "./secrets.ts";
export * from "./token_reads.ts";
