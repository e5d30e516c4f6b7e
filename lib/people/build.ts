/**
 * The last step of a people job: reconciles the rosters of the customer's live
 * connections (lib/people/match.ts), keeps person ids stable (lib/people/ids.ts), and
 * stores the list in sealed pages under the job's id, then switches the list's header
 * to it, in one atomic op with the job's end, the page's summary and, when the list
 * changed, its `people.updated` event.
 *
 * The pages are written under the job's id before the switch, so a reader sees the old
 * list or the new one, never a mix; a step killed halfway writes the same keys again
 * when it is redelivered. What the switch left behind (the previous list's pages, older
 * rosters, rosters of connections gone) is deleted afterwards, and again by the next job
 * if a crash came first.
 *
 * Matching needs every record at once, so this step holds the customer's records in
 * memory (a few hundred bytes each); reading and writing are page by page.
 *
 * @module
 */
import {
  peopleChunkKey,
  peopleChunksPrefix,
  peopleJobConnectionsPrefix,
  peopleResultKey,
  peopleRosterMetaPrefix,
  peopleRosterPrefix,
  peopleSummaryKey,
} from "../db/keys.ts";
import {
  type ConnectionOutcome,
  deleteRoster,
  deleteUnder,
  PAGE_PEOPLE,
  type PeopleResult,
  readChunks,
  readRoster,
  type RosterMeta,
  sealAt,
  type StoredConflict,
  type StoredPerson,
  summaryOf,
} from "../db/people.ts";
import { commit, retryTransient } from "../db/retry.ts";
import { recordEvents } from "../events/emit.ts";
import { sha256Stream } from "../hash.ts";
import { assignIds, comparePeople, personView, rememberIds } from "./ids.ts";
import {
  addJobDone,
  getJob,
  getRequested,
  jobConnections,
  type JobDeps,
  liveConnections,
  type StepMessage,
} from "./job.ts";
import { type PersonRecord, reconcile } from "./match.ts";

/** Conflicts per sealed page: two ids and a reason each, far smaller than a person. */
const PAGE_CONFLICTS = 300;
/**
 * JSON characters per sealed page: sealing adds a third (base64), so a page stays under
 * KV's 64 KiB per value.
 */
const PAGE_CHARS = 40_000;
/** Sealed pages per atomic op: well under KV's 800 KB per op. */
const PAGES_PER_OP = 8;

/** Handles the reconcile step (see the module doc). */
export async function onReconcile(
  deps: JobDeps,
  m: StepMessage,
): Promise<void> {
  const { kv, sealer, log } = deps;
  const entry = await getJob(kv, m.customer_id);
  const job = entry.value;
  if (job?.id !== m.job_id || job.status !== "reconciling") return;
  const cid = m.customer_id;
  const states = new Map(
    (await jobConnections(kv, cid, job.id)).map((s) => [s.connection_id, s]),
  );
  // Only connections still live: one disconnected meanwhile is left out.
  const live = (await liveConnections(kv, cid))
    .filter((c) => states.has(c.connection_id));
  const records: PersonRecord[] = [];
  const outcomes: ConnectionOutcome[] = [];
  for (const c of live) {
    const s = states.get(c.connection_id)!;
    let n = 0;
    for await (const page of readRoster(kv, sealer, cid, c.connection_id)) {
      for (const r of page) records.push(r);
      n += page.length;
    }
    outcomes.push({
      connection_id: c.connection_id,
      provider_id: c.provider_id,
      company_id: c.company_id,
      state: s.state === "fetching" ? "failed" : s.state,
      individuals: n,
      ...(s.error ? { error: s.error } : {}),
    });
  }

  const prevEntry = await retryTransient(() =>
    kv.get<PeopleResult>(peopleResultKey(cid))
  );
  const prev = prevEntry.value;
  const previousIds = new Map<string, string>();
  if (prev) {
    for (let i = 0; i < prev.chunks; i += 10) {
      rememberIds(
        previousIds,
        await readChunks<StoredPerson>(
          kv,
          sealer,
          "people_chunks",
          cid,
          prev.id,
          i,
          Math.min(prev.chunks, i + 10),
        ),
      );
    }
  }

  const matched = reconcile(records);
  records.length = 0;
  const ids = assignIds(matched.people, previousIds);
  const people = matched.people.map((p, i) => personView(p, ids[i]))
    .sort(comparePeople);
  const conflicts: StoredConflict[] = matched.conflicts.map((c) => ({
    reason: c.reason,
    records: c.records.map((r) => ({
      connection_id: r.connection_id,
      individual_id: r.individual_id,
    })),
  }));
  const shared = people.filter((p) => p.records.length > 1).length;

  // The digest covers what a reader sees, except times.
  const hash = sha256Stream();
  for (const p of people) hash.update(JSON.stringify(p)).update("\n");
  for (const c of conflicts) hash.update(JSON.stringify(c)).update("\n");
  for (const o of outcomes) {
    hash.update(`${o.connection_id}\u0000${o.state}\n`);
  }
  const digest = hash.hex();

  const chunks = await writePages(
    deps,
    "people_chunks",
    cid,
    job.id,
    people,
    PAGE_PEOPLE,
  );
  const conflictChunks = await writePages(
    deps,
    "people_conflict_chunks",
    cid,
    job.id,
    conflicts,
    PAGE_CONFLICTS,
  );

  const now = deps.now();
  const result: PeopleResult = {
    id: job.id,
    as_of: new Date(now).toISOString(),
    state: outcomes.every((o) => o.state === "ok") ? "fresh" : "partial",
    people: people.length,
    chunks: chunks.length,
    chunk_starts: chunks,
    conflict_chunks: conflictChunks.length,
    digest,
    connections: outcomes,
  };
  const changed = digest !== prev?.digest;
  const finish = (
    requestEntry: Deno.KvEntryMaybe<unknown>,
    requestedAt: number | null,
  ) =>
    commit(() => {
      const op = kv.atomic().check(entry).check(prevEntry).check(requestEntry)
        .set(peopleResultKey(cid), result)
        .set(peopleSummaryKey(cid), summaryOf(result, shared));
      addJobDone(op, job, cid, now, requestedAt);
      if (changed) {
        recordEvents(deps, op, [{
          type: "people.updated",
          data: {
            customer_id: cid,
            occurred_at: result.as_of,
            state: result.state,
            people: result.people,
            shared,
            conflicts: conflicts.length,
            connections: outcomes.map((o) => ({
              connection_id: o.connection_id,
              provider_id: o.provider_id,
              state: o.state,
              individuals: o.individuals,
            })),
          },
        }]);
      }
      return op;
    });
  // Checked against the job, the list and the latest request as read: a request that
  // came meanwhile (a trigger during the job) is decided again here, so it is never lost.
  let requested = await getRequested(kv, cid);
  let res: Deno.KvCommitResult | Deno.KvCommitError = { ok: false };
  for (let round = 0; round < 20; round++) {
    res = await finish(requested.entry, requested.at);
    if (res.ok) break;
    const again = await getJob(kv, cid);
    if (again.versionstamp !== entry.versionstamp) break; // finished by a copy
    requested = await getRequested(kv, cid);
  }
  if (!res.ok) {
    const again = await getJob(kv, cid);
    if (again.versionstamp !== entry.versionstamp) return; // a copy switched first
    // Still ours and still not committed: KV delivers the step again.
    throw new Error("people list: the switch kept losing its checks");
  }
  log("info", "people_reconciled", {
    customer_id: cid,
    job_id: job.id,
    people: result.people,
    shared,
    conflicts: conflicts.length,
    state: result.state,
    changed,
  });
  await cleanUp(deps, cid, job.id);
}

/**
 * Writes `items` as sealed pages under `result_id`, at most `size` items and about
 * {@linkcode PAGE_CHARS} characters of JSON a page (a person with many records or
 * emails takes more room); returns where each page starts.
 */
async function writePages<T>(
  deps: JobDeps,
  kind: "people_chunks" | "people_conflict_chunks",
  customer_id: string,
  result_id: string,
  items: readonly T[],
  size: number,
): Promise<number[]> {
  let pending: [Deno.KvKey, string][] = [];
  const flush = async () => {
    const batch = pending;
    pending = [];
    if (!batch.length) return;
    await commit(() => {
      const op = deps.kv.atomic();
      for (const [k, v] of batch) op.set(k, v);
      return op;
    });
  };
  const starts: number[] = [];
  let page: T[] = [], chars = 0, index = 0;
  const seal = async () => {
    const key = peopleChunkKey(kind, customer_id, result_id, starts.length);
    starts.push(index - page.length);
    pending.push([key, await sealAt(deps.sealer, key, page)]);
    page = [];
    chars = 0;
    if (pending.length >= PAGES_PER_OP) await flush();
  };
  for (const item of items) {
    const n = JSON.stringify(item).length;
    if (page.length && (page.length >= size || chars + n > PAGE_CHARS)) {
      await seal();
    }
    page.push(item);
    chars += n;
    index++;
  }
  if (page.length) await seal();
  await flush();
  return starts;
}

/**
 * Deletes what the list no longer uses: older lists' pages, older jobs' states and
 * rosters, and the rosters of connections no longer live. Never anything of a job newer
 * than `job_id` (one may have started already).
 */
async function cleanUp(
  deps: JobDeps,
  customer_id: string,
  job_id: string,
): Promise<void> {
  const { kv, log } = deps;
  try {
    const older = (part: number) => (key: Deno.KvKey) =>
      String(key[part]) >= job_id;
    for (const kind of ["people_chunks", "people_conflict_chunks"] as const) {
      await deleteUnder(kv, peopleChunksPrefix(kind, customer_id), older(2));
    }
    await deleteUnder(
      kv,
      peopleJobConnectionsPrefix(customer_id, job_id).slice(0, 2),
      (key) => String(key[2]) > job_id,
    );
    const live = new Set(
      (await liveConnections(kv, customer_id)).map((c) => c.connection_id),
    );
    const metas: [string, RosterMeta][] = [];
    for await (
      const e of kv.list<RosterMeta>({
        prefix: peopleRosterMetaPrefix(customer_id),
      })
    ) metas.push([String(e.key[2]), e.value]);
    for (const [connection_id, meta] of metas) {
      if (!live.has(connection_id)) {
        await deleteRoster(kv, customer_id, connection_id);
        continue;
      }
      await deleteUnder(
        kv,
        peopleRosterPrefix(customer_id, connection_id),
        (key) => String(key[3]) >= job_id || key[3] === meta.job_id,
      );
    }
  } catch (err) {
    // The next job cleans up again: nothing is lost by stopping here.
    log("warn", "people_cleanup_failed", {
      customer_id,
      error: err instanceof Error ? err.name : "unknown",
    });
  }
}
