/**
 * Payroll: `GET /employer/payment`, `POST /employer/pay-statement` (up to 10 payments,
 * each paged), `GET /employer/pay-groups[/:id]` and `POST /employer/ledger-items`.
 *
 * @module
 */

import { Hono } from "hono";
import type { Context } from "hono";
import { z } from "zod";
import { type DataAccess, openData, type SimContext } from "../context.ts";
import { dayOf } from "../datagen/calendar.ts";
import { activeGroups, members, payGroups } from "../datagen/pay.ts";
import { type PaymentRef, Payroll } from "../datagen/payroll.ts";
import { finchError } from "../errors.ts";
import { queryArray, readJson, readQuery } from "../http.ts";
import { overLimit } from "./organization.ts";
import { metadataFor } from "./pay_statement_items.ts";

const Day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "must be YYYY-MM-DD");

const PaymentQuery = z.object({ start_date: Day, end_date: Day });

const PageRequest = z.object({
  payment_id: z.string(),
  limit: z.number().int().min(1).optional(),
  offset: z.number().int().min(0).optional(),
});

const StatementsBody = z.object({ requests: z.array(PageRequest).min(1) });
const LedgerBody = z.object({ requests: z.array(PageRequest) });

/** A batch item for a payment that is not there. */
function paymentNotFound(id: string) {
  return {
    payment_id: id,
    code: 404,
    body: {
      code: 404,
      name: "not_found_error",
      finch_code: "payment_not_found",
      message: `No payment with id ${id} found`,
    },
  };
}

const money = (amount: number) => ({ amount, currency: "usd" });

/** The payroll sub-app. */
export function payrollApp(ctx: SimContext): Hono {
  const app = new Hono();
  const payroll = (o: DataAccess) =>
    new Payroll(
      o.ds,
      dayOf(ctx.now()),
      metadataFor(ctx, o.bearer.conn),
    );

  app.get("/employer/payment", (c) => {
    ctx.requireBearer(c);
    const query = readQuery(c, PaymentQuery);
    const o = openData(ctx, c, "payment");
    if (o instanceof Response) return o;
    return c.json(
      payroll(o).list(query.start_date, query.end_date, o.entity),
    );
  });

  app.post("/employer/pay-statement", async (c) => {
    ctx.requireBearer(c);
    const body = await readJson(c, StatementsBody);
    if (body.requests.length > 10) {
      throw overLimit("batch", 10, "payment_ids");
    }
    if (body.requests.some((r) => (r.limit ?? 100) > 5000)) {
      throw overLimit("page", 5000, "items");
    }
    const o = openData(ctx, c, "pay_statement");
    if (o instanceof Response) return o;
    const pay = payroll(o);
    return c.json({
      responses: body.requests.map((r) => {
        const ref = pay.find(r.payment_id);
        if (!ref) return paymentNotFound(r.payment_id);
        const offset = r.offset ?? 0;
        const page = pay.statements(ref, o.entity, offset, r.limit ?? 100);
        return {
          payment_id: r.payment_id,
          code: 200,
          body: {
            paging: { count: page.count, offset },
            pay_statements: page.items,
          },
        };
      }),
    });
  });

  const groupFilter = (c: Context, o: DataAccess) => {
    const individual = c.req.query("individual_id");
    const frequencies = queryArray(c, "pay_frequencies");
    return activeGroups(o.ds).filter((g) =>
      (!frequencies.length || frequencies.includes(g.frequency)) &&
      (!individual || (() => {
        const ref = o.ds.refOf(individual, o.entity);
        return ref !== null &&
          members(o.ds, g, null, o.entity).includes(ref);
      })())
    );
  };

  app.get("/employer/pay-groups", (c) => {
    const o = openData(ctx, c, "payment");
    if (o instanceof Response) return o;
    return c.json(
      groupFilter(c, o).map((g) => ({
        id: g.id,
        name: g.name,
        pay_frequencies: [g.frequency],
      })),
    );
  });

  app.get("/employer/pay-groups/:pay_group_id", (c) => {
    const o = openData(ctx, c, "payment");
    if (o instanceof Response) return o;
    const id = c.req.param("pay_group_id");
    const group = payGroups(o.ds).find((g) => g.id === id);
    if (!group) {
      throw finchError(
        404,
        "not_found_error",
        `Pay group ${id} not found`,
        "item_not_found",
      );
    }
    return c.json({
      id: group.id,
      name: group.name,
      pay_frequencies: [group.frequency],
      // Who the group pays now: its active members.
      individual_ids: members(o.ds, group, null, o.entity).map((r) =>
        o.ds.idOf(r)
      ),
    });
  });

  app.post("/employer/ledger-items", async (c) => {
    ctx.requireBearer(c);
    const body = await readJson(c, LedgerBody);
    const o = openData(ctx, c, "payment");
    if (o instanceof Response) return o;
    const pay = payroll(o);
    return c.json({
      responses: body.requests.map((r) => {
        const ref = pay.find(r.payment_id);
        if (!ref) return paymentNotFound(r.payment_id);
        const items = ledger(pay, ref, o);
        const offset = r.offset ?? 0;
        const debit = items.reduce((s, i) => s + i.debit.amount, 0);
        const credit = items.reduce((s, i) => s + i.credit.amount, 0);
        return {
          payment_id: r.payment_id,
          code: 200,
          body: {
            source: "synthesized",
            provider_description: null,
            pay_date: pay.json(ref, o.entity).pay_date,
            totals: {
              debit: money(debit),
              credit: money(credit),
              balanced: debit === credit,
            },
            paging: { count: items.length, offset },
            ledger_items: items.slice(offset, offset + (r.limit ?? 100)),
          },
        };
      }),
    });
  });

  return app;
}

/**
 * A payment as double-entry lines: wages, employer taxes and contributions are debits;
 * net pay, tax and benefit liabilities are credits. They balance by construction.
 */
function ledger(pay: Payroll, ref: PaymentRef, o: DataAccess) {
  const t = pay.totals(ref, o.entity);
  const line = (
    type: string,
    account: string,
    description: string,
    debit: number,
    credit: number,
  ) => ({
    type,
    account_type: account,
    account_description: description,
    debit: money(debit),
    credit: money(credit),
  });
  return [
    line("regular_wages", "RegularWages", "Gross Wages", t.gross, 0),
    line(
      "employer_tax_fica",
      "EmployerTaxes",
      "Employer Taxes",
      t.employerTaxes,
      0,
    ),
    line(
      "employer_contribution_other",
      "EmployerContributions",
      "Employer Contributions",
      t.contributions,
      0,
    ),
    line("cash_debit_net_pay", "DebitNetPay", "Employee Payment", 0, t.net),
    line(
      "tax_liability_accrual",
      "TaxLiability",
      "Tax Liability",
      0,
      t.employeeTaxes + t.employerTaxes,
    ),
    line(
      "benefit_liability",
      "BenefitLiability",
      "Benefit Liability",
      0,
      t.deductions + t.contributions,
    ),
  ].filter((l) => l.debit.amount || l.credit.amount);
}
