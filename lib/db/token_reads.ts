/**
 * The integrator's access token reads: the read itself, and their audit log, who read
 * which connection's token, when, and what they got (`GET /api/audit` lists it;
 * lib/flows/token_read.ts writes it).
 *
 * Each entry is written in the same atomic write as the read's rate-limit count, so a
 * token read costs two KV round trips in all: the owner, the sealed token and the
 * counter read together, then that one write. An entry names the key by role (`admin` or
 * `token`) and a short fingerprint, never the key. Entries are kept 90 days
 * (`expireIn`), under a ULID so that the log lists oldest first, and again under their
 * connection so that one connection's reads list without a scan.
 *
 * @module
 */
import type { Sealer } from "../sealing.ts";
import { type ConnectionOwner, tokenAad } from "./connection_records.ts";
import { InvalidInput } from "./errors.ts";
import {
  connectionOwnerKey,
  connectionTokenKey,
  tokenReadByConnectionKey,
  tokenReadKey,
  tokenReadsByConnectionPrefix,
  tokenReadsPrefix,
} from "./keys.ts";
import { retryTransient } from "./retry.ts";
import { FinchId, parse } from "./schemas.ts";

/** How long an audit entry is kept: 90 days. */
export const AUDIT_TTL_MS = 90 * 24 * 3600_000;

/** What a token read came to. */
export type TokenReadOutcome =
  /** The token was handed out. */
  | "served"
  /** No such connection (or it was going away). */
  | "not_found"
  /** Disconnected: only its tombstone is left, and its token was revoked and deleted. */
  | "disconnected"
  /** A key that may not read tokens (the admin key when `TOKEN_API_KEY` is set). */
  | "forbidden";

/** One audit entry. */
export interface AuditEntry {
  /** A ULID: sorts by time. */
  id: string;
  at: string;
  /** Which key read: its role, and a fingerprint that tells rotated keys apart. */
  key: "admin" | "token";
  key_fingerprint: string;
  connection_id: string;
  /** The connection's customer; null when there was none, or it was not looked up. */
  customer_id: string | null;
  outcome: TokenReadOutcome;
}

/** The shape of an entry id (ULID, Crockford base32). */
export const AUDIT_ID = /^[0-9A-HJKMNP-TV-Z]{26}$/;

/**
 * Adds an audit entry to `op` (two writes: the log and the connection's copy).
 *
 * @example
 * ```ts
 * addAuditEntry(op, { id: ulid(), at, key: "token", key_fingerprint, connection_id,
 *   customer_id, outcome: "served" });
 * ```
 */
export function addAuditEntry(
  op: Deno.AtomicOperation,
  entry: AuditEntry,
): Deno.AtomicOperation {
  return op
    .set(tokenReadKey(entry.id), entry, { expireIn: AUDIT_TTL_MS })
    .set(tokenReadByConnectionKey(entry.connection_id, entry.id), entry, {
      expireIn: AUDIT_TTL_MS,
    });
}

/**
 * The owner of a connection and its opened access token, read together (one round
 * trip), `"disconnected"` for a tombstone, or null when the connection or its token is
 * not stored, with any `alsoRead`
 * keys the caller needs (the token route's rate counter), which come back in `also`.
 * For the integrator's token route, which needs nothing else.
 *
 * @example
 * ```ts
 * const { found } = await readToken(kv, sealer, "conn_1");
 * if (found && found !== "disconnected") respond(found.access_token);
 * ```
 */
export async function readToken(
  kv: Deno.Kv,
  sealer: Sealer,
  connection_id: string,
  options: { alsoRead?: Deno.KvKey[] } = {},
): Promise<{
  found: { customer_id: string; access_token: string } | "disconnected" | null;
  also: Deno.KvEntryMaybe<unknown>[];
}> {
  const id = parse(FinchId, connection_id, "connection id");
  const [owner, token, ...also] = await retryTransient(() =>
    kv.getMany([
      connectionOwnerKey(id),
      connectionTokenKey(id),
      ...(options.alsoRead ?? []),
    ])
  ) as [
    Deno.KvEntryMaybe<ConnectionOwner>,
    Deno.KvEntryMaybe<string>,
    ...Deno.KvEntryMaybe<unknown>[],
  ];
  // A tombstone keeps its owner (marked disconnected) and no token (lib/db/disconnected.ts).
  if (owner.value?.disconnected_at) return { found: "disconnected", also };
  if (!owner.value || typeof token.value !== "string") {
    return { found: null, also };
  }
  return {
    found: {
      customer_id: owner.value.customer_id,
      access_token: await sealer.open(token.value, tokenAad(id)),
    },
    also,
  };
}

/** One page of the audit log. */
export interface AuditPage {
  entries: AuditEntry[];
  /** Pass as `after` for the next page; null when this page reached the end. */
  next_after: string | null;
}

/**
 * Lists audit entries oldest first, after the entry `after` (exclusive), at most `limit`
 * (1-500), optionally only one connection's. One round trip.
 *
 * @example
 * ```ts
 * const { entries, next_after } = await listAuditEntries(kv, { limit: 100 });
 * ```
 */
export async function listAuditEntries(
  kv: Deno.Kv,
  options: { after?: string; limit?: number; connection_id?: string } = {},
): Promise<AuditPage> {
  const limit = options.limit ?? 100;
  if (!Number.isInteger(limit) || limit < 1 || limit > 500) {
    throw new InvalidInput("audit page", ["limit: integer 1-500"]);
  }
  if (options.after !== undefined && !AUDIT_ID.test(options.after)) {
    throw new InvalidInput("audit page", ["after: an entry id"]);
  }
  const prefix = options.connection_id !== undefined
    ? tokenReadsByConnectionPrefix(options.connection_id)
    : tokenReadsPrefix();
  const selector: Deno.KvListSelector = options.after
    // The smallest key after `after`'s: its key extended by the lowest part.
    ? { prefix, start: [...prefix, options.after, new Uint8Array()] }
    : { prefix };
  return await retryTransient(async () => {
    const entries: AuditEntry[] = [];
    for await (
      const entry of kv.list<AuditEntry>(selector, {
        limit: limit + 1,
        batchSize: limit + 1,
      })
    ) entries.push(entry.value);
    const page = entries.slice(0, limit);
    return {
      entries: page,
      next_after: entries.length > limit ? page[limit - 1].id : null,
    };
  });
}
