/**
 * Connections: one stored Finch connection per (customer, provider, company),
 * each `connection_id` owned by exactly one customer, its token sealed apart.
 *
 * Every write is one atomic op whose checks cover every key the decision read
 * (record, owner index, company index, attempt slot), so concurrent callbacks
 * and several processes on one KV file cannot break the two uniqueness rules:
 * a lost check re-reads and decides again ({@linkcode decideLoop}). Refusals
 * (`ConnectionOwnedElsewhere`, `DuplicateConnection`) are decided before
 * anything is written. At most 6 checks per op.
 *
 * The token's AAD is its connection id, so a sealed value copied onto another
 * connection fails to open.
 *
 * @module
 */
import type { Sealer } from "../sealing.ts";
import { addAdvance, type AttemptRecord } from "./attempts.ts";
import {
  ConnectionOwnedElsewhere,
  DuplicateConnection,
  InvalidInput,
  NotFound,
  WriteConflict,
} from "./errors.ts";
import {
  connectAttemptKey,
  connectionCompanyKey,
  connectionKey,
  connectionOwnerKey,
  connectionsPrefix,
  connectionTokenKey,
  customerKey,
} from "./keys.ts";
import { listPage, type Page, type PageOptions } from "./page.ts";
import { customerChanged } from "./changes.ts";
import { decideLoop, retryTransient } from "./retry.ts";
import {
  Connection,
  ConnectionPatch,
  type ConnectionStatus,
  CustomerId,
  type Entity,
  FinchId,
  iso,
  parse,
  StoreConnectionInput,
} from "./schemas.ts";

/** Value of the owner index `["connections_by_id", connection_id]`. */
export interface ConnectionOwner {
  customer_id: string;
}

/** Result of {@linkcode storeConnection}. */
export interface StoreResult {
  /** `created`: a new record; `refreshed`: same connection, new token. */
  outcome: "created" | "refreshed";
  connection: Connection;
}

/** Result of {@linkcode replaceConnection}. */
export interface ReplaceResult {
  outcome: "replaced";
  connection: Connection;
  /**
   * The removed connection and its last token, so the caller can retire it
   * upstream (`/disconnect`) now that no record uses it. `access_token` is
   * null when the old token could not be opened.
   */
  retired: { connection: Connection; access_token: string | null };
}

/** Result of {@linkcode applyStatus}. */
export type ApplyStatusResult =
  | { outcome: "applied"; connection: Connection }
  | { outcome: "stale"; connection: Connection }
  | { outcome: "not_found" };

type ParsedInput = ReturnType<typeof StoreConnectionInput.parse>;

/** The AAD binding a sealed token to its connection. */
export const tokenAad = (connection_id: string): string =>
  `connection_token:${connection_id}`;

/**
 * Merges entity ids and detail over the stored entities. Status is taken
 * only where `at` is not older than what the entity already knows.
 */
function mergeEntities(
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

function newConnection(data: ParsedInput, now: string): Connection {
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
function refreshConnection(
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

/**
 * Stores a connection from Finch's token (and optional introspect data) in
 * one atomic op:
 * - new `connection_id` and (customer, provider, company) → record, owner
 *   index, company index, sealed token → `created`;
 * - `connection_id` already this customer's → new sealed token, record kept
 *   and refreshed → `refreshed`;
 * - `connection_id` owned by another customer → {@linkcode ConnectionOwnedElsewhere};
 * - (customer, provider, company) live under another `connection_id` →
 *   {@linkcode DuplicateConnection} carrying the untouched record.
 *
 * With `attempt_slot`, the customer's attempt advances in the same op when it
 * is still at that slot (created or refreshed). Refusals write nothing.
 * Throws {@linkcode NotFound} for an unknown customer.
 *
 * @example
 * ```ts
 * const { outcome, connection } = await storeConnection(kv, sealer, {
 *   customer_id: "acme", connection_id: token.connection_id,
 *   provider_id: token.provider_id, company_id: token.company_id,
 *   access_token: token.access_token, products: token.products,
 *   entity_ids: token.entity_ids, finch_customer_id: "acme", attempt_slot: 1,
 * });
 * ```
 */
export async function storeConnection(
  kv: Deno.Kv,
  sealer: Sealer,
  input: StoreConnectionInput,
  options: { now?: Date } = {},
): Promise<StoreResult> {
  const data = parse(StoreConnectionInput, input, "connection");
  const { customer_id, connection_id, provider_id, company_id } = data;
  const sealed = await sealer.seal(data.access_token, tokenAad(connection_id));
  const keys = {
    customer: customerKey(customer_id),
    owner: connectionOwnerKey(connection_id),
    company: connectionCompanyKey(customer_id, provider_id, company_id),
    record: connectionKey(customer_id, connection_id),
    attempt: connectAttemptKey(customer_id),
    token: connectionTokenKey(connection_id),
  };

  const result = await decideLoop<StoreResult>(
    `store connection ${connection_id}`,
    async () => {
      const now = iso(options.now ?? new Date());
      const [customer, owner, company, record, attempt] = await kv.getMany<
        [unknown, ConnectionOwner, string, Connection, AttemptRecord]
      >([keys.customer, keys.owner, keys.company, keys.record, keys.attempt]);
      if (!customer.value) throw new NotFound("customer", customer_id);
      if (owner.value && owner.value.customer_id !== customer_id) {
        throw new ConnectionOwnedElsewhere(connection_id);
      }

      const op = kv.atomic();
      let result: StoreResult;
      if (owner.value && record.value) {
        const connection = refreshConnection(record.value, data, now);
        op.check(owner, record)
          .set(keys.record, connection)
          .set(keys.token, sealed);
        result = { outcome: "refreshed", connection };
      } else {
        if (company.value && company.value !== connection_id) {
          const existing = await kv.get<Connection>(
            connectionKey(customer_id, company.value),
          );
          if (existing.value) {
            throw new DuplicateConnection(
              existing.value,
              existing.versionstamp,
            );
          }
          // A dangling index (never written by this module) is overwritten
          // below under its versionstamp check.
        }
        const connection = newConnection(data, now);
        op.check(owner, company, record)
          .set(keys.record, connection)
          .set(keys.owner, { customer_id } satisfies ConnectionOwner)
          .set(keys.company, connection_id)
          .set(keys.token, sealed);
        result = { outcome: "created", connection };
      }
      if (data.attempt_slot !== undefined) {
        addAdvance(op, attempt, customer_id, data.attempt_slot, {
          outcome: "converted",
          connection_id,
          detail: result.outcome,
          at: now,
        });
      }
      return { commit: () => op, result };
    },
  );
  customerChanged(kv, customer_id);
  return result;
}

/**
 * Swaps a live connection for a new one of the same (customer, provider,
 * company) in one atomic op: the old record, indexes and token go, the new
 * ones are written. `target` is what {@linkcode DuplicateConnection} carries;
 * if the old record changed since (its versionstamp), nothing is written and
 * {@linkcode WriteConflict} is thrown: store again and decide again.
 * The caller then retires the old connection upstream with
 * `retired.access_token`.
 *
 * @example
 * ```ts
 * try { await storeConnection(kv, sealer, input); }
 * catch (e) {
 *   if (!(e instanceof DuplicateConnection)) throw e;
 *   const { retired } = await replaceConnection(kv, sealer, e, input);
 *   if (retired.access_token) await finch.disconnect(retired.access_token);
 * }
 * ```
 */
export async function replaceConnection(
  kv: Deno.Kv,
  sealer: Sealer,
  target: { existing: Connection; versionstamp: string },
  input: StoreConnectionInput,
  options: { now?: Date } = {},
): Promise<ReplaceResult> {
  const data = parse(StoreConnectionInput, input, "connection");
  const old = target.existing;
  if (
    old.customer_id !== data.customer_id ||
    old.provider_id !== data.provider_id ||
    old.company_id !== data.company_id ||
    old.connection_id === data.connection_id
  ) {
    throw new InvalidInput("replacement", [
      "must be another connection_id for the same customer, provider and company",
    ]);
  }
  const { customer_id, connection_id } = data;
  const sealed = await sealer.seal(data.access_token, tokenAad(connection_id));
  const keys = {
    oldRecord: connectionKey(customer_id, old.connection_id),
    oldOwner: connectionOwnerKey(old.connection_id),
    oldToken: connectionTokenKey(old.connection_id),
    company: connectionCompanyKey(customer_id, old.provider_id, old.company_id),
    owner: connectionOwnerKey(connection_id),
    record: connectionKey(customer_id, connection_id),
    token: connectionTokenKey(connection_id),
    attempt: connectAttemptKey(customer_id),
  };

  const result = await decideLoop<ReplaceResult>(
    `replace connection ${old.connection_id}`,
    async () => {
      const now = iso(options.now ?? new Date());
      const [oldRecord, oldToken, company, owner, record, attempt] = await kv
        .getMany<
          [
            Connection,
            string,
            string,
            ConnectionOwner,
            Connection,
            AttemptRecord,
          ]
        >([
          keys.oldRecord,
          keys.oldToken,
          keys.company,
          keys.owner,
          keys.record,
          keys.attempt,
        ]);
      if (owner.value && owner.value.customer_id !== customer_id) {
        throw new ConnectionOwnedElsewhere(connection_id);
      }
      if (
        oldRecord.versionstamp !== target.versionstamp ||
        company.value !== old.connection_id || owner.value || record.value
      ) {
        throw new WriteConflict(
          `connection ${old.connection_id} changed since it was read`,
        );
      }
      let access_token: string | null = null;
      if (oldToken.value) {
        access_token = await sealer
          .open(oldToken.value, tokenAad(old.connection_id))
          .catch(() => null);
      }
      const connection = newConnection(data, now);
      const op = kv.atomic()
        .check(oldRecord, oldToken, company, owner, record)
        .delete(keys.oldRecord)
        .delete(keys.oldOwner)
        .delete(keys.oldToken)
        .set(keys.record, connection)
        .set(keys.owner, { customer_id } satisfies ConnectionOwner)
        .set(keys.company, connection_id)
        .set(keys.token, sealed);
      if (data.attempt_slot !== undefined) {
        addAdvance(op, attempt, customer_id, data.attempt_slot, {
          outcome: "converted",
          connection_id,
          detail: `replaced ${old.connection_id}`,
          at: now,
        });
      }
      return {
        commit: () => op,
        result: {
          outcome: "replaced",
          connection,
          retired: { connection: oldRecord.value!, access_token },
        },
      };
    },
  );
  customerChanged(kv, customer_id);
  return result;
}

/**
 * Updates details learnt from introspect / company (name, status, entities,
 * authentication methods, last sync...), versionstamp-checked and retried.
 * A status change obeys the same ordering as {@linkcode applyStatus}: it is
 * ignored when `status_at` (default now) is older than the stored one.
 * Throws {@linkcode NotFound}.
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
  options: { now?: Date } = {},
): Promise<Connection> {
  const p = parse(ConnectionPatch, patch, "connection patch");
  const result = await decideLoop<Connection>(
    `update connection ${connection_id}`,
    async () => {
      const entry = await getEntry(kv, customer_id, connection_id);
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
      return {
        commit: () =>
          kv.atomic().check(entry).set(
            connectionKey(old.customer_id, old.connection_id),
            connection,
          ),
        result: connection,
      };
    },
  );
  customerChanged(kv, customer_id);
  return result;
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
): Promise<ApplyStatusResult> {
  const status = parse(Connection.shape.status, update.status, "status");
  const at = iso(update.at);
  const result = await decideLoop<ApplyStatusResult>(
    `status of ${connection_id}`,
    async () => {
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
      return {
        commit: () =>
          kv.atomic().check(entry).set(
            connectionKey(old.customer_id, old.connection_id),
            connection,
          ),
        result: { outcome: "applied", connection },
      };
    },
  );
  if (result.outcome === "applied") {
    customerChanged(kv, result.connection.customer_id);
  }
  return result;
}

async function getEntry(
  kv: Deno.Kv,
  customer_id: string,
  connection_id: string,
): Promise<Deno.KvEntryMaybe<Connection> | null> {
  if (
    !CustomerId.safeParse(customer_id).success ||
    !FinchId.safeParse(connection_id).success
  ) return null;
  return await kv.get<Connection>(connectionKey(customer_id, connection_id));
}

async function findEntry(
  kv: Deno.Kv,
  connection_id: string,
): Promise<Deno.KvEntry<Connection> | null> {
  if (!FinchId.safeParse(connection_id).success) return null;
  const owner = await kv.get<ConnectionOwner>(
    connectionOwnerKey(connection_id),
  );
  if (!owner.value) return null;
  const entry = await kv.get<Connection>(
    connectionKey(owner.value.customer_id, connection_id),
  );
  return entry.value ? entry as Deno.KvEntry<Connection> : null;
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
  const entry = await retryTransient(() => findEntry(kv, connection_id));
  return entry?.value ?? null;
}

/**
 * One page of a customer's connections, in connection id order.
 *
 * @example
 * ```ts
 * const { values, cursor } = await listConnections(kv, "acme", { limit: 10 });
 * ```
 */
export async function listConnections(
  kv: Deno.Kv,
  customer_id: string,
  options: PageOptions = {},
): Promise<Page<Connection>> {
  const id = parse(CustomerId, customer_id, "customer id");
  return await listPage<Connection>(kv, connectionsPrefix(id), options);
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
 * Deletes a connection: record, owner index, company index and sealed token
 * in one atomic op. Returns the deleted record; {@linkcode NotFound} when the
 * customer has no such connection. Call Finch's `/disconnect` first, with
 * {@linkcode getAccessToken}: afterwards the token is gone.
 *
 * @example
 * ```ts
 * const removed = await deleteConnection(kv, "acme", "conn_1");
 * ```
 */
export async function deleteConnection(
  kv: Deno.Kv,
  customer_id: string,
  connection_id: string,
): Promise<Connection> {
  const result = await decideLoop<Connection>(
    `delete connection ${connection_id}`,
    async () => {
      const record = await getEntry(kv, customer_id, connection_id);
      if (!record?.value) throw new NotFound("connection", connection_id);
      const c = record.value;
      const companyKey = connectionCompanyKey(
        c.customer_id,
        c.provider_id,
        c.company_id,
      );
      const [owner, company, token] = await kv.getMany<
        [ConnectionOwner, string, string]
      >([
        connectionOwnerKey(connection_id),
        companyKey,
        connectionTokenKey(connection_id),
      ]);
      const op = kv.atomic()
        .check(record, owner, company, token)
        .delete(connectionKey(c.customer_id, connection_id))
        .delete(connectionOwnerKey(connection_id))
        .delete(connectionTokenKey(connection_id));
      // Only drop the company index if it is ours (it always should be).
      if (company.value === connection_id) op.delete(companyKey);
      return { commit: () => op, result: c };
    },
  );
  customerChanged(kv, customer_id);
  return result;
}
