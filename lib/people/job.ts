/**
 * The people job of a customer: a small state machine in KV, advanced one queue message
 * at a time, so that a process killed at any point (`kill -9`) loses nothing: KV hands
 * the unacknowledged message out again, and every step is idempotent (it checks the
 * state it read before writing, and writes the same keys when run twice).
 *
 * ```
 * people.trigger ──▶ fetching ──(people.fetch per connection page)──▶ reconciling ──▶ done
 *   (queued)           │  each connection: offset 0, 1000, ... until its directory ends
 *                      └─ people.check after each connection ends: all ended → reconcile
 * ```
 *
 * - Triggers (a connection made or reconnected, a data webhook, a disconnect, the
 *   refresh route, a stale read) carry the time of what asked for them. A job started
 *   after that time covers it, so a storm of triggers makes one job. A trigger during a
 *   job raises `["people_requests", customer_id]` (KV's max) and the job, when it ends,
 *   queues one more trigger if that time is after its start. Triggers never write the
 *   job's record (they only check it), so they never make a step's commit fail.
 * - Fetching: lib/people/fetch.ts; reconciling: lib/people/build.ts.
 *
 * @module
 */
import { ulid } from "../ulid.ts";
import {
  connectionsPrefix,
  peopleJobConnectionKey,
  peopleJobConnectionsPrefix,
  peopleJobKey,
  peopleRequestKey,
  peopleSummaryKey,
} from "../db/keys.ts";
import {
  addPeopleTrigger,
  type ConnectionOutcome,
  type PeopleSummary,
  type PeopleTrigger,
} from "../db/people.ts";
import { decideLoop, retryTransient } from "../db/retry.ts";
import type { Connection } from "../db/schemas.ts";
import type { AppDeps } from "../http/env.ts";

/** What the job needs. */
export type JobDeps = Pick<
  AppDeps,
  "kv" | "sealer" | "finch" | "log" | "now" | "config"
>;

/** A customer's job, at `["people_jobs", customer_id]`. */
export interface PeopleJob {
  id: string;
  status: "fetching" | "reconciling" | "done";
  /** When the trigger that started it was asked for. */
  requested_at: string;
  started_at: string;
  finished_at: string | null;
  connections: string[];
}

/** Where one connection's fetch stands in a job. */
export interface JobConnection {
  connection_id: string;
  provider_id: string;
  company_id: string;
  state: "fetching" | ConnectionOutcome["state"];
  /** The next directory offset to read. */
  offset: number;
  individuals: number;
  pages: number;
  /** Retries of the current page (202, 429, 5xx). */
  attempts: number;
  error?: string;
}

/** One page of one connection's fetch. */
export interface FetchMessage {
  kind: "people.fetch";
  customer_id: string;
  job_id: string;
  connection_id: string;
  offset: number;
  attempt: number;
}

/** Whether all connections ended, then the reconcile. */
export interface StepMessage {
  kind: "people.check" | "people.reconcile";
  customer_id: string;
  job_id: string;
}

/** Every message of the people job. */
export type PeopleMessage = PeopleTrigger | FetchMessage | StepMessage;

/** Whether a queued value is a well-formed people message. */
export function isPeopleMessage(message: unknown): message is PeopleMessage {
  const m = message as Record<string, unknown>;
  if (typeof m !== "object" || m === null) return false;
  if (typeof m.customer_id !== "string") return false;
  switch (m.kind) {
    case "people.trigger":
      return typeof m.at === "number";
    case "people.fetch":
      return typeof m.job_id === "string" &&
        typeof m.connection_id === "string" && typeof m.offset === "number" &&
        typeof m.attempt === "number";
    case "people.check":
    case "people.reconcile":
      return typeof m.job_id === "string";
    default:
      return false;
  }
}

/** The job's header and its versionstamp. */
export async function getJob(
  kv: Deno.Kv,
  customer_id: string,
): Promise<Deno.KvEntryMaybe<PeopleJob>> {
  return await retryTransient(() =>
    kv.get<PeopleJob>(peopleJobKey(customer_id))
  );
}

/** The customer's live connections (every one not disconnected through the portal). */
export async function liveConnections(
  kv: Deno.Kv,
  customer_id: string,
): Promise<Connection[]> {
  return await retryTransient(async () => {
    const out: Connection[] = [];
    const iter = kv.list<Connection>({
      prefix: connectionsPrefix(customer_id),
    });
    for await (const e of iter) out.push(e.value);
    return out;
  });
}

/**
 * Handles a trigger: starts a job unless one started after it (which covers it), or
 * marks the running one to run again.
 */
export async function onTrigger(
  deps: JobDeps,
  m: PeopleTrigger,
): Promise<void> {
  const { kv } = deps;
  await decideLoop("people trigger", async () => {
    const entry = await getJob(kv, m.customer_id);
    const job = entry.value;
    if (job && Date.parse(job.started_at) >= m.at) return { done: null };
    if (job && job.status !== "done" && !abandoned(job, deps.now())) {
      // Checked against the job read: had it ended meanwhile, this decides again.
      return {
        commit: () =>
          kv.atomic().check(entry).max(
            peopleRequestKey(m.customer_id),
            BigInt(Math.round(m.at)),
          ),
        result: null,
      };
    }
    const connections = await liveConnections(kv, m.customer_id);
    const now = deps.now();
    const next: PeopleJob = {
      id: ulid(now),
      status: connections.length ? "fetching" : "reconciling",
      requested_at: new Date(m.at).toISOString(),
      started_at: new Date(now).toISOString(),
      finished_at: null,
      connections: connections.map((c) => c.connection_id),
    };
    const summary = await kv.get<PeopleSummary>(
      peopleSummaryKey(m.customer_id),
    );
    return {
      commit: () => {
        const op = kv.atomic().check(entry).set(entry.key, next);
        op.set(
          peopleSummaryKey(m.customer_id),
          {
            ...(summary.value ?? emptySummary()),
            state: "refreshing",
          } satisfies PeopleSummary,
        );
        for (const c of connections) {
          const state: JobConnection = {
            connection_id: c.connection_id,
            provider_id: c.provider_id,
            company_id: c.company_id,
            state: "fetching",
            offset: 0,
            individuals: 0,
            pages: 0,
            attempts: 0,
          };
          op.set(
            peopleJobConnectionKey(m.customer_id, next.id, c.connection_id),
            state,
          );
          op.enqueue(
            {
              kind: "people.fetch",
              customer_id: m.customer_id,
              job_id: next.id,
              connection_id: c.connection_id,
              offset: 0,
              attempt: 0,
            } satisfies FetchMessage,
          );
        }
        if (!connections.length) {
          op.enqueue(stepMessage("people.reconcile", m.customer_id, next.id));
        }
        return op;
      },
      result: null,
    };
  });
}

/**
 * A job not ended this long after it started is taken as abandoned (a message KV gave
 * up on after its own retries): the next trigger starts a new one over it, and a read
 * no longer counts it as running. Steps of the old job then find another job id and do
 * nothing.
 */
export const JOB_ABANDONED_MS = 30 * 60_000;

/** Whether `job` runs no more (see {@linkcode JOB_ABANDONED_MS}). */
export function abandoned(job: PeopleJob, nowMs: number): boolean {
  return job.status !== "done" &&
    nowMs - Date.parse(job.started_at) > JOB_ABANDONED_MS;
}

/** A summary before any list was built. */
export function emptySummary(): PeopleSummary {
  return {
    as_of: null,
    state: "never",
    people: 0,
    systems: 0,
    shared: 0,
    by_connection: {},
  };
}

export function stepMessage(
  kind: StepMessage["kind"],
  customer_id: string,
  job_id: string,
): StepMessage {
  return { kind, customer_id, job_id };
}

/** The connection states of a job. */
export async function jobConnections(
  kv: Deno.Kv,
  customer_id: string,
  job_id: string,
): Promise<JobConnection[]> {
  return await retryTransient(async () => {
    const out: JobConnection[] = [];
    const prefix = peopleJobConnectionsPrefix(customer_id, job_id);
    for await (const e of kv.list<JobConnection>({ prefix })) {
      out.push(e.value);
    }
    return out;
  });
}

/** Moves the job to reconciling once every connection's fetch ended. */
export async function onCheck(deps: JobDeps, m: StepMessage): Promise<void> {
  const { kv } = deps;
  await decideLoop("people check", async () => {
    const entry = await getJob(kv, m.customer_id);
    const job = entry.value;
    if (job?.id !== m.job_id || job.status !== "fetching") {
      return { done: null };
    }
    const states = await jobConnections(kv, m.customer_id, m.job_id);
    if (states.some((s) => s.state === "fetching")) return { done: null };
    // Another check may win: it queued the same reconcile, and this one stops.
    return {
      commit: () =>
        kv.atomic().check(entry).set(
          entry.key,
          {
            ...job,
            status: "reconciling",
          } satisfies PeopleJob,
        ).enqueue(
          stepMessage("people.reconcile", m.customer_id, m.job_id),
        ),
      result: null,
    };
  });
}

/** The latest request for a job, with its versionstamp (to check it did not move). */
export async function getRequested(
  kv: Deno.Kv,
  customer_id: string,
): Promise<{ entry: Deno.KvEntryMaybe<unknown>; at: number | null }> {
  const entry = await retryTransient(() =>
    kv.get<Deno.KvU64 | bigint>(peopleRequestKey(customer_id))
  );
  const v = entry.value;
  return {
    entry,
    at: v === null ? null : Number(typeof v === "bigint" ? v : v.value),
  };
}

/**
 * Adds the ending of a job to `op`: done, and one more trigger when a request came
 * after it started (`requested`, read with the entry the op checks).
 */
export function addJobDone(
  op: Deno.AtomicOperation,
  job: PeopleJob,
  customer_id: string,
  nowMs: number,
  requested: number | null,
): void {
  op.set(
    peopleJobKey(customer_id),
    {
      ...job,
      status: "done",
      finished_at: new Date(nowMs).toISOString(),
    } satisfies PeopleJob,
  );
  if (requested !== null && requested > Date.parse(job.started_at)) {
    addPeopleTrigger(op, customer_id, requested);
  }
}
