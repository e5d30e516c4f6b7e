/**
 * Adding what Finch knows about a connection to its record: introspect's status,
 * entities and authentication methods, and the company's legal name. Best effort: the
 * token is already stored, so a failure here loses nothing; it is returned, for callers
 * that act on why (a revoked token), and logged.
 *
 * @module
 */
import { updateConnection } from "../db/connection_status.ts";
import type { ConnectionEntry } from "../db/connections.ts";
import type { Connection, ConnectionPatch } from "../db/schemas.ts";
import { recordStatusChange } from "../events/emit.ts";
import type { AppDeps } from "../http/env.ts";

/** What {@linkcode enrich} learnt, and what failed on the way. */
export interface Enriched {
  connection: Connection;
  /** Why introspect failed, if it did. */
  introspectFailure?: unknown;
  /** Why reading the company failed, if it did. */
  companyFailure?: unknown;
}

/**
 * Asks Finch for the connection's details and stores them. `known`, the record as just
 * written with its versionstamp, saves a read before the update.
 *
 * @example
 * ```ts
 * const { connection } = await enrich(deps, saved.connection, token, { known });
 * ```
 */
export async function enrich(
  deps: Pick<AppDeps, "kv" | "finch" | "log" | "now" | "config">,
  connection: Connection,
  accessToken: string,
  options: { known?: ConnectionEntry } = {},
): Promise<Enriched> {
  // The company itself, not one of its entities: the card names the employer.
  const [details, name] = await Promise.allSettled([
    deps.finch.introspect(accessToken),
    deps.finch.companyName(accessToken),
  ]);
  const patch: ConnectionPatch = {};
  if (details.status === "fulfilled") {
    const d = details.value;
    patch.status = d.status;
    patch.status_message = d.statusMessage;
    patch.status_at = new Date(deps.now()).toISOString();
    if (d.entities.length) patch.entities = d.entities;
    if (d.lastSuccessfulSync) {
      patch.last_synced_at = new Date(d.lastSuccessfulSync).toISOString();
    }
    patch.authentication_methods = d.authenticationMethods.map((m) => ({
      type: m.type,
      status: m.status,
      products: [],
    }));
  }
  if (name.status === "fulfilled" && name.value) {
    patch.company_name = name.value;
  }
  const result: Enriched = {
    connection,
    introspectFailure: details.status === "rejected"
      ? details.reason
      : undefined,
    companyFailure: name.status === "rejected" ? name.reason : undefined,
  };
  for (const r of [details, name]) {
    if (r.status === "rejected") {
      deps.log("warn", "enrich_failed", {
        connection_id: connection.connection_id,
        error: r.reason instanceof Error ? r.reason.name : "unknown",
      });
    }
  }
  if (Object.keys(patch).length === 0) return result;
  try {
    result.connection = await updateConnection(
      deps.kv,
      connection.customer_id,
      connection.connection_id,
      patch,
      {
        now: new Date(deps.now()),
        known: options.known,
        // A status Finch reports differently now is a change the integrator hears of.
        also: recordStatusChange(deps),
      },
    );
  } catch (err) {
    deps.log("warn", "enrich_store_failed", {
      connection_id: connection.connection_id,
      error: err instanceof Error ? err.name : "unknown",
    });
  }
  return result;
}
