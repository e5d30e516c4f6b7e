/**
 * Reading connections: one by its customer and id, one by its id alone (through the owner
 * index), a page of a customer's live or disconnected ones, and the sealed token. Writes
 * are in `connections.ts` (which re-exports all of this), `connection_status.ts` and
 * `disconnected.ts`.
 *
 * @module
 */
import type { Sealer } from "../sealing.ts";
import { type ConnectionOwner, tokenAad } from "./connection_records.ts";
import {
  connectionKey,
  connectionOwnerKey,
  connectionsByAddedPrefix,
  connectionTokenKey,
  disconnectedConnectionKey,
  disconnectedConnectionsPrefix,
} from "./keys.ts";
import { listPage, type Page, type PageOptions } from "./page.ts";
import { retryTransient } from "./retry.ts";
import {
  type Connection,
  type ConnectionStatus,
  CustomerId,
  type DisconnectedConnection,
  FinchId,
  parse,
} from "./schemas.ts";

/** A stored connection with its versionstamp, as read. */
export type ConnectionEntry = Deno.KvEntry<Connection>;

/** The customer's record of `connection_id`, or null. Internal to the data layer. */
export async function getEntry(
  kv: Deno.Kv,
  customer_id: string,
  connection_id: string,
): Promise<ConnectionEntry | null> {
  if (
    !CustomerId.safeParse(customer_id).success ||
    !FinchId.safeParse(connection_id).success
  ) return null;
  const entry = await kv.get<Connection>(
    connectionKey(customer_id, connection_id),
  );
  return entry.value ? entry as ConnectionEntry : null;
}

/** The live record of `connection_id` through its owner index, or null. Internal. */
export async function findEntry(
  kv: Deno.Kv,
  connection_id: string,
): Promise<ConnectionEntry | null> {
  if (!FinchId.safeParse(connection_id).success) return null;
  const owner = await kv.get<ConnectionOwner>(
    connectionOwnerKey(connection_id),
  );
  if (!owner.value || owner.value.disconnected_at) return null;
  return await getEntry(kv, owner.value.customer_id, connection_id);
}

/**
 * One of the customer's connections, or null, also when it belongs to
 * another customer: tenancy is in the key.
 *
 * @example
 * ```ts
 * const c = await getConnection(kv, session.customer_id, params.connection_id);
 * if (!c) return notFound();
 * ```
 */
export async function getConnection(
  kv: Deno.Kv,
  customer_id: string,
  connection_id: string,
): Promise<Connection | null> {
  const entry = await retryTransient(() =>
    getEntry(kv, customer_id, connection_id)
  );
  return entry?.value ?? null;
}

/**
 * {@linkcode getConnection}, with the record's versionstamp, for a write that follows
 * (a disconnect).
 *
 * @example
 * ```ts
 * const entry = await getConnectionEntry(kv, session.customer_id, params.connection_id);
 * ```
 */
export async function getConnectionEntry(
  kv: Deno.Kv,
  customer_id: string,
  connection_id: string,
): Promise<ConnectionEntry | null> {
  return await retryTransient(() => getEntry(kv, customer_id, connection_id));
}

/**
 * A connection by its Finch id alone (integrator API, webhooks), with its
 * versionstamp, or null.
 *
 * @example
 * ```ts
 * const entry = await findConnectionEntry(kv, event.connection_id);
 * ```
 */
export async function findConnectionEntry(
  kv: Deno.Kv,
  connection_id: string,
): Promise<ConnectionEntry | null> {
  return await retryTransient(() => findEntry(kv, connection_id));
}

/**
 * A connection by its Finch id alone (integrator API, webhooks), or null.
 *
 * @example
 * ```ts
 * const c = await findConnection(kv, event.connection_id);
 * ```
 */
export async function findConnection(
  kv: Deno.Kv,
  connection_id: string,
): Promise<Connection | null> {
  return (await findConnectionEntry(kv, connection_id))?.value ?? null;
}

/**
 * Which connections a list shows: `live` (the default: every connection not
 * disconnected through the portal, whatever its status), `disconnected` (the
 * tombstones), or the live ones in one status.
 */
export type ConnectionFilter = "live" | "disconnected" | ConnectionStatus;

/**
 * One page of a customer's connections, in one KV round trip: the live ones newest
 * first (by when they were first added: a refresh or a reconnect does not move one), the
 * disconnected ones in connection id order.
 *
 * A customer whose records predate the added-order copies (release 1) must have them
 * made first: {@linkcode ensureAddedOrder}.
 *
 * @example
 * ```ts
 * const { values, cursor } = await listConnections(kv, "acme", { limit: 10 });
 * const gone = await listConnections(kv, "acme", { status: "disconnected" });
 * ```
 */
export async function listConnections(
  kv: Deno.Kv,
  customer_id: string,
  options: Omit<PageOptions<Connection>, "filter"> & {
    status?: ConnectionFilter;
  } = {},
): Promise<Page<Connection>> {
  const id = parse(CustomerId, customer_id, "customer id");
  const { status = "live", ...page } = options;
  if (status === "disconnected") {
    return await listPage<DisconnectedConnection>(
      kv,
      disconnectedConnectionsPrefix(id),
      page,
    );
  }
  return await listPage<Connection>(kv, connectionsByAddedPrefix(id), {
    ...page,
    reverse: true,
    filter: status === "live" ? undefined : (c) => c.status === status,
  });
}

/**
 * The opened access token of a connection, or null when none is stored.
 * Throws `SealError` when it cannot be opened with the configured keys.
 *
 * @example
 * ```ts
 * const token = await getAccessToken(kv, sealer, "conn_1");
 * ```
 */
export async function getAccessToken(
  kv: Deno.Kv,
  sealer: Sealer,
  connection_id: string,
): Promise<string | null> {
  if (!FinchId.safeParse(connection_id).success) return null;
  const entry = await retryTransient(() =>
    kv.get<string>(connectionTokenKey(connection_id))
  );
  if (!entry.value) return null;
  return await sealer.open(entry.value, tokenAad(connection_id));
}

/**
 * A connection by its id alone, live or disconnected (its tombstone), or null: what the
 * integrator's `GET /api/connections/:id` shows. Two round trips, as for a live one.
 *
 * @example
 * ```ts
 * const c = await findConnectionRecord(kv, "conn_1");
 * if (c?.status === "disconnected" && "disconnect" in c) console.log(c.disconnect.by);
 * ```
 */
export async function findConnectionRecord(
  kv: Deno.Kv,
  connection_id: string,
): Promise<Connection | DisconnectedConnection | null> {
  if (!FinchId.safeParse(connection_id).success) return null;
  return await retryTransient(async () => {
    const owner = await kv.get<ConnectionOwner>(
      connectionOwnerKey(connection_id),
    );
    if (!owner.value) return null;
    const key = owner.value.disconnected_at
      ? disconnectedConnectionKey(owner.value.customer_id, connection_id)
      : connectionKey(owner.value.customer_id, connection_id);
    return (await kv.get<Connection>(key)).value;
  });
}
