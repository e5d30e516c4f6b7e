/**
 * Typed errors of the KV data layer.
 *
 * Every failure a caller may want to act on is a subclass of {@linkcode DbError}
 * with a stable `code`, so one `app.onError` can map them (404, 409, 400, 503)
 * without parsing messages. Messages never carry tokens or key material, and a
 * conflict with another customer never names that customer.
 *
 * @module
 */
import type { Connection } from "./schemas.ts";

/** Stable machine-readable codes of {@linkcode DbError}. */
export type DbErrorCode =
  | "not_found"
  | "invalid_input"
  | "connection_owned_elsewhere"
  | "duplicate_connection"
  | "write_conflict"
  | "store_busy"
  | "already_disconnected";

/**
 * Base class of every data-layer error.
 *
 * @example
 * ```ts
 * try { await deleteConnection(kv, "acme", id); }
 * catch (e) { if (e instanceof DbError) console.log(e.code); }
 * ```
 */
export class DbError extends Error {
  /** Stable code for mapping to HTTP answers. */
  readonly code: DbErrorCode;
  constructor(code: DbErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/**
 * The record the operation needs does not exist.
 *
 * @example
 * ```ts
 * throw new NotFound("connection", "conn_1");
 * ```
 */
export class NotFound extends DbError {
  /** What kind of record was missing: "customer", "connection", ... */
  readonly entity: string;
  constructor(entity: string, id: string) {
    super("not_found", `${entity} not found: ${id}`);
    this.entity = entity;
  }
}

/**
 * Input failed validation; `issues` lists the offending fields.
 *
 * @example
 * ```ts
 * throw new InvalidInput("customer id", ["id: must match ..."]);
 * ```
 */
export class InvalidInput extends DbError {
  /** Human-readable issues, one per field (values are never echoed). */
  readonly issues: string[];
  constructor(what: string, issues: string[]) {
    super("invalid_input", `invalid ${what}: ${issues.join("; ")}`);
    this.issues = issues;
  }
}

/**
 * The Finch `connection_id` already belongs to another customer. Nothing was
 * written. The other customer is deliberately not named.
 *
 * @example
 * ```ts
 * throw new ConnectionOwnedElsewhere("conn_1");
 * ```
 */
export class ConnectionOwnedElsewhere extends DbError {
  /** The contested Finch connection id. */
  readonly connection_id: string;
  constructor(connection_id: string) {
    super(
      "connection_owned_elsewhere",
      `connection ${connection_id} belongs to another customer`,
    );
    this.connection_id = connection_id;
  }
}

/**
 * The customer already has a live connection for this (provider, company)
 * under another `connection_id`. Nothing was written; `existing` is the
 * untouched record and `versionstamp` its version, which is exactly what
 * `replaceConnection` needs to swap it atomically.
 *
 * @example
 * ```ts
 * try { await storeConnection(kv, sealer, input); }
 * catch (e) {
 *   if (e instanceof DuplicateConnection) await replaceConnection(kv, sealer, e, input);
 * }
 * ```
 */
export class DuplicateConnection extends DbError {
  /** The live record for the same (customer, provider, company). */
  readonly existing: Connection;
  /** Versionstamp of `existing` when it was read. */
  readonly versionstamp: string;
  constructor(existing: Connection, versionstamp: string) {
    super(
      "duplicate_connection",
      `customer ${existing.customer_id} already has connection ${existing.connection_id} for ${existing.provider_id}/${existing.company_id}`,
    );
    this.existing = existing;
    this.versionstamp = versionstamp;
  }
}

/**
 * A versionstamp-checked commit kept losing to concurrent writers (its
 * `ok: false` after bounded re-reads), or the caller's view is stale.
 *
 * @example
 * ```ts
 * throw new WriteConflict("store connection conn_1");
 * ```
 */
export class WriteConflict extends DbError {
  constructor(what: string) {
    super("write_conflict", `write conflict: ${what}`);
  }
}

/**
 * The store kept answering with a transient error (`database is locked`)
 * after bounded retries. `cause` holds the last error.
 *
 * @example
 * ```ts
 * throw new StoreBusy(new TypeError("database is locked"));
 * ```
 */
export class StoreBusy extends DbError {
  constructor(cause: unknown) {
    super("store_busy", "KV store busy, try again", { cause });
  }
}

/**
 * The connection was already disconnected: only its tombstone is left.
 *
 * @example
 * ```ts
 * throw new AlreadyDisconnected("conn_1");
 * ```
 */
export class AlreadyDisconnected extends DbError {
  constructor(connection_id: string) {
    super(
      "already_disconnected",
      `connection ${connection_id} is disconnected`,
    );
  }
}
