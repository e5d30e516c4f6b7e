/**
 * Zod schemas of the sandbox data bodies, after `openapi.json` (`CompanyWithoutId`,
 * `IndividualWithoutId`, `EmploymentWithoutId`, `CreateSandboxPaymentRequest`,
 * `SandboxJobConfiguration`). Unknown keys are dropped, as a tolerant API does.
 *
 * @module
 */

import { z } from "zod";
import { BENEFIT_KINDS } from "./datagen/benefits.ts";

const Day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "must be YYYY-MM-DD");
const text = z.string().nullish();

export const Location = z.object({
  line1: text,
  line2: text,
  city: text,
  state: text,
  postal_code: text,
  country: text,
  name: text,
  source_id: text,
});

const Income = z.object({
  unit: z.enum([
    "yearly",
    "quarterly",
    "monthly",
    "semi_monthly",
    "bi_weekly",
    "weekly",
    "daily",
    "hourly",
    "fixed",
  ]).nullish(),
  amount: z.number().int().nullish(),
  currency: text,
  effective_date: Day.nullish(),
});

/** `PUT /sandbox/company` body: every key present, any may be null. */
export const CompanyBody = z.object({
  legal_name: z.string().nullable(),
  entity: z.object({
    type: z.enum([
      "llc",
      "lp",
      "corporation",
      "sole_proprietor",
      "non_profit",
      "partnership",
      "cooperative",
    ]).nullish(),
    subtype: z.enum(["s_corporation", "c_corporation", "b_corporation"])
      .nullish(),
  }).nullable(),
  primary_email: z.email().nullable(),
  primary_phone_number: z.string().nullable(),
  departments: z.array(
    z.object({
      name: text,
      parent: z.object({ name: text }).nullish(),
    }).nullable(),
  ).nullable(),
  ein: z.string().nullable(),
  locations: z.array(Location.nullable()).nullable(),
  accounts: z.array(z.object({
    routing_number: text,
    account_name: text,
    institution_name: text,
    account_type: z.enum(["checking", "savings"]).nullish(),
    account_number: text,
  })).nullable(),
});

/** `IndividualWithoutId`. */
export const IndividualBody = z.object({
  first_name: text,
  middle_name: text,
  last_name: text,
  preferred_name: text,
  emails: z.array(z.object({
    data: z.string().optional(),
    type: z.enum(["work", "personal"]).nullish(),
  })).nullish(),
  phone_numbers: z.array(
    z.object({
      data: text,
      type: z.enum(["work", "personal"]).nullish(),
    }).nullable(),
  ).nullish(),
  gender: z.enum(["female", "male", "other", "decline_to_specify"]).nullish(),
  ethnicity: z.enum([
    "asian",
    "white",
    "black_or_african_american",
    "native_hawaiian_or_pacific_islander",
    "american_indian_or_alaska_native",
    "hispanic_or_latino",
    "two_or_more_races",
    "decline_to_specify",
  ]).nullish(),
  marital_status: z.enum([
    "single",
    "married",
    "divorced",
    "widowed",
    "domestic_partner",
    "unknown",
  ]).nullish(),
  dob: Day.nullish(),
  ssn: text,
  encrypted_ssn: text,
  residence: Location.nullish(),
});

/** `EmploymentWithoutId`. */
export const EmploymentBody = z.object({
  first_name: text,
  middle_name: text,
  last_name: text,
  title: text,
  manager: z.object({ id: z.string().optional() }).nullish(),
  department: z.object({ name: text }).nullish(),
  employment: z.object({
    type: z.enum(["employee", "contractor"]).nullish(),
    subtype: z.enum([
      "full_time",
      "intern",
      "part_time",
      "temp",
      "seasonal",
      "individual_contractor",
    ]).nullish(),
  }).nullish(),
  start_date: Day.nullish(),
  end_date: Day.nullish(),
  latest_rehire_date: Day.nullish(),
  is_active: z.boolean().nullish(),
  employment_status: z.enum([
    "active",
    "deceased",
    "leave",
    "onboarding",
    "prehire",
    "retired",
    "terminated",
  ]).nullish(),
  flsa_status: z.enum(["exempt", "non_exempt", "unknown"]).nullish(),
  class_code: text,
  location: Location.nullish(),
  income: Income.nullish(),
  income_history: z.array(Income.nullable()).nullish(),
  custom_fields: z.array(z.object({
    name: text,
    value: z.unknown().optional(),
  })).nullish(),
  union_code: text,
  union_local: text,
  highly_compensated_employee: z.boolean().nullish(),
  key_employee: z.boolean().nullish(),
  source_id: text,
});

/** `POST /sandbox/directory` body: people with both kinds of fields. */
export const DirectoryBody = z.array(
  z.object({ ...IndividualBody.shape, ...EmploymentBody.shape }),
).max(10_000);

const benefitType = z.enum(
  BENEFIT_KINDS.map((k) => k.type) as [string, ...string[]],
);
const line = {
  amount: z.number().int().optional(),
  name: z.string().optional(),
};

/** `CreateSandboxPaymentRequest`. */
export const PaymentBody = z.object({
  start_date: Day.optional(),
  end_date: Day.optional(),
  pay_statements: z.array(z.object({
    individual_id: z.string(),
    type: z.enum(["off_cycle_payroll", "one_time_payment", "regular_payroll"])
      .nullish(),
    payment_method: z.enum(["check", "direct_deposit", "other"]).nullish(),
    total_hours: z.number().min(0).optional(),
    gross_pay: z.number().int().min(0).optional(),
    net_pay: z.number().int().optional(),
    earnings: z.array(z.object({
      ...line,
      hours: z.number().optional(),
      type: z.enum([
        "bonus",
        "commission",
        "double_overtime",
        "other",
        "overtime",
        "pto",
        "reimbursement",
        "salary",
        "severance",
        "sick",
        "tips",
        "wage",
        "1099",
      ]).optional(),
    })).optional(),
    taxes: z.array(z.object({
      ...line,
      employer: z.boolean().optional(),
      type: z.enum(["federal", "fica", "local", "state"]).optional(),
    })).optional(),
    employee_deductions: z.array(z.object({
      ...line,
      pre_tax: z.boolean().optional(),
      type: benefitType.optional(),
    })).optional(),
    employer_contributions: z.array(z.object({
      ...line,
      type: benefitType.optional(),
    })).optional(),
  })).max(10_000).optional(),
});

/** `SandboxJobConfiguration`. */
export const JobConfigurationBody = z.object({
  type: z.literal("data_sync_all"),
  completion_status: z.enum([
    "complete",
    "reauth_error",
    "permissions_error",
    "error",
  ]),
});
