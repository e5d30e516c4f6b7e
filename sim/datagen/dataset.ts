/**
 * One company's data on one provider, as the API serves it: the generated people with the
 * sandbox's edits and additions on top, split into the connection's entities.
 *
 * A person is addressed by a *ref*: a generated slot (0 <= ref < size) or, for a person
 * added through the sandbox, `CREATED + k`. Slot `i` belongs to entity `i mod k` of the
 * connection's `k` entities; people of a disconnected entity are hidden. Both rules keep
 * listing and lookup O(1) per person with nothing stored per person.
 *
 * @module
 */

import { findProvider, type SimProvider } from "../providers.ts";
import { benefitTypes, fieldMask } from "../provider_support.ts";
import type { ConnectionRecord, EntityRecord } from "../store.ts";
import {
  benefitIds,
  type CompanyBenefit,
  companyBenefits,
  generatedEnrollment,
} from "./benefits.ts";
import { companyJson, type CompanyShape, companyShape } from "./company.ts";
import {
  DIRECTORY_KEYS,
  EMPLOYMENT_KEYS,
  type Enrollment,
  INDIVIDUAL_KEYS,
  type Overlay,
  type PersonPatch,
  pickKeys,
} from "./overlay.ts";
import { ANCHOR, People } from "./people.ts";
import {
  directoryJson,
  employmentJson,
  type FieldMask,
  generatedFacts,
  individualJson,
  type PersonFacts,
} from "./records.ts";
import { hashString } from "./random.ts";

/** Refs at or above this are people added through the sandbox. */
export const CREATED = 2 ** 31;

/** A window onto the people of one entity (or of every live entity). */
export interface View {
  count: number;
  at(position: number): number;
}

type Json = Record<string, unknown>;

const withNulls = (fields: Json, keys: readonly string[]) =>
  Object.fromEntries(keys.map((k) => [k, fields[k] ?? null]));

/** The data of one (company, provider) pair, seen through one connection. */
export class Dataset {
  readonly people: People;
  readonly provider: SimProvider;
  readonly mask: FieldMask;
  readonly shape: CompanyShape;
  readonly conn: ConnectionRecord;
  readonly overlay: Overlay;
  /** Seed of this dataset's own streams (enrollments, pay). */
  readonly seed: number;
  #entities: string[];
  #live: number[];
  #edited: boolean;

  /** The key of the dataset a connection reads: its source system. */
  static key(conn: ConnectionRecord): string {
    return `${conn.company_id}:${conn.provider_id}`;
  }

  constructor(conn: ConnectionRecord, overlay: Overlay) {
    this.conn = conn;
    this.overlay = overlay;
    this.provider = findProvider(conn.provider_id)!;
    this.mask = fieldMask(this.provider);
    this.shape = companyShape(conn.company_id, conn.company_name);
    this.people = new People({
      companyId: conn.company_id,
      providerId: conn.provider_id,
      size: conn.headcount,
      shape: this.shape,
    });
    this.seed = hashString(Dataset.key(conn), 5);
    this.#entities = conn.entities.map((e) => e.id);
    this.#edited = Object.keys(overlay.people).length > 0;
    this.#live = conn.entities.flatMap((e, i) =>
      e.status === "disconnected" ? [] : [i]
    );
  }

  get size(): number {
    return this.people.size;
  }

  /** The entity of a person (null when the connection has none). */
  entityOf(ref: number): string | null {
    if (ref >= CREATED) return this.overlay.created[ref - CREATED].entity_id;
    return this.#entities.length
      ? this.#entities[ref % this.#entities.length]
      : null;
  }

  /** Whether a person is visible: in the selected entity, or in any live one. */
  visible(ref: number, entity: EntityRecord | null): boolean {
    const e = this.entityOf(ref);
    if (entity) return e === entity.id;
    return e === null || this.#live.some((i) => this.#entities[i] === e);
  }

  /** The people of an entity, or of every live entity, in listing order. */
  view(entity: EntityRecord | null): View {
    const k = Math.max(1, this.#entities.length);
    const residues = entity
      ? [this.#entities.indexOf(entity.id)]
      : this.#entities.length
      ? this.#live
      : [0];
    const n = this.size;
    const generated = residues.reduce(
      (sum, r) => sum + (r < n ? Math.floor((n - 1 - r) / k) + 1 : 0),
      0,
    );
    const created = this.overlay.created.flatMap((_, j) =>
      this.visible(CREATED + j, entity) ? [CREATED + j] : []
    );
    return {
      count: generated + created.length,
      at: (p) =>
        p < generated
          ? Math.floor(p / residues.length) * k + residues[p % residues.length]
          : created[p - generated],
    };
  }

  /** Every visible person, in listing order. */
  *refs(entity: EntityRecord | null): Generator<number> {
    const v = this.view(entity);
    for (let p = 0; p < v.count; p++) yield v.at(p);
  }

  /** The `individual_id` of a person. */
  idOf(ref: number): string {
    return ref >= CREATED
      ? this.overlay.created[ref - CREATED].id
      : this.people.id(ref);
  }

  /** The person behind an `individual_id`, if visible in the entity. */
  refOf(id: string, entity: EntityRecord | null): number | null {
    let ref = this.people.indexOf(id);
    if (ref === null) {
      const k = this.overlay.created.findIndex((p) => p.id === id);
      ref = k < 0 ? null : CREATED + k;
    }
    return ref !== null && this.visible(ref, entity) ? ref : null;
  }

  /** Generated facts of a slot (not for sandbox-created people). */
  facts(ref: number): PersonFacts {
    return generatedFacts(this.people, ref);
  }

  /** The sandbox fields of a person: its edits, or everything for a created one. */
  patch(ref: number): PersonPatch {
    if (ref >= CREATED) return this.overlay.created[ref - CREATED].fields;
    // Most datasets have no edits: skip making the id to look them up.
    return this.#edited ? this.overlay.people[this.people.id(ref)] ?? {} : {};
  }

  #project(
    ref: number,
    keys: readonly string[],
    generated: (f: PersonFacts) => Json,
  ): Json {
    if (ref >= CREATED) {
      return { id: this.idOf(ref), ...withNulls(this.patch(ref), keys) };
    }
    return {
      ...generated(this.facts(ref)),
      ...pickKeys(this.patch(ref), keys),
    };
  }

  /** `GET /employer/directory` row. */
  directory(ref: number): Json {
    return this.#project(
      ref,
      DIRECTORY_KEYS,
      (f) => directoryJson(f, this.mask),
    );
  }

  /** `POST /employer/individual` body. */
  individual(ref: number, withSsn: boolean): Json {
    const row = this.#project(
      ref,
      INDIVIDUAL_KEYS,
      (f) => individualJson(f, this.mask, withSsn),
    );
    if (!withSsn) {
      delete row.ssn;
      delete row.encrypted_ssn;
    }
    return row;
  }

  /** `POST /employer/employment` body. */
  employment(ref: number): Json {
    const row = this.#project(
      ref,
      EMPLOYMENT_KEYS,
      (f) => employmentJson(f, this.mask),
    );
    if (ref >= CREATED) row.work_id = row.source_id ?? null;
    return row;
  }

  /** `GET /employer/company` body for the company, or one of its entities. */
  company(entity: EntityRecord | null): Json {
    if (entity) return companyJson(entity.id, entity.id, entity.name);
    const base = companyJson(
      this.conn.company_id,
      this.conn.company_id,
      this.conn.company_name,
    );
    return this.overlay.company
      ? { ...base, ...this.overlay.company, id: this.conn.company_id }
      : base;
  }

  /** The company's benefits: generated, then added; descriptions as renamed. */
  benefits(): CompanyBenefit[] {
    const generated = companyBenefits(
      this.conn.company_id,
      this.conn.provider_id,
      benefitTypes(this.provider),
    );
    const stored = this.overlay.benefits;
    const merged = generated.map((b) => ({ ...b, ...stored[b.benefit_id] }));
    const added = Object.values(stored).filter((b) =>
      !generated.some((g) => g.benefit_id === b.benefit_id)
    );
    return [...merged, ...added] as CompanyBenefit[];
  }

  /** A person's enrollment in a benefit (the API's writes win over generated ones). */
  enrollment(benefit: CompanyBenefit, ref: number): Enrollment | null {
    const written = this.overlay.enrollments[benefit.benefit_id]?.[
      this.idOf(ref)
    ];
    if (written !== undefined) return written;
    // Only generated benefits have generated enrollments; a new one starts empty.
    const generated = benefitIds(this.conn.company_id, this.conn.provider_id)
      .decode(benefit.benefit_id) !== null;
    if (ref >= CREATED || !generated) return null;
    const job = this.people.job(ref);
    if (job.type !== "employee" || !job.is_active) return null;
    const dob = this.people.human(ref).dob;
    const age = Number(ANCHOR.slice(0, 4)) - Number(dob.slice(0, 4));
    return generatedEnrollment(
      this.seed,
      ref,
      benefit,
      age,
      job.latest_rehire_date ?? job.start_date,
    );
  }
}
