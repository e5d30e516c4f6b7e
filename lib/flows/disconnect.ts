/**
 * Disconnecting (journey 5): Finch first, then, in one atomic op, the local record
 * becomes a tombstone (lib/db/disconnected.ts), the token is deleted and the
 * integrator's `connection.disconnected` event is recorded.
 *
 * If Finch cannot be reached nothing changes, so the employer never sees a connection
 * vanish while Finch keeps syncing (and billing) it. If Finch says the token is already
 * revoked, the connection is gone upstream and it is disconnected here too.
 *
 * The record is read once, by the caller (the employer's page or the integrator API),
 * and passed down; the write is guarded by its versionstamp.
 */
import { type ConnectionEntry, getAccessToken } from "../db/connections.ts";
import { disconnectRecord } from "../db/disconnected.ts";
import type { DisconnectedBy, DisconnectedConnection } from "../db/schemas.ts";
import { disconnectedEvent, recordEvents } from "../events/emit.ts";
import { FinchTokenRevoked } from "../finch/gateway.ts";
import type { AppDeps } from "../http/env.ts";
import { flowError } from "./errors.ts";

/** What a disconnect revoked, for the receipt shown to the employer or the API. */
export interface DisconnectReceipt {
  /** The tombstone left in its place. */
  connection: DisconnectedConnection;
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
 * const receipt = await disconnectConnection(deps, entry, "employer");
 * ```
 */
export async function disconnectConnection(
  deps: AppDeps,
  entry: ConnectionEntry,
  by: Exclude<DisconnectedBy, "system">,
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
  const disconnectedAt = new Date(deps.now()).toISOString();
  const tombstone = await disconnectRecord(
    deps.kv,
    customer_id,
    connection_id,
    { by, revoked_upstream: revokedUpstream, disconnected_at: disconnectedAt },
    {
      expected: entry,
      also: (op, _round, change) =>
        recordEvents(deps, op, [disconnectedEvent(change.tombstone)]),
    },
  );
  deps.log("info", "connection_disconnected", {
    customer_id,
    connection_id,
    revoked_upstream: revokedUpstream,
    by,
  });
  return { connection: tombstone, revokedUpstream, disconnectedAt };
}
