/**
 * The data plane's errors, through the SDK: unknown ids (404 `not_found_error` with
 * Finch's `finch_code`, per item in batches), a missing product (403), a product the
 * provider lacks (501), a pending connection (202), reauth (401), batch limits and shapes,
 * and paging.
 */

import assert from "node:assert/strict";
import Finch from "@tryfinch/finch-api";
import {
  apiError,
  BASE,
  bearer,
  connect,
  DATA_PRODUCTS,
  fixture,
  spec,
} from "./helpers.ts";
import * as S from "./spec_schemas.ts";

const YEAR = { start_date: "2000-01-01", end_date: "2100-01-01" };
const unknownId = "3b9f3f2a-8a0e-4c8e-9d53-5b2c1a0e7f11";

async function allIds(client: Finch): Promise<string[]> {
  const ids = [];
  for await (const p of client.hris.directory.list({ limit: 25 })) {
    ids.push(p.id);
  }
  return ids;
}

Deno.test("[sim data] unknown ids: 404 not_found_error with Finch's finch_code", async (t) => {
  const f = fixture({ jobDelayMs: 1 });
  try {
    const token = await connect(f, { products: DATA_PRODUCTS });
    const c = f.as(token.access_token);

    await t.step(
      "batch items: individual_not_found, payment_not_found",
      async () => {
        const people = await c.hris.individuals.retrieveMany({
          requests: [{ individual_id: unknownId }],
        });
        assert.deepEqual(people.responses[0], {
          individual_id: unknownId,
          code: 404,
          body: {
            code: 404,
            finch_code: "individual_not_found",
            message: `No individual with id ${unknownId} found`,
            name: "not_found_error",
          },
        });
        const jobs = await c.hris.employments.retrieveMany({
          requests: [{ individual_id: "not-even-a-uuid" }],
        });
        assert.equal(jobs.responses[0].code, 404);
        const statements = await c.hris.payStatements.retrieveMany({
          requests: [{ payment_id: unknownId }],
        });
        assert.equal(statements.responses[0].code, 404);
        assert.equal(
          (statements.responses[0].body as { finch_code: string }).finch_code,
          "payment_not_found",
        );
      },
    );

    const notFound = async (call: Promise<unknown>, finchCode: string) => {
      const err = await apiError(call);
      assert.equal(err.status, 404);
      assert.ok(err instanceof Finch.NotFoundError);
      const body = err.error as { name: string; finch_code: string };
      assert.equal(body.name, "not_found_error");
      assert.equal(body.finch_code, finchCode);
    };

    await t.step(
      "single reads: benefit, pay group, document, plan, jobs",
      async () => {
        await notFound(
          c.hris.benefits.retrieve(unknownId),
          "benefit_not_found",
        );
        await notFound(
          c.hris.benefits.individuals.enrolledIDs(unknownId),
          "benefit_not_found",
        );
        await notFound(
          c.payroll.payGroups.retrieve(unknownId),
          "item_not_found",
        );
        await notFound(c.hris.documents.retreive(unknownId), "item_not_found");
        await notFound(
          c.get(`/employer/plans/${unknownId}`, bearer(token.access_token)),
          "item_not_found",
        );
        await notFound(c.jobs.automated.retrieve(unknownId), "item_not_found");
        await notFound(c.jobs.manual.retrieve(unknownId), "item_not_found");
      },
    );

    await t.step("another connection's ids are unknown here", async () => {
      const other = await connect(f, {
        company_name: "Elsewhere LLC",
        products: DATA_PRODUCTS,
      });
      const id =
        (await f.as(other.access_token).hris.directory.list()).individuals[0]
          .id;
      const res = await c.hris.individuals.retrieveMany({
        requests: [{ individual_id: id }],
      });
      assert.equal(res.responses[0].code, 404);
      const job = await f.as(other.access_token).jobs.automated.create({
        type: "data_sync_all",
      });
      await notFound(c.jobs.automated.retrieve(job.job_id!), "item_not_found");
    });
  } finally {
    await f.sim.close();
  }
});

Deno.test("[sim data] 403 without the product, 501 without provider support", async () => {
  const f = fixture();
  try {
    const hris = await connect(f, { company_name: "Scope Co" });
    const c = f.as(hris.access_token);
    const calls: [string, () => Promise<unknown>][] = [
      ["payment", () => c.hris.payments.list(YEAR)],
      ["pay_statement", () => c.hris.payStatementItem.list()],
      ["benefits", () => c.hris.benefits.list()],
      ["documents", () => c.hris.documents.list()],
      ["payment", () => c.payroll.payGroups.list()],
      ["plans", () => c.get("/employer/plans", bearer(hris.access_token))],
    ];
    for (const [product, call] of calls) {
      const err = await apiError(call());
      assert.equal(err.status, 403, product);
      assert.ok(err instanceof Finch.PermissionDeniedError);
      assert.equal(
        (err.error as { name: string }).name,
        "insufficient_scope_error",
      );
      assert.match(err.message, new RegExp(product));
    }
    // BambooHR is an HRIS: it has no payroll, whatever the token was granted.
    const bamboo = await connect(f, {
      provider_id: "bamboo_hr",
      company_name: "Scope Co",
      products: ["company", "payment"],
    });
    const err = await apiError(
      f.as(bamboo.access_token).hris.payments.list(YEAR),
    );
    assert.equal(err.status, 501);
    assert.equal((err.error as { name: string }).name, "not_implemented_error");
  } finally {
    await f.sim.close();
  }
});

Deno.test("[sim data] a pending connection answers 202, reauth 401, on every data endpoint", async () => {
  const f = fixture({ assistedDelayMs: null });
  try {
    const token = await connect(f, {
      provider_id: "trinet",
      company_name: "Pending Co",
      products: DATA_PRODUCTS,
      manual: true,
    });
    const c = f.as(token.access_token);
    const calls = [
      () => c.hris.company.retrieve().asResponse(),
      () => c.hris.directory.list().asResponse(),
      () =>
        c.hris.individuals.retrieveMany({
          requests: [{ individual_id: unknownId }],
        })
          .asResponse(),
      () => c.hris.payments.list(YEAR).asResponse(),
      () => c.hris.benefits.list().asResponse(),
    ];
    for (const call of calls) {
      const res = await call();
      assert.equal(res.status, 202);
      assert.deepEqual(spec(S.Accepted, await res.json()), {
        code: 202,
        name: "authorization_pending",
        finch_code: "pending",
        message: "Authorization to this company's data is pending",
      });
    }
    f.sim.setConnectionStatus(token.connection_id, "processing");
    const syncing = await c.hris.directory.list().asResponse();
    assert.equal(syncing.status, 202);
    assert.equal((await syncing.json()).finch_code, "data_sync_in_progress");
    f.sim.setConnectionStatus(token.connection_id, "reauth");
    for (
      const call of [
        () => c.hris.payments.list(YEAR),
        () => c.hris.benefits.list(),
      ]
    ) {
      const err = await apiError(call());
      assert.equal(err.status, 401);
      assert.equal(
        (err.error as { finch_code: string }).finch_code,
        "reauthenticate_user",
      );
    }
  } finally {
    await f.sim.close();
  }
});

Deno.test("[sim data] batch limits and paging", async (t) => {
  const f = fixture();
  try {
    const token = await connect(f, { products: DATA_PRODUCTS });
    const c = f.as(token.access_token);

    await t.step("more than 10,000 individuals in a batch -> 422", async () => {
      const requests = Array.from(
        { length: 10_001 },
        () => ({ individual_id: unknownId }),
      );
      const err = await apiError(c.hris.individuals.retrieveMany({ requests }));
      assert.equal(err.status, 422);
      assert.equal(
        (err.error as { finch_code: string }).finch_code,
        "batch_limit_exceeded",
      );
    });

    await t.step(
      "pay statements: at most 10 payments, pages of at most 5000",
      async () => {
        const requests = Array.from(
          { length: 11 },
          () => ({ payment_id: unknownId }),
        );
        const err = await apiError(
          c.hris.payStatements.retrieveMany({ requests }),
        );
        assert.equal(err.status, 422);
        const big = await apiError(c.hris.payStatements.retrieveMany({
          requests: [{ payment_id: unknownId, limit: 5001 }],
        }));
        assert.equal(
          (big.error as { finch_code: string }).finch_code,
          "page_size_limit_exceeded",
        );
      },
    );

    await t.step(
      "a batch answers each item in order, found or not",
      async () => {
        const ids = await allIds(c);
        const res = await c.hris.employments.retrieveMany({
          requests: [ids[3], unknownId, ids[0]].map((individual_id) => ({
            individual_id,
          })),
        });
        assert.deepEqual(res.responses.map((r) => [r.individual_id, r.code]), [
          [ids[3], 200],
          [unknownId, 404],
          [ids[0], 200],
        ]);
        assert.equal((res.responses[0].body as { id: string }).id, ids[3]);
      },
    );

    await t.step("pay statements page with offset and count", async () => {
      const [payment] = (await c.hris.payments.list(YEAR)).items
        .filter((p) => p.individual_ids!.length >= 3);
      const first = await c.hris.payStatements.retrieveMany({
        requests: [{ payment_id: payment.id, limit: 2 }],
      });
      const body = first.responses[0].body as { paging: { count: number } };
      assert.equal(body.paging.count, payment.individual_ids!.length);
      const rest = await c.hris.payStatements.retrieveMany({
        requests: [{ payment_id: payment.id, offset: 2, limit: 5000 }],
      });
      const later = rest.responses[0].body as {
        pay_statements: { individual_id: string }[];
      };
      assert.deepEqual(
        [
          ...(body as unknown as typeof later).pay_statements,
          ...later.pay_statements,
        ]
          .map((s) => s.individual_id),
        payment.individual_ids,
      );
    });
  } finally {
    await f.sim.close();
  }
});

Deno.test("[sim data] no token is a 401 before anything is validated", async () => {
  const f = fixture();
  try {
    for (
      const [method, path, body] of [
        ["GET", "/employer/directory?limit=99999", undefined],
        ["GET", "/employer/payment", undefined],
        ["POST", "/employer/individual", "{not json"],
        ["POST", "/employer/benefits", '{"type": 7}'],
        ["GET", "/employer/plans?limit=500", undefined],
      ] as const
    ) {
      const res = await f.sim.app.request(`${BASE}${path}`, { method, body });
      assert.equal(res.status, 401, `${method} ${path}`);
      assert.equal((await res.json()).name, "unauthorized_request_error");
    }
  } finally {
    await f.sim.close();
  }
});
