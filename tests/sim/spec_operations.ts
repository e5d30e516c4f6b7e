/**
 * Zod schemas of Finch's answers, written from `openapi.json`: deductions, the Benefits
 * product (plans), documents, jobs, sandbox, `/forward`, `/providers` and webhook events.
 * Same conventions as spec_schemas.ts.
 *
 * Over 400 lines for the same reason as spec_schemas.ts: one schema per component.
 *
 * @module
 */

import { z } from "zod";
import {
  BenefitType,
  Company,
  Employment,
  Individual,
  Paging,
} from "./spec_schemas.ts";

const s = z.strictObject;
const dateTime = z.iso.datetime({ offset: true });
const uuid = z.uuid();
const str = z.string().nullable();
const BatchError = s({
  code: z.number(),
  finch_code: z.string().optional(),
  message: z.string(),
  name: z.string(),
});

const Frequency = z.enum(["every_paycheck", "monthly", "one_time"]).nullable();
const Tiers = z.array(s({
  match: z.number().int().min(1).max(10_000),
  threshold: z.number().int().min(1).max(10_000),
}));

/** `CompanyBenefit`. */
export const CompanyBenefit = s({
  benefit_id: uuid,
  type: BenefitType.nullable(),
  description: str,
  frequency: Frequency,
  company_contribution: s({
    type: z.literal("match"),
    tiers: Tiers.min(1).max(3),
  })
    .nullable().optional(),
});

/** `GetCompanyBenefitsResponse`. */
export const CompanyBenefits = z.array(CompanyBenefit);

/** `CreateCompanyBenefitsResponse`, `RegisterCompanyBenefitResponse`, update's. */
export const BenefitJob = s({ benefit_id: uuid, job_id: uuid });

/** `BenefitFeature` (the spec's example adds the `type`, and so does Finch). */
export const BenefitFeature = s({
  type: BenefitType.optional(),
  description: str,
  frequencies: z.array(Frequency),
  employee_deduction: z.array(z.enum(["fixed", "percent"]).nullable())
    .nullable(),
  company_contribution: z.array(
    z.enum(["fixed", "percent", "tiered"]).nullable(),
  )
    .nullable(),
  annual_maximum: z.boolean().nullable(),
  catch_up: z.boolean().nullable().optional(),
  hsa_contribution_limit: z.array(z.enum(["family", "individual"]).nullable())
    .nullable().optional(),
});

/** `GetCompanyBenefitsMetadataResponse`. */
export const BenefitsMeta = z.array(BenefitFeature).nullable();

/** `GetCompanyBenefitEnrolledIndividualsResponse`. */
export const Enrolled = s({ benefit_id: uuid, individual_ids: z.array(uuid) });

const Contribution = z.union([
  s({ type: z.literal("fixed"), amount: z.number().int() }),
  s({ type: z.literal("percent"), amount: z.number().int() }),
]);

/** `IndividualBenefits`. */
export const IndividualBenefits = z.array(s({
  individual_id: z.string(),
  code: z.number().int(),
  body: z.union([
    s({
      employee_deduction: Contribution.nullable(),
      company_contribution: z.union([
        Contribution,
        s({ type: z.literal("tiered"), tiers: Tiers.min(1) }),
      ]).nullable(),
      annual_maximum: z.number().int().nullable(),
      catch_up: z.boolean().nullable(),
      hsa_contribution_limit: z.enum(["individual", "family"]).nullable()
        .optional(),
    }),
    BatchError,
  ]),
}));

/** `EnrollIndividualBenefitResponse` and `UnenrollIndividualBenefitResponse`. */
export const JobId = s({ job_id: uuid });

const PlanType = z.enum([
  "commuter",
  "dental",
  "hsa",
  "fsa",
  "life_insurance",
  "long_term_disability",
  "medical",
  "other",
  "short_term_disability",
  "vision",
]).nullable();

/** `PlanResponse` (= `GetPlanResponse`). */
export const Plan = s({
  id: z.string(),
  name: z.string(),
  type: PlanType,
  description: str,
  network_type: z.enum(["epo", "hdhp", "hmo", "other", "pos", "ppo"])
    .nullable(),
  carrier: s({ id: str, name: str }).nullable(),
  start_date: z.string(),
  end_date: str,
  coverage_tiers: z.array(z.string()).nullable(),
  deduction_codes: z.array(z.string()).nullable(),
});

/** `GetAllPlansResponse`. */
export const Plans = s({ paging: Paging, plans: z.array(Plan) });

const Amount = s({ amount: z.number().nullable(), currency: str }).nullable();

/** `EnrollmentResponse`. */
export const Enrollment = s({
  id: z.string(),
  individual_id: z.string(),
  plan_id: z.string(),
  coverage_tier: str,
  coverage_start_date: str,
  coverage_end_date: str,
  contributions: s({
    frequency: z.string(),
    employee_contribution: Amount,
    employer_contribution: Amount,
  }).nullable(),
  dependent_ids: z.array(z.string()).nullable(),
  status: str,
});

/** `GetAllEnrollmentsResponse` and `GetEnrollmentsResponse`. */
export const Enrollments = s({
  paging: Paging,
  enrollments: z.array(Enrollment),
});
export const EnrollmentsBatch = s({
  responses: z.array(s({
    enrollment_id: z.string(),
    code: z.number().int(),
    body: z.union([Enrollment, BatchError]),
  })),
});

/** `DependentResponse`. */
export const Dependent = s({
  dependent_id: z.string(),
  first_name: z.string(),
  last_name: z.string(),
  middle_name: str,
  ssn: str,
  date_of_birth: str,
  gender: z.enum(["decline_to_specify", "female", "male", "other"]).nullable(),
  coverage: z.array(s({
    individual_id: z.string(),
    relationship_to_individual: z.enum([
      "child",
      "disabled_dependent",
      "domestic_partner",
      "foster_child",
      "other",
      "spouse",
      "stepchild",
      "ward",
    ]),
    enrollments: z.array(s({ id: z.string(), type: PlanType })),
  })),
});

/** `GetAllDependentsResponse` and `GetDependentsResponse`. */
export const Dependents = s({ paging: Paging, dependents: z.array(Dependent) });
export const DependentsBatch = s({
  responses: z.array(s({
    dependent_id: z.string(),
    code: z.number().int(),
    body: z.union([Dependent, BatchError]),
  })),
});

/** `ListDocumentsResponse`. */
export const Documents = s({
  paging: Paging,
  documents: z.array(s({
    id: uuid,
    individual_id: str,
    url: z.url(),
    year: z.number(),
    type: z.enum(["w4_2020", "w4_2005"]),
  })),
});

/** `W4Document2020` | `W4Document2005`. */
export const Document = z.discriminatedUnion("type", [
  s({
    type: z.literal("w4_2020"),
    year: z.number(),
    data: s({
      individual_id: uuid,
      filing_status: z.enum([
        "head_of_household",
        "married_filing_jointly_or_qualifying_surviving_spouse",
        "single_or_married_filing_separately",
      ]).nullable(),
      amount_for_qualifying_children_under_17: z.number().int(),
      total_claim_dependent_and_other_credits: z.number().int(),
      amount_for_other_dependents: z.number().int(),
      other_income: z.number().int(),
      deductions: z.number().int(),
      extra_withholding: z.number().int(),
    }),
  }),
  s({
    type: z.literal("w4_2005"),
    year: z.number(),
    data: s({
      individual_id: uuid,
      filing_status: z.enum([
        "married",
        "married_but_withhold_at_higher_single_rate",
        "single",
      ]).nullable(),
      total_number_of_allowances: z.number().int(),
      additional_withholding: z.number().int(),
      exemption: z.enum(["exempt", "non_exempt"]).nullable(),
    }),
  }),
]);

/** `AutomatedJobResponse`. */
export const AutomatedJobResponse = s({
  job_id: uuid.optional(),
  job_url: z.string().optional(),
  allowed_refreshes: z.number().int(),
  remaining_refreshes: z.number().int(),
  retry_at: z.string().optional(),
});

/** `AutomatedAsyncJob`. */
export const AutomatedJob = s({
  job_id: uuid,
  job_url: z.string(),
  type: z.enum(["data_sync_all", "w4_form_employee_sync"]),
  status: z.enum([
    "pending",
    "in_progress",
    "complete",
    "error",
    "reauth_error",
    "permissions_error",
  ]),
  created_at: dateTime,
  scheduled_at: dateTime.nullable(),
  started_at: dateTime.nullable(),
  completed_at: dateTime.nullable(),
  params: s({ individual_id: z.string().optional() }).nullable(),
});

/** `GET /jobs/automated`. */
export const AutomatedJobs = s({
  meta: s({
    quotas: s({
      data_sync_all: s({
        allowed_refreshes: z.number().int().optional(),
        remaining_refreshes: z.number().int().optional(),
      }).optional(),
    }).optional(),
  }),
  data: z.array(AutomatedJob),
});

/** `ManualAsyncJob`. */
export const ManualJob = s({
  job_id: uuid,
  status: z.enum(["pending", "in_progress", "error", "complete"]),
  body: z.array(z.unknown().nullable()).nullable(),
});

const AuthenticationType = z.enum([
  "api_token",
  "assisted",
  "credential",
  "oauth",
]);

/** `CreateSandboxConnectionResponse`. */
export const SandboxConnection = s({
  access_token: z.string(),
  account_id: uuid,
  authentication_type: AuthenticationType,
  company_id: uuid.nullable().optional(),
  connection_id: z.string(),
  entity_id: z.string(),
  products: z.array(z.string()),
  provider_id: z.string(),
  token_type: z.string(),
});

/** `POST /sandbox/connections/accounts`. */
export const SandboxAccount = s({
  connection_id: uuid,
  entity_id: uuid,
  company_id: uuid,
  provider_id: z.string(),
  account_id: uuid,
  authentication_type: AuthenticationType,
  products: z.array(z.string()),
  access_token: uuid,
});

/** `PUT /sandbox/connections/accounts`. */
export const SandboxAccountUpdate = SandboxAccount.omit({ access_token: true });

/** `CompanyWithoutId`: the company answer, without its id. */
export const CompanyWithoutId = Company.omit({ id: true }).extend({
  entity: s({
    type: Company.shape.entity.unwrap().shape.type.optional(),
    subtype: Company.shape.entity.unwrap().shape.subtype.optional(),
  }).nullable(),
  departments: z.array(
    s({ name: str.optional(), parent: s({ name: str.optional() }).nullish() })
      .nullable(),
  ).nullable(),
  accounts: z.array(s({
    routing_number: str.optional(),
    account_name: str.optional(),
    institution_name: str.optional(),
    account_type: z.enum(["checking", "savings"]).nullable().optional(),
    account_number: str.optional(),
  })).nullable(),
});

/** `Individual` and `Employment` of the sandbox updates: every key optional. */
export const SandboxIndividual = Individual.partial();
export const SandboxEmployment = Employment.partial();

/** `POST /sandbox/directory`: the created individuals. */
export const SandboxDirectory = z.array(z.object({ id: uuid }));

/** `PaymentIdentifiers`. */
export const PaymentIdentifiers = s({
  payment_id: z.string(),
  pay_date: z.string(),
});

/** `POST /sandbox/jobs`. */
export const SandboxJob = s({
  job_id: uuid,
  job_url: z.string(),
  allowed_refreshes: z.number().int(),
  remaining_refreshes: z.number().int(),
});

/** `SandboxJobConfiguration`. */
export const JobConfiguration = s({
  type: z.literal("data_sync_all"),
  completion_status: z.enum([
    "complete",
    "reauth_error",
    "permissions_error",
    "error",
  ]),
});

/** `ForwardResponse`. */
export const Forward = s({
  headers: z.record(z.string(), z.unknown().nullable()).nullable().optional(),
  statusCode: z.number().int(),
  data: str.optional(),
  request: s({
    method: z.string(),
    route: z.string(),
    headers: z.record(z.string(), z.string()).nullable().optional(),
    params: z.record(z.string(), z.unknown().nullable()).nullable().optional(),
    data: z.union([z.string(), z.record(z.string(), z.unknown())]).nullable()
      .optional(),
  }),
});

/** `Provider`: `benefits_support` and `supported_fields` are objects, never null. */
export const Provider = s({
  id: z.string(),
  display_name: z.string(),
  products: z.array(z.string()),
  icon: z.string().optional(),
  logo: z.string().optional(),
  mfa_required: z.boolean().optional(),
  primary_color: z.string().optional(),
  manual: z.boolean().optional(),
  beta: z.boolean().optional(),
  authentication_methods: z.array(s({
    type: z.enum([
      "assisted",
      "credential",
      "api_token",
      "api_credential",
      "oauth",
      "api",
    ]),
    benefits_support: z.record(z.string(), z.unknown()).optional(),
    supported_fields: z.record(z.string(), z.unknown()).optional(),
  })).optional(),
});

const base = {
  connection_id: z.string().optional(),
  company_id: z.string(),
  account_id: z.string(),
  entity_id: z.string().optional(),
};

/** `WebhookEvent`: the union of the spec's event schemas. */
export const WebhookEvent = z.union([
  s({
    ...base,
    event_type: z.literal("account.updated"),
    data: s({
      status: z.enum([
        "pending",
        "processing",
        "connected",
        "error_no_account_setup",
        "error_permissions",
        "reauth",
      ]),
      authentication_method: z.object({ type: z.string().optional() }),
    }),
  }),
  s({
    ...base,
    event_type: z.string().regex(
      /^job\.(benefit_(create|enroll|register|unenroll|update)|data_sync_all|w4_form_employee_sync)\.completed$|^job\.initial_data_sync_(org|payroll)\.succeeded$/,
    ),
    data: s({ job_id: z.string(), job_url: z.string() }),
  }),
  s({
    ...base,
    event_type: z.literal("company.updated"),
    data: z.record(z.string(), z.unknown()).nullable(),
  }),
  s({
    ...base,
    event_type: z.enum([
      "directory.created",
      "directory.updated",
      "directory.deleted",
      "employment.created",
      "employment.updated",
      "employment.deleted",
      "individual.created",
      "individual.updated",
      "individual.deleted",
    ]),
    data: s({ individual_id: z.string().optional() }),
  }),
  s({
    ...base,
    event_type: z.enum([
      "payment.created",
      "payment.updated",
      "payment.deleted",
    ]),
    data: s({ payment_id: z.string(), pay_date: z.string() }),
  }),
  s({
    ...base,
    event_type: z.enum([
      "pay_statement.created",
      "pay_statement.updated",
      "pay_statement.deleted",
    ]),
    data: s({
      payment_id: z.string().optional(),
      individual_id: z.string().optional(),
    }),
  }),
]);

const ConnectionStatus = z.enum([
  "pending",
  "processing",
  "connected",
  "error_no_account_setup",
  "error_permissions",
  "reauth",
]);
const StatusDetail = s({
  status: ConnectionStatus,
  message: z.string().optional(),
  last_successful_sync: z.string().nullable().optional(),
});

/** `CreateConnectSessionResponse` (and the reauthenticate one). */
export const ConnectSession = s({
  session_id: z.string(),
  connect_url: z.url(),
});

/** `CreateAccessTokenResponse`. */
export const AccessToken = s({
  access_token: z.string(),
  token_type: z.string(),
  connection_id: z.string(),
  customer_id: str.optional(),
  customer_name: str.optional(),
  account_id: z.string().optional(),
  client_type: z.enum(["development", "production", "sandbox"]),
  company_id: z.string().optional(),
  connection_type: z.enum(["finch", "provider"]),
  products: z.array(z.string()),
  provider_id: z.string(),
  entity_ids: z.array(uuid),
});

/** `GetIntrospectResponse`. */
export const Introspect = s({
  id: z.string(),
  connection_id: z.string(),
  connection_status: StatusDetail,
  client_id: z.string(),
  client_type: z.enum(["development", "production", "sandbox"]),
  connection_type: z.enum(["finch", "provider"]),
  company_id: z.string().optional(),
  account_id: z.string().optional(),
  customer_id: str.optional(),
  customer_name: str.optional(),
  customer_email: str.optional(),
  authentication_methods: z.array(s({
    type: z.enum([
      "assisted",
      "credential",
      "api_token",
      "api_credential",
      "oauth",
    ]),
    connection_status: StatusDetail.optional(),
    products: z.array(z.string()).optional(),
  })).optional(),
  products: z.array(z.string()),
  username: str.optional(),
  provider_id: z.string(),
  payroll_provider_id: z.string().optional(),
  manual: z.boolean().optional(),
  entities: z.array(s({
    id: uuid,
    name: str,
    source_id: str,
    status: z.enum([...ConnectionStatus.options, "disconnected"]),
  })).optional(),
});

/** `DisconnectResponse` and `DisconnectEntityResponse`. */
export const Disconnected = s({ status: z.string() });
