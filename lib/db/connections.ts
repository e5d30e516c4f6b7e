/**
 * Connections: one stored Finch connection per (customer, provider, company),
 * each `connection_id` owned by exactly one customer, its token sealed apart.
 *
 * Every write is one atomic op whose checks cover every key the decision read
 * (record, owner index, company index, attempt slot), so concurrent callbacks
 * and several processes on one KV file cannot break the two uniqueness rules:
 * a lost check re-reads and decides again ({@linkcode decide}). Refusals
 * (`ConnectionOwnedElsewhere`, `DuplicateConnection`) are decided before
 * anything is written. At most 6 checks per op, plus what a caller adds to the
 * same op with `also` (its own checks and writes, committed only together with
 * the connection: the callback spends its state that way).
 *
 * The token's AAD is its connection id, so a sealed value copied onto another
 * connection fails to open. Status and detail updates are in
 * `connection_status.ts`; record building in `connection_records.ts`.
 *
 * @module
 */
import type { Sealer } from "../sealing.ts";
import { addAdvance, type AttemptRecord } from "./attempts.ts";
import {
  type ConnectionOwner,
  newConnection,
  refreshConnection,
  tokenAad,
} from "./connection_records.ts";
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
import { decide, retryTransient } from "./retry.ts";
import {
  type Connection,
  CustomerId,
  FinchId,
  iso,
  parse,
  StoreConnectionInput,
} from "./schemas.ts";

export { type ConnectionOwner, tokenAad } from "./connection_records.ts";

/**
 * Adds a caller's own checks and writes to a connection's atomic op; called again, with
 * the round's number, each time the op is decided again.
 */
export type AlsoInOp = (
  op: Deno.AtomicOperation,
  round: number,
) => void | Promise<void>;

/** Result of {@linkcode storeConnection}. */
export interface StoreResult {
  /** `created`: a new record; `refreshed`: same connection, new token. */
  outcome: "created" | "refreshed";
  connection: Connection;
  /** The record's versionstamp after the write (for a following checked update). */
  versionstamp: string;
}

/** Result of {@linkcode replaceConnection}. */
export interface ReplaceResult {
  outcome: "replaced";
  connection: Connection;
  /** The new record's versionstamp after the write. */
  versionstamp: string;
  /**
   * The removed connection and its last token, so the caller can retire it
   * upstream (`/disconnect`) now that no record uses it. `access_token` is
   * null when the old token could not be opened.
   */
  retired: { connection: Connection; access_token: string | null };
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
 * is still at that slot (created or refreshed). Refusals write nothing, and
 * nothing of `also` either. Throws {@linkcode NotFound} for an unknown customer.
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
  options: { now?: Date; also?: AlsoInOp } = {},
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

  const { value, versionstamp } = await decide<
    Omit<StoreResult, "versionstamp">
  >(
    `store connection ${connection_id}`,
    async (round) => {
      const now = iso(options.now ?? new Date());
      const [customer, owner, company, record, attempt] = await kv.getMany<
        [unknown, ConnectionOwner, string, Connection, AttemptRecord]
      >([keys.customer, keys.owner, keys.company, keys.record, keys.attempt]);
      if (!customer.value) throw new NotFound("customer", customer_id);
      if (owner.value && owner.value.customer_id !== customer_id) {
        throw new ConnectionOwnedElsewhere(connection_id);
      }

      const op = kv.atomic();
      let result: Omit<StoreResult, "versionstamp">;
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
      await options.also?.(op, round);
      return { commit: () => op, result };
    },
  );
  return { ...value, versionstamp: versionstamp! };
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
  options: { now?: Date; also?: AlsoInOp } = {},
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

  const { value, versionstamp } = await decide<
    Omit<ReplaceResult, "versionstamp">
  >(
    `replace connection ${old.connection_id}`,
    async (round) => {
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
      await options.also?.(op, round);
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
  return { ...value, versionstamp: versionstamp! };
}

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

/** The record of `connection_id` through its owner index, or null. Internal. */
export async function findEntry(
  kv: Deno.Kv,
  connection_id: string,
): Promise<ConnectionEntry | null> {
  if (!FinchId.safeParse(connection_id).success) return null;
  const owner = await kv.get<ConnectionOwner>(
    connectionOwnerKey(connection_id),
  );
  if (!owner.value) return null;
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
 * One page of a customer's connections, in connection id order: one KV round trip.
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
 * With `expected` (the record as the caller read it), the first round writes under a
 * check of its versionstamp instead of reading the record again; if it changed since,
 * the delete is decided again on fresh data.
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
  options: { expected?: ConnectionEntry } = {},
): Promise<Connection> {
  const { value } = await decide<Connection>(
    `delete connection ${connection_id}`,
    async (round) => {
      const record = round === 0 && options.expected
        ? options.expected
        : await getEntry(kv, customer_id, connection_id);
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
  return value;
}
