/**
 * Changing what a stored connection says about itself: details learnt from Finch
 * (introspect, company) and statuses from webhooks. Each change is one versionstamp-
 * checked write, decided again when another write got there first; a status older than
 * what the record already knows is ignored, so late or repeated events never roll it back.
 *
 * @module
 */
import { addRecordSet, mergeEntities } from "./connection_records.ts";
import {
  type AlsoInOp,
  type ConnectionEntry,
  findEntry,
  getEntry,
} from "./connections.ts";
import { NotFound } from "./errors.ts";
import { decideLoop } from "./retry.ts";
import {
  Connection,
  ConnectionPatch,
  type ConnectionStatus,
  type Entity,
  FinchId,
  iso,
  parse,
} from "./schemas.ts";

/** What an {@linkcode updateConnection} or {@linkcode applyStatus} round writes. */
export interface StatusChange {
  previous: Connection;
  connection: Connection;
}

/** Result of {@linkcode applyStatus}. */
export type ApplyStatusResult =
  | { outcome: "applied"; connection: Connection }
  | { outcome: "stale"; connection: Connection }
  | { outcome: "not_found" };

/**
 * Updates details learnt from introspect / company (name, status, entities,
 * authentication methods, last sync...), versionstamp-checked and retried.
 * A status change obeys the same ordering as {@linkcode applyStatus}: it is
 * ignored when `status_at` (default now) is older than the stored one.
 * Throws {@linkcode NotFound}.
 *
 * With `known` (the record and its versionstamp, e.g. from the write that just stored
 * it), the first round writes under that versionstamp's check without reading again.
 *
 * @example
 * ```ts
 * const c = await updateConnection(kv, "acme", "conn_1", {
 *   company_name: company.legal_name, status: intro.connection_status.status,
 * });
 * ```
 */
export async function updateConnection(
  kv: Deno.Kv,
  customer_id: string,
  connection_id: string,
  patch: ConnectionPatch,
  options: {
    now?: Date;
    known?: ConnectionEntry;
    /** The caller's writes (its events), in the same op. */
    also?: AlsoInOp<StatusChange>;
  } = {},
): Promise<Connection> {
  const p = parse(ConnectionPatch, patch, "connection patch");
  return await decideLoop<Connection>(
    `update connection ${connection_id}`,
    async (round) => {
      const entry = round === 0 && options.known
        ? options.known
        : await getEntry(kv, customer_id, connection_id);
      if (!entry?.value) throw new NotFound("connection", connection_id);
      const old = entry.value;
      const now = iso(options.now ?? new Date());
      const statusAt = p.status_at ?? now;
      const statusNewer = statusAt >= old.status_at;
      const next: Connection = { ...old, updated_at: now };
      for (
        const field of [
          "company_name",
          "products",
          "authentication_methods",
          "last_synced_at",
          "client_type",
          "connection_type",
        ] as const
      ) {
        if (p[field] !== undefined) Object.assign(next, { [field]: p[field] });
      }
      if (p.status !== undefined && statusNewer) {
        next.status = p.status;
        next.status_message = p.status_message ?? null;
        next.status_at = statusAt;
      }
      if (p.entities !== undefined) {
        // Introspect's list is authoritative: entities it omits are gone.
        const kept = old.entities.filter((e) =>
          p.entities!.some((d) => d.id === e.id)
        );
        next.entities = mergeEntities(
          kept,
          [],
          p.entities.map((d) => ({
            ...d,
            name: d.name ?? null,
            source_id: d.source_id ?? null,
          })),
          p.status ?? old.status,
          statusAt,
        );
      }
      const connection = parse(Connection, next, "connection");
      const op = addRecordSet(kv.atomic().check(entry), connection);
      await options.also?.(op, round, { previous: old, connection });
      return { commit: () => op, result: connection };
    },
  );
}

/**
 * Applies a status observed at `at` (a webhook's time): ignored as `stale`
 * when older than what the record (or, with `entity_id`, the entity) already
 * knows, so a late event never rolls back a newer one. An unknown entity id is
 * added. `not_found` for an unknown connection.
 *
 * @example
 * ```ts
 * const r = await applyStatus(kv, event.connection_id, {
 *   status: event.data.status, at: new Date(Number(timestamp) * 1000),
 *   entity_id: event.entity_id ?? undefined,
 * });
 * if (r.outcome === "not_found") console.log("unknown connection");
 * ```
 */
export async function applyStatus(
  kv: Deno.Kv,
  connection_id: string,
  update: {
    status: ConnectionStatus | string;
    at: Date | string;
    message?: string | null;
    entity_id?: string | null;
  },
  options: { also?: AlsoInOp<StatusChange> } = {},
): Promise<ApplyStatusResult> {
  const status = parse(Connection.shape.status, update.status, "status");
  const at = iso(update.at);
  const result = await decideLoop<ApplyStatusResult>(
    `status of ${connection_id}`,
    async (round) => {
      const entry = await findEntry(kv, connection_id);
      if (!entry) return { done: { outcome: "not_found" } };
      const old = entry.value;
      const next: Connection = { ...old, updated_at: iso(new Date()) };
      if (update.entity_id) {
        const id = parse(FinchId, update.entity_id, "entity id");
        const current = old.entities.find((e) => e.id === id);
        if (current && at < current.status_at) {
          return { done: { outcome: "stale", connection: old } };
        }
        const entity: Entity = current
          ? { ...current, status, status_at: at }
          : { id, name: null, source_id: null, status, status_at: at };
        next.entities = current
          ? old.entities.map((e) => e.id === id ? entity : e)
          : [...old.entities, entity];
      } else {
        if (at < old.status_at) {
          return { done: { outcome: "stale", connection: old } };
        }
        next.status = status;
        next.status_message = update.message ?? null;
        next.status_at = at;
      }
      const connection = parse(Connection, next, "connection");
      const op = addRecordSet(kv.atomic().check(entry), connection);
      await options.also?.(op, round, { previous: old, connection });
      return { commit: () => op, result: { outcome: "applied", connection } };
    },
  );
  return result;
}
