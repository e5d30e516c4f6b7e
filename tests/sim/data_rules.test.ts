/**
 * The data plane's rules, through the SDK: Finch's errors (unknown ids, missing product,
 * pending, reauth, unsupported product), batch limits and shapes, paging, entity filters,
 * SSNs only with the `ssn` product, pay statements that add up, and a 10,000-person
 * company on request.
 */

import assert from "node:assert/strict";
import Finch from "@tryfinch/finch-api";
import {
  apiError,
  bearer,
  connect,
  DATA_PRODUCTS,
  type Fixture,
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

Deno.test("[sim data] SSNs only with the ssn product and when asked", async () => {
  const f = fixture();
  try {
    const ask = async (products: typeof DATA_PRODUCTS, include: string[]) => {
      const token = await connect(f, { company_name: "Ssn Co", products });
      const c = f.as(token.access_token);
      const [id] = await allIds(c);
      const res = await c.hris.individuals.retrieveMany({
        requests: [{ individual_id: id }],
        options: { include },
      });
      return spec(S.Individual, res.responses[0].body);
    };
    assert.ok(!("ssn" in await ask(["directory", "individual"], ["ssn"])));
    assert.ok(!("ssn" in await ask(["directory", "individual", "ssn"], [])));
    const shown = await ask(["directory", "individual", "ssn"], ["ssn"]);
    assert.match(shown.ssn!, /^(?!000|666|9)\d{3}-(?!00)\d{2}-(?!0000)\d{4}$/);
  } finally {
    await f.sim.close();
  }
});

/** Every statement of every payment of a connection, checked to add up. */
async function checkSums(f: Fixture, c: Finch) {
  const payments = (await c.hris.payments.list(YEAR)).items;
  assert.ok(payments.length > 0);
  let statements = 0;
  for (const p of payments) {
    const res = await c.hris.payStatements.retrieveMany({
      requests: [{ payment_id: p.id, limit: 5000 }],
    });
    const body = spec(S.PayStatements, (await f.last()).body).responses[0].body;
    assert.ok("pay_statements" in body);
    const sum = {
      gross: 0,
      net: 0,
      employeeTaxes: 0,
      employerTaxes: 0,
      contributions: 0,
    };
    for (const s of body.pay_statements) {
      const amount = (xs: { amount?: number | null }[] | null) =>
        (xs ?? []).reduce((t, x) => t + (x.amount ?? 0), 0);
      const employeeTaxes = amount(s.taxes!.filter((x) => !x.employer));
      const deductions = amount(s.employee_deductions);
      assert.equal(
        s.gross_pay!.amount,
        s.net_pay!.amount! + employeeTaxes + deductions,
        `gross = net + employee taxes + employee deductions (${p.id})`,
      );
      assert.equal(
        s.gross_pay!.amount,
        amount(s.earnings as []),
        "gross = earnings",
      );
      assert.ok(s.net_pay!.amount! > 0);
      sum.gross += s.gross_pay!.amount!;
      sum.net += s.net_pay!.amount!;
      sum.employeeTaxes += employeeTaxes;
      sum.employerTaxes += amount(s.taxes!.filter((x) => x.employer));
      sum.contributions += amount(s.employer_contributions);
      statements++;
    }
    assert.equal(res.responses[0].code, 200);
    assert.equal(p.gross_pay!.amount, sum.gross);
    assert.equal(p.net_pay!.amount, sum.net);
    assert.equal(p.employee_taxes!.amount, sum.employeeTaxes);
    assert.equal(p.employer_taxes!.amount, sum.employerTaxes);
    assert.equal(
      p.company_debit!.amount,
      sum.gross + sum.employerTaxes + sum.contributions,
    );
  }
  return statements;
}

Deno.test("[sim data] pay statements add up, and payments are their sums", async () => {
  const f = fixture();
  try {
    for (const company of ["Sums One", "Sums Two", "Sums Three"]) {
      const token = await connect(f, {
        company_name: company,
        products: DATA_PRODUCTS,
      });
      assert.ok(await checkSums(f, f.as(token.access_token)) > 50);
    }
  } finally {
    await f.sim.close();
  }
});

Deno.test("[sim data] entity_ids picks one entity's people, payments and pay", async (t) => {
  const f = fixture();
  try {
    const token = await connect(f, {
      company_name: "Entity Holdings",
      entities: "Entity East, Entity West",
      products: DATA_PRODUCTS,
    });
    const c = f.as(token.access_token);
    const [east, west] = token.entity_ids;
    const everyone = await allIds(c);
    const of = async (entity: string) => {
      const ids = [];
      for await (
        const p of c.hris.directory.list({ entity_ids: [entity], limit: 7 })
      ) {
        ids.push(p.id);
      }
      return ids;
    };
    const eastIds = await of(east), westIds = await of(west);

    await t.step("each person belongs to exactly one entity", () => {
      assert.ok(eastIds.length > 0 && westIds.length > 0);
      assert.deepEqual([...eastIds, ...westIds].sort(), [...everyone].sort());
      assert.ok(!eastIds.some((id) => westIds.includes(id)));
    });

    await t.step(
      "another entity's person is not found through this one",
      async () => {
        const res = await c.hris.individuals.retrieveMany({
          entity_ids: [east],
          requests: [{ individual_id: westIds[0] }, {
            individual_id: eastIds[0],
          }],
        });
        assert.deepEqual(res.responses.map((r) => r.code), [404, 200]);
      },
    );

    await t.step("payments show only the entity's people", async () => {
      const payments =
        (await c.hris.payments.list({ ...YEAR, entity_ids: [east] })).items;
      assert.ok(payments.length > 0);
      for (const p of payments) {
        assert.ok(p.individual_ids!.every((id) => eastIds.includes(id)));
      }
    });

    await t.step(
      "a disconnected entity's people leave the directory",
      async () => {
        await c.account.disconnectEntity({ entity_ids: [west] });
        assert.deepEqual((await allIds(c)).sort(), [...eastIds].sort());
      },
    );
  } finally {
    await f.sim.close();
  }
});

Deno.test("[sim data] a test can ask for a 10,000-person company", async () => {
  const f = fixture({ companySize: 10_000 });
  try {
    const token = await connect(f, {
      company_name: "Big Co",
      products: DATA_PRODUCTS,
    });
    const c = f.as(token.access_token);
    const page = await c.hris.directory.list({ limit: 10_000 });
    assert.equal(page.paging.count, 10_000);
    assert.equal(new Set(page.individuals.map((p) => p.id)).size, 10_000);
    const last = page.individuals.at(-1)!.id;
    const res = await c.hris.employments.retrieveMany({
      requests: [{ individual_id: last }],
    });
    assert.equal(res.responses[0].code, 200);
    // Above 100 people only the latest period of each pay group is kept (Finch sandbox).
    const payments = (await c.hris.payments.list(YEAR)).items;
    assert.ok(
      payments.length >= 2 && payments.length <= 3,
      String(payments.length),
    );
    // A connection's size can also be changed afterwards.
    f.sim.setCompanySize(token.connection_id, 12);
    assert.equal((await c.hris.directory.list()).paging.count, 12);
  } finally {
    await f.sim.close();
  }
});
