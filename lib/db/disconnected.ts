/**
 * Disconnected connections: a disconnect leaves a tombstone.
 *
 * One atomic op moves the live record to `["disconnected_connections", customer, id]`
 * with status `disconnected` and the receipt, marks the owner index, and deletes the
 * company index and the sealed token. So the record stays readable by id (the
 * integrator API), a connection id still belongs to its one customer, the company is
 * free to be connected again as a new live connection, and the employer's page, which
 * lists the live prefix only, no longer shows it.
 *
 * @module
 */
import type { AlsoInOp, ConnectionEntry } from "./connections.ts";
import { getEntry } from "./connection_reads.ts";
import {
  addRecordDelete,
  type ConnectionOwner,
  tombstoneOf,
} from "./connection_records.ts";
import { AlreadyDisconnected, NotFound } from "./errors.ts";
import {
  connectionCompanyKey,
  connectionOwnerKey,
  connectionTokenKey,
  disconnectedConnectionKey,
} from "./keys.ts";
import { decide } from "./retry.ts";
import type {
  Connection,
  DisconnectedConnection,
  DisconnectReceipt,
} from "./schemas.ts";

/** What a {@linkcode disconnectRecord} round writes. */
export interface DisconnectChange {
  /** The live record as it was. */
  removed: Connection;
  tombstone: DisconnectedConnection;
}

/**
 * Disconnects a connection locally: its tombstone in place of the record, owner index
 * marked, company index and sealed token deleted, in one atomic op. Returns the
 * tombstone. {@linkcode NotFound} when the customer has no such connection,
 * {@linkcode AlreadyDisconnected} when it is already a tombstone. Call Finch's
 * `/disconnect` first, with `getAccessToken`: afterwards the token is gone.
 *
 * With `expected` (the record as the caller read it), the first round writes under a
 * check of its versionstamp instead of reading the record again; if it changed since,
 * it is decided again on fresh data. `also` adds the caller's writes (the event) to the
 * same op.
 *
 * @example
 * ```ts
 * const tombstone = await disconnectRecord(kv, "acme", "conn_1", {
 *   by: "api", revoked_upstream: true, disconnected_at: new Date().toISOString(),
 * });
 * ```
 */
export async function disconnectRecord(
  kv: Deno.Kv,
  customer_id: string,
  connection_id: string,
  receipt: Omit<DisconnectReceipt, "replaced_by">,
  options: {
    expected?: ConnectionEntry;
    also?: AlsoInOp<DisconnectChange>;
  } = {},
): Promise<DisconnectedConnection> {
  const { value } = await decide<DisconnectedConnection>(
    `disconnect connection ${connection_id}`,
    async (round) => {
      const record = round === 0 && options.expected
        ? options.expected
        : await getEntry(kv, customer_id, connection_id);
      if (!record?.value) {
        const gone = await kv.get(
          disconnectedConnectionKey(customer_id, connection_id),
        );
        if (gone.value) throw new AlreadyDisconnected(connection_id);
        throw new NotFound("connection", connection_id);
      }
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
      const tombstone = tombstoneOf(c, { ...receipt, replaced_by: null });
      const op = addRecordDelete(
        kv.atomic().check(record, owner, company, token),
        c,
      )
        .set(disconnectedConnectionKey(c.customer_id, connection_id), tombstone)
        .set(
          connectionOwnerKey(connection_id),
          {
            customer_id: c.customer_id,
            disconnected_at: receipt.disconnected_at,
          } satisfies ConnectionOwner,
        )
        .delete(connectionTokenKey(connection_id));
      // Only drop the company index if it is ours (it always should be).
      if (company.value === connection_id) op.delete(companyKey);
      await options.also?.(op, round, { removed: c, tombstone });
      return { commit: () => op, result: tombstone };
    },
  );
  return value;
}
