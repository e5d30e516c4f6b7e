/**
 * Disconnecting (journey 5): Finch first, then the local delete in one atomic op.
 *
 * If Finch cannot be reached nothing is deleted, so the employer never sees a connection
 * vanish while Finch keeps syncing (and billing) it. If Finch says the token is already
 * revoked, the connection is gone upstream and the local record goes too.
 *
 * The record is read once, by the caller (the employer's page or the integrator API),
 * and passed down; the delete is guarded by its versionstamp.
 */
import {
  type ConnectionEntry,
  deleteConnection,
  getAccessToken,
} from "../db/connections.ts";
import type { Connection } from "../db/schemas.ts";
import { FinchTokenRevoked } from "../finch/gateway.ts";
import type { AppDeps } from "../http/env.ts";
import { flowError } from "./errors.ts";

/** What a disconnect revoked, for the receipt shown to the employer or the API. */
export interface DisconnectReceipt {
  connection: Connection;
  /** Whether Finch confirmed the revocation now (false: it was already revoked). */
  revokedUpstream: boolean;
  disconnectedAt: string;
}

/**
 * Disconnects the connection `entry` holds (as read by the caller, who has checked that
 * it belongs to the customer acting).
 *
 * @example
 * ```ts
 * const receipt = await disconnectConnection(deps, entry);
 * ```
 */
export async function disconnectConnection(
  deps: AppDeps,
  entry: ConnectionEntry,
): Promise<DisconnectReceipt> {
  const { customer_id, connection_id } = entry.value;
  const token = await getAccessToken(deps.kv, deps.sealer, connection_id);
  let revokedUpstream = true;
  if (token) {
    try {
      await deps.finch.disconnect(token);
    } catch (err) {
      if (!(err instanceof FinchTokenRevoked)) {
        throw flowError(err, "disconnect");
      }
      revokedUpstream = false;
    }
  }
  const deleted = await deleteConnection(deps.kv, customer_id, connection_id, {
    expected: entry,
  });
  deps.log("info", "connection_disconnected", {
    customer_id,
    connection_id,
    revoked_upstream: revokedUpstream,
  });
  return {
    connection: deleted,
    revokedUpstream,
    disconnectedAt: new Date(deps.now()).toISOString(),
  };
}
