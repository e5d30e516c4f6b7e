/**
 * Disconnecting (journey 5): Finch first, then the local delete in one atomic op.
 *
 * If Finch cannot be reached nothing is deleted, so the employer never sees a connection
 * vanish while Finch keeps syncing (and billing) it. If Finch says the token is already
 * revoked, the connection is gone upstream and the local record goes too.
 */
import {
  deleteConnection,
  getAccessToken,
  getConnection,
} from "../db/connections.ts";
import type { Connection } from "../db/schemas.ts";
import { FinchTokenRevoked } from "../finch.ts";
import type { AppDeps } from "../http/env.ts";
import { connectionNotFound, finchFailure } from "./connect.ts";

/** What a disconnect revoked, for the receipt shown to the employer or the API. */
export interface DisconnectReceipt {
  connection: Connection;
  /** Whether Finch confirmed the revocation now (false: it was already revoked). */
  revokedUpstream: boolean;
  disconnectedAt: string;
}

/**
 * Disconnects `connectionId` of `customerId`.
 *
 * @example
 * ```ts
 * const receipt = await disconnectConnection(deps, "acme", connectionId);
 * ```
 */
export async function disconnectConnection(
  deps: AppDeps,
  customerId: string,
  connectionId: string,
): Promise<DisconnectReceipt> {
  const connection = await getConnection(deps.kv, customerId, connectionId);
  if (!connection) throw connectionNotFound();
  const token = await getAccessToken(deps.kv, deps.sealer, connectionId);
  let revokedUpstream = true;
  if (token) {
    try {
      await deps.finch.disconnect(token);
    } catch (err) {
      if (!(err instanceof FinchTokenRevoked)) {
        throw finchFailure(err, "disconnect");
      }
      revokedUpstream = false;
    }
  }
  const deleted = await deleteConnection(deps.kv, customerId, connectionId);
  deps.log("info", "connection_disconnected", {
    customer_id: customerId,
    connection_id: connectionId,
    revoked_upstream: revokedUpstream,
  });
  return {
    connection: deleted,
    revokedUpstream,
    disconnectedAt: new Date(deps.now()).toISOString(),
  };
}
