/**
 * Deterministic HR data for `/employer/company` and `/employer/directory`.
 *
 * Everything is derived from a seed (the company id, or an entity id), so a company looks the
 * same on every call, every run and every machine, and a directory page can be generated
 * without generating the pages before it.
 *
 * @module
 */

import { normalizeName, pick, seededRandom, uuidFrom } from "./ids.ts";

const FIRST = [
  "Ava",
  "Liam",
  "Maya",
  "Noah",
  "Priya",
  "Mateo",
  "Chloe",
  "Ethan",
  "Zoe",
  "Lucas",
  "Amara",
  "Owen",
  "Hana",
  "Diego",
  "Grace",
  "Samuel",
  "Leila",
  "Isaac",
  "Nora",
  "Kenji",
  "Sofia",
  "Marcus",
  "Ines",
  "Theo",
];
const LAST = [
  "Johnson",
  "Nguyen",
  "Garcia",
  "Patel",
  "Kim",
  "Okafor",
  "Smith",
  "Rossi",
  "Cohen",
  "Silva",
  "Larsen",
  "Brown",
  "Tanaka",
  "Martin",
  "Haddad",
  "Walker",
  "Lopez",
  "Schmidt",
  "Novak",
  "Reyes",
];
const MIDDLE = ["A.", "J.", "M.", "R.", "L.", "K."];
const DEPARTMENTS = [
  "Engineering",
  "Sales",
  "Operations",
  "Finance",
  "People",
  "Customer Success",
  "Marketing",
  "Legal",
];
const CITIES: readonly [string, string, string][] = [
  ["San Francisco", "CA", "94105"],
  ["New York", "NY", "10013"],
  ["Austin", "TX", "78701"],
  ["Denver", "CO", "80202"],
  ["Chicago", "IL", "60607"],
  ["Seattle", "WA", "98104"],
  ["Boston", "MA", "02110"],
  ["Atlanta", "GA", "30303"],
];
const STREETS = [
  "Market St",
  "Main St",
  "Congress Ave",
  "Pine St",
  "Broadway",
  "Elm St",
];
const BANKS = [
  "Chase",
  "Wells Fargo",
  "Bank of America",
  "Silicon Valley Bank",
  "US Bank",
];
const ENTITY_TYPES = [
  ["corporation", "c_corporation"],
  ["corporation", "s_corporation"],
  ["llc", null],
  ["partnership", null],
] as const;

function digits(rand: () => number, n: number): string {
  return Array.from({ length: n }, () => Math.floor(rand() * 10)).join("");
}

function slug(name: string): string {
  return normalizeName(name).replace(/[^a-z0-9]+/g, "").slice(0, 24) ||
    "company";
}

/** How many people work at a company: the legacy sandbox names keep their meaning. */
export function headcount(seed: string, name: string): number {
  const n = normalizeName(name);
  if (n.includes("smallco")) return 1;
  if (n.includes("largeco")) return 1500;
  return 12 + Math.floor(seededRandom(seed, "headcount")() * 240);
}

function departmentsFor(seed: string): string[] {
  const rand = seededRandom(seed, "departments");
  const count = 3 + Math.floor(rand() * 4);
  const pool = [...DEPARTMENTS];
  const out: string[] = [];
  while (out.length < count) {
    out.push(pool.splice(Math.floor(rand() * pool.length), 1)[0]);
  }
  return out;
}

/** `GET /employer/company` body (spec `Company`) for a company or one of its entities. */
export function companyData(id: string, seed: string, legalName: string) {
  const rand = seededRandom(seed, "company");
  const [type, subtype] = pick(rand, ENTITY_TYPES);
  const domain = `${slug(legalName)}.com`;
  const locations = Array.from({ length: 1 + Math.floor(rand() * 3) }, () => {
    const [city, state, postal] = pick(rand, CITIES);
    return {
      line1: `${100 + Math.floor(rand() * 900)} ${pick(rand, STREETS)}`,
      line2: rand() < 0.4 ? `Suite ${100 + Math.floor(rand() * 400)}` : null,
      city,
      state,
      postal_code: postal,
      country: "US",
    };
  });
  const departments = departmentsFor(seed);
  return {
    id,
    legal_name: legalName,
    entity: { type, subtype },
    ein: `${digits(rand, 2)}-${digits(rand, 7)}`,
    primary_email: `payroll@${domain}`,
    primary_phone_number: `+1415555${digits(rand, 4)}`,
    departments: departments.map((name, i) => ({
      name,
      // The first department is the root of a small hierarchy, as in real HR systems.
      parent: i > 0 && rand() < 0.3 ? { name: departments[0] } : null,
    })),
    locations,
    accounts: [{
      routing_number: `0${digits(rand, 8)}`,
      account_name: `${legalName} Operating`,
      institution_name: pick(rand, BANKS),
      account_type: "checking",
      account_number: digits(rand, 10),
    }],
  };
}

/** One directory row (spec `GetDirectoryResponse.individuals[]`), by position. */
function individual(seed: string, index: number, departments: string[]) {
  const rand = seededRandom(seed, "individual", String(index));
  // A tree with fan-out 7: everyone reports to someone earlier, index 0 is the CEO.
  const managerIndex = index === 0 ? null : Math.floor((index - 1) / 7);
  return {
    id: uuidFrom(seed, "individual", String(index)),
    first_name: pick(rand, FIRST),
    middle_name: rand() < 0.3 ? pick(rand, MIDDLE) : null,
    last_name: pick(rand, LAST),
    manager: managerIndex === null
      ? null
      : { id: uuidFrom(seed, "individual", String(managerIndex)) },
    department: { name: pick(rand, departments) },
    is_active: index === 0 || rand() >= 0.08,
  };
}

/**
 * One page of `GET /employer/directory`: echoes the offset and gives the full total in
 * `paging.count`, which is what the SDK's auto-pagination relies on.
 */
export function directoryPage(
  seed: string,
  total: number,
  offset: number,
  limit: number,
) {
  const departments = departmentsFor(seed);
  const end = Math.min(total, offset + limit);
  const individuals = [];
  for (let i = offset; i < end; i++) {
    individuals.push(individual(seed, i, departments));
  }
  return { paging: { count: total, offset }, individuals };
}
