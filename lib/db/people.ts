/**
 * The people list as stored: each connection's roster and the reconciled list, both in
 * sealed pages, plus a header per list and a summary of counts for the page.
 *
 * - Rosters are personal data: every page of them is sealed with the token keys
 *   (lib/sealing.ts), bound to its own key, so a page cannot be moved to another
 *   customer or connection. Pages hold ~100 people, so a KV value stays far below its
 *   64 KiB limit and memory while reading is bounded by a page.
 * - The summary (`["people_summary", customer_id]`) holds counts only, unsealed: what the
 *   connections page shows.
 * - Nothing here logs: callers log ids and counts, never a name.
 *
 * The job that fills these is lib/people/job.ts.
 *
 * @module
 */
import type { PersonRecord } from "../people/match.ts";
import type { Sealer } from "../sealing.ts";
import {
  peopleChunkKey,
  peopleChunksPrefix,
  peopleRequestKey,
  peopleResultKey,
  peopleRosterKey,
  peopleRosterMetaKey,
  peopleRosterPrefix,
  peopleSummaryKey,
} from "./keys.ts";
import { commit, retryTransient } from "./retry.ts";

export { peopleSummaryKey };

/** Where a customer's list stands, as the API and the page show it. */
export type PeopleState = "fresh" | "refreshing" | "partial" | "never";

/**
 * Counts for the connections page (no personal data): `systems` is the number of
 * connections the list was built from, `shared` the people found in more than one.
 */
export interface PeopleSummary {
  as_of: string | null;
  state: PeopleState;
  people: number;
  systems: number;
  shared: number;
  by_connection: Record<string, number>;
}

/** How one connection's fetch ended in the last job. */
export interface ConnectionOutcome {
  connection_id: string;
  provider_id: string;
  company_id: string;
  /** `ok`, `reauth` (401: the employer must reconnect), `not_ready` (202), `failed`. */
  state: "ok" | "reauth" | "not_ready" | "failed";
  /** People in the roster the list used (an earlier one when this fetch failed). */
  individuals: number;
  /** Why the fetch failed: a fixed sentence, never personal data. */
  error?: string;
}

/** One record of a person, as listed. */
export interface PersonRecordView {
  connection_id: string;
  provider_id: string;
  individual_id: string;
  is_active: boolean | null;
}

/** A reconciled person, as listed. */
export interface StoredPerson {
  person_id: string;
  first_name: string | null;
  last_name: string | null;
  dob: string | null;
  emails: string[];
  matched_on: "name_dob" | "email" | null;
  records: PersonRecordView[];
}

/** A conflict, as listed: which records a key would have merged wrongly. */
export interface StoredConflict {
  reason: string;
  records: { connection_id: string; individual_id: string }[];
}

/** The header of a reconciled list. */
export interface PeopleResult {
  /** The job that built it; its pages are under this id. */
  id: string;
  as_of: string;
  state: "fresh" | "partial";
  people: number;
  chunks: number;
  /** The index of the first person of each page (pages vary in size). */
  chunk_starts: number[];
  conflict_chunks: number;
  /** SHA-256 of the list's content: an unchanged refresh emits no event. */
  digest: string;
  connections: ConnectionOutcome[];
}

/** Which job's pages are a connection's current roster. */
export interface RosterMeta {
  job_id: string;
  individuals: number;
  pages: number;
  fetched_at: string;
}

/**
 * Records per sealed roster page (~250 bytes each): well under KV's 64 KiB per value.
 * List pages also stop at a size (lib/people/build.ts).
 */
export const PAGE_PEOPLE = 100;

const aadOf = (key: Deno.KvKey) => `people:${JSON.stringify(key)}`;

/** Seals `value` bound to the key it is stored under. */
export async function sealAt(
  sealer: Sealer,
  key: Deno.KvKey,
  value: unknown,
): Promise<string> {
  return await sealer.seal(JSON.stringify(value), aadOf(key));
}

/** Opens a value sealed by {@linkcode sealAt} under `key`. */
export async function openAt<T>(
  sealer: Sealer,
  key: Deno.KvKey,
  sealed: string,
): Promise<T> {
  return JSON.parse(await sealer.open(sealed, aadOf(key))) as T;
}

/** The roster page key of `records` starting at directory `offset`. */
export function rosterPageKey(
  customer_id: string,
  connection_id: string,
  job_id: string,
  offset: number,
): Deno.KvKey {
  return peopleRosterKey(customer_id, connection_id, job_id, offset);
}

/**
 * A connection's current roster, page by page (each page opened as it is read, so only
 * one page is in memory beyond what the caller keeps).
 *
 * @example
 * ```ts
 * for await (const records of readRoster(kv, sealer, "acme", "conn_1")) all.push(...records);
 * ```
 */
export async function* readRoster(
  kv: Deno.Kv,
  sealer: Sealer,
  customer_id: string,
  connection_id: string,
): AsyncGenerator<PersonRecord[]> {
  const meta = await retryTransient(() =>
    kv.get<RosterMeta>(peopleRosterMetaKey(customer_id, connection_id))
  );
  if (!meta.value) return;
  const prefix = peopleRosterPrefix(
    customer_id,
    connection_id,
    meta.value.job_id,
  );
  for await (const e of kv.list<string>({ prefix }, { batchSize: 20 })) {
    yield await openAt<PersonRecord[]>(sealer, e.key, e.value);
  }
}

/** The reconciled list's header, or null when none was built yet. */
export async function getPeopleResult(
  kv: Deno.Kv,
  customer_id: string,
): Promise<PeopleResult | null> {
  return (await retryTransient(() =>
    kv.get<PeopleResult>(peopleResultKey(customer_id))
  )).value;
}

/** Pages `from` to `to` (exclusive) of a list, opened. */
export async function readChunks<T>(
  kv: Deno.Kv,
  sealer: Sealer,
  kind: "people_chunks" | "people_conflict_chunks",
  customer_id: string,
  result_id: string,
  from: number,
  to: number,
): Promise<T[]> {
  if (to <= from) return [];
  const out: T[] = [];
  const iter = kv.list<string>({
    start: peopleChunkKey(kind, customer_id, result_id, from),
    end: peopleChunkKey(kind, customer_id, result_id, to),
  });
  for await (const e of iter) {
    out.push(...await openAt<T[]>(sealer, e.key, e.value));
  }
  return out;
}

/** Deletes every key under `prefix` except those `keep` says to, in ops of 100. */
export async function deleteUnder(
  kv: Deno.Kv,
  prefix: Deno.KvKey,
  keep: (key: Deno.KvKey) => boolean = () => false,
): Promise<number> {
  let deleted = 0;
  let batch: Deno.KvKey[] = [];
  const flush = async () => {
    const keys = batch;
    batch = [];
    if (keys.length === 0) return;
    await commit(() => {
      const op = kv.atomic();
      for (const k of keys) op.delete(k);
      return op;
    });
    deleted += keys.length;
  };
  // Keys only matter here; values are read by list anyway, in small batches.
  for await (const e of kv.list({ prefix }, { batchSize: 100 })) {
    if (keep(e.key)) continue;
    batch.push(e.key);
    if (batch.length >= 100) await flush();
  }
  await flush();
  return deleted;
}

/**
 * Forgets a connection's roster (its disconnect): its pages of every job and its header.
 * The reconciled list is rebuilt without it by the job queued with the disconnect.
 *
 * @example
 * ```ts
 * await deleteRoster(kv, "acme", "conn_1");
 * ```
 */
export async function deleteRoster(
  kv: Deno.Kv,
  customer_id: string,
  connection_id: string,
): Promise<void> {
  await deleteUnder(kv, peopleRosterPrefix(customer_id, connection_id));
  await commit(() =>
    kv.atomic().delete(peopleRosterMetaKey(customer_id, connection_id))
  );
}

/** The summary for the page, from a list's header. */
export function summaryOf(
  result: PeopleResult,
  shared: number,
  state: PeopleState = result.state,
): PeopleSummary {
  return {
    as_of: result.as_of,
    state,
    people: result.people,
    systems: result.connections.length,
    shared,
    by_connection: Object.fromEntries(
      result.connections.map((c) => [c.connection_id, c.individuals]),
    ),
  };
}

/** The chunk prefix helper, re-exported for the job's clean-up. */
export { peopleChunksPrefix };

/** The queue message that asks for a people job (debounced: lib/people/job.ts). */
export interface PeopleTrigger {
  kind: "people.trigger";
  customer_id: string;
  /** When the change that asks for it happened (ms): a job started later covers it. */
  at: number;
}

/** Debounce of data webhooks: a storm of them within this time makes one job. */
export const WEBHOOK_DEBOUNCE_MS = 2_000;

/**
 * Adds a people-job trigger to `op`, delivered after `delayMs`: in the op of the change
 * that asks for it (a connection made, a data webhook, a disconnect), so the change and
 * its refresh commit together. Triggers are cheap; the job they start is debounced.
 *
 * @example
 * ```ts
 * addPeopleTrigger(op, "acme", Date.now(), WEBHOOK_DEBOUNCE_MS);
 * ```
 */
export function addPeopleTrigger(
  op: Deno.AtomicOperation,
  customer_id: string,
  atMs: number,
  delayMs = 0,
): Deno.AtomicOperation {
  const message: PeopleTrigger = {
    kind: "people.trigger",
    customer_id,
    at: atMs,
  };
  return op.enqueue(message, { delay: Math.max(0, Math.round(delayMs)) });
}

/** Asks for a people job now (the refresh route, a stale read, a disconnect). */
export async function requestPeopleJob(
  kv: Deno.Kv,
  customer_id: string,
  atMs: number,
  delayMs = 0,
): Promise<void> {
  // The latest request is kept (KV's max, so concurrent requests never move it back):
  // a reader knows a refresh is on its way before the job starts. (Triggers added to
  // other changes' ops leave no mark: those ops stay as they were.)
  await commit(() =>
    addPeopleTrigger(kv.atomic(), customer_id, atMs, delayMs).max(
      peopleRequestKey(customer_id),
      BigInt(Math.round(atMs)),
    )
  );
}
