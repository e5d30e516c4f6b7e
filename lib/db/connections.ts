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
 * A connection id belongs to one customer for good: its owner index outlives a
 * disconnect, pointing to the tombstone (`disconnected.ts`), which no longer counts
 * for the (customer, provider, company) rule. The same customer connecting that id
 * again brings it back to life.
 *
 * The token's AAD is its connection id, so a sealed value copied onto another
 * connection fails to open. Status and detail updates are in
 * `connection_status.ts`; reads in `connection_reads.ts`; record building in
 * `connection_records.ts`.
 *
 * @module
 */
import type { Sealer } from "../sealing.ts";
import { addAdvance, type AttemptRecord } from "./attempts.ts";
import {
  addRecordDelete,
  addRecordSet,
  type ConnectionOwner,
  newConnection,
  refreshConnection,
  tokenAad,
  tombstoneOf,
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
  connectionTokenKey,
  customerKey,
  disconnectedConnectionKey,
} from "./keys.ts";
import { decide } from "./retry.ts";
import {
  type Connection,
  type DisconnectedConnection,
  iso,
  parse,
  StoreConnectionInput,
} from "./schemas.ts";

export { type ConnectionOwner, tokenAad } from "./connection_records.ts";
// Reads live apart (connection_reads.ts); importers keep one module to import from.
export * from "./connection_reads.ts";

/**
 * Adds a caller's own checks and writes to a connection's atomic op; called again, with
 * the round's number, each time the op is decided again. `change` is what this round's
 * op would write (the events of lib/events/ are built from it).
 */
export type AlsoInOp<C = unknown> = (
  op: Deno.AtomicOperation,
  round: number,
  change: C,
) => void | Promise<void>;

/** What a {@linkcode storeConnection} round writes. */
export interface StoreChange {
  outcome: "created" | "refreshed";
  connection: Connection;
  /** The live record it refreshes (null: a new one). */
  previous: Connection | null;
}

/** What a {@linkcode replaceConnection} round writes. */
export interface ReplaceChange {
  outcome: "replaced";
  connection: Connection;
  /** The old connection's tombstone. */
  retired: DisconnectedConnection;
}

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
  options: { now?: Date; also?: AlsoInOp<StoreChange> } = {},
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
    tombstone: disconnectedConnectionKey(customer_id, connection_id),
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
        addRecordSet(op.check(owner, record), connection)
          .set(keys.token, sealed);
        result = { outcome: "refreshed", connection };
      } else {
        // The customer's own disconnected connection connected again: it lives again,
        // a new record in place of its tombstone.
        if (owner.value?.disconnected_at) op.delete(keys.tombstone);
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
        addRecordSet(op.check(owner, company, record), connection)
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
      await options.also?.(op, round, {
        ...result,
        previous: result.outcome === "refreshed" ? record.value : null,
      });
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
  options: { now?: Date; also?: AlsoInOp<ReplaceChange> } = {},
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
    oldTombstone: disconnectedConnectionKey(customer_id, old.connection_id),
    tombstone: disconnectedConnectionKey(customer_id, connection_id),
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
        company.value !== old.connection_id ||
        (owner.value && !owner.value.disconnected_at) || record.value
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
      // The old connection is gone upstream: it leaves a tombstone, as a disconnect does.
      const retired = tombstoneOf(oldRecord.value!, {
        by: "system",
        revoked_upstream: null,
        disconnected_at: now,
        replaced_by: connection_id,
      });
      const op = addRecordDelete(
        kv.atomic().check(oldRecord, oldToken, company, owner, record),
        oldRecord.value!,
      )
        .set(keys.oldTombstone, retired)
        .set(
          keys.oldOwner,
          {
            customer_id,
            disconnected_at: now,
          } satisfies ConnectionOwner,
        )
        .delete(keys.oldToken);
      addRecordSet(op, connection)
        .set(keys.owner, { customer_id } satisfies ConnectionOwner)
        .set(keys.company, connection_id)
        .set(keys.token, sealed);
      if (owner.value?.disconnected_at) op.delete(keys.tombstone);
      if (data.attempt_slot !== undefined) {
        addAdvance(op, attempt, customer_id, data.attempt_slot, {
          outcome: "converted",
          connection_id,
          detail: `replaced ${old.connection_id}`,
          at: now,
        });
      }
      await options.also?.(op, round, {
        outcome: "replaced",
        connection,
        retired,
      });
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
