/**
 * Pay statements: one person's pay for one period, line by line. Earnings follow how the
 * person is paid (salary with some PTO and bonuses, hours with overtime, or a 1099
 * payment), deductions and employer contributions follow their enrollments, taxes follow
 * a simple US model (federal brackets, the work state's rate, FICA, FUTA, SUTA). Every
 * amount is whole cents and `gross = net + employee taxes + employee deductions` holds
 * by construction.
 *
 * @module
 */

import { benefitKind, enrollmentAmounts } from "./benefits.ts";
import { type Frequency, type Period, PERIODS_PER_YEAR } from "./calendar.ts";
import type { Dataset } from "./dataset.ts";
import {
  type Metadata,
  type PayGroup,
  type PayProfile,
  payProfile,
} from "./pay.ts";
import { type Rand, rand } from "./random.ts";

const money = (amount: number) => ({ amount, currency: "usd" });

/** Finch's taxes on a pay statement, employee's then employer's. */
function taxes(
  profile: PayProfile,
  gross: number,
  preTax: number,
  ficaExempt: number,
  periodsPerYear: number,
) {
  const taxable = gross - preTax;
  const fica = gross - ficaExempt;
  const yearly = taxable * periodsPerYear;
  const federal = yearly < 5_000_000
    ? 0.07
    : yearly < 10_000_000
    ? 0.11
    : yearly < 20_000_000
    ? 0.17
    : 0.23;
  const st = profile.state;
  const item = (
    type: string,
    name: string,
    employer: boolean,
    amount: number,
  ) => ({
    type,
    name,
    employer,
    amount: Math.round(amount),
    currency: "usd",
  });
  return [
    item("federal", "Federal Income Tax", false, taxable * federal),
    ...(st && profile.stateTaxBp
      ? [
        item(
          "state",
          `State Income Tax - ${st}`,
          false,
          taxable * profile.stateTaxBp / 10_000,
        ),
      ]
      : []),
    item("fica", "Social Security", false, fica * 0.062),
    item("fica", "Medicare", false, fica * 0.0145),
    item("fica", "Social Security (Employer)", true, fica * 0.062),
    item("fica", "Medicare (Employer)", true, fica * 0.0145),
    item("federal", "FUTA", true, gross * 0.006),
    ...(st ? [item("state", `SUTA - ${st}`, true, gross * 0.027)] : []),
  ];
}

/** Earnings of one period: salary (with some PTO and bonuses), hours, or a 1099 payment. */
function earnings(profile: PayProfile, freq: Frequency, r: Rand) {
  const ppy = PERIODS_PER_YEAR[freq];
  const line = (
    type: string,
    name: string,
    amount: number,
    hours: number | null,
  ) => ({
    type,
    name,
    amount: Math.round(amount),
    currency: "usd",
    hours,
  });
  if (profile.kind === "salary") {
    const hours = Math.round(2080 / ppy * 100) / 100;
    const amount = Math.round(profile.rate / ppy);
    const pto = r.chance(0.12) ? Math.round(amount * 8 / hours) : 0;
    const out = [
      line("salary", "Regular Salary", amount - pto, pto ? hours - 8 : hours),
    ];
    if (pto) out.push(line("pto", "Paid Time Off", pto, 8));
    if (r.chance(0.04)) {
      out.push(
        line(
          "bonus",
          "Bonus",
          Math.round(amount * r.range(5, 15) / 100 / 5000) * 5000,
          null,
        ),
      );
    }
    return out;
  }
  const weeks = 52 / ppy;
  if (profile.kind === "hourly") {
    const hours = r.range(30 * 4, 45 * 4) / 4 * weeks;
    const regular = Math.min(hours, 40 * weeks);
    const out = [
      line("wage", "Regular Hourly", regular * profile.rate, regular),
    ];
    if (hours > regular) {
      out.push(
        line(
          "overtime",
          "Overtime",
          (hours - regular) * profile.rate * 1.5,
          hours - regular,
        ),
      );
    }
    return out;
  }
  const hours = r.range(10, 40) * weeks;
  return [line("1099", "Contractor Payment", hours * profile.rate, hours)];
}

/** The pay statement of one person in one payment (spec `PayStatement`). */
export function statement(
  ds: Dataset,
  ref: number,
  group: PayGroup,
  p: Period,
  metadata: Metadata,
) {
  const profile = payProfile(ds, ref)!;
  const r = rand(ds.seed, ref, p.n, group.index);
  const earned = earnings(profile, group.frequency, r);
  const gross = earned.reduce((s, e) => s + e.amount, 0);
  const deductions = [];
  const contributions = [];
  let preTax = 0, ficaExempt = 0, deducted = 0;
  if (profile.kind !== "contractor") {
    for (const b of ds.benefits()) {
      const e = ds.enrollment(b, ref);
      if (!e || e.effective_date > p.start_date) continue;
      const { deduction, contribution } = enrollmentAmounts(e, gross);
      // Never deduct more than half the pay: net pay stays positive after taxes.
      if (deducted + deduction > gross / 2) continue;
      const kind = benefitKind(b.type);
      deducted += deduction;
      if (kind?.pre_tax) {
        preTax += deduction;
        if (!b.type?.startsWith("401k") && !b.type?.startsWith("403b")) {
          ficaExempt += deduction;
        }
      }
      if (deduction) {
        deductions.push({
          name: b.description,
          amount: deduction,
          currency: "usd",
          pre_tax: kind?.pre_tax ?? false,
          type: b.type,
        });
      }
      if (contribution) {
        contributions.push({
          name: b.description,
          amount: contribution,
          currency: "usd",
          type: b.type,
        });
      }
    }
  }
  const taxed = profile.kind === "contractor" ? [] : taxes(
    profile,
    gross,
    preTax,
    ficaExempt,
    PERIODS_PER_YEAR[group.frequency],
  );
  const employeeTaxes = taxed.filter((t) => !t.employer)
    .reduce((s, t) => s + t.amount, 0);
  const withMeta = <T extends { name: string; type: string | null }>(
    category: string,
    items: T[],
  ) =>
    items.map((item) => {
      const m = metadata(category, item.name, item.type);
      return m ? { ...item, attributes: { metadata: m } } : item;
    });
  return {
    individual_id: ds.idOf(ref),
    type: "regular_payroll",
    payment_method: profile.method,
    total_hours: earned.reduce((s, e) => s + (e.hours ?? 0), 0),
    gross_pay: money(gross),
    net_pay: money(gross - employeeTaxes - deducted),
    earnings: withMeta("earnings", earned),
    taxes: withMeta("taxes", taxed),
    employee_deductions: withMeta("employee_deductions", deductions),
    employer_contributions: withMeta("employer_contributions", contributions),
  };
}

/** Sums of a payment's statements. */
export interface Totals {
  gross: number;
  net: number;
  employeeTaxes: number;
  employerTaxes: number;
  deductions: number;
  contributions: number;
}

type Statement = ReturnType<typeof statement>;

/** Adds statements up. */
export function totalsOf(statements: Iterable<Statement>): Totals {
  const t: Totals = {
    gross: 0,
    net: 0,
    employeeTaxes: 0,
    employerTaxes: 0,
    deductions: 0,
    contributions: 0,
  };
  const sum = (xs: { amount?: number | null }[] | null | undefined) =>
    (xs ?? []).reduce((s, x) => s + (x.amount ?? 0), 0);
  for (const s of statements) {
    t.gross += s.gross_pay?.amount ?? 0;
    t.net += s.net_pay?.amount ?? 0;
    t.employeeTaxes += sum(s.taxes?.filter((x) => !x.employer));
    t.employerTaxes += sum(s.taxes?.filter((x) => x.employer));
    t.deductions += sum(s.employee_deductions);
    t.contributions += sum(s.employer_contributions);
  }
  return t;
}
