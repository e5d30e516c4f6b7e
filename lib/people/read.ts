/**
 * Reading a customer's people list, a page at a time, as `GET
 * /api/customers/:id/people` answers it (routes/api_people.ts).
 *
 * - The list answered is the last one built, also while a job builds the next (`state:
 *   "refreshing"`); readers never see half a list (lib/people/build.ts).
 * - A list older than {@linkcode STALE_MS} is answered as it is, `refreshing`, and a job
 *   is queued; so is a first read of a customer whose list was never built (`never`).
 * - Cursors name the list they belong to: a cursor of a list since replaced is refused
 *   (409), rather than mixing two lists in one walk.
 *
 * @module
 */
import {
  type ConnectionOutcome,
  getPeopleResult,
  type PeopleState,
  readChunks,
  requestPeopleJob,
  type StoredConflict,
  type StoredPerson,
} from "../db/people.ts";
import { AppError, badRequest } from "../errors.ts";
import { abandoned, getJob, getRequested, type JobDeps } from "./job.ts";

/** A list older than this is refreshed when read. */
export const STALE_MS = 24 * 3600_000;

/** One page of the list, as the API answers it. */
export interface PeoplePage {
  as_of: string | null;
  state: PeopleState;
  connections: ConnectionOutcome[];
  people: StoredPerson[];
  conflicts: StoredConflict[];
  next_cursor: string | null;
}

const CURSOR = /^([0-9A-HJKMNP-TV-Z]{26})\.(\d{1,7})$/;

/**
 * One page of `customer_id`'s list from `cursor` (none: the first page), `limit` people.
 * The customer must exist (the route checks).
 *
 * @example
 * ```ts
 * const page = await readPeople(deps, "acme", { limit: 100 });
 * ```
 */
export async function readPeople(
  deps: Pick<JobDeps, "kv" | "sealer" | "now" | "log">,
  customer_id: string,
  options: { cursor?: string; limit: number },
): Promise<PeoplePage> {
  const { kv, sealer } = deps;
  let offset = 0, listId: string | null = null;
  if (options.cursor !== undefined) {
    const m = CURSOR.exec(options.cursor);
    if (!m) {
      throw badRequest(
        "invalid_cursor",
        "cursor: not a cursor of this list; pass the next_cursor of a previous page.",
      );
    }
    listId = m[1];
    offset = Number(m[2]);
  }
  const [result, job, requested] = await Promise.all([
    getPeopleResult(kv, customer_id),
    getJob(kv, customer_id),
    getRequested(kv, customer_id).then((r) => r.at),
  ]);
  // Running, or asked for and not started yet (debounced, queued, a rerun).
  const started = job.value ? Date.parse(job.value.started_at) : -Infinity;
  const running = (job.value !== null && job.value.status !== "done" &&
    !abandoned(job.value, deps.now())) ||
    (requested !== null && requested > started);
  if (listId !== null && listId !== result?.id) {
    throw new AppError(
      409,
      "list_changed",
      "The people list was refreshed since this cursor was issued: read it again from the first page.",
    );
  }
  const now = deps.now();
  if (!result) {
    if (!running) await requestPeopleJob(kv, customer_id, now);
    return {
      as_of: null,
      state: running ? "refreshing" : "never",
      connections: [],
      people: [],
      conflicts: [],
      next_cursor: null,
    };
  }
  const stale = now - Date.parse(result.as_of) > STALE_MS;
  if (stale && !running) {
    await requestPeopleJob(kv, customer_id, now);
    deps.log("info", "people_stale_refresh", { customer_id });
  }
  const end = Math.min(result.people, offset + options.limit);
  let people: StoredPerson[] = [];
  if (offset < end) {
    // The pages holding [offset, end): pages vary in size, their starts are listed.
    const starts = result.chunk_starts;
    const first = lastAtOrBefore(starts, offset);
    const last = lastAtOrBefore(starts, end - 1);
    people = (await readChunks<StoredPerson>(
      kv,
      sealer,
      "people_chunks",
      customer_id,
      result.id,
      first,
      last + 1,
    )).slice(offset - starts[first], end - starts[first]);
  }
  // Conflicts are few (ids and a reason each): all of them come with the first page.
  const conflicts = offset === 0
    ? await readChunks<StoredConflict>(
      kv,
      sealer,
      "people_conflict_chunks",
      customer_id,
      result.id,
      0,
      result.conflict_chunks,
    )
    : [];
  return {
    as_of: result.as_of,
    state: running || stale ? "refreshing" : result.state,
    connections: result.connections,
    people,
    conflicts,
    next_cursor: end < result.people ? `${result.id}.${end}` : null,
  };
}

/** The index of the last element of sorted `starts` at or before `n`. */
function lastAtOrBefore(starts: readonly number[], n: number): number {
  let lo = 0, hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= n) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
