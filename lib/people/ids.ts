/**
 * Person ids that stay stable across refreshes while a match holds.
 *
 * The previous list leaves a map from each record, `(connection_id, individual_id)`, to
 * the person id it was listed under. A person of the new list takes the id most of its
 * records had (ties: the smallest id, so the choice does not depend on order); when two
 * new people would take the same id (a person split in two), the one with more records
 * mapped to it keeps it and the other gets a new one. A person none of whose records was
 * listed before gets a new ULID.
 *
 * @module
 */
import { ulid } from "../ulid.ts";
import type { StoredPerson } from "../db/people.ts";
import type { MatchedPerson, PersonRecord } from "./match.ts";

/** The key of a record in the previous-ids map. */
export const recordKey = (connection_id: string, individual_id: string) =>
  `${connection_id}\u0000${individual_id}`;

/** Adds a previous page of people to the map of record → person id. */
export function rememberIds(
  map: Map<string, string>,
  people: readonly StoredPerson[],
): void {
  for (const p of people) {
    for (const r of p.records) {
      map.set(recordKey(r.connection_id, r.individual_id), p.person_id);
    }
  }
}

/**
 * The person id of each matched person, in the order given.
 *
 * @example
 * ```ts
 * const ids = assignIds(reconciled.people, previous);
 * ```
 */
export function assignIds(
  people: readonly MatchedPerson[],
  previous: ReadonlyMap<string, string>,
  newId: () => string = () => ulid(),
): string[] {
  const claims: { person: number; id: string; votes: number }[] = [];
  people.forEach((p, person) => {
    const votes = new Map<string, number>();
    for (const r of p.records) {
      const id = previous.get(recordKey(r.connection_id, r.individual_id));
      if (id) votes.set(id, (votes.get(id) ?? 0) + 1);
    }
    let best: string | null = null, most = 0;
    for (const [id, n] of votes) {
      if (n > most || (n === most && best !== null && id < best)) {
        best = id;
        most = n;
      }
    }
    if (best) claims.push({ person, id: best, votes: most });
  });
  // Strongest claims first; on a tie, the person listed first keeps the id.
  claims.sort((a, b) => b.votes - a.votes || a.person - b.person);
  const ids: (string | null)[] = people.map(() => null);
  const taken = new Set<string>();
  for (const c of claims) {
    if (taken.has(c.id)) continue;
    taken.add(c.id);
    ids[c.person] = c.id;
  }
  return ids.map((id) => id ?? newId());
}

/** The listed form of a matched person: names, birth date and emails of its records. */
export function personView(p: MatchedPerson, person_id: string): StoredPerson {
  const first = (pick: (r: PersonRecord) => string | null) =>
    p.records.map(pick).find((v) => v !== null && v !== "") ?? null;
  const emails = new Map<string, string>();
  for (const r of p.records) {
    for (const e of r.emails) {
      const k = e.trim().toLowerCase();
      if (k && !emails.has(k)) emails.set(k, e.trim());
    }
  }
  return {
    person_id,
    first_name: first((r) => r.first_name),
    last_name: first((r) => r.last_name),
    dob: first((r) => r.dob),
    emails: [...emails.values()],
    matched_on: p.matched_on,
    records: p.records.map((r) => ({
      connection_id: r.connection_id,
      provider_id: r.provider_id,
      individual_id: r.individual_id,
      is_active: r.is_active,
    })),
  };
}

/** List order: last name, first name (without case), then person id. */
export function comparePeople(a: StoredPerson, b: StoredPerson): number {
  const key = (p: StoredPerson) =>
    `${(p.last_name ?? "").toLowerCase()}\u0000${
      (p.first_name ?? "").toLowerCase()
    }\u0000${p.person_id}`;
  const ka = key(a), kb = key(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}
