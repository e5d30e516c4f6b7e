/**
 * What each provider supports, in the two objects `/providers` carries per authentication
 * method (spec `SupportedFields` and `BenefitsSupport`). The generated data follows the
 * same facts: a field a provider does not support comes back null.
 *
 * @module
 */

import { BENEFIT_KINDS, benefitFeature } from "./datagen/benefits.ts";
import type { SimProvider } from "./providers.ts";

/** Every leaf of `SupportedFields`, per product, as dotted paths. */
const FIELDS: Record<string, string> = {
  company: `id legal_name entity.type entity.subtype primary_email
    primary_phone_number ein accounts.routing_number accounts.account_name
    accounts.institution_name accounts.account_type accounts.account_number
    departments.name departments.parent.name locations.line1 locations.line2
    locations.city locations.state locations.postal_code locations.country`,
  directory: `paging.count paging.offset individuals.id individuals.first_name
    individuals.middle_name individuals.last_name individuals.is_active
    individuals.department individuals.manager.id`,
  individual: `id first_name middle_name last_name preferred_name dob gender
    ethnicity ssn encrypted_ssn emails.data emails.type phone_numbers.data
    phone_numbers.type residence.city residence.country residence.line1
    residence.line2 residence.postal_code residence.state`,
  employment: `id first_name middle_name last_name title start_date end_date
    is_active employment_status income_history class_code custom_fields
    department.name employment.type employment.subtype income.amount
    income.currency income.unit location.line1 location.line2 location.city
    location.state location.postal_code location.country manager.id`,
  payment: `id pay_date debit_date company_debit gross_pay net_pay
    employer_taxes employee_taxes individual_ids pay_period.start_date
    pay_period.end_date pay_group_ids pay_frequencies`,
  pay_statement: `paging.count paging.offset pay_statements.individual_id
    pay_statements.type pay_statements.payment_method pay_statements.total_hours
    pay_statements.gross_pay pay_statements.net_pay
    pay_statements.earnings.type pay_statements.earnings.name
    pay_statements.earnings.amount pay_statements.earnings.currency
    pay_statements.employee_deductions.name
    pay_statements.employee_deductions.amount
    pay_statements.employee_deductions.type
    pay_statements.employee_deductions.pre_tax
    pay_statements.employee_deductions.currency
    pay_statements.employer_contributions.name
    pay_statements.employer_contributions.amount
    pay_statements.employer_contributions.currency pay_statements.taxes.type
    pay_statements.taxes.name pay_statements.taxes.employer
    pay_statements.taxes.amount pay_statements.taxes.currency`,
  pay_group: "id name pay_frequencies individual_ids",
};

/** Which product's support a `supported_fields` key follows. */
const PRODUCT_OF: Record<string, string> = {
  company: "company",
  directory: "directory",
  individual: "individual",
  employment: "employment",
  payment: "payment",
  pay_statement: "pay_statement",
  pay_group: "payment",
};

/** `supported_fields` of a provider: every field of its products, false where masked. */
export function supportedFields(provider: SimProvider) {
  const out: Record<string, unknown> = {};
  for (const [key, paths] of Object.entries(FIELDS)) {
    if (!provider.products.includes(PRODUCT_OF[key])) continue;
    const tree: Record<string, unknown> = {};
    for (const path of paths.split(/\s+/).filter(Boolean)) {
      const parts = path.split(".");
      let node = tree;
      for (const p of parts.slice(0, -1)) {
        node = (node[p] ??= {}) as Record<string, unknown>;
      }
      node[parts.at(-1)!] = !fieldMask(provider).has(`${key}.${path}`);
    }
    out[key] = tree;
  }
  return out;
}

const MASKS = new WeakMap<SimProvider, ReadonlySet<string>>();

/** The fields a provider does not support, as `product.path` strings. */
export function fieldMask(provider: SimProvider): ReadonlySet<string> {
  let mask = MASKS.get(provider);
  if (!mask) {
    mask = new Set(provider.unsupported ?? []);
    MASKS.set(provider, mask);
  }
  return mask;
}

/** The benefit types a provider supports (none without the `benefits` product). */
export function benefitTypes(provider: SimProvider): string[] {
  if (!provider.products.includes("benefits")) return [];
  return provider.benefits ?? DEFAULT_BENEFITS;
}

const DEFAULT_BENEFITS = [
  "401k",
  "401k_roth",
  "s125_medical",
  "s125_dental",
  "s125_vision",
  "hsa_pre",
  "fsa_medical",
  "commuter",
];

/**
 * `benefits_support` of a provider: each supported type with its features and the
 * operations Finch performs on it. An empty object, not null, when there are none.
 */
export function benefitsSupport(provider: SimProvider) {
  const types = new Set(benefitTypes(provider));
  const out: Record<string, unknown> = {};
  for (const kind of BENEFIT_KINDS) {
    if (!types.has(kind.type)) continue;
    const { type: _, ...features } = benefitFeature(kind);
    const all = {
      create: "supported",
      update: "supported",
      delete: "supported",
      read: "supported",
    };
    out[kind.type] = {
      supported_features: features,
      supported_operations: { company_benefits: all, individual_benefits: all },
    };
  }
  return out;
}
