/**
 * Deductions and contributions ("benefits" in Finch's API): the catalog of benefit types,
 * a company's benefits, and each employee's enrollment, all generated from seeds. Pay
 * statements deduct exactly what enrollments say, so the two always agree.
 *
 * Amounts follow the spec: `fixed` in cents per pay period, `percent` in basis points
 * (100 = 1%), tiers in basis points ("100% of the first 3%" is `{match: 10000,
 * threshold: 300}`).
 *
 * @module
 */

import type { Enrollment, Tier } from "./overlay.ts";
import { hashString, IdCodec, Rand, rand } from "./random.ts";

/** What Finch says a benefit type supports (spec `BenefitFeature`). */
export interface BenefitKind {
  type: string;
  description: string;
  pre_tax: boolean;
  employee_deduction: ("fixed" | "percent")[];
  company_contribution: ("fixed" | "percent" | "tiered")[] | null;
  annual_maximum: boolean;
  catch_up: boolean;
  hsa: boolean;
}

const retirement = (type: string, description: string, preTax: boolean) => ({
  type,
  description,
  pre_tax: preTax,
  employee_deduction: ["fixed", "percent"] as ("fixed" | "percent")[],
  company_contribution: ["fixed", "percent", "tiered"] as (
    | "fixed"
    | "percent"
    | "tiered"
  )[],
  annual_maximum: true,
  catch_up: true,
  hsa: false,
});
const flat = (
  type: string,
  description: string,
  preTax: boolean,
  company: boolean,
  annualMaximum = false,
  hsa = false,
) => ({
  type,
  description,
  pre_tax: preTax,
  employee_deduction: ["fixed"] as ("fixed" | "percent")[],
  company_contribution: company ? ["fixed"] as ("fixed")[] : null,
  annual_maximum: annualMaximum,
  catch_up: false,
  hsa,
});

/** Every benefit type of the spec's `BenefitType`, in its order (ids encode the index). */
export const BENEFIT_KINDS: readonly BenefitKind[] = [
  retirement("457", "457(b) Plan", true),
  retirement("401k", "401(k) Retirement Plan", true),
  retirement("401k_roth", "Roth 401(k)", false),
  { ...flat("401k_loan", "401(k) Loan Repayment", false, false) },
  retirement("403b", "403(b) Plan", true),
  retirement("403b_roth", "Roth 403(b)", false),
  retirement("457_roth", "Roth 457(b)", false),
  flat("commuter", "Commuter Benefits", true, false),
  flat("custom_post_tax", "Post-Tax Deduction", false, false),
  flat("custom_pre_tax", "Pre-Tax Deduction", true, false),
  flat("fsa_dependent_care", "Dependent Care FSA", true, false, true),
  flat("fsa_medical", "Medical FSA", true, false, true),
  flat("hsa_post", "HSA (post-tax)", false, true, true, true),
  flat("hsa_pre", "Health Savings Account", true, true, true, true),
  flat("s125_dental", "Dental Insurance", true, true),
  flat("s125_medical", "Medical Insurance", true, true),
  flat("s125_vision", "Vision Insurance", true, false),
  retirement("simple", "SIMPLE 401(k)", true),
  retirement("simple_ira", "SIMPLE IRA", true),
];

const KIND = new Map(BENEFIT_KINDS.map((k, i) => [k.type, { kind: k, i }]));

/** The catalog entry of a benefit type. */
export function benefitKind(type: string | null): BenefitKind | undefined {
  return type ? KIND.get(type)?.kind : undefined;
}

/** `GET /employer/benefits/meta` item (spec `BenefitFeature`, plus its type). */
export function benefitFeature(kind: BenefitKind) {
  return {
    type: kind.type,
    description: kind.description,
    frequencies: ["every_paycheck"],
    employee_deduction: kind.employee_deduction,
    company_contribution: kind.company_contribution,
    annual_maximum: kind.annual_maximum,
    catch_up: kind.catch_up,
    hsa_contribution_limit: kind.hsa ? ["individual", "family"] : null,
  };
}

/** Safe-harbor basic match: 100% of the first 3%, 50% of the next 2%. */
export const SAFE_HARBOR: Tier[] = [
  { match: 10_000, threshold: 300 },
  { match: 5_000, threshold: 500 },
];

/** A generated company benefit. */
export interface CompanyBenefit {
  benefit_id: string;
  type: string;
  description: string;
  frequency: "every_paycheck";
  company_contribution: { type: "match"; tiers: Tier[] } | null;
}

/** How likely an active employee is to enroll in each generated benefit type. */
const UPTAKE: Record<string, number> = {
  "401k": 0.72,
  "401k_roth": 0.2,
  s125_medical: 0.8,
  s125_dental: 0.7,
  s125_vision: 0.55,
  hsa_pre: 0.25,
  fsa_medical: 0.2,
  commuter: 0.25,
};

/** The benefits a company offers on a provider, from the types the provider supports. */
export function companyBenefits(
  companyId: string,
  providerId: string,
  supported: readonly string[],
): CompanyBenefit[] {
  const r = new Rand(hashString(companyId, 31));
  const codec = benefitIds(companyId, providerId);
  const offered = (type: string, p: number) =>
    supported.includes(type) && (p >= 1 || r.chance(p));
  const out: CompanyBenefit[] = [];
  for (
    const [type, p] of [
      ["401k", 1],
      ["401k_roth", 0.5],
      ["s125_medical", 1],
      ["s125_dental", 1],
      ["s125_vision", 0.8],
      ["hsa_pre", 0.5],
      ["fsa_medical", 0.5],
      ["commuter", 0.4],
    ] as const
  ) {
    if (!offered(type, p)) continue;
    const { kind, i } = KIND.get(type)!;
    out.push({
      benefit_id: codec.encode(i),
      type,
      description: kind.description,
      frequency: "every_paycheck",
      company_contribution: type === "401k"
        ? { type: "match", tiers: SAFE_HARBOR }
        : null,
    });
  }
  return out;
}

/** Ids of generated benefits of a dataset (the index is the type's catalog index). */
export function benefitIds(companyId: string, providerId: string): IdCodec {
  return new IdCodec(companyId, providerId, "benefit");
}

/**
 * The generated enrollment of one person in one benefit, or null. Only active employees
 * enroll; 401(k) catch-up follows age (50+ at the start of the plan year).
 */
export function generatedEnrollment(
  seed: number,
  slot: number,
  benefit: CompanyBenefit,
  age: number,
  hireDate: string,
): Enrollment | null {
  const r = rand(seed, slot, hashString(benefit.type));
  if (!r.chance(UPTAKE[benefit.type] ?? 0)) return null;
  const fixed = (min: number, max: number) => ({
    type: "fixed" as const,
    amount: r.range(min / 100, max / 100) * 100,
  });
  const base = {
    annual_maximum: null,
    catch_up: null,
    hsa_contribution_limit: null,
    effective_date: hireDate,
  };
  switch (benefit.type) {
    case "401k":
    case "401k_roth":
      return {
        ...base,
        employee_deduction: {
          type: "percent",
          amount: r.range(benefit.type === "401k" ? 6 : 4, 20) * 50,
        },
        company_contribution: benefit.company_contribution
          ? { type: "tiered", tiers: benefit.company_contribution.tiers }
          : null,
        annual_maximum: 2_350_000,
        catch_up: age >= 50,
      };
    case "s125_medical":
      return {
        ...base,
        employee_deduction: fixed(6_000, 18_000),
        company_contribution: fixed(20_000, 40_000),
      };
    case "s125_dental":
      return {
        ...base,
        employee_deduction: fixed(1_000, 4_000),
        company_contribution: fixed(1_000, 2_500),
      };
    case "hsa_pre": {
      const family = r.chance(0.4);
      return {
        ...base,
        employee_deduction: fixed(5_000, 20_000),
        company_contribution: fixed(2_000, 5_000),
        annual_maximum: family ? 855_000 : 430_000,
        hsa_contribution_limit: family ? "family" : "individual",
      };
    }
    case "fsa_medical":
      return {
        ...base,
        employee_deduction: fixed(2_000, 12_000),
        company_contribution: null,
        annual_maximum: 330_000,
      };
    default:
      return {
        ...base,
        employee_deduction: fixed(500, 15_000),
        company_contribution: null,
      };
  }
}

/** What an enrollment deducts and contributes on a pay statement with this gross pay. */
export function enrollmentAmounts(
  e: Enrollment,
  gross: number,
): { deduction: number; contribution: number } {
  const d = e.employee_deduction;
  const deduction = !d
    ? 0
    : d.type === "fixed"
    ? d.amount
    : Math.round(gross * d.amount / 10_000);
  const c = e.company_contribution;
  let contribution = 0;
  if (c?.type === "fixed") contribution = c.amount;
  else if (c?.type === "percent") {
    contribution = Math.round(gross * c.amount / 10_000);
  } else if (c?.type === "tiered" && d?.type === "percent") {
    // Each tier matches the employee's deferral between the previous threshold and its own.
    let floor = 0;
    for (const tier of c.tiers) {
      const slice = Math.max(0, Math.min(d.amount, tier.threshold) - floor);
      contribution += gross * slice / 10_000 * tier.match / 10_000;
      floor = tier.threshold;
    }
    contribution = Math.round(contribution);
  }
  return { deduction: Math.min(deduction, gross), contribution };
}
