/**
 * The people of a company on one provider, generated one at a time from a seed.
 *
 * A company is one population of humans; each provider it uses shows a deterministic part
 * of it (docs 000, "repeating employees"). Person slot `i` of a provider is *shared* for
 * about 70% of slots: the same human (first, middle and last name, date of birth, SSN,
 * home address) and the same job in every provider of the company, under another
 * `individual_id` and with work emails in that provider's own form. The other slots are
 * that provider's alone, mostly contractors: the "contractors on one system, employees on
 * the other" case.
 *
 * Slot 0 is the chief executive; the org chart is a tree with fan-out 7 (everyone reports
 * to an earlier slot), slots 1-7 lead departments and their reports inherit them.
 *
 * @module
 */

import { type CompanyShape, type Place } from "./company.ts";
import { hashString, IdCodec, Rand, rand } from "./random.ts";
import {
  CLASS_CODES,
  FEMALE_NAMES,
  LAST_NAMES,
  MALE_NAMES,
  MIDDLE_NAMES,
  NEUTRAL_NAMES,
  NICKNAMES,
  PERSONAL_DOMAINS,
  PLACES,
  STREETS,
  TITLES,
} from "./words.ts";

/** The day generated histories end: hires, raises and terminations happen before it. */
export const ANCHOR = "2025-09-30";
const ANCHOR_MS = Date.parse(ANCHOR);
const DAY = 86_400_000;
const BORN_FROM = Date.parse("1958-01-01");
const BORN_TO = Date.parse("2004-12-31");
const CEO_BORN_FROM = Date.parse("1962-01-01");
const CEO_BORN_TO = Date.parse("1980-12-31");
const HIRED_FROM = Date.parse("2012-01-01");
const CEO_HIRED_FROM = Date.parse("2008-01-01");
const CEO_HIRED_TO = Date.parse("2012-12-31");
/** The share of slots that are the same human in every provider of a company. */
export const SHARED_SHARE = 0.7;

/** Facts about a human: the same wherever the human is employed. */
export interface Human {
  gender: "female" | "male" | "other" | "decline_to_specify";
  first_name: string;
  middle_name: string | null;
  last_name: string;
  preferred_name: string | null;
  dob: string;
  ethnicity: string;
  marital_status: string;
  ssn: string;
  residence: Place;
  personal_phone: string;
  personal_email: string;
}

/** How a person is paid; drives pay groups and pay statements. */
export type PayKind = "salary" | "hourly" | "contractor";

/** What payroll needs first: the kind of pay and the employment window (ms). */
export interface Basics {
  /** The stream, positioned after these draws (job() continues from it). */
  r: Rand;
  pay: PayKind;
  started: number;
  active: boolean;
  ended: number | null;
  rehired: number | null;
}

/** A person's job at the company. */
export interface Job {
  type: "employee" | "contractor";
  subtype: string;
  department: string;
  title: string;
  pay: PayKind;
  /** Yearly cents for salaries, cents per hour otherwise. */
  rate: number;
  start_date: string;
  end_date: string | null;
  latest_rehire_date: string | null;
  is_active: boolean;
  employment_status: string;
  place: Place | null;
  union: boolean;
  payment_method: "direct_deposit" | "check";
  /** Earlier rates, newest first, with the day each took effect. */
  history: { rate: number; since: string }[];
}

const two = (n: number) => (n < 10 ? "0" : "") + n;

/**
 * `YYYY-MM-DD` of a UTC timestamp, by integer arithmetic (Hinnant's civil_from_days):
 * generating a person formats several dates, and `Date#toISOString` was the biggest cost.
 */
export function day(ms: number): string {
  const z = Math.floor(ms / DAY) + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) -
      Math.floor(doe / 146_096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  return `${yoe + era * 400 + (m <= 2 ? 1 : 0)}-${two(m)}-${two(d)}`;
}
const between = (r: Rand, from: number, to: number) =>
  from + r.int(Math.max(1, Math.floor((to - from) / DAY))) * DAY;
const slug = (s: string) => s.toLowerCase().replace(/[^a-z]/g, "");

/** Which seed, index and stream a slot uses. */
export interface SeedInput {
  companyId: string;
  providerId: string;
  size: number;
  shape: CompanyShape;
}

/** Generates the people of one company on one provider. See the module doc. */
export class People {
  readonly size: number;
  readonly ids: IdCodec;
  readonly shape: CompanyShape;
  #company: number;
  #provider: number;
  #emailStyle: number;
  #sourcePrefix: string;

  constructor(input: SeedInput) {
    this.size = input.size;
    this.shape = input.shape;
    this.ids = new IdCodec(input.companyId, input.providerId, "individual");
    this.#company = hashString(input.companyId, 11);
    this.#provider = hashString(
      `${input.companyId}\u0000${input.providerId}`,
      12,
    );
    const r = new Rand(this.#provider);
    this.#emailStyle = r.int(4);
    this.#sourcePrefix = r.pick(["E", "EMP-", "W", "", "ID"]);
  }

  /** Whether slot i is a human every provider of the company shares. */
  isShared(i: number): boolean {
    return i === 0 || rand(this.#company, i, 1).next() < SHARED_SHARE;
  }

  #seed(i: number): number {
    return this.isShared(i) ? this.#company : this.#provider;
  }

  /** The `individual_id` of slot i. */
  id(i: number): string {
    return this.ids.encode(i);
  }

  /** The slot of an `individual_id` of this provider, or null. */
  indexOf(id: string): number | null {
    const i = this.ids.decode(id);
    return i !== null && i < this.size ? i : null;
  }

  /** Slot i's manager's slot (null for the chief executive). */
  managerOf(i: number): number | null {
    return i === 0 ? null : Math.floor((i - 1) / 7);
  }

  /** Whether slot i has reports. */
  isManager(i: number): boolean {
    return 7 * i + 1 < this.size;
  }

  /** The human in slot i. */
  human(i: number): Human {
    const r = rand(this.#seed(i), i, 2);
    const gender = r.weighted(
      [
        ["female", 48],
        ["male", 48],
        ["other", 1],
        ["decline_to_specify", 3],
      ] as const,
    );
    const first = r.pick(
      gender === "female"
        ? FEMALE_NAMES
        : gender === "male"
        ? MALE_NAMES
        : NEUTRAL_NAMES,
    );
    const last = r.pick(LAST_NAMES);
    const born = i === 0
      ? between(r, CEO_BORN_FROM, CEO_BORN_TO)
      : between(r, BORN_FROM, BORN_TO);
    const here = r.chance(0.75) ? r.pick(this.shape.places) : null;
    const [city, state, zip, area, tax] = here
      ? [here.city, here.state, here.postal_code, here.area_code, here.tax_bp]
      : r.pick(PLACES);
    const ssnArea = r.range(100, 898);
    return {
      gender,
      first_name: first,
      middle_name: r.chance(0.35) ? r.pick(MIDDLE_NAMES) : null,
      last_name: last,
      preferred_name: NICKNAMES[first] && r.chance(0.6)
        ? NICKNAMES[first]
        : null,
      dob: day(born),
      ethnicity: r.weighted([
        ["white", 55],
        ["hispanic_or_latino", 18],
        ["black_or_african_american", 12],
        ["asian", 8],
        ["two_or_more_races", 3],
        ["american_indian_or_alaska_native", 1],
        ["native_hawaiian_or_pacific_islander", 1],
        ["decline_to_specify", 2],
      ]),
      marital_status: r.weighted([
        ["single", 40],
        ["married", 45],
        ["divorced", 8],
        ["domestic_partner", 3],
        ["widowed", 2],
        ["unknown", 2],
      ]),
      ssn: `${ssnArea === 666 ? 667 : ssnArea}-${
        String(r.range(1, 99)).padStart(2, "0")
      }-${String(r.range(1, 9999)).padStart(4, "0")}`,
      residence: {
        line1: `${r.range(10, 9999)} ${r.pick(STREETS)}`,
        line2: r.chance(0.3)
          ? `Apt ${r.range(1, 40)}${r.pick(["", "A", "B"])}`
          : null,
        city,
        state,
        postal_code: zip,
        country: "US",
        area_code: area,
        tax_bp: tax,
      },
      personal_phone: `+1${area}${r.range(201, 989)}${r.digits(4)}`,
      personal_email: `${slug(first)}.${slug(last)}${r.range(1, 99)}@${
        r.pick(PERSONAL_DOMAINS)
      }`,
    };
  }

  /** The department of slot i: leads (slots 1-7) head one; reports inherit it. */
  department(i: number): string {
    const depts = this.shape.departments;
    if (i === 0) return depts[0];
    if (i <= 7) return depts[(i - 1) % depts.length];
    return this.department(this.managerOf(i)!);
  }

  /**
   * The few facts of slot i's job that decide who is paid when (kind of pay, hire and
   * end days): the first draws of its stream, so payroll can sort people cheaply.
   */
  basics(i: number): Basics {
    const r = rand(this.#seed(i), i, 3);
    const contractor = i > 0 && r.chance(this.isShared(i) ? 0.05 : 0.65);
    const salaried = i === 0 || this.isManager(i) || r.chance(0.65);
    const pay: PayKind = contractor
      ? "contractor"
      : salaried
      ? "salary"
      : "hourly";
    const started = i === 0
      ? between(r, CEO_HIRED_FROM, CEO_HIRED_TO)
      : between(r, HIRED_FROM, ANCHOR_MS - 20 * DAY);
    const active = i === 0 || started > ANCHOR_MS - 120 * DAY ||
      r.chance(contractor ? 0.85 : 0.92);
    const ended = active ? null : between(r, started + 90 * DAY, ANCHOR_MS);
    const rehired = active && i > 0 && started < ANCHOR_MS - 400 * DAY &&
        r.chance(0.03)
      ? between(r, started + 365 * DAY, ANCHOR_MS)
      : null;
    return { r, pay, started, active, ended, rehired };
  }

  /** The job of slot i. */
  job(i: number): Job {
    const { r, pay, started, active, ended, rehired } = this.basics(i);
    const contractor = pay === "contractor";
    const department = this.department(i);
    const lead = i > 0 && i <= 7;
    const manager = this.isManager(i);
    const titles = TITLES[department];
    const title = i === 0
      ? "Chief Executive Officer"
      : lead
      ? `Head of ${department}`
      : manager && !contractor
      ? titles.lead
      : r.pick(titles.ic);
    const base = i === 0
      ? r.range(440, 700)
      : lead
      ? r.range(320, 480)
      : manager
      ? r.range(240, 360)
      : r.range(110, department === "Engineering" ? 300 : 200);
    const rate = pay === "salary"
      ? base * 50_000 // $500 steps, in cents
      : pay === "hourly"
      ? r.range(17, 42) * 100 + r.pick([0, 25, 50, 75])
      : r.range(45, 150) * 100;
    // Raises about once a year from the (re)hire day, newest first; the oldest entry is
    // the rate at hire.
    const hired = rehired ?? started;
    const raises: number[] = [];
    for (
      let t = hired + r.range(300, 500) * DAY;
      t < (ended ?? ANCHOR_MS);
      t += r.range(300, 500) * DAY
    ) raises.push(t);
    const step = pay === "salary" ? 10_000 : 25;
    const history: Job["history"] = [];
    let amount = rate;
    for (const t of raises.slice(-3).reverse()) {
      history.push({ rate: amount, since: day(t) });
      amount = Math.round(amount / 1.04 / step) * step;
    }
    history.push({ rate: amount, since: day(hired) });
    return {
      type: contractor ? "contractor" : "employee",
      subtype: contractor ? "individual_contractor" : r.weighted([
        ["full_time", 86],
        ["part_time", 8],
        ["intern", 3],
        ["temp", 2],
        ["seasonal", 1],
      ]),
      department,
      title,
      pay,
      rate,
      start_date: day(started),
      end_date: ended === null ? null : day(ended),
      latest_rehire_date: rehired === null ? null : day(rehired),
      is_active: active,
      employment_status: !active
        ? "terminated"
        : ANCHOR_MS - started < 30 * DAY
        ? "onboarding"
        : r.chance(0.03)
        ? "leave"
        : "active",
      place: contractor && r.chance(0.5) ? null : r.pick(this.shape.places),
      union: pay === "hourly" && department === "Operations" && r.chance(0.3),
      payment_method: r.chance(0.94) ? "direct_deposit" : "check",
      history,
    };
  }

  /** Work email in this provider's form (first.last, flast, first_last or first). */
  workEmail(h: Human): string {
    const f = slug(h.first_name), l = slug(h.last_name);
    const local =
      [`${f}.${l}`, `${f[0]}${l}`, `${f}_${l}`, f][this.#emailStyle];
    return `${local}@${this.shape.domain}`;
  }

  /** Whether this provider lists slot i's personal email (each provider decides). */
  listsPersonalEmail(i: number): boolean {
    return rand(this.#provider, i, 4).chance(0.6);
  }

  /** This provider's own employee number for slot i. */
  sourceId(i: number): string {
    return `${this.#sourcePrefix}${10_000 + i}`;
  }

  /** Class code of a job (workers' compensation); contractors have none. */
  static classCode(job: Job): string | null {
    return job.type === "contractor" ? null : CLASS_CODES[job.department];
  }
}
