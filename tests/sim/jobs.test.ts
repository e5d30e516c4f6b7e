/**
 * Jobs: pending -> in_progress -> complete (or the outcome the sandbox configures), the
 * signed `job.*` webhooks, `job_url` resolving, Finch's one-at-a-time and one-per-hour
 * rules for `data_sync_all`, no automated jobs for assisted connections, and deductions
 * writes as manual jobs whose effect lands when they complete.
 */

import assert from "node:assert/strict";
import {
  apiError,
  connect,
  DATA_PRODUCTS,
  fixture,
  receiver,
  spec,
} from "./helpers.ts";
import * as O from "./spec_operations.ts";

const HOUR = 3_600_000;

Deno.test("[sim jobs] data_sync_all moves pending -> in_progress -> complete and says so", async () => {
  const hooks = receiver();
  const f = fixture({
    jobDelayMs: 60_000,
    webhookUrl: "http://portal.test/hook",
    fetch: hooks.fetch,
  });
  try {
    const token = await connect(f, { company_name: "Jobs Co" });
    const c = f.as(token.access_token);
    const created = await c.jobs.automated.create({ type: "data_sync_all" });
    assert.deepEqual(
      [created.allowed_refreshes, created.remaining_refreshes],
      [1, 0],
    );
    const state = async () =>
      (await c.jobs.automated.retrieve(created.job_id!)).status;
    assert.equal(await state(), "pending");
    f.advance(60_000);
    assert.equal(await state(), "in_progress");
    // Asking again while it runs returns the running job (202), never a second one.
    const again = await c.jobs.automated.create({ type: "data_sync_all" })
      .withResponse();
    assert.equal(again.response.status, 202);
    assert.equal(again.data.job_id, created.job_id);
    f.advance(60_000);
    const done = await c.jobs.automated.retrieve(created.job_id!);
    assert.equal(done.status, "complete");
    assert.ok(done.started_at! <= done.completed_at!);
    await f.sim.settled();
    const events = hooks.received.map((m) =>
      f.client.webhooks.unwrap(m.body, m.headers)
    );
    const completed = events.filter((e) =>
      e.event_type === "job.data_sync_all.completed"
    );
    assert.equal(completed.length, 1, "one webhook, when it completes");
    spec(O.WebhookEvent, completed[0]);
    const data =
      (completed[0] as { data: { job_id: string; job_url: string } }).data;
    assert.equal(data.job_id, created.job_id);
    // job_url resolves, through the SDK, to the job.
    const path = new URL(data.job_url).pathname;
    const byUrl = await c.get(path, {
      headers: { Authorization: `Bearer ${token.access_token}` },
    });
    assert.equal((byUrl as { job_id: string }).job_id, created.job_id);
    const list = await c.jobs.automated.list();
    assert.equal(list.data[0].job_id, created.job_id);
  } finally {
    await f.sim.close();
  }
});

Deno.test("[sim jobs] one forced refresh per hour: 429 with retry_at", async () => {
  const f = fixture({ jobDelayMs: 1 });
  try {
    const token = await connect(f);
    const c = f.as(token.access_token);
    await c.jobs.automated.create({ type: "data_sync_all" });
    await f.sim.settled();
    const err = await apiError(
      c.jobs.automated.create({ type: "data_sync_all" }),
    );
    assert.equal(err.status, 429);
    const body = spec(O.AutomatedJobResponse, err.error);
    assert.equal(body.remaining_refreshes, 0);
    assert.ok(Date.parse(body.retry_at!) > Date.now());
    assert.equal(
      (await c.jobs.automated.list()).meta.quotas!.data_sync_all!
        .remaining_refreshes,
      0,
    );
    f.advance(HOUR);
    const next = await c.jobs.automated.create({ type: "data_sync_all" })
      .withResponse();
    assert.equal(next.response.status, 201);
  } finally {
    await f.sim.close();
  }
});

Deno.test("[sim jobs] the sandbox decides a sync's outcome; assisted tokens get none", async () => {
  const f = fixture({ jobDelayMs: 1, assistedDelayMs: null });
  try {
    const token = await connect(f, { company_name: "Outcome Co" });
    const c = f.as(token.access_token);
    await c.sandbox.jobs.configuration.update({
      type: "data_sync_all",
      completion_status: "reauth_error",
    });
    assert.deepEqual(await c.sandbox.jobs.configuration.retrieve(), [
      { type: "data_sync_all", completion_status: "reauth_error" },
    ]);
    const job = await c.sandbox.jobs.create({ type: "data_sync_all" });
    await f.sim.settled();
    assert.equal(
      (await c.jobs.automated.retrieve(job.job_id)).status,
      "reauth_error",
    );

    const assisted = await connect(f, {
      provider_id: "insperity",
      company_name: "Assisted Jobs",
      manual: true,
    });
    const err = await apiError(
      f.as(assisted.access_token).jobs.automated.create({
        type: "data_sync_all",
      }),
    );
    assert.equal(err.status, 400);
    assert.deepEqual(err.error, {
      statusCode: 400,
      status: 400,
      code: 400,
      name: "bad_request",
      message: "cannot create automated job for Assisted Connect token",
    });
  } finally {
    await f.sim.close();
  }
});

Deno.test("[sim jobs] deductions writes are manual jobs; their effect lands on completion", async () => {
  const hooks = receiver();
  const f = fixture({
    jobDelayMs: 30_000,
    webhookUrl: "http://portal.test/hook",
    fetch: hooks.fetch,
  });
  try {
    const token = await connect(f, {
      company_name: "Deduct Co",
      products: DATA_PRODUCTS,
    });
    const c = f.as(token.access_token);
    const before = (await c.hris.benefits.list()).items.length;
    const created = await c.hris.benefits.create({
      type: "commuter",
      description: "Transit",
      frequency: "every_paycheck",
    });
    const job = await c.jobs.manual.retrieve(created.job_id);
    assert.equal(job.status, "pending");
    assert.equal(job.body, null, "no result before it is done");
    assert.equal((await c.hris.benefits.list()).items.length, before);
    f.advance(60_000);
    const done = await c.jobs.manual.retrieve(created.job_id);
    assert.equal(done.status, "complete");
    assert.ok(Array.isArray(done.body) && done.body.length === 1);
    const benefit = await c.hris.benefits.retrieve(created.benefit_id);
    assert.equal(benefit.description, "Transit");
    // The same type, frequency and description again: the existing benefit (Finch docs).
    const same = await c.hris.benefits.create({
      type: "commuter",
      description: "Transit",
      frequency: "every_paycheck",
    });
    assert.equal(same.benefit_id, created.benefit_id);
    f.advance(60_000);
    assert.equal(
      (await c.jobs.manual.retrieve(same.job_id)).status,
      "complete",
    );

    const [id] = (await c.hris.directory.list()).individuals.map((p) => p.id);
    const enroll = await c.hris.benefits.individuals.enrollMany(
      created.benefit_id,
      {
        individuals: [{
          individual_id: id,
          configuration: {
            employee_deduction: { type: "fixed", amount: 12_000 },
          },
        }],
      },
    );
    f.advance(60_000);
    await c.jobs.manual.retrieve(enroll.job_id);
    const enrolled = await c.hris.benefits.individuals.enrolledIDs(
      created.benefit_id,
    );
    assert.deepEqual(enrolled.individual_ids, [id]);
    const read = await c.hris.benefits.individuals.retrieveManyBenefits(
      created.benefit_id,
      {
        individual_ids: id,
      },
    );
    assert.deepEqual(
      (read.items[0].body as { employee_deduction: unknown })
        .employee_deduction,
      { type: "fixed", amount: 12_000 },
    );
    const un = await c.hris.benefits.individuals.unenrollMany(
      created.benefit_id,
      {
        individual_ids: [id],
      },
    );
    f.advance(60_000);
    await c.jobs.manual.retrieve(un.job_id);
    assert.deepEqual(
      (await c.hris.benefits.individuals.enrolledIDs(created.benefit_id))
        .individual_ids,
      [],
    );
    await f.sim.settled();
    const types = hooks.received.map((m) =>
      f.client.webhooks.unwrap(m.body, m.headers).event_type
    );
    for (
      const t of [
        "job.benefit_create.completed",
        "job.benefit_enroll.completed",
        "job.benefit_unenroll.completed",
      ]
    ) {
      assert.ok(types.includes(t as never), t);
    }
  } finally {
    await f.sim.close();
  }
});

Deno.test("[sim jobs] a new connection's first sync is a real job with webhooks", async () => {
  const hooks = receiver();
  const f = fixture({
    initialSyncDelayMs: 5,
    webhookUrl: "http://portal.test/hook",
    fetch: hooks.fetch,
  });
  try {
    const token = await connect(f, {
      company_name: "First Sync Co",
      products: ["company", "directory", "payment", "pay_statement"],
    });
    await f.sim.settled();
    const events = hooks.received.map((m) =>
      f.client.webhooks.unwrap(m.body, m.headers) as {
        event_type: string;
        data: { job_url: string };
      }
    );
    // Deliveries may arrive in any order (as Finch's may).
    assert.deepEqual(events.map((e) => e.event_type).sort(), [
      "job.initial_data_sync_org.succeeded",
      "job.initial_data_sync_payroll.succeeded",
    ]);
    const job = await f.as(token.access_token).get(
      new URL(events[0].data.job_url).pathname,
      { headers: { Authorization: `Bearer ${token.access_token}` } },
    );
    assert.equal(spec(O.AutomatedJob, job).status, "complete");
  } finally {
    await f.sim.close();
  }
});
