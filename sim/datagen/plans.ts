/**
 * The Benefits product (beta at Finch): benefit plans, enrollments and covered
 * dependents. Plans are the company's health, savings and commuter benefits; an
 * enrollment exists exactly where the deductions data has one, so both products agree.
 *
 * @module
 */

import { type CompanyBenefit } from "./benefits.ts";
import { CREATED, type Dataset } from "./dataset.ts";
import { IdCodec, Rand, rand } from "./random.ts";
import { FEMALE_NAMES, MALE_NAMES } from "./words.ts";

const PLAN_OF: Record<string, { type: string; carriers: string[] }> = {
  s125_medical: {
    type: "medical",
    carriers: ["Blue Cross Blue Shield", "Aetna", "UnitedHealthcare", "Cigna"],
  },
  s125_dental: { type: "dental", carriers: ["Delta Dental", "Guardian"] },
  s125_vision: { type: "vision", carriers: ["VSP", "EyeMed"] },
  hsa_pre: { type: "hsa", carriers: ["HealthEquity", "Fidelity"] },
  fsa_medical: { type: "fsa", carriers: ["WEX"] },
  commuter: { type: "commuter", carriers: ["WEX"] },
};
const TIERS = [
  "employee_only",
  "employee_spouse",
  "employee_children",
  "employee_family",
];

/** A plan and the company benefit it comes from. */
export interface Plan {
  index: number;
  benefit: CompanyBenefit;
  json: Record<string, unknown> & { id: string; type: string };
}

const codec = (ds: Dataset, kind: string) =>
  new IdCodec(ds.conn.company_id, ds.conn.provider_id, kind);

/** The company's plans for the plan year of `today`. */
export function plans(ds: Dataset, today: string): Plan[] {
  const year = today.slice(0, 4);
  const benefits = ds.benefits();
  const hdhp = benefits.some((b) => b.type === "hsa_pre");
  return benefits.flatMap((benefit, index) => {
    const spec = benefit.type ? PLAN_OF[benefit.type] : undefined;
    if (!spec) return [];
    const r = new Rand(ds.seed ^ (index + 1) * 0x9e37);
    const network = spec.type === "medical"
      ? (hdhp ? "hdhp" : r.pick(["ppo", "hmo", "epo"]))
      : spec.type === "dental"
      ? "ppo"
      : null;
    const carrier = r.pick(spec.carriers);
    const health = ["medical", "dental", "vision"].includes(spec.type);
    return [{
      index,
      benefit,
      json: {
        id: codec(ds, "plan").encode(index),
        name: `${carrier} ${network ? network.toUpperCase() + " " : ""}${
          spec.type === "hsa" || spec.type === "fsa"
            ? spec.type.toUpperCase()
            : spec.type[0].toUpperCase() + spec.type.slice(1)
        }`,
        type: spec.type,
        description: benefit.description,
        network_type: network,
        carrier: { id: codec(ds, "carrier").encode(index), name: carrier },
        start_date: `${year}-01-01`,
        end_date: `${year}-12-31`,
        coverage_tiers: health ? TIERS : null,
        deduction_codes: [spec.type.slice(0, 3).toUpperCase()],
      },
    }];
  });
}

/** A person's family: spouse and children covered by family tiers. */
function family(ds: Dataset, ref: number) {
  const h = ds.people.human(ref);
  const r = rand(ds.seed, ref, 0x66);
  const spouse = h.marital_status === "married" ||
    h.marital_status === "domestic_partner";
  return { h, spouse, children: r.chance(0.45) ? r.range(1, 3) : 0 };
}

/** The enrollment of a person in a plan (spec `EnrollmentResponse`), or null. */
export function enrollment(
  ds: Dataset,
  ref: number,
  plan: Plan,
  today: string,
) {
  if (ref >= CREATED) return null;
  const e = ds.enrollment(plan.benefit, ref);
  if (!e) return null;
  const f = family(ds, ref);
  // Health plans cover the whole family; the tier says who is in it.
  const health = plan.json.coverage_tiers !== null;
  const tier = health ? TIERS[(f.spouse ? 1 : 0) + (f.children ? 2 : 0)] : null;
  const dependents = health ? dependentsOf(ds, ref) : [];
  const year = `${today.slice(0, 4)}-01-01`;
  const start = e.effective_date > year ? e.effective_date : year;
  const amount = (c: { type: string; amount?: number } | null) =>
    c && c.type === "fixed"
      ? { amount: c.amount ?? null, currency: "usd" }
      : null;
  return {
    id: codec(ds, "enrollment").encode(ref * 32 + plan.index),
    individual_id: ds.idOf(ref),
    plan_id: plan.json.id,
    coverage_tier: tier,
    coverage_start_date: start,
    coverage_end_date: null,
    contributions: {
      frequency: "per_pay_period",
      employee_contribution: amount(e.employee_deduction),
      employer_contribution: amount(e.company_contribution),
    },
    dependent_ids: dependents.map((d) => d.id),
    status: "active",
  };
}

/** The enrollment behind an id: (person, plan), if it exists. */
export function enrollmentOf(ds: Dataset, id: string, today: string) {
  const code = codec(ds, "enrollment").decode(id);
  if (code === null) return null;
  const ref = Math.floor(code / 32);
  const plan = plans(ds, today).find((p) => p.index === code % 32);
  return plan && ref < ds.size ? enrollment(ds, ref, plan, today) : null;
}

/** Spouse (k = 0) and children (k = 1..3) of a person, whether covered or not. */
function dependentsOf(ds: Dataset, ref: number) {
  const f = family(ds, ref);
  const out: { k: number; id: string }[] = [];
  if (f.spouse) out.push({ k: 0, id: codec(ds, "dependent").encode(ref * 4) });
  for (let k = 1; k <= f.children; k++) {
    out.push({ k, id: codec(ds, "dependent").encode(ref * 4 + k) });
  }
  return out;
}

/** A covered dependent (spec `DependentResponse`), or null when not covered. */
export function dependent(
  ds: Dataset,
  id: string,
  today: string,
  withSsn: boolean,
) {
  const code = codec(ds, "dependent").decode(id);
  if (code === null) return null;
  const ref = Math.floor(code / 4), k = code % 4;
  if (ref >= ds.size) return null;
  const enrollments = plans(ds, today)
    .map((p) => enrollment(ds, ref, p, today))
    .filter((e) => e?.dependent_ids.includes(id));
  if (!enrollments.length) return null;
  const { h } = family(ds, ref);
  const r = rand(ds.seed, ref, 0x67 + k);
  const female = k === 0
    ? h.gender !== "female" ? r.chance(0.9) : r.chance(0.1)
    : r.chance(0.5);
  const born = k === 0
    ? Number(h.dob.slice(0, 4)) + r.range(-4, 4)
    : Math.max(Number(h.dob.slice(0, 4)) + 24, Number(today.slice(0, 4)) - 25) +
      r.int(8);
  return {
    dependent_id: id,
    first_name: r.pick(female ? FEMALE_NAMES : MALE_NAMES),
    last_name: h.last_name,
    middle_name: null,
    ssn: withSsn ? `9${r.digits(2)}-${r.range(70, 88)}-${r.digits(4)}` : null,
    date_of_birth: `${Math.min(born, Number(today.slice(0, 4)))}-${
      String(r.range(1, 12)).padStart(2, "0")
    }-${String(r.range(1, 28)).padStart(2, "0")}`,
    gender: female ? "female" : "male",
    coverage: [{
      individual_id: ds.idOf(ref),
      relationship_to_individual: k === 0
        ? (h.marital_status === "domestic_partner"
          ? "domestic_partner"
          : "spouse")
        : "child",
      enrollments: enrollments.map((e) => ({
        id: e!.id,
        type: plans(ds, today).find((p) => p.json.id === e!.plan_id)!.json.type,
      })),
    }],
  };
}

/** Every covered dependent's id, in listing order. */
export function* dependentIds(
  ds: Dataset,
  today: string,
  refs: Iterable<number>,
) {
  const all = plans(ds, today);
  for (const ref of refs) {
    if (ref >= CREATED) continue;
    const covered = new Set(
      all.flatMap((p) => enrollment(ds, ref, p, today)?.dependent_ids ?? []),
    );
    for (const d of dependentsOf(ds, ref)) if (covered.has(d.id)) yield d.id;
  }
}
