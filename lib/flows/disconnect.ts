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
 *
 * One entity of a multi-entity connection can be disconnected alone
 * ({@linkcode disconnectEntity}): Finch first, then the entity is marked disconnected on
 * the record, which the card and the API then leave out.
 */
import { applyStatus } from "../db/connection_status.ts";
import { type ConnectionEntry, getAccessToken } from "../db/connections.ts";
import { disconnectRecord } from "../db/disconnected.ts";
import { deleteRoster } from "../db/people.ts";
import type {
  Connection,
  DisconnectedBy,
  DisconnectedConnection,
} from "../db/schemas.ts";
import { AppError } from "../errors.ts";
import {
  disconnectedEvent,
  entityDisconnectedEvent,
  recordEvents,
} from "../events/emit.ts";
import { FinchTokenRevoked } from "../finch/gateway.ts";
import type { AppDeps } from "../http/env.ts";
import { backToConnections, flowError } from "./errors.ts";

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
  await dropRoster(deps, customer_id, connection_id);
  deps.log("info", "connection_disconnected", {
    customer_id,
    connection_id,
    revoked_upstream: revokedUpstream,
    by,
  });
  return { connection: tombstone, revokedUpstream, disconnectedAt };
}

/** What disconnecting one entity did, for the receipt. */
export interface EntityReceipt {
  /** The connection as it is now: the entity marked disconnected, the rest live. */
  connection: Connection;
  entity: { id: string; name: string | null };
  /** Whether Finch confirmed it now (false: Finch no longer had the entity). */
  revokedUpstream: boolean;
  disconnectedAt: string;
}

/**
 * Disconnects one entity of a multi-entity connection (Finch's `/disconnect-entity`),
 * the other entities staying connected; then marks it disconnected on the record, in one
 * atomic op with the integrator's `connection.entity_disconnected` event. A connection's
 * last live entity is not disconnected alone: that is disconnecting the connection.
 *
 * @example
 * ```ts
 * const receipt = await disconnectEntity(deps, entry, "ent_2", "employer");
 * ```
 */
export async function disconnectEntity(
  deps: AppDeps,
  entry: ConnectionEntry,
  entityId: string,
  by: Exclude<DisconnectedBy, "system">,
): Promise<EntityReceipt> {
  const { customer_id, connection_id } = entry.value;
  const live = entry.value.entities.filter((e) => e.status !== "disconnected");
  const entity = live.find((e) => e.id === entityId);
  if (!entity) throw entityNotFound();
  if (live.length < 2) {
    throw new AppError(
      409,
      "only_entity",
      "This is the connection's only entity. To stop sharing its data, disconnect the whole connection.",
      { title: "Disconnect the connection instead", action: backToConnections },
    );
  }
  const token = await getAccessToken(deps.kv, deps.sealer, connection_id);
  if (!token) throw entityNotFound();
  let revokedUpstream: boolean;
  try {
    revokedUpstream = await deps.finch.disconnectEntities(token, [entityId]);
  } catch (err) {
    throw flowError(err, "disconnect the entity");
  }
  const disconnectedAt = new Date(deps.now()).toISOString();
  const named = { id: entity.id, name: entity.name };
  const result = await applyStatus(deps.kv, connection_id, {
    status: "disconnected",
    at: disconnectedAt,
    entity_id: entityId,
  }, {
    also: (op, _round, { connection }) =>
      recordEvents(deps, op, [
        entityDisconnectedEvent(connection, named, {
          by,
          revoked_upstream: revokedUpstream,
          disconnected_at: disconnectedAt,
        }),
      ]),
  });
  // Gone meanwhile (a concurrent disconnect of the whole connection).
  if (result.outcome === "not_found") throw entityNotFound();
  // The entity's people leave with it: the next job (queued with the event) refetches.
  await dropRoster(deps, customer_id, connection_id);
  deps.log("info", "entity_disconnected", {
    customer_id,
    connection_id,
    entity_id: entityId,
    by,
  });
  return {
    connection: result.connection,
    entity: named,
    revokedUpstream,
    disconnectedAt,
  };
}

/** The 404 for an entity the connection does not have (or no longer has live). */
function entityNotFound(): AppError {
  return new AppError(404, "not_found", "This connection has no such entity.", {
    title: "Entity not found",
    action: backToConnections,
  });
}

/**
 * Deletes the connection's roster (personal data) once it is disconnected. Should this
 * fail, the people job queued with the disconnect event deletes it (lib/people/build.ts
 * drops the rosters of connections no longer live); the disconnect itself stands.
 */
async function dropRoster(
  deps: AppDeps,
  customer_id: string,
  connection_id: string,
): Promise<void> {
  await deleteRoster(deps.kv, customer_id, connection_id).catch((err) => {
    deps.log("warn", "people_roster_delete_failed", {
      customer_id,
      connection_id,
      error: err instanceof Error ? err.name : "unknown",
    });
  });
}
