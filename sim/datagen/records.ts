/**
 * Finch's shapes of a person: a directory row, an individual and an employment record
 * (spec `GetDirectoryResponse`, `GetIndividualsResponse`, `GetEmploymentResponse`), built
 * from a generated human and job. Fields the provider does not support are null, as Finch
 * returns them (the provider's `supported_fields`).
 *
 * @module
 */

import { locationJson } from "./company.ts";
import { type Human, type Job, People } from "./people.ts";

/**
 * Field paths a provider does not support, as leaves of `supported_fields`
 * (`individual.ethnicity`, `employment.manager.id`, ...).
 */
export type FieldMask = ReadonlySet<string>;

/** A person's record, as every projection needs it. */
export interface PersonFacts {
  id: string;
  human: Human;
  job: Job;
  managerId: string | null;
  workEmail: string | null;
  listsPersonalEmail: boolean;
  workPhone: string | null;
  sourceId: string;
}

/** Builds the facts of generated slot i. */
export function generatedFacts(people: People, i: number): PersonFacts {
  const human = people.human(i);
  const job = people.job(i);
  const manager = people.managerOf(i);
  const employee = job.type === "employee";
  return {
    id: people.id(i),
    human,
    job,
    managerId: manager === null ? null : people.id(manager),
    workEmail: employee ? people.workEmail(human) : null,
    listsPersonalEmail: !employee || people.listsPersonalEmail(i),
    workPhone: employee && job.place && i % 3 === 0
      ? `+1${job.place.area_code}555${String(1000 + (i % 9000)).slice(-4)}`
      : null,
    sourceId: people.sourceId(i),
  };
}

const masked = <T>(mask: FieldMask, path: string, value: T): T | null =>
  mask.has(path) ? null : value;

/** `GET /employer/directory` row. */
export function directoryJson(f: PersonFacts, mask: FieldMask) {
  return {
    id: f.id,
    first_name: f.human.first_name,
    middle_name: masked(
      mask,
      "directory.individuals.middle_name",
      f.human.middle_name,
    ),
    last_name: f.human.last_name,
    manager: masked(
      mask,
      "directory.individuals.manager.id",
      f.managerId ? { id: f.managerId } : null,
    ),
    department: { name: f.job.department },
    is_active: f.job.is_active,
  };
}

/** `POST /employer/individual` body; `ssn` only when the caller may see it. */
export function individualJson(
  f: PersonFacts,
  mask: FieldMask,
  withSsn: boolean,
) {
  const h = f.human;
  const emails = [
    ...(f.workEmail ? [{ data: f.workEmail, type: "work" as const }] : []),
    ...(f.listsPersonalEmail
      ? [{ data: h.personal_email, type: "personal" as const }]
      : []),
  ];
  const phones = [
    { data: h.personal_phone, type: "personal" as const },
    ...(f.workPhone ? [{ data: f.workPhone, type: "work" as const }] : []),
  ];
  return {
    id: f.id,
    first_name: h.first_name,
    middle_name: masked(mask, "individual.middle_name", h.middle_name),
    last_name: h.last_name,
    preferred_name: masked(mask, "individual.preferred_name", h.preferred_name),
    emails: masked(mask, "individual.emails.data", emails),
    phone_numbers: masked(mask, "individual.phone_numbers.data", phones),
    gender: masked(mask, "individual.gender", h.gender),
    ethnicity: masked(mask, "individual.ethnicity", h.ethnicity),
    marital_status: masked(mask, "individual.marital_status", h.marital_status),
    dob: masked(mask, "individual.dob", h.dob),
    residence: masked(
      mask,
      "individual.residence.line1",
      locationJson(h.residence),
    ),
    ...(withSsn
      ? {
        ssn: masked(mask, "individual.ssn", h.ssn),
        encrypted_ssn: null,
      }
      : {}),
  };
}

/** Yearly pay of a job in cents (hourly rates at 2,080 hours). */
export function yearlyPay(job: Job): number {
  return job.pay === "salary" ? job.rate : job.rate * 2080;
}

/** `POST /employer/employment` body. */
export function employmentJson(f: PersonFacts, mask: FieldMask) {
  const j = f.job;
  const unit = j.pay === "salary" ? "yearly" : "hourly";
  const income = (rate: number, since: string) => ({
    unit,
    amount: rate,
    currency: "usd",
    effective_date: since,
  });
  const yearly = yearlyPay(j);
  const employee = j.type === "employee";
  return {
    id: f.id,
    first_name: f.human.first_name,
    middle_name: f.human.middle_name,
    last_name: f.human.last_name,
    title: masked(mask, "employment.title", j.title),
    manager: masked(
      mask,
      "employment.manager.id",
      f.managerId ? { id: f.managerId } : null,
    ),
    department: { name: j.department },
    employment: { type: j.type, subtype: j.subtype },
    start_date: masked(mask, "employment.start_date", j.start_date),
    end_date: masked(mask, "employment.end_date", j.end_date),
    latest_rehire_date: j.latest_rehire_date,
    is_active: j.is_active,
    employment_status: masked(
      mask,
      "employment.employment_status",
      j.employment_status,
    ),
    flsa_status: employee
      ? (j.pay === "salary" ? "exempt" : "non_exempt")
      : null,
    union_code: j.union ? "IBT" : null,
    union_local: j.union ? "Local 710" : null,
    highly_compensated_employee: employee ? yearly >= 16_000_000 : null,
    key_employee: employee ? j.title === "Chief Executive Officer" : null,
    class_code: masked(mask, "employment.class_code", People.classCode(j)),
    location: masked(
      mask,
      "employment.location.line1",
      j.place ? locationJson(j.place, `${j.place.city} office`) : null,
    ),
    income: masked(
      mask,
      "employment.income.amount",
      income(j.rate, j.history[0].since),
    ),
    income_history: masked(
      mask,
      "employment.income_history",
      j.history.map((h) => income(h.rate, h.since)),
    ),
    custom_fields: masked(mask, "employment.custom_fields", [
      { name: "Cost Center", value: `CC-${j.department.length * 37 + 100}` },
    ]),
    source_id: f.sourceId,
    work_id: f.sourceId,
  };
}
