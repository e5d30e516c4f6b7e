/**
 * Tax documents: each employee's W-4, the 2020 form for hires since 2020 and the 2005
 * form (allowances) for earlier ones, generated from the person's seed.
 *
 * @module
 */

import type { Dataset } from "./dataset.ts";
import { IdCodec, rand } from "./random.ts";

/** Document ids of a dataset: one W-4 per generated slot. */
export function documentIds(ds: Dataset): IdCodec {
  return new IdCodec(ds.conn.company_id, ds.conn.provider_id, "document");
}

/** Whether a generated slot has a W-4 (employees do; contractors file a W-9 instead). */
export function hasW4(ds: Dataset, slot: number): boolean {
  return slot < ds.size && ds.people.basics(slot).pay !== "contractor";
}

/** `DocumentItem` of a slot's W-4. */
export function documentItem(ds: Dataset, slot: number, publicUrl: string) {
  const id = documentIds(ds).encode(slot);
  const form = w4(ds, slot);
  return {
    id,
    individual_id: ds.people.id(slot),
    url: `${publicUrl}/employer/documents/${id}`,
    year: form.year,
    type: form.type,
  };
}

/** `W4Document2020` or `W4Document2005` of a slot. */
export function w4(ds: Dataset, slot: number) {
  const job = ds.people.job(slot);
  const human = ds.people.human(slot);
  const r = rand(ds.seed, slot, 0x44);
  const hired = Number((job.latest_rehire_date ?? job.start_date).slice(0, 4));
  const married = human.marital_status === "married";
  if (hired >= 2020) {
    const children = married ? r.int(4) : r.chance(0.2) ? 1 : 0;
    return {
      type: "w4_2020" as const,
      year: hired,
      data: {
        individual_id: ds.people.id(slot),
        filing_status: married
          ? "married_filing_jointly_or_qualifying_surviving_spouse" as const
          : children
          ? "head_of_household" as const
          : "single_or_married_filing_separately" as const,
        amount_for_qualifying_children_under_17: children * 200_000,
        amount_for_other_dependents: r.chance(0.1) ? 50_000 : 0,
        total_claim_dependent_and_other_credits: children * 200_000,
        other_income: r.chance(0.15) ? r.range(10, 200) * 10_000 : 0,
        deductions: r.chance(0.1) ? r.range(5, 50) * 10_000 : 0,
        extra_withholding: r.chance(0.1) ? r.range(1, 20) * 2_500 : 0,
      },
    };
  }
  return {
    type: "w4_2005" as const,
    year: hired,
    data: {
      individual_id: ds.people.id(slot),
      filing_status: married ? "married" as const : "single" as const,
      total_number_of_allowances: r.int(married ? 5 : 3),
      additional_withholding: r.chance(0.1) ? r.range(1, 20) * 2_500 : 0,
      exemption: "non_exempt" as const,
    },
  };
}
