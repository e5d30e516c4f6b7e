/**
 * Payroll: pay groups, payments and pay statements, generated per person and period.
 *
 * Three pay groups: salaried (bi-weekly or semi-monthly, per company), hourly (weekly) and
 * contractors (monthly). The history covers the pay dates of the last twelve months, or,
 * as Finch's sandbox does above 100 employees, only each group's latest period. Every
 * amount is whole cents and the statement adds up by construction:
 * `gross = net + employee taxes + employee deductions`; a payment is the sum of its
 * statements, and `company_debit = gross + employer taxes + employer contributions`.
 *
 * @module
 */

import type { EntityRecord } from "../store.ts";
import { benefitKind, enrollmentAmounts } from "./benefits.ts";
import {
  dayOf,
  daysBefore,
  type Frequency,
  lastPaid,
  type Period,
  period,
  PERIODS_PER_YEAR,
  periodsPaid,
} from "./calendar.ts";
import { CREATED, type Dataset } from "./dataset.ts";
import type { PayKind } from "./people.ts";
import { IdCodec, Rand, rand } from "./random.ts";

/** A pay group (spec `GetPayGroupResponse` without its members). */
export interface PayGroup {
  index: number;
  id: string;
  name: string;
  frequency: Frequency;
  kind: PayKind;
}

/** How a person is paid, after sandbox edits. */
export interface PayProfile {
  kind: PayKind;
  /** Yearly cents for salaries, cents per hour otherwise. */
  rate: number;
  state: string | null;
  stateTaxBp: number;
  method: "direct_deposit" | "check";
  /** First and last day employed (YYYY-MM-DD; null: open). */
  from: string | null;
  to: string | null;
}

/** The metadata pay statement item rules give a line (null: none). */
export type Metadata = (
  category: string,
  name: string,
  type?: string | null,
) => Record<string, unknown> | null;

const money = (amount: number) => ({ amount, currency: "usd" });
const day = (ms: number | null) => (ms === null ? null : dayOf(ms));

/** The groups that have anyone in them (judged on the first 64 people, and additions). */
export function activeGroups(ds: Dataset): PayGroup[] {
  const kinds = new Set<PayKind>();
  const probe = [
    ...Array.from({ length: Math.min(ds.size, 64) }, (_, i) => i),
    ...ds.overlay.created.map((_, k) => CREATED + k),
  ];
  for (const ref of probe) {
    const kind = kindAndWindow(ds, ref)?.kind;
    if (kind) kinds.add(kind);
  }
  return payGroups(ds).filter((g) => kinds.has(g.kind));
}

/** The pay groups of a dataset. */
export function payGroups(ds: Dataset): PayGroup[] {
  const codec = new IdCodec(ds.conn.company_id, ds.conn.provider_id, "pay");
  const salaried: Frequency = new Rand(ds.seed ^ 0x5a5a).chance(0.6)
    ? "bi_weekly"
    : "semi_monthly";
  const label = { bi_weekly: "Bi-Weekly", semi_monthly: "Semi-Monthly" };
  return [
    {
      kind: "salary",
      frequency: salaried,
      name: `Salaried (${label[salaried]})`,
    },
    { kind: "hourly", frequency: "weekly", name: "Hourly (Weekly)" },
    { kind: "contractor", frequency: "monthly", name: "Contractors (Monthly)" },
  ].map((g, index) => ({
    ...g,
    index,
    id: codec.encode(index),
  })) as PayGroup[];
}

/** How a person is paid, or null when the record gives no way to pay them. */
export function payProfile(ds: Dataset, ref: number): PayProfile | null {
  const patch = ds.patch(ref) as {
    income?: { unit?: string; amount?: number } | null;
    employment?: { type?: string } | null;
    start_date?: string | null;
    end_date?: string | null;
    is_active?: boolean | null;
  };
  let profile: PayProfile | null = null;
  if (ref < CREATED) {
    const job = ds.people.job(ref);
    // Remote workers are taxed where the company is based: a small, known set of states.
    const place = job.place ?? ds.shape.places[0];
    profile = {
      kind: job.pay,
      rate: job.rate,
      state: place.state,
      stateTaxBp: place.tax_bp,
      method: job.payment_method,
      from: job.latest_rehire_date ?? job.start_date,
      to: job.end_date,
    };
  }
  const income = patch.income;
  if (
    income?.amount && (income.unit === "yearly" || income.unit === "hourly")
  ) {
    profile = {
      kind: income.unit === "yearly" ? "salary" : "hourly",
      rate: income.amount,
      state: profile?.state ?? null,
      stateTaxBp: profile?.stateTaxBp ?? 0,
      method: profile?.method ?? "direct_deposit",
      from: profile?.from ?? null,
      to: profile?.to ?? null,
    };
  }
  if (!profile) return null;
  if (patch.employment?.type === "contractor") profile.kind = "contractor";
  if ("start_date" in patch) profile.from = patch.start_date ?? null;
  if ("end_date" in patch) profile.to = patch.end_date ?? null;
  // Made inactive without an end date: not paid in any period.
  if (patch.is_active === false && !profile.to) profile.to = "0000-00-00";
  return profile;
}

/** The pay kind and employment window of a person, cheaply for generated ones. */
function kindAndWindow(ds: Dataset, ref: number) {
  if (ref < CREATED && !(ds.people.id(ref) in ds.overlay.people)) {
    const b = ds.people.basics(ref);
    return { kind: b.pay, from: day(b.rehired ?? b.started), to: day(b.ended) };
  }
  const p = payProfile(ds, ref);
  return p ? { kind: p.kind, from: p.from, to: p.to } : null;
}

/** Whether a person is paid in a group during a period. */
export function paidIn(
  ds: Dataset,
  ref: number,
  group: PayGroup,
  p: Period | null,
): boolean {
  const w = kindAndWindow(ds, ref);
  if (!w || w.kind !== group.kind) return false;
  if (!p) return w.to === null;
  return (w.from === null || w.from <= p.end_date) &&
    (w.to === null || w.to >= p.start_date);
}

/** The periods of a group with a payment, oldest first. */
export function history(ds: Dataset, group: PayGroup, today: string): Period[] {
  if (ds.size > 100) return [lastPaid(group.frequency, today)];
  return periodsPaid(group.frequency, daysBefore(today, 365), today);
}

/** The payment id of a group's period. */
export function paymentId(ds: Dataset, group: PayGroup, n: number): string {
  return new IdCodec(ds.conn.company_id, ds.conn.provider_id, "payment")
    .encode(n * 4 + group.index);
}

/** The group and period behind a generated payment id, if it was paid by `today`. */
export function paymentOf(ds: Dataset, id: string, today: string) {
  const code = new IdCodec(ds.conn.company_id, ds.conn.provider_id, "payment")
    .decode(id);
  if (code === null) return null;
  const group = payGroups(ds)[code % 4];
  if (!group) return null;
  const p = period(group.frequency, Math.floor(code / 4));
  return history(ds, group, today).some((h) => h.n === p.n)
    ? { group, period: p }
    : null;
}

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

/** `GET /employer/payment` item. */
export function paymentJson(
  id: string,
  p: Pick<Period, "start_date" | "end_date" | "pay_date" | "debit_date">,
  t: Totals,
  individualIds: string[],
  group: PayGroup | null,
) {
  return {
    id,
    pay_period: { start_date: p.start_date, end_date: p.end_date },
    pay_date: p.pay_date,
    debit_date: p.debit_date,
    company_debit: money(t.gross + t.employerTaxes + t.contributions),
    gross_pay: money(t.gross),
    net_pay: money(t.net),
    employer_taxes: money(t.employerTaxes),
    employee_taxes: money(t.employeeTaxes),
    individual_ids: individualIds,
    pay_group_ids: group ? [group.id] : [],
    pay_frequencies: group ? [group.frequency] : [],
  };
}

/** The members of a group's period, in listing order. */
export function members(
  ds: Dataset,
  group: PayGroup,
  p: Period | null,
  entity: EntityRecord | null,
): number[] {
  const out: number[] = [];
  for (const ref of ds.refs(entity)) {
    if (paidIn(ds, ref, group, p)) out.push(ref);
  }
  return out;
}
