/**
 * A company as Finch describes it (`GET /employer/company`), derived from its id alone, so
 * the same company looks the same through every provider, run and machine. People are
 * placed in its departments and locations (people.ts), so those come from here too.
 *
 * @module
 */

import { normalizeName } from "../ids.ts";
import { hashString, Rand } from "./random.ts";
import { BANKS, DEPARTMENTS, PLACES, STREETS } from "./words.ts";

const ENTITY_TYPES = [
  ["corporation", "c_corporation"],
  ["corporation", "s_corporation"],
  ["llc", null],
  ["partnership", null],
] as const;

/** A place of work: an address plus the state's income tax rate (basis points). */
export interface Place {
  line1: string;
  line2: string | null;
  city: string;
  state: string;
  postal_code: string;
  country: string;
  area_code: string;
  tax_bp: number;
}

/** The generated facts of a company that people and pay depend on. */
export interface CompanyShape {
  departments: string[];
  places: Place[];
  /** The email domain of work addresses. */
  domain: string;
}

/** A short email domain from a company's name. */
export function domainOf(legalName: string): string {
  const slug = normalizeName(legalName)
    .replace(/\b(inc|llc|corp|co|ltd|company|corporation)\b\.?/g, "")
    .replace(/[^a-z0-9]+/g, "").slice(0, 20);
  return `${slug || "company"}.com`;
}

/** How many people a company has unless told: legacy sandbox names keep their meaning. */
export function defaultHeadcount(seed: string, name: string): number {
  const n = normalizeName(name);
  if (n.includes("smallco")) return 1;
  if (n.includes("largeco")) return 1500;
  // A few dozen: a demo company a person can scroll through.
  return 12 + new Rand(hashString(seed, 17)).int(49);
}

/** Departments and work places of a company (seeded by its id). */
export function companyShape(seed: string, legalName: string): CompanyShape {
  const r = new Rand(hashString(seed, 1));
  const pool = [...DEPARTMENTS];
  const departments: string[] = [];
  const departmentCount = 3 + r.int(4);
  while (departments.length < departmentCount) {
    departments.push(pool.splice(r.int(pool.length), 1)[0]);
  }
  const places: Place[] = [];
  const placeCount = 1 + r.int(3);
  while (places.length < placeCount) {
    const [city, state, zip, area, tax] = r.pick(PLACES);
    if (places.some((p) => p.city === city)) continue;
    places.push({
      line1: `${100 + r.int(900)} ${r.pick(STREETS)}`,
      line2: r.chance(0.4) ? `Suite ${100 + r.int(400)}` : null,
      city,
      state,
      postal_code: zip,
      country: "US",
      area_code: area,
      tax_bp: tax,
    });
  }
  return { departments, places, domain: domainOf(legalName) };
}

/** A US location as Finch returns it (no simulator-only fields). */
export function locationJson(p: Place, name?: string) {
  return {
    line1: p.line1,
    line2: p.line2,
    city: p.city,
    state: p.state,
    postal_code: p.postal_code,
    country: p.country,
    ...(name ? { name, source_id: null } : {}),
  };
}

/** `GET /employer/company` body (spec `GetCompanyResponse`) for a company or an entity. */
export function companyJson(id: string, seed: string, legalName: string) {
  const r = new Rand(hashString(seed, 2));
  const shape = companyShape(seed, legalName);
  const [type, subtype] = r.pick(ENTITY_TYPES);
  const hq = shape.places[0];
  return {
    id,
    legal_name: legalName,
    entity: { type, subtype },
    ein: `${r.range(10, 99)}-${r.digits(7)}`,
    primary_email: `payroll@${shape.domain}`,
    primary_phone_number: `+1${hq.area_code}555${r.digits(4)}`,
    departments: shape.departments.map((name, i) => ({
      name,
      // The first department is the root of a small hierarchy, as in real HR systems.
      parent: i > 0 && r.chance(0.3) ? { name: shape.departments[0] } : null,
    })),
    locations: shape.places.map((p) => locationJson(p)),
    accounts: [{
      routing_number: `0${r.digits(8)}`,
      account_name: `${legalName} Operating`,
      institution_name: r.pick(BANKS),
      account_type: "checking" as const,
      account_number: r.digits(10),
    }],
  };
}
