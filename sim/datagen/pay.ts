/**
 * Payroll's calendar side: pay groups, who is paid in which period, payment ids, and a
 * payment's JSON from its sums. The statements themselves are in statements.ts.
 *
 * Three pay groups: salaried (bi-weekly or semi-monthly, per company), hourly (weekly) and
 * contractors (monthly). The history covers the pay dates of the last twelve months, or,
 * as Finch's sandbox does above 100 employees, only each group's latest period. A
 * payment is the sum of its statements (statements.ts), and
 * `company_debit = gross + employer taxes + employer contributions`.
 *
 * @module
 */

import type { EntityRecord } from "../store.ts";
import {
  dayOf,
  daysBefore,
  type Frequency,
  lastPaid,
  type Period,
  period,
  periodsPaid,
} from "./calendar.ts";
import { CREATED, type Dataset } from "./dataset.ts";
import type { Totals } from "./statements.ts";
import type { PayKind } from "./people.ts";
import { IdCodec, Rand } from "./random.ts";

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
