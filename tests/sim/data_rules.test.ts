/**
 * The data plane's rules, through the SDK: SSNs only with the `ssn` product, pay
 * statements that add up, entity filters, and a 10,000-person company on request.
 */

import assert from "node:assert/strict";
import Finch from "@tryfinch/finch-api";
import {
  connect,
  DATA_PRODUCTS,
  type Fixture,
  fixture,
  spec,
} from "./helpers.ts";
import * as S from "./spec_schemas.ts";

const YEAR = { start_date: "2000-01-01", end_date: "2100-01-01" };

async function allIds(client: Finch): Promise<string[]> {
  const ids = [];
  for await (const p of client.hris.directory.list({ limit: 25 })) {
    ids.push(p.id);
  }
  return ids;
}

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
    // Sandbox connections follow the configured size unless they ask for another.
    const sandbox = await f.client.sandbox.connections.create({
      provider_id: "gusto",
    });
    assert.equal(
      (await f.as(sandbox.access_token).hris.directory.list()).paging.count,
      10_000,
    );
    // A connection's size can also be changed afterwards.
    f.sim.setCompanySize(token.connection_id, 12);
    assert.equal((await c.hris.directory.list()).paging.count, 12);
  } finally {
    await f.sim.close();
  }
});
