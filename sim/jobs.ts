/**
 * Jobs: automated ones (`data_sync_all`, `w4_form_employee_sync`, under `/jobs/automated`)
 * and manual ones (every deductions write, under `/jobs/manual`). A job goes pending ->
 * in_progress -> its outcome, one `jobDelayMs` per step; on completion its effect lands in
 * the data (a synced W-4, a new benefit, an enrollment) and `job.<type>.completed` is sent.
 *
 * Steps are driven two ways that agree: timers (so webhooks arrive on their own) and the
 * clock on every read (so a test that moves the clock, or a restart, sees the same states).
 *
 * @module
 */

import type { SimContext } from "./context.ts";
import type { Enrollment, StoredBenefit } from "./datagen/overlay.ts";
import { Dataset } from "./datagen/dataset.ts";
import { randomUuid } from "./ids.ts";
import type { ConnectionRecord } from "./store.ts";

/** Final states of a job. */
export type JobOutcome =
  | "complete"
  | "error"
  | "reauth_error"
  | "permissions_error";

/** What a job changes when it completes. */
export type JobEffect =
  | { kind: "w4"; individual_id: string }
  | { kind: "benefit"; benefit: StoredBenefit }
  | {
    kind: "enroll";
    benefit_id: string;
    entries: [string, Enrollment | null][];
  }
  | { kind: "none" };

/** A job, as stored (plain JSON). */
export interface JobRecord {
  id: string;
  connection_id: string;
  kind: "automated" | "manual";
  type: string;
  params: { individual_id?: string } | null;
  status: "pending" | "in_progress" | JobOutcome;
  outcome: JobOutcome;
  created_at: number;
  started_at: number | null;
  completed_at: number | null;
  start_due: number;
  end_due: number;
  effect: JobEffect;
  /** The manual job's result, once complete. */
  result: unknown[] | null;
  /** Whether its data_sync_all counts against the hourly refresh quota. */
  counted: boolean;
  notified: boolean;
}

/** A pay statement item rule (spec `CreateRuleResponse`), as stored. */
export interface RuleRecord {
  id: string;
  priority: number;
  created_at: string;
  updated_at: string;
  deleted_at?: string;
  effective_start_date: string | null;
  effective_end_date: string | null;
  conditions: { field?: string; operator?: "equals"; value?: string }[];
  attributes: { metadata?: Record<string, unknown> };
  entity_type: "pay_statement_item";
}

/** What creating a job takes. */
export interface NewJob {
  kind: JobRecord["kind"];
  type: string;
  params?: JobRecord["params"];
  outcome?: JobOutcome;
  effect?: JobEffect;
  result?: unknown[];
  counted?: boolean;
}

const iso = (
  ms: number | null,
) => (ms === null ? null : new Date(ms).toISOString());

/** The jobs of one simulator. */
export class Jobs {
  #ctx: SimContext;
  #delay: number;
  /** Timers of unfinished jobs, cancelled when the clock finishes a job first. */
  #timers = new Map<string, (() => void)[]>();

  constructor(ctx: SimContext) {
    this.#ctx = ctx;
    this.#delay = ctx.options.jobDelayMs ?? 1_000;
  }

  /** Queues a job and schedules its steps. */
  create(conn: ConnectionRecord, spec: NewJob): JobRecord {
    const now = this.#ctx.now();
    const job: JobRecord = {
      id: randomUuid(),
      connection_id: conn.id,
      kind: spec.kind,
      type: spec.type,
      params: spec.params ?? null,
      status: "pending",
      outcome: spec.outcome ?? "complete",
      created_at: now,
      started_at: null,
      completed_at: null,
      start_due: now + this.#delay,
      end_due: now + 2 * this.#delay,
      effect: spec.effect ?? { kind: "none" },
      result: spec.result ?? null,
      counted: spec.counted ?? false,
      notified: false,
    };
    this.#ctx.store.data.jobs[job.id] = job;
    this.#ctx.store.changed();
    this.#timers.set(job.id, [
      this.#ctx.sender.later(this.#delay, () => this.#step(job, "start")),
      this.#ctx.sender.later(2 * this.#delay, () => this.#step(job, "end")),
    ]);
    return job;
  }

  /** A job already done when it is recorded (the initial sync of a new connection). */
  record(conn: ConnectionRecord, type: string): JobRecord {
    const now = this.#ctx.now();
    const job: JobRecord = {
      id: randomUuid(),
      connection_id: conn.id,
      kind: "automated",
      type,
      params: null,
      status: "complete",
      outcome: "complete",
      created_at: now,
      started_at: now,
      completed_at: now,
      start_due: now,
      end_due: now,
      effect: { kind: "none" },
      result: null,
      counted: false,
      notified: true,
    };
    this.#ctx.store.data.jobs[job.id] = job;
    this.#ctx.store.changed();
    return job;
  }

  #step(job: JobRecord, step: "start" | "end"): void {
    const now = this.#ctx.now();
    if (job.status === "pending") {
      job.status = "in_progress";
      job.started_at = Math.min(now, job.start_due);
    }
    if (step === "end" && job.status === "in_progress") this.#finish(job, now);
    this.#ctx.store.changed();
  }

  #finish(job: JobRecord, now: number): void {
    for (const cancel of this.#timers.get(job.id) ?? []) cancel();
    this.#timers.delete(job.id);
    job.status = job.outcome;
    job.completed_at = Math.min(now, job.end_due);
    const conn = this.#ctx.store.data.connections[job.connection_id];
    if (!conn) return;
    if (job.outcome === "complete") this.#apply(conn, job);
    if (!job.notified) {
      job.notified = true;
      this.#ctx.emit(conn, `job.${job.type}.completed`, {
        job_id: job.id,
        job_url: this.url(job),
      });
    }
  }

  #apply(conn: ConnectionRecord, job: JobRecord): void {
    const e = job.effect;
    if (e.kind === "none") return;
    const overlay = this.#ctx.store.overlay(Dataset.key(conn));
    if (e.kind === "w4") {
      if (!overlay.w4.includes(e.individual_id)) {
        overlay.w4.push(e.individual_id);
      }
    } else if (e.kind === "benefit") {
      overlay.benefits[e.benefit.benefit_id] = e.benefit;
    } else {
      const by = overlay.enrollments[e.benefit_id] ??= {};
      for (const [id, enrollment] of e.entries) by[id] = enrollment;
    }
    overlay.version++;
  }

  /** Brings a job up to the clock: the steps whose time has come happen now. */
  advance(job: JobRecord): JobRecord {
    const now = this.#ctx.now();
    if (job.status === "pending" && now >= job.start_due) {
      this.#step(job, "start");
    }
    if (job.status === "in_progress" && now >= job.end_due) {
      this.#finish(job, now);
      this.#ctx.store.changed();
    }
    return job;
  }

  /** A job of a connection, brought up to date; undefined when unknown or another's. */
  get(
    conn: ConnectionRecord,
    id: string,
    kind: JobRecord["kind"],
  ): JobRecord | undefined {
    const job = this.#ctx.store.data.jobs[id];
    return job && job.connection_id === conn.id && job.kind === kind
      ? this.advance(job)
      : undefined;
  }

  /** Every job of a connection and kind, newest first, brought up to date. */
  list(conn: ConnectionRecord, kind: JobRecord["kind"]): JobRecord[] {
    return Object.values(this.#ctx.store.data.jobs)
      .filter((j) => j.connection_id === conn.id && j.kind === kind)
      .map((j) => this.advance(j))
      .sort((a, b) => b.created_at - a.created_at);
  }

  /** Where the job can be read. */
  url(job: JobRecord): string {
    return `${this.#ctx.publicUrl}/jobs/${job.kind}/${job.id}`;
  }

  /** `AutomatedAsyncJob`. */
  automatedJson(job: JobRecord) {
    return {
      job_id: job.id,
      job_url: this.url(job),
      type: job.type,
      status: job.status,
      created_at: iso(job.created_at),
      scheduled_at: null,
      started_at: iso(job.started_at),
      completed_at: iso(job.completed_at),
      params: job.params,
    };
  }

  /** `ManualAsyncJob`: the result body only once the job is done. */
  manualJson(job: JobRecord) {
    return {
      job_id: job.id,
      status: job.status === "complete" || job.status === "pending" ||
          job.status === "in_progress"
        ? job.status
        : "error",
      body: job.status === "complete" ? job.result ?? [] : null,
    };
  }
}
