/**
 * Zod schemas of Finch's answers, written from `openapi.json` (info.version 2020-09-17):
 * organization, payroll and the shapes they share. A key the spec requires is required
 * here, a type it does not mark nullable is not nullable, and objects are strict so that
 * the simulator cannot add keys the spec does not have.
 *
 * The operations' schemas are in spec_operations.ts.
 *
 * Over 400 lines: one schema per spec component, kept whole and in the spec's order so
 * that each can be read against `openapi.json` side by side.
 *
 * @module
 */

import { z } from "zod";

const s = z.strictObject;
const date = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);
const dateTime = z.iso.datetime({ offset: true });
const uuid = z.uuid();
const str = z.string().nullable();

/** `AcceptedResponse` (a 202). */
export const Accepted = s({
  code: z.number().optional(),
  name: z.string(),
  finch_code: z.string(),
  message: z.string(),
});

/** `Error`. */
export const ErrorBody = z.object({
  code: z.number().int(),
  name: z.string(),
  finch_code: z.string(),
  message: z.string(),
});

/** `BatchError`. */
export const BatchError = s({
  code: z.number(),
  finch_code: z.string().optional(),
  message: z.string(),
  name: z.string(),
});

/** `Paging`. */
export const Paging = s({
  count: z.number().int().optional(),
  offset: z.number().int(),
});

/** `Location`. */
export const Location = s({
  line1: str,
  line2: str,
  city: str,
  state: str,
  postal_code: str,
  country: str,
  name: str.optional(),
  source_id: str.optional(),
});

/** `Money`. */
export const Money = s({
  amount: z.number().int().nullable(),
  currency: z.string(),
});

/** `Income`. */
export const Income = s({
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
  ]).nullable(),
  amount: z.number().int().nullable(),
  currency: str,
  effective_date: date.nullable(),
});

export const BenefitType = z.enum([
  "457",
  "401k",
  "401k_roth",
  "401k_loan",
  "403b",
  "403b_roth",
  "457_roth",
  "commuter",
  "custom_post_tax",
  "custom_pre_tax",
  "fsa_dependent_care",
  "fsa_medical",
  "hsa_post",
  "hsa_pre",
  "s125_dental",
  "s125_medical",
  "s125_vision",
  "simple",
  "simple_ira",
]);

export const PayFrequency = z.enum([
  "annually",
  "bi_weekly",
  "daily",
  "monthly",
  "other",
  "quarterly",
  "semi_annually",
  "semi_monthly",
  "weekly",
]);

/** `GetCompanyResponse`. */
export const Company = s({
  id: uuid,
  legal_name: str,
  entity: s({
    type: z.enum([
      "llc",
      "lp",
      "corporation",
      "sole_proprietor",
      "non_profit",
      "partnership",
      "cooperative",
    ]).nullable(),
    subtype: z.enum(["s_corporation", "c_corporation", "b_corporation"])
      .nullable(),
  }).nullable(),
  primary_email: z.email().nullable(),
  primary_phone_number: str,
  departments: z.array(
    s({ name: str, parent: s({ name: str }).nullable() })
      .nullable(),
  ).nullable(),
  ein: str,
  locations: z.array(Location.nullable()).nullable(),
  accounts: z.array(s({
    routing_number: str,
    account_name: str,
    institution_name: str,
    account_type: z.enum(["checking", "savings"]).nullable(),
    account_number: str,
  })).nullable(),
});

/** `GetDirectoryResponse`. */
export const Directory = s({
  paging: Paging,
  individuals: z.array(s({
    id: uuid,
    first_name: str,
    middle_name: str,
    last_name: str,
    manager: s({ id: uuid }).nullable(),
    department: s({ name: str.optional() }).nullable(),
    is_active: z.boolean().nullable(),
  })),
});

const Gender = z.enum(["female", "male", "other", "decline_to_specify"]);

/** `GetIndividualsResponse` body of a found individual. */
export const Individual = s({
  id: uuid,
  first_name: str,
  middle_name: str,
  last_name: str,
  preferred_name: str,
  emails: z.array(s({
    data: z.string(),
    type: z.enum(["work", "personal"]).nullable(),
  })).nullable().optional(),
  phone_numbers: z.array(
    s({
      data: str,
      type: z.enum(["work", "personal"]).nullable(),
    }).nullable(),
  ).nullable(),
  gender: Gender.nullable(),
  ethnicity: z.enum([
    "asian",
    "white",
    "black_or_african_american",
    "native_hawaiian_or_pacific_islander",
    "american_indian_or_alaska_native",
    "hispanic_or_latino",
    "two_or_more_races",
    "decline_to_specify",
  ]).nullable(),
  marital_status: z.enum([
    "single",
    "married",
    "divorced",
    "widowed",
    "domestic_partner",
    "unknown",
  ]).nullable(),
  dob: date.nullable(),
  ssn: str.optional(),
  encrypted_ssn: str.optional(),
  residence: Location.nullable(),
});

/** `GetIndividualsResponse`. */
export const Individuals = s({
  responses: z.array(s({
    individual_id: z.string(),
    code: z.number().int(),
    body: z.union([Individual, BatchError]),
  })),
});

/** `GetEmploymentResponse` body of a found individual. */
export const Employment = s({
  id: uuid,
  first_name: str,
  middle_name: str,
  last_name: str,
  title: str,
  manager: s({ id: uuid }).nullable(),
  department: s({ name: str }).nullable(),
  employment: s({
    type: z.enum(["employee", "contractor"]).nullable(),
    subtype: z.enum([
      "full_time",
      "intern",
      "part_time",
      "temp",
      "seasonal",
      "individual_contractor",
    ]).nullable(),
  }).nullable(),
  start_date: date.nullable(),
  end_date: date.nullable(),
  latest_rehire_date: date.nullable(),
  is_active: z.boolean().nullable(),
  employment_status: z.enum([
    "active",
    "deceased",
    "leave",
    "onboarding",
    "prehire",
    "retired",
    "terminated",
  ]).nullable(),
  flsa_status: z.enum(["exempt", "non_exempt", "unknown"]).nullable(),
  union_code: str,
  union_local: str,
  highly_compensated_employee: z.boolean().nullable(),
  key_employee: z.boolean().nullable(),
  class_code: str,
  location: Location.nullable(),
  income: Income.nullable().optional(),
  income_history: z.array(Income.nullable()).nullable().optional(),
  custom_fields: z.array(s({ name: str.optional(), value: z.unknown() }))
    .nullable().optional(),
  source_id: str.optional(),
  work_id: str.optional(),
});

/** `GetEmploymentResponse`. */
export const Employments = s({
  responses: z.array(s({
    individual_id: uuid,
    code: z.number().int(),
    body: z.union([Employment, BatchError]),
  })),
});

/** `GetPaymentsResponse`. */
export const Payments = z.array(s({
  id: uuid,
  pay_period: s({ start_date: date.nullable(), end_date: date.nullable() })
    .nullable(),
  pay_date: date.nullable(),
  debit_date: date.nullable(),
  company_debit: Money.nullable(),
  gross_pay: Money.nullable(),
  net_pay: Money.nullable(),
  employer_taxes: Money.nullable(),
  employee_taxes: Money.nullable(),
  individual_ids: z.array(uuid).nullable(),
  pay_group_ids: z.array(uuid).nullable(),
  pay_frequencies: z.array(PayFrequency).nullable(),
}));

const attributes = s({ metadata: z.record(z.string(), z.unknown().nullable()) })
  .nullable().optional();

/** `PayStatement`. */
export const PayStatement = s({
  individual_id: z.string(),
  type: z.enum(["off_cycle_payroll", "one_time_payment", "regular_payroll"])
    .nullable(),
  payment_method: z.enum(["check", "direct_deposit", "other"]).nullable(),
  total_hours: z.number().nullable(),
  gross_pay: Money.nullable(),
  net_pay: Money.nullable(),
  earnings: z.array(
    s({
      type: z.enum([
        "salary",
        "wage",
        "reimbursement",
        "overtime",
        "severance",
        "double_overtime",
        "pto",
        "sick",
        "bonus",
        "commission",
        "tips",
        "1099",
        "other",
      ]).nullable(),
      name: str,
      amount: z.number().int().nullable(),
      currency: str,
      hours: z.number().nullable(),
      attributes,
    }).nullable(),
  ).nullable(),
  taxes: z.array(s({
    type: z.enum(["state", "federal", "local", "fica"]).nullable(),
    name: str,
    employer: z.boolean().nullable(),
    amount: z.number().int().nullable().optional(),
    currency: str,
    attributes,
  })).nullable(),
  employee_deductions: z.array(s({
    name: str,
    amount: z.number().int().nullable(),
    currency: str,
    pre_tax: z.boolean().nullable(),
    type: BenefitType.nullable(),
    attributes,
  })).nullable(),
  employer_contributions: z.array(s({
    name: str,
    amount: z.number().int().nullable().optional(),
    currency: str,
    type: BenefitType.nullable(),
    attributes,
  })).nullable(),
});

/** `GetPayStatementsResponse`. */
export const PayStatements = s({
  responses: z.array(s({
    payment_id: z.string(),
    code: z.number().int(),
    body: z.union([
      s({ paging: Paging, pay_statements: z.array(PayStatement) }),
      BatchError,
    ]),
  })),
});

/** `GetPayStatementItemsResponse`. */
export const PayStatementItems = s({
  responses: z.array(s({
    name: z.string(),
    category: z.enum([
      "earnings",
      "taxes",
      "employee_deductions",
      "employer_contributions",
    ]),
    attributes: s({
      type: str.optional(),
      pre_tax: z.boolean().nullable().optional(),
      employer: z.boolean().nullable().optional(),
      metadata: z.record(z.string(), z.unknown().nullable()).nullable(),
    }),
  })),
});

const Condition = s({
  field: z.string().optional(),
  operator: z.literal("equals").optional(),
  value: z.string().optional(),
});

/** `CreateRuleResponse` (and Update/Delete, which add `deleted_at`). */
export const Rule = s({
  id: z.string().optional(),
  priority: z.number().int().optional(),
  created_at: dateTime.optional(),
  updated_at: dateTime.optional(),
  deleted_at: dateTime.optional(),
  effective_start_date: date.nullable().optional(),
  effective_end_date: date.nullable().optional(),
  conditions: z.array(Condition).optional(),
  attributes: s({ metadata: z.record(z.string(), z.unknown()).optional() })
    .optional(),
  entity_type: z.literal("pay_statement_item").optional(),
});

/** `GetRulesResponse`. */
export const Rules = s({ responses: z.array(Rule) });

/** `GetAllPayGroupsResponse`. */
export const PayGroups = z.array(s({
  id: uuid,
  name: z.string(),
  pay_frequencies: z.array(PayFrequency),
}));

/** `GetPayGroupResponse`. */
export const PayGroup = s({
  id: uuid,
  name: z.string(),
  pay_frequencies: z.array(PayFrequency),
  individual_ids: z.array(uuid),
});

const LedgerMoney = s({ amount: z.number().int(), currency: str });

/** `LedgerEntry.type`: the ledger's account classes. */
const LedgerType = z.enum(
  `regular_wages overtime_wages bonus_wages paid_leave_wages severance_wages
  equity_compensation other_earnings expense_reimbursement contractor_payment
  employer_donation employer_tax_fica employer_tax_unemployment
  employer_tax_disability_leave employer_tax_workers_comp employer_tax_local
  employer_tax_other employee_tax_income employee_tax_fica employee_tax_other
  employer_contribution_retirement employer_contribution_retirement_401k
  employer_contribution_retirement_403b employer_contribution_retirement_457
  employer_contribution_health employer_contribution_medical
  employer_contribution_dental employer_contribution_vision
  employer_contribution_other pretax_deduction posttax_deduction garnishment
  benefit_liability benefit_liability_retirement_401k
  benefit_liability_retirement_403b benefit_liability_retirement_457
  benefit_liability_medical benefit_liability_dental benefit_liability_vision
  tax_liability_accrual tax_receivable tax_credit_accrual
  employer_rd_tax_credit_offset cash_debit_net_pay cash_debit_tax_remittance
  cash_debit_other adjustment other`.split(/\s+/) as [string, ...string[]],
);

/** `GetLedgerItemsResponse`. */
export const LedgerItems = s({
  responses: z.array(s({
    payment_id: z.string(),
    code: z.number().int(),
    body: z.union([
      s({
        source: z.enum(["direct", "synthesized"]),
        provider_description: str,
        pay_date: z.string(),
        totals: s({
          debit: LedgerMoney,
          credit: LedgerMoney,
          balanced: z.boolean(),
        }),
        paging: Paging,
        ledger_items: z.array(s({
          type: LedgerType,
          account_type: str,
          account_description: str,
          debit: LedgerMoney,
          credit: LedgerMoney,
        })),
      }),
      BatchError,
    ]),
  })),
});
