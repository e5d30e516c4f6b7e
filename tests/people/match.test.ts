/**
 * The matcher (lib/people/match.ts): examples of each rule, and properties over random
 * rosters (fast-check): the result does not depend on the order of the records or on
 * which connection is which, every record is in exactly one person, no person holds two
 * records of one connection, and an ambiguous key merges nothing.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  normalizeEmail,
  normalizeName,
  type PersonRecord,
  reconcile,
  type Reconciled,
} from "../../lib/people/match.ts";

const rec = (
  connection_id: string,
  individual_id: string,
  fields: Partial<PersonRecord> = {},
): PersonRecord => ({
  connection_id,
  provider_id: `p-${connection_id}`,
  individual_id,
  first_name: "Ana",
  last_name: "Silva",
  dob: "1990-04-05",
  emails: [],
  is_active: true,
  ...fields,
});

/** People as sorted lists of "connection/individual", and conflicts likewise. */
function shape(r: Reconciled) {
  const ids = (rs: PersonRecord[]) =>
    rs.map((x) => `${x.connection_id}/${x.individual_id}`).sort();
  return {
    people: r.people.map((p) => `${p.matched_on}:${ids(p.records).join(",")}`)
      .sort(),
    conflicts: r.conflicts.map((c) => `${c.reason}:${ids(c.records).join(",")}`)
      .sort(),
  };
}

Deno.test("[people] names compare without case, accents, spacing, punctuation or suffixes", () => {
  assert.equal(normalizeName("  José-Luis  "), "jose luis");
  assert.equal(normalizeName("O'Brien, Jr."), "obrien");
  assert.equal(normalizeName("SMITH III"), "smith");
  assert.equal(normalizeName("Ng"), "ng");
  assert.equal(normalizeName("V"), "v", "a name that is only a suffix stays");
  assert.equal(normalizeName(null), "");
  assert.equal(
    normalizeEmail("  Ana.Silva@Example.COM "),
    "ana.silva@example.com",
  );
  assert.equal(normalizeEmail("not an email"), "");
  const r = reconcile([
    rec("a", "1", { first_name: "JOSÉ", last_name: "O'Neil Jr." }),
    rec("b", "7", { first_name: "jose", last_name: "oneil" }),
  ]);
  assert.deepEqual(shape(r).people, ["name_dob:a/1,b/7"]);
});

Deno.test("[people] email joins what name and birth date could not; without either a record stays alone", () => {
  const r = reconcile([
    rec("a", "1", { dob: null, emails: ["Ana@Acme.test"] }),
    rec("b", "2", { first_name: "Anabel", emails: ["ana@acme.test"] }),
    rec("c", "3", { dob: null, emails: [] }),
    rec("d", "4", { dob: null, emails: [] }),
  ]);
  assert.deepEqual(shape(r).people, [
    "email:a/1,b/2",
    "null:c/3",
    "null:d/4",
  ]);
  assert.deepEqual(r.conflicts, []);
});

Deno.test("[people] two candidates on the other side: nothing merged, one conflict", () => {
  const r = reconcile([
    rec("a", "1"),
    rec("b", "2"),
    rec("b", "3"),
  ]);
  assert.deepEqual(shape(r), {
    people: ["null:a/1", "null:b/2", "null:b/3"],
    conflicts: ["name_dob_ambiguous:a/1,b/2,b/3"],
  });
  // A shared mailbox seen by two records of one connection: the same rule.
  const mail = reconcile([
    rec("a", "1", { dob: null, emails: ["hr@acme.test"] }),
    rec("b", "2", { dob: null, first_name: "B", emails: ["hr@acme.test"] }),
    rec("b", "3", { dob: null, first_name: "C", emails: ["HR@acme.test"] }),
  ]);
  assert.equal(mail.people.length, 3);
  assert.deepEqual(shape(mail).conflicts, ["email_ambiguous:a/1,b/2,b/3"]);
});

Deno.test("[people] within one connection a shared key is not a conflict: there is no other side", () => {
  const r = reconcile([rec("a", "1"), rec("a", "2")]);
  assert.deepEqual(shape(r), {
    people: ["null:a/1", "null:a/2"],
    conflicts: [],
  });
});

Deno.test("[people] a chain of emails never joins two records of one connection", () => {
  const r = reconcile([
    rec("a", "1", { dob: null, first_name: "X", emails: ["one@t.test"] }),
    rec("b", "2", {
      dob: null,
      first_name: "Y",
      emails: ["one@t.test", "two@t.test"],
    }),
    rec("a", "3", { dob: null, first_name: "Z", emails: ["two@t.test"] }),
  ]);
  for (const p of r.people) {
    const conns = p.records.map((x) => x.connection_id);
    assert.equal(new Set(conns).size, conns.length);
  }
  assert.equal(r.conflicts.length, 1);
});

// ---- properties -----------------------------------------------------------------------

const FIRST = ["Ana", "ana ", "Ánа", "Bo", "Chen", "Dee"];
const LAST = ["Silva", "SILVA jr", "Ng", "O'Hara", "Ohara"];
const DOBS = ["1990-04-05", "1985-01-01", null];
const EMAILS = ["a@x.test", "A@X.test", "b@x.test", "c@y.test"];

const recordArb = fc.record({
  connection_id: fc.constantFrom("c1", "c2", "c3"),
  individual_id: fc.integer({ min: 1, max: 12 }).map(String),
  first_name: fc.constantFrom(...FIRST),
  last_name: fc.constantFrom(...LAST),
  dob: fc.constantFrom(...DOBS),
  emails: fc.subarray(EMAILS, { maxLength: 2 }),
  is_active: fc.boolean(),
}).map((r) => ({ ...r, provider_id: `p-${r.connection_id}` }));

const rosterArb = fc.uniqueArray(recordArb, {
  maxLength: 24,
  selector: (r) => `${r.connection_id}/${r.individual_id}`,
});

Deno.test("[people] property: the result does not depend on the order of the records", () => {
  const shuffledArb = rosterArb.chain((roster) =>
    fc.tuple(
      fc.constant(roster),
      fc.shuffledSubarray(roster, {
        minLength: roster.length,
        maxLength: roster.length,
      }),
    )
  );
  fc.assert(
    fc.property(shuffledArb, ([roster, shuffled]) => {
      assert.deepEqual(shape(reconcile(shuffled)), shape(reconcile(roster)));
    }),
    { numRuns: 300 },
  );
});

Deno.test("[people] property: symmetric in the connections (renaming them changes nothing else)", () => {
  const swap: Record<string, string> = { c1: "c3", c2: "c1", c3: "c2" };
  fc.assert(
    fc.property(rosterArb, (roster) => {
      const renamed = roster.map((r) => ({
        ...r,
        connection_id: swap[r.connection_id],
      }));
      const back = (s: string) => s.replace(/c\d/g, (c) => swap[c]);
      const expected = shape(reconcile(roster));
      const got = shape(reconcile(renamed));
      assert.deepEqual(
        got.people.sort(),
        expected.people.map((p) =>
          p.replace(
            /^(\w+):(.*)$/,
            (_, on, ids) => `${on}:${back(ids).split(",").sort().join(",")}`,
          )
        ).sort(),
      );
      assert.equal(got.conflicts.length, expected.conflicts.length);
    }),
    { numRuns: 300 },
  );
});

Deno.test("[people] property: a partition of the records, never two of one connection in a person", () => {
  fc.assert(
    fc.property(rosterArb, (roster) => {
      const { people } = reconcile(roster);
      const seen = people.flatMap((p) =>
        p.records.map((r) => `${r.connection_id}/${r.individual_id}`)
      );
      assert.equal(seen.length, roster.length);
      assert.equal(new Set(seen).size, roster.length);
      for (const p of people) {
        const conns = p.records.map((r) => r.connection_id);
        assert.equal(new Set(conns).size, conns.length);
        assert.equal(p.matched_on === null, p.records.length === 1);
      }
    }),
    { numRuns: 500 },
  );
});

Deno.test("[people] property: an ambiguous name and birth date merges none of its records", () => {
  // Without emails, nothing else can join them: a name conflict's records stay apart.
  const noEmails = rosterArb.map((roster) =>
    roster.map((r) => ({ ...r, emails: [] }))
  );
  fc.assert(
    fc.property(noEmails, (roster) => {
      const { people, conflicts } = reconcile(roster);
      const personOf = new Map<string, number>();
      people.forEach((p, i) =>
        p.records.forEach((r) =>
          personOf.set(`${r.connection_id}/${r.individual_id}`, i)
        )
      );
      for (const c of conflicts) {
        const persons = c.records.map((r) =>
          personOf.get(`${r.connection_id}/${r.individual_id}`)
        );
        assert.equal(new Set(persons).size, c.records.length);
      }
    }),
    { numRuns: 500 },
  );
});
