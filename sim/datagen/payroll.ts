/**
 * The payments of a dataset, generated and sandbox-made, with their members, statements
 * and sums. A generated payment's sums need every member's statement, so they are kept
 * (per payment and entity, keyed by the dataset's version) in a small LRU cache: the only
 * generated data the simulator holds on to, and only for payments someone read.
 *
 * @module
 */

import type { EntityRecord } from "../store.ts";
import type { Period } from "./calendar.ts";
import type { Dataset } from "./dataset.ts";
import type { Overlay, StoredPayment, StoredStatement } from "./overlay.ts";
import {
  activeGroups,
  history,
  members,
  type Metadata,
  type PayGroup,
  paymentId,
  paymentJson,
  paymentOf,
} from "./pay.ts";
import { statement, type Totals, totalsOf } from "./statements.ts";

/** A payment: generated (a group's period) or added through the sandbox. */
export type PaymentRef =
  | { kind: "generated"; id: string; group: PayGroup; period: Period }
  | { kind: "stored"; id: string; payment: StoredPayment };

interface Entry {
  refs: number[];
  totals: Totals;
}

const CACHE = new WeakMap<Overlay, Map<string, Entry>>();
const CACHE_SIZE = 100;

/** Rules' metadata for pay statement items paid on a day. */
export type MetadataOn = (payDate: string) => Metadata;

/** Payments of one dataset as of one day. */
export class Payroll {
  #ds: Dataset;
  #today: string;
  #metadata: MetadataOn;

  constructor(ds: Dataset, today: string, metadata: MetadataOn) {
    this.#ds = ds;
    this.#today = today;
    this.#metadata = metadata;
  }

  /** The payment behind an id, if it exists and was paid by today. */
  find(id: string): PaymentRef | null {
    const stored = this.#ds.overlay.payments.find((p) => p.id === id);
    if (stored) return { kind: "stored", id, payment: stored };
    const found = paymentOf(this.#ds, id, this.#today);
    return found ? { kind: "generated", id, ...found } : null;
  }

  /** Every payment with a pay date in [start, end] that pays someone in the entity. */
  list(start: string, end: string, entity: EntityRecord | null) {
    const refs: PaymentRef[] = [];
    for (const group of activeGroups(this.#ds)) {
      for (const p of history(this.#ds, group, this.#today)) {
        if (p.pay_date < start || p.pay_date > end) continue;
        refs.push({
          kind: "generated",
          id: paymentId(this.#ds, group, p.n),
          group,
          period: p,
        });
      }
    }
    for (const payment of this.#ds.overlay.payments) {
      if (payment.pay_date >= start && payment.pay_date <= end) {
        refs.push({ kind: "stored", id: payment.id, payment });
      }
    }
    return refs
      .map((ref) => ({ ref, json: this.json(ref, entity) }))
      .filter((x) => x.json.individual_ids.length > 0)
      .sort((a, b) =>
        a.json.pay_date.localeCompare(b.json.pay_date) ||
        a.ref.id.localeCompare(b.ref.id)
      )
      .map((x) => x.json);
  }

  /** `GET /employer/payment` item. */
  json(ref: PaymentRef, entity: EntityRecord | null) {
    if (ref.kind === "stored") {
      const statements = this.#storedIn(ref.payment, entity);
      const p = ref.payment;
      return paymentJson(
        p.id,
        {
          start_date: p.start_date,
          end_date: p.end_date,
          pay_date: p.pay_date,
          debit_date: p.pay_date,
        },
        totalsOf(statements as Parameters<typeof totalsOf>[0]),
        statements.map((s) => s.individual_id),
        null,
      );
    }
    const e = this.#entry(ref, entity);
    return paymentJson(
      ref.id,
      ref.period,
      e.totals,
      e.refs.map((r) => this.#ds.idOf(r)),
      ref.group,
    );
  }

  /** One page of a payment's statements and how many there are. */
  statements(
    ref: PaymentRef,
    entity: EntityRecord | null,
    offset: number,
    limit: number,
  ): { count: number; items: unknown[] } {
    if (ref.kind === "stored") {
      const all = this.#storedIn(ref.payment, entity);
      return { count: all.length, items: all.slice(offset, offset + limit) };
    }
    const { refs } = this.#entry(ref, entity);
    const metadata = this.#metadata(ref.period.pay_date);
    return {
      count: refs.length,
      items: refs.slice(offset, offset + limit).map((r) =>
        statement(this.#ds, r, ref.group, ref.period, metadata)
      ),
    };
  }

  /** The sums of a payment as the entity sees it. */
  totals(ref: PaymentRef, entity: EntityRecord | null): Totals {
    return ref.kind === "stored"
      ? totalsOf(
        this.#storedIn(ref.payment, entity) as Parameters<typeof totalsOf>[0],
      )
      : this.#entry(ref, entity).totals;
  }

  #storedIn(p: StoredPayment, entity: EntityRecord | null): StoredStatement[] {
    return p.statements.filter((s) =>
      this.#ds.refOf(s.individual_id, entity) !== null
    );
  }

  #entry(
    ref: Extract<PaymentRef, { kind: "generated" }>,
    entity: EntityRecord | null,
  ): Entry {
    const ds = this.#ds;
    let cache = CACHE.get(ds.overlay);
    if (!cache) CACHE.set(ds.overlay, cache = new Map());
    const live = ds.conn.entities.map((e) =>
      e.status === "disconnected" ? 0 : 1
    )
      .join("");
    const key = [
      ref.id,
      ds.overlay.version,
      ds.size,
      entity?.id ?? "*",
      live,
      ds.overlay.created.length,
    ].join("|");
    let entry = cache.get(key);
    if (entry) {
      cache.delete(key); // most recently used goes last
    } else {
      const refs = members(ds, ref.group, ref.period, entity);
      const none = () => null;
      entry = {
        refs,
        totals: totalsOf(
          refs.map((r) => statement(ds, r, ref.group, ref.period, none)),
        ),
      };
      if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value!);
    }
    cache.set(key, entry);
    return entry;
  }
}
