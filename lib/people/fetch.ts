/**
 * One step of a people job: one page of one connection's directory, with the
 * individuals and employments of the people on it (each one batch request), stored as
 * sealed roster pages in the same atomic op that advances the connection's offset and
 * queues the next step. A step run twice (a redelivery after a crash) finds the offset
 * moved on and does nothing, or, if the first run never committed, writes the same keys.
 *
 * Finch's answers:
 * - 202 (no data yet): the page is asked again later, {@linkcode NOT_READY_ATTEMPTS}
 *   times, then the connection ends `not_ready`;
 * - 429: asked again after its `Retry-After` (the page is not failed);
 * - 5xx, timeouts: asked again with backoff, {@linkcode UNAVAILABLE_ATTEMPTS} times;
 * - 401 (reauthentication required, token revoked): the connection ends `reauth`, and
 *   the list is built from the other connections (and this one's last roster);
 * - any other refusal: the connection ends `failed`.
 *
 * Error texts stored are fixed sentences: never a name, never Finch's message.
 *
 * @module
 */
import { getAccessToken } from "../db/connections.ts";
import { peopleJobConnectionKey, peopleRosterMetaKey } from "../db/keys.ts";
import {
  PAGE_PEOPLE,
  type RosterMeta,
  rosterPageKey,
  sealAt,
} from "../db/people.ts";
import { commit, retryTransient } from "../db/retry.ts";
import {
  FinchDataNotReady,
  FinchRejected,
  FinchTokenRevoked,
  FinchUnavailable,
} from "../finch/gateway.ts";
import type { PersonRecord } from "./match.ts";
import {
  type FetchMessage,
  getJob,
  type JobConnection,
  type JobDeps,
  stepMessage,
} from "./job.ts";

/**
 * People per directory request (and per individual / employment batch). Finch allows
 * 10,000; 1,000 keeps a step's memory small and a page's requests a few hundred KB,
 * while 10,000 people take 10 steps per endpoint, under Finch's 20 a minute.
 */
export const FETCH_PAGE = 1_000;
export const NOT_READY_ATTEMPTS = 20;
export const NOT_READY_DELAY_MS = 3_000;
export const UNAVAILABLE_ATTEMPTS = 6;
/** A 429 without `Retry-After` waits this long; at most 100 of them per page. */
const RATE_LIMIT_DELAY_MS = 5_000;
const RATE_LIMIT_ATTEMPTS = 100;

/** Handles one fetch step (see the module doc). */
export async function onFetch(deps: JobDeps, m: FetchMessage): Promise<void> {
  const { kv, finch, sealer, log } = deps;
  const job = await getJob(kv, m.customer_id);
  if (job.value?.id !== m.job_id || job.value.status !== "fetching") return;
  const key = peopleJobConnectionKey(m.customer_id, m.job_id, m.connection_id);
  const entry = await retryTransient(() => kv.get<JobConnection>(key));
  const state = entry.value;
  if (
    !state || state.state !== "fetching" || state.offset !== m.offset ||
    state.attempts !== m.attempt
  ) return;
  const fields = {
    customer_id: m.customer_id,
    connection_id: m.connection_id,
    offset: m.offset,
  };

  const end = async (
    outcome: JobConnection["state"],
    error: string,
  ) => {
    log("warn", "people_fetch_ended", { ...fields, state: outcome });
    await commit(() =>
      kv.atomic().check(entry).set(key, { ...state, state: outcome, error })
        .enqueue(stepMessage("people.check", m.customer_id, m.job_id))
    );
  };
  const again = async (delayMs: number, why: string) => {
    log("info", "people_fetch_retry", { ...fields, why, in_ms: delayMs });
    await commit(() =>
      kv.atomic().check(entry).set(key, {
        ...state,
        attempts: state.attempts + 1,
      }).enqueue({ ...m, attempt: m.attempt + 1 }, {
        delay: Math.round(delayMs),
      })
    );
  };

  const token = await getAccessToken(kv, sealer, m.connection_id);
  if (!token) return await end("failed", "The connection has no token.");
  let records: PersonRecord[], count: number;
  try {
    const page = await finch.directory(token, {
      offset: m.offset,
      limit: FETCH_PAGE,
    });
    count = page.count;
    const ids = page.individuals.map((p) => p.id);
    const [individuals, employments] = await Promise.all([
      finch.individuals(token, ids),
      finch.employments(token, ids),
    ]);
    records = page.individuals.map((p) => {
      const ind = individuals.get(p.id);
      return {
        connection_id: m.connection_id,
        provider_id: state.provider_id,
        individual_id: p.id,
        first_name: ind?.first_name ?? p.first_name,
        last_name: ind?.last_name ?? p.last_name,
        dob: ind?.dob ?? null,
        emails: ind?.emails ?? [],
        is_active: employments.get(p.id) ?? p.is_active,
      };
    });
  } catch (err) {
    if (err instanceof FinchTokenRevoked) {
      return await end(
        "reauth",
        "Finch needs the employer to reconnect this system (HTTP 401).",
      );
    }
    if (err instanceof FinchDataNotReady) {
      if (m.attempt + 1 >= NOT_READY_ATTEMPTS) {
        return await end("not_ready", "Finch has no data for it yet.");
      }
      return await again(NOT_READY_DELAY_MS, "not_ready");
    }
    if (err instanceof FinchUnavailable && err.status === 429) {
      if (m.attempt + 1 >= RATE_LIMIT_ATTEMPTS) {
        return await end("failed", "Finch kept answering 429.");
      }
      const wait = err.retryAfterS !== undefined
        ? err.retryAfterS * 1000 + 50
        : RATE_LIMIT_DELAY_MS;
      return await again(Math.min(wait, 120_000), "rate_limited");
    }
    if (err instanceof FinchUnavailable) {
      if (m.attempt + 1 >= UNAVAILABLE_ATTEMPTS) {
        return await end("failed", "Finch did not answer.");
      }
      return await again(500 * 2 ** m.attempt, "unavailable");
    }
    if (err instanceof FinchRejected) {
      return await end("failed", "Finch refused the request.");
    }
    throw err;
  }

  // Sealed in pages of PAGE_PEOPLE, each bound to its key: one seal per page.
  const pages: [Deno.KvKey, string][] = [];
  for (let i = 0; i < records.length; i += PAGE_PEOPLE) {
    const k = rosterPageKey(
      m.customer_id,
      m.connection_id,
      m.job_id,
      m.offset + i,
    );
    pages.push([k, await sealAt(sealer, k, records.slice(i, i + PAGE_PEOPLE))]);
  }
  const next = m.offset + records.length;
  const done = records.length === 0 || records.length < FETCH_PAGE ||
    next >= count;
  const after: JobConnection = {
    ...state,
    state: done ? "ok" : "fetching",
    offset: next,
    individuals: state.individuals + records.length,
    pages: state.pages + pages.length,
    attempts: 0,
  };
  const res = await commit(() => {
    const op = kv.atomic().check(entry).set(key, after);
    for (const [k, v] of pages) op.set(k, v);
    if (done) {
      op.set(
        peopleRosterMetaKey(m.customer_id, m.connection_id),
        {
          job_id: m.job_id,
          individuals: after.individuals,
          pages: after.pages,
          fetched_at: new Date(deps.now()).toISOString(),
        } satisfies RosterMeta,
      );
      op.enqueue(stepMessage("people.check", m.customer_id, m.job_id));
    } else {
      op.enqueue({ ...m, offset: next, attempt: 0 } satisfies FetchMessage);
    }
    return op;
  });
  if (res.ok && done) {
    log("info", "people_fetched", {
      customer_id: m.customer_id,
      connection_id: m.connection_id,
      individuals: after.individuals,
    });
  }
}
