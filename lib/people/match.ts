/**
 * Reconciling people across an employer's connections (Finch's docs, "Repeating
 * employees"): the same human appears under another `individual_id` in each system.
 *
 * Rules, in order:
 * 1. Records with the same normalized first name, last name and date of birth are one
 *    person (`matched_on: "name_dob"`). Names are compared without case, accents,
 *    spacing, punctuation or suffixes (Jr., III, ...).
 * 2. Then records (or people from rule 1) that share an email, compared without case,
 *    are one person (`matched_on: "email"`).
 * 3. Two records of the same connection are never one person: whenever a key (a name and
 *    date of birth, or an email) shared across connections would put two of a
 *    connection's records together, the key merges nothing and its records are reported
 *    as a conflict for a person to resolve. A guess is never made. (An email may still
 *    join some of a name conflict's records afterwards: that is not a guess.)
 * 4. A record without a date of birth and without an email stays on its own
 *    (`matched_on: null`).
 *
 * Pure, and independent of the order records come in: keys are decided in sorted
 * order, each on its whole group at once. Person ids are the caller's business (they
 * must stay stable across refreshes, see lib/people/ids.ts).
 *
 * @module
 */

/** One person record of one connection, as reconciliation needs it. */
export interface PersonRecord {
  connection_id: string;
  provider_id: string;
  individual_id: string;
  first_name: string | null;
  last_name: string | null;
  /** `YYYY-MM-DD`, or null when the system has none. */
  dob: string | null;
  emails: string[];
  is_active: boolean | null;
}

/** A reconciled person: one or more records, at most one per connection. */
export interface MatchedPerson {
  /** Its records, in (connection_id, individual_id) order. */
  records: PersonRecord[];
  /** The rule that first joined records into it; null for a person on its own. */
  matched_on: "name_dob" | "email" | null;
}

/** Records a key would have merged wrongly: for a person to resolve. */
export interface MatchConflict {
  reason: "name_dob_ambiguous" | "email_ambiguous";
  records: PersonRecord[];
}

/** What {@linkcode reconcile} found. */
export interface Reconciled {
  people: MatchedPerson[];
  conflicts: MatchConflict[];
}

const SUFFIXES = new Set(["jr", "sr", "ii", "iii", "iv", "v", "phd", "md"]);

/**
 * A name as compared: lower case, accents and punctuation removed, spaces collapsed, a
 * trailing generational or degree suffix dropped. Empty when nothing is left.
 *
 * @example
 * ```ts
 * normalizeName("  José-Luis  "); // "jose luis"
 * normalizeName("O'Brien, Jr."); // "obrien"
 * ```
 */
export function normalizeName(name: string | null): string {
  if (!name) return "";
  const words = name.normalize("NFKD").replace(/\p{M}/gu, "").toLowerCase()
    .replace(/['’`.]/g, "")
    .replace(/[^\p{L}\p{N}]+/gu, " ")
    .trim().split(" ").filter(Boolean);
  while (words.length > 1 && SUFFIXES.has(words.at(-1)!)) words.pop();
  return words.join(" ");
}

/** An email as compared: trimmed, lower case; empty when it is not one. */
export function normalizeEmail(email: string): string {
  const e = email.trim().toLowerCase();
  return /^[^\s@]+@[^\s@]+$/.test(e) ? e : "";
}

/** The name-and-birth key of a record, or null when a part is missing. */
export function nameDobKey(r: PersonRecord): string | null {
  const first = normalizeName(r.first_name), last = normalizeName(r.last_name);
  if (!first || !last || !r.dob || !/^\d{4}-\d{2}-\d{2}$/.test(r.dob)) {
    return null;
  }
  return `${first}\u0000${last}\u0000${r.dob}`;
}

const recordId = (r: PersonRecord) =>
  `${r.connection_id}\u0000${r.individual_id}`;

/** Disjoint sets of records, each remembering its connections and how it was joined. */
class Groups {
  #parent = new Map<string, string>();
  #connections = new Map<string, Set<string>>();
  #joinedBy = new Map<string, MatchedPerson["matched_on"]>();

  constructor(records: PersonRecord[]) {
    for (const r of records) {
      const id = recordId(r);
      this.#parent.set(id, id);
      this.#connections.set(id, new Set([r.connection_id]));
      this.#joinedBy.set(id, null);
    }
  }

  find(id: string): string {
    let root = id;
    while (this.#parent.get(root) !== root) root = this.#parent.get(root)!;
    this.#parent.set(id, root);
    return root;
  }

  connectionsOf(root: string): Set<string> {
    return this.#connections.get(root)!;
  }

  joinedBy(root: string): MatchedPerson["matched_on"] {
    return this.#joinedBy.get(root)!;
  }

  /** Joins the groups `roots` (disjoint in connections, checked by the caller). */
  join(roots: string[], by: "name_dob" | "email"): void {
    const [keep, ...rest] = [...roots].sort();
    for (const other of rest) {
      this.#parent.set(other, keep);
      for (const c of this.#connections.get(other)!) {
        this.#connections.get(keep)!.add(c);
      }
      if (this.#joinedBy.get(other) === "name_dob") {
        this.#joinedBy.set(keep, "name_dob");
      }
    }
    if (!this.#joinedBy.get(keep)) this.#joinedBy.set(keep, by);
  }
}

/**
 * Decides one key's group of records: joins their groups when every connection appears
 * in them once, otherwise reports a conflict and joins nothing.
 */
function decideKey(
  groups: Groups,
  records: PersonRecord[],
  reason: MatchConflict["reason"],
  by: "name_dob" | "email",
  conflicts: MatchConflict[],
): void {
  // Within one connection there is no other side to match: nothing to decide.
  if (new Set(records.map((r) => r.connection_id)).size < 2) return;
  const roots = [...new Set(records.map((r) => groups.find(recordId(r))))];
  if (roots.length < 2) return;
  const seen = new Set<string>();
  for (const root of roots) {
    for (const c of groups.connectionsOf(root)) {
      if (seen.has(c)) {
        conflicts.push({ reason, records: sortRecords(records) });
        return;
      }
      seen.add(c);
    }
  }
  groups.join(roots, by);
}

function sortRecords(records: PersonRecord[]): PersonRecord[] {
  return [...records].sort((a, b) =>
    a.connection_id < b.connection_id
      ? -1
      : a.connection_id > b.connection_id
      ? 1
      : a.individual_id < b.individual_id
      ? -1
      : a.individual_id > b.individual_id
      ? 1
      : JSON.stringify(a) < JSON.stringify(b)
      ? -1
      : JSON.stringify(a) > JSON.stringify(b)
      ? 1
      : 0
  );
}

/** Groups records by each of their keys; keys in sorted order. */
function byKey(
  records: PersonRecord[],
  keysOf: (r: PersonRecord) => string[],
): [string, PersonRecord[]][] {
  const map = new Map<string, PersonRecord[]>();
  for (const r of records) {
    for (const key of new Set(keysOf(r))) {
      const list = map.get(key);
      if (list) list.push(r);
      else map.set(key, [r]);
    }
  }
  return [...map].filter(([, rs]) => rs.length > 1)
    .sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0);
}

/**
 * Reconciles records from all of a customer's connections into people.
 *
 * @example
 * ```ts
 * const { people, conflicts } = reconcile(records);
 * ```
 */
export function reconcile(records: PersonRecord[]): Reconciled {
  // One record per (connection, individual): a repeated one counts once (the same one
  // whatever the order: ties are broken by content).
  const unique = new Map<string, PersonRecord>();
  for (const r of sortRecords(records)) {
    if (!unique.has(recordId(r))) unique.set(recordId(r), r);
  }
  const all = [...unique.values()];
  const groups = new Groups(all);
  const conflicts: MatchConflict[] = [];
  for (
    const [, rs] of byKey(all, (r) => [nameDobKey(r) ?? ""].filter(Boolean))
  ) {
    decideKey(groups, rs, "name_dob_ambiguous", "name_dob", conflicts);
  }
  const emailKeys = (r: PersonRecord) =>
    r.emails.map(normalizeEmail).filter(Boolean);
  for (const [, rs] of byKey(all, emailKeys)) {
    decideKey(groups, rs, "email_ambiguous", "email", conflicts);
  }
  const people = new Map<string, PersonRecord[]>();
  for (const r of all) {
    const root = groups.find(recordId(r));
    const list = people.get(root);
    if (list) list.push(r);
    else people.set(root, [r]);
  }
  return {
    people: [...people].map(([root, rs]) => ({
      records: rs,
      matched_on: rs.length > 1 ? groups.joinedBy(root) : null,
    })),
    conflicts,
  };
}
