/**
 * What is stored of a company's data on a provider: only what the sandbox endpoints and
 * write APIs changed, on top of the generated data. A dataset is keyed by (company,
 * provider), the source system, so a new connection to the same pair sees the same data.
 *
 * @module
 */

/** Fields of an individual record a sandbox update may set (spec `IndividualWithoutId`). */
export const INDIVIDUAL_KEYS = [
  "first_name",
  "middle_name",
  "last_name",
  "preferred_name",
  "emails",
  "phone_numbers",
  "gender",
  "ethnicity",
  "marital_status",
  "dob",
  "ssn",
  "encrypted_ssn",
  "residence",
] as const;

/** Fields of an employment record a sandbox update may set (`EmploymentWithoutId`). */
export const EMPLOYMENT_KEYS = [
  "first_name",
  "middle_name",
  "last_name",
  "title",
  "manager",
  "department",
  "employment",
  "start_date",
  "end_date",
  "latest_rehire_date",
  "is_active",
  "employment_status",
  "flsa_status",
  "union_code",
  "union_local",
  "highly_compensated_employee",
  "key_employee",
  "class_code",
  "location",
  "income",
  "income_history",
  "custom_fields",
  "source_id",
] as const;

/** Fields a directory row shows. */
export const DIRECTORY_KEYS = [
  "first_name",
  "middle_name",
  "last_name",
  "manager",
  "department",
  "is_active",
] as const;

/** Sandbox-set fields of one person, in Finch's JSON field names. */
export type PersonPatch = Record<string, unknown>;

/** A person added through `POST /sandbox/directory`. */
export interface CreatedPerson {
  id: string;
  entity_id: string | null;
  fields: PersonPatch;
}

/** One pay statement of a sandbox payment, as it will be returned. */
export type StoredStatement = Record<string, unknown> & {
  individual_id: string;
};

/** A payment added through `POST /sandbox/payment`. */
export interface StoredPayment {
  id: string;
  pay_date: string;
  start_date: string;
  end_date: string;
  statements: StoredStatement[];
}

/** A company benefit created, registered or renamed through the API. */
export interface StoredBenefit {
  benefit_id: string;
  type: string | null;
  description: string | null;
  frequency: string | null;
  company_contribution: { type: "match"; tiers: Tier[] } | null;
}

/** A contribution tier, in basis points. */
export interface Tier {
  match: number;
  threshold: number;
}

/** An individual's enrollment configuration (spec `IndividualBenefits` body). */
export interface Enrollment {
  employee_deduction: { type: "fixed" | "percent"; amount: number } | null;
  company_contribution:
    | { type: "fixed" | "percent"; amount: number }
    | { type: "tiered"; tiers: Tier[] }
    | null;
  annual_maximum: number | null;
  catch_up: boolean | null;
  hsa_contribution_limit: "individual" | "family" | null;
  /** From when pay statements use it (YYYY-MM-DD). */
  effective_date: string;
}

/** Everything stored for one dataset. */
export interface Overlay {
  /** Bumped on every change, so cached totals know they are stale. */
  version: number;
  /** `PUT /sandbox/company`: replaces the generated company. */
  company: Record<string, unknown> | null;
  /** Sandbox edits of generated people, by individual_id. */
  people: Record<string, PersonPatch>;
  created: CreatedPerson[];
  payments: StoredPayment[];
  /** Benefits added or renamed, by benefit_id. */
  benefits: Record<string, StoredBenefit>;
  /** benefit_id -> individual_id -> enrollment (null: unenrolled). */
  enrollments: Record<string, Record<string, Enrollment | null>>;
  /** Individuals whose W-4 a `w4_form_employee_sync` job has synced. */
  w4: string[];
}

/** An overlay with no changes. */
export function emptyOverlay(): Overlay {
  return {
    version: 0,
    company: null,
    people: {},
    created: [],
    payments: [],
    benefits: {},
    enrollments: {},
    w4: [],
  };
}

/** Keeps the listed keys of a record that are present. */
export function pickKeys(
  source: Record<string, unknown>,
  keys: readonly string[],
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of keys) if (k in source) out[k] = source[k];
  return out;
}
