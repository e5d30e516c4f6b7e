/**
 * Connection records as plain values: how a record is built from Finch's token, refreshed
 * by a new one, how entity lists merge, and the keys a live record is kept under. No KV
 * reads or commits here, so the rules can be read (and tested) apart from the atomic
 * writes in `connections.ts`.
 *
 * @module
 */
import { connectionByAddedKey, connectionKey } from "./keys.ts";
import {
  Connection,
  type ConnectionStatus,
  DisconnectedConnection,
  type DisconnectReceipt,
  type Entity,
  parse,
  StoreConnectionInput,
} from "./schemas.ts";

/**
 * Value of the owner index `["connections_by_id", connection_id]`. It outlives a
 * disconnect (a connection id belongs to one customer for good); `disconnected_at` then
 * says that the record is the tombstone.
 */
export interface ConnectionOwner {
  customer_id: string;
  disconnected_at?: string;
}

/**
 * Every key a live record is kept under: by id (tenancy in the key: the customer's
 * prefix lists only its own) and by when it was first added (`created_at`, which never
 * changes: a refresh or a reconnect does not move it), which the page lists newest
 * first in one read.
 */
export function recordKeys(
  c: Pick<Connection, "customer_id" | "connection_id" | "created_at">,
): Deno.KvKey[] {
  return [
    connectionKey(c.customer_id, c.connection_id),
    connectionByAddedKey(
      c.customer_id,
      Date.parse(c.created_at),
      c.connection_id,
    ),
  ];
}

/** Adds to `op` the writes of a live record under every one of its keys. */
export function addRecordSet(
  op: Deno.AtomicOperation,
  c: Connection,
): Deno.AtomicOperation {
  for (const key of recordKeys(c)) op.set(key, c);
  return op;
}

/** Adds to `op` the deletes of a live record under every one of its keys. */
export function addRecordDelete(
  op: Deno.AtomicOperation,
  c: Connection,
): Deno.AtomicOperation {
  for (const key of recordKeys(c)) op.delete(key);
  return op;
}

/** A store input after validation. */
export type ParsedInput = ReturnType<typeof StoreConnectionInput.parse>;

/** The AAD binding a sealed token to its connection. */
export const tokenAad = (connection_id: string): string =>
  `connection_token:${connection_id}`;

/**
 * Merges entity ids and detail over the stored entities. Status is taken
 * only where `at` is not older than what the entity already knows.
 */
export function mergeEntities(
  prev: Entity[],
  ids: string[],
  detail: ParsedInput["entities"],
  status: ConnectionStatus,
  at: string,
): Entity[] {
  const out = new Map(prev.map((e) => [e.id, e]));
  const byId = new Map(detail.map((d) => [d.id, d]));
  for (const id of new Set([...ids, ...byId.keys()])) {
    const old = out.get(id);
    const d = byId.get(id);
    const newer = !old || at >= old.status_at;
    out.set(id, {
      id,
      name: d?.name ?? old?.name ?? null,
      source_id: d?.source_id ?? old?.source_id ?? null,
      status: newer ? d?.status ?? status : old.status,
      status_at: newer ? at : old.status_at,
    });
  }
  return [...out.values()];
}

/** The tombstone a disconnect leaves of `c`. */
export function tombstoneOf(
  c: Connection,
  receipt: DisconnectReceipt,
): DisconnectedConnection {
  return parse(DisconnectedConnection, {
    ...c,
    status: "disconnected",
    status_message: null,
    status_at: receipt.disconnected_at,
    updated_at: receipt.disconnected_at,
    disconnect: receipt,
  }, "tombstone");
}

export function newConnection(data: ParsedInput, now: string): Connection {
  return parse(Connection, {
    connection_id: data.connection_id,
    customer_id: data.customer_id,
    provider_id: data.provider_id,
    company_id: data.company_id,
    company_name: data.company_name,
    status: data.status,
    status_message: data.status_message,
    status_at: now,
    products: data.products,
    entities: mergeEntities(
      [],
      data.entity_ids,
      data.entities,
      data.status,
      now,
    ),
    finch_customer_id: data.finch_customer_id,
    client_type: data.client_type,
    connection_type: data.connection_type,
    authentication_methods: data.authentication_methods,
    last_synced_at: null,
    token_updated_at: now,
    created_at: now,
    updated_at: now,
  }, "connection");
}

/** A new token for a stored connection: identity and history kept. */
export function refreshConnection(
  old: Connection,
  data: ParsedInput,
  now: string,
): Connection {
  const newer = now >= old.status_at;
  return parse(Connection, {
    ...old,
    company_name: data.company_name ?? old.company_name,
    // The newest token defines what may be called, so its scopes win.
    products: data.products,
    entities: mergeEntities(
      old.entities,
      data.entity_ids,
      data.entities,
      data.status,
      now,
    ),
    status: newer ? data.status : old.status,
    status_message: newer ? data.status_message : old.status_message,
    status_at: newer ? now : old.status_at,
    client_type: data.client_type ?? old.client_type,
    connection_type: data.connection_type ?? old.connection_type,
    authentication_methods: data.authentication_methods ??
      old.authentication_methods,
    token_updated_at: now,
    updated_at: now,
  }, "connection");
}
