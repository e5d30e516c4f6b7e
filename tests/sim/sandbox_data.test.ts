/**
 * Sandbox data changes: each one shows in the data at once and sends the webhooks the
 * spec's event schemas describe (`company.updated`, `directory.*`, `individual.updated`,
 * `employment.updated`, `payment.created`, `pay_statement.created`), signed as Finch signs.
 */

import assert from "node:assert/strict";
import Finch from "@tryfinch/finch-api";
import {
  apiError,
  connect,
  DATA_PRODUCTS,
  fixture,
  receiver,
  spec,
} from "./helpers.ts";
import * as O from "./spec_operations.ts";

type Event = {
  event_type: string;
  data: Record<string, string> | null;
  entity_id?: string;
};

function setup() {
  const hooks = receiver();
  const f = fixture({
    webhookUrl: "http://portal.test/hook",
    fetch: hooks.fetch,
  });
  /**
   * The events sent since the last call, verified with the SDK and the spec, in the
   * order they were sent (deliveries may arrive in any order, as Finch's may).
   */
  const events = async (): Promise<Event[]> => {
    await f.sim.settled();
    const order = f.sim.webhooks().map((d) => d.event_id);
    return hooks.received.splice(0)
      .sort((a, b) =>
        order.indexOf(a.headers.get("finch-event-id")!) -
        order.indexOf(b.headers.get("finch-event-id")!)
      )
      .map((m) =>
        spec(
          O.WebhookEvent,
          f.client.webhooks.unwrap(m.body, m.headers),
        ) as Event
      );
  };
  return { f, events };
}

async function first(c: Finch) {
  return (await c.hris.directory.list()).individuals[0].id;
}

Deno.test("[sim sandbox] company and people changes show and send their webhooks", async (t) => {
  const { f, events } = setup();
  try {
    const token = await connect(f, {
      company_name: "Sandbox Co",
      products: DATA_PRODUCTS,
    });
    const c = f.as(token.access_token);
    await events();

    await t.step("PUT /sandbox/company -> company.updated", async () => {
      const { id: _, ...company } = await c.hris.company.retrieve();
      await c.sandbox.company.update({ ...company, ein: "98-7654321" });
      assert.equal((await c.hris.company.retrieve()).ein, "98-7654321");
      const [e] = await events();
      assert.equal(e.event_type, "company.updated");
    });

    await t.step(
      "POST /sandbox/directory -> directory/individual/employment.created",
      async () => {
        const before = (await c.hris.directory.list()).paging.count!;
        const [added] = await c.sandbox.directory.create({
          body: [{
            first_name: "Nova",
            last_name: "Quill",
            dob: "1991-05-06",
            emails: [{ data: "nova@sandbox.test", type: "work" }],
            employment: { type: "employee", subtype: "full_time" },
            income: {
              unit: "yearly",
              amount: 9_000_000,
              currency: "usd",
              effective_date: "2024-01-01",
            },
            is_active: true,
          }],
        }) as { id: string }[];
        const after = await c.hris.directory.list({ limit: 10_000 });
        assert.equal(after.paging.count, before + 1);
        assert.equal(after.individuals.at(-1)!.id, added.id);
        const ind = await c.hris.individuals.retrieveMany({
          requests: [{ individual_id: added.id }],
        });
        assert.equal(
          (ind.responses[0].body as { first_name: string }).first_name,
          "Nova",
        );
        assert.deepEqual(
          (await events()).map((e) => [e.event_type, e.data!.individual_id]),
          [
            ["directory.created", added.id],
            ["individual.created", added.id],
            ["employment.created", added.id],
          ],
        );
      },
    );

    await t.step(
      "PUT /sandbox/individual: individual.updated, directory.updated on a name",
      async () => {
        const id = await first(c);
        await c.sandbox.individual.update(id, { dob: "1980-01-02" });
        assert.deepEqual((await events()).map((e) => e.event_type), [
          "individual.updated",
        ]);
        const res = await c.sandbox.individual.update(id, {
          last_name: "Renamed",
        });
        assert.equal(res.last_name, "Renamed");
        assert.deepEqual((await events()).map((e) => e.event_type), [
          "individual.updated",
          "directory.updated",
        ]);
        assert.equal(
          (await c.hris.directory.list()).individuals[0].last_name,
          "Renamed",
        );
      },
    );

    await t.step(
      "PUT /sandbox/employment: employment.updated, directory.updated on a department",
      async () => {
        const id = await first(c);
        await c.sandbox.employment.update(id, {
          title: "Chief Sandbox Officer",
        });
        assert.deepEqual((await events()).map((e) => e.event_type), [
          "employment.updated",
        ]);
        await c.sandbox.employment.update(id, {
          department: { name: "Research" },
        });
        assert.deepEqual((await events()).map((e) => e.event_type), [
          "employment.updated",
          "directory.updated",
        ]);
        const emp = await c.hris.employments.retrieveMany({
          requests: [{ individual_id: id }],
        });
        const body = emp.responses[0].body as {
          title: string;
          department: { name: string };
        };
        assert.equal(body.title, "Chief Sandbox Officer");
        assert.equal(body.department.name, "Research");
      },
    );

    await t.step(
      "an unknown individual -> 404 individual_not_found",
      async () => {
        const err = await apiError(
          c.sandbox.employment.update(crypto.randomUUID(), { title: "x" }),
        );
        assert.equal(err.status, 404);
        assert.equal(
          (err.error as { finch_code: string }).finch_code,
          "individual_not_found",
        );
      },
    );
  } finally {
    await f.sim.close();
  }
});

Deno.test("[sim sandbox] a sandbox payment appears with its statements and webhooks", async () => {
  const { f, events } = setup();
  try {
    const token = await connect(f, {
      company_name: "Pay Sandbox",
      products: DATA_PRODUCTS,
    });
    const c = f.as(token.access_token);
    const ids = (await c.hris.directory.list()).individuals.slice(0, 2).map((
      p,
    ) => p.id);
    await events();
    const made = await c.sandbox.payment.create({
      start_date: "2026-03-01",
      end_date: "2026-03-15",
      pay_statements: ids.map((individual_id) => ({
        individual_id,
        earnings: [{
          type: "salary",
          name: "Salary",
          amount: 400_000,
          hours: 80,
        }],
        taxes: [
          {
            type: "federal",
            name: "Federal Income Tax",
            amount: 40_000,
            employer: false,
          },
          {
            type: "fica",
            name: "Social Security (Employer)",
            amount: 24_800,
            employer: true,
          },
        ],
        employee_deductions: [
          { type: "401k", name: "401(k)", amount: 20_000, pre_tax: true },
        ],
      })),
    });
    assert.equal(made.pay_date, "2026-03-15");
    const payment = (await c.hris.payments.list({
      start_date: "2026-03-15",
      end_date: "2026-03-15",
    })).items.find((p) => p.id === made.payment_id)!;
    assert.deepEqual(payment.individual_ids, ids);
    assert.equal(payment.gross_pay!.amount, 800_000);
    assert.equal(payment.net_pay!.amount, 2 * (400_000 - 40_000 - 20_000));
    assert.equal(payment.employer_taxes!.amount, 49_600);
    const statements = await c.hris.payStatements.retrieveMany({
      requests: [{ payment_id: made.payment_id }],
    });
    const body = statements.responses[0].body as { pay_statements: unknown[] };
    assert.equal(body.pay_statements.length, 2);
    const items = await c.hris.payStatementItem.list({ name: "401(k)" });
    assert.ok(items.responses.some((i) => i.name === "401(k)"));
    assert.deepEqual(
      (await events()).map((e) => [e.event_type, e.data!.payment_id]),
      [
        ["payment.created", made.payment_id],
        ["pay_statement.created", made.payment_id],
        ["pay_statement.created", made.payment_id],
      ],
    );
  } finally {
    await f.sim.close();
  }
});

Deno.test("[sim sandbox] pay statement item rules label matching lines everywhere", async () => {
  const f = fixture();
  try {
    const token = await connect(f, {
      company_name: "Rules Co",
      products: DATA_PRODUCTS,
    });
    const c = f.as(token.access_token);
    await c.hris.payStatementItem.rules.create({
      conditions: [{
        field: "name",
        operator: "equals",
        value: "Federal Income Tax",
      }],
      attributes: { metadata: { gl_account: "2100" } },
    });
    const items = await c.hris.payStatementItem.list({ categories: ["taxes"] });
    const federal = items.responses.find((i) =>
      i.name === "Federal Income Tax"
    )!;
    assert.deepEqual(federal.attributes.metadata, { gl_account: "2100" });
    const other = items.responses.find((i) => i.name === "Medicare")!;
    assert.equal(other.attributes.metadata, null);
    const [payment] = (await c.hris.payments.list({
      start_date: "2000-01-01",
      end_date: "2100-01-01",
    })).items.filter((p) => p.pay_frequencies?.[0] !== "monthly");
    const statements = await c.hris.payStatements.retrieveMany({
      requests: [{ payment_id: payment.id, limit: 1 }],
    });
    const [s] = (statements.responses[0].body as {
      pay_statements: {
        taxes: { name: string; attributes?: { metadata: unknown } }[];
      }[];
    }).pay_statements;
    assert.deepEqual(
      s.taxes.find((x) => x.name === "Federal Income Tax")!.attributes,
      { metadata: { gl_account: "2100" } },
    );
    assert.equal(
      s.taxes.find((x) => x.name === "Medicare")!.attributes,
      undefined,
    );
  } finally {
    await f.sim.close();
  }
});
