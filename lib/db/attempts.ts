/**
 * Connect attempts: the Finch customer-id slots of a customer.
 *
 * Finch allows one connection per Connect `customer_id` and wants that id
 * reused across retries and drop-offs of one attempt (docs 004). So each of
 * our customers has a current slot: slot 1 uses the customer id itself
 * (`acme`), slot n uses `acme~n`. The slot stays put until an attempt converts
 * into a stored connection (advanced inside `storeConnection`'s atomic op) or
 * Finch says the slot already holds a connection we cannot use
 * ({@linkcode advanceAttempt} with a reason).
 *
 * Why `~` and not `-` as in Finch's `acme-2` example: our customer ids may
 * contain `-`, so customer `acme`'s slot 2 would be customer `acme-2`'s slot 1,
 * and two employers would share one Finch customer id. `~` is outside the
 * customer-id alphabet and URL-safe.
 *
 * Each finished slot leaves a log entry (`connect_attempt_log`) saying what
 * happened to it, for debugging.
 *
 * @module
 */
import { InvalidInput } from "./errors.ts";
import {
  connectAttemptKey,
  connectAttemptLogKey,
  connectAttemptLogPrefix,
} from "./keys.ts";
import { decideLoop, retryTransient } from "./retry.ts";
import { CustomerId, iso, parse } from "./schemas.ts";

/** Separator between the customer id and the slot number. */
export const SLOT_SEPARATOR = "~";

/** A customer's current attempt. */
export interface Attempt {
  /** 1-based slot number. */
  slot: number;
  /** The Connect `customer_id` to send to Finch for this slot. */
  finch_customer_id: string;
}

/** Stored at `["connect_attempts", customer_id]`. */
export interface AttemptRecord {
  customer_id: string;
  slot: number;
  updated_at: string;
}

/** What happened to a finished slot. */
export interface AttemptLogEntry {
  slot: number;
  finch_customer_id: string;
  /** `converted`: became (or refreshed) a stored connection; `skipped`: unusable. */
  outcome: "converted" | "skipped";
  connection_id: string | null;
  /** Free-form reason, e.g. `connection_already_exists`. */
  detail: string | null;
  at: string;
}

/**
 * The Finch customer id of a slot: `acme`, `acme~2`, `acme~3`, ...
 *
 * @example
 * ```ts
 * finchCustomerId("acme", 2); // "acme~2"
 * ```
 */
export function finchCustomerId(customer_id: string, slot: number): string {
  if (!Number.isInteger(slot) || slot < 1) {
    throw new InvalidInput("attempt slot", ["slot: integer >= 1"]);
  }
  // Customer ids are at most 100 chars, so this stays far below Finch's 255.
  return slot === 1 ? customer_id : `${customer_id}${SLOT_SEPARATOR}${slot}`;
}

function attemptOf(customer_id: string, record: AttemptRecord | null): Attempt {
  const slot = record?.slot ?? 1;
  return { slot, finch_customer_id: finchCustomerId(customer_id, slot) };
}

/**
 * The customer's current attempt; stable until it converts or is skipped.
 *
 * @example
 * ```ts
 * const { slot, finch_customer_id } = await currentAttempt(kv, "acme");
 * ```
 */
export async function currentAttempt(
  kv: Deno.Kv,
  customer_id: string,
): Promise<Attempt> {
  const id = parse(CustomerId, customer_id, "customer id");
  const entry = await retryTransient(() =>
    kv.get<AttemptRecord>(connectAttemptKey(id))
  );
  return attemptOf(id, entry.value);
}

/**
 * Adds to `op` the writes that move `customer_id` from slot `from` to
 * `from + 1` and log why, guarded by a check on the attempt entry; returns
 * false (adding nothing) when the entry is no longer at `from`. Slots only
 * move forward, so a stale "not at `from`" needs no check.
 * Internal to the data layer; one check.
 */
export function addAdvance(
  op: Deno.AtomicOperation,
  entry: Deno.KvEntryMaybe<AttemptRecord>,
  customer_id: string,
  from: number,
  log: Omit<AttemptLogEntry, "slot" | "finch_customer_id">,
): boolean {
  if (attemptOf(customer_id, entry.value).slot !== from) return false;
  op.check(entry)
    .set(
      connectAttemptKey(customer_id),
      {
        customer_id,
        slot: from + 1,
        updated_at: log.at,
      } satisfies AttemptRecord,
    )
    .set(
      connectAttemptLogKey(customer_id, from),
      {
        ...log,
        slot: from,
        finch_customer_id: finchCustomerId(customer_id, from),
      } satisfies AttemptLogEntry,
    );
  return true;
}

/**
 * Moves the customer to the next slot if it is still at `fromSlot` (so
 * concurrent callers advance once), logging why. Use it when Finch answers
 * `connection_already_exists` for a connection we cannot store.
 *
 * @example
 * ```ts
 * const { advanced, attempt } = await advanceAttempt(kv, "acme", 1, {
 *   detail: "connection_already_exists", connection_id: "conn_9",
 * });
 * ```
 */
export async function advanceAttempt(
  kv: Deno.Kv,
  customer_id: string,
  fromSlot: number,
  options: {
    outcome?: AttemptLogEntry["outcome"];
    connection_id?: string | null;
    detail?: string | null;
    now?: Date;
  } = {},
): Promise<{ advanced: boolean; attempt: Attempt }> {
  const id = parse(CustomerId, customer_id, "customer id");
  return await decideLoop<{ advanced: boolean; attempt: Attempt }>(
    `advance attempt of ${id}`,
    async () => {
      const entry = await kv.get<AttemptRecord>(connectAttemptKey(id));
      const op = kv.atomic();
      const advanced = addAdvance(op, entry, id, fromSlot, {
        outcome: options.outcome ?? "skipped",
        connection_id: options.connection_id ?? null,
        detail: options.detail ?? null,
        at: iso(options.now ?? new Date()),
      });
      if (!advanced) {
        return {
          done: { advanced: false, attempt: attemptOf(id, entry.value) },
        };
      }
      return {
        commit: () => op,
        result: {
          advanced: true,
          attempt: attemptOf(id, { ...entry.value!, slot: fromSlot + 1 }),
        },
      };
    },
  );
}

/**
 * What happened on each finished slot, oldest first.
 *
 * @example
 * ```ts
 * for (const e of await listAttemptLog(kv, "acme")) console.log(e.slot, e.outcome);
 * ```
 */
export async function listAttemptLog(
  kv: Deno.Kv,
  customer_id: string,
): Promise<AttemptLogEntry[]> {
  const id = parse(CustomerId, customer_id, "customer id");
  return await retryTransient(async () => {
    const out: AttemptLogEntry[] = [];
    for await (
      const e of kv.list<AttemptLogEntry>({
        prefix: connectAttemptLogPrefix(id),
      })
    ) out.push(e.value);
    return out;
  });
}
