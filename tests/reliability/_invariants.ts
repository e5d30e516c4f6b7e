/**
 * The store's invariants, checked over the raw KV contents (every entry under `[]`), not
 * through the data layer, so a bug in the data layer cannot hide its own damage:
 *
 * - every connection record has its owner index (pointing back to its customer), its
 *   company index (pointing to it) and a sealed token;
 * - every disconnected connection (tombstone) has its owner index, marked disconnected
 *   and pointing back to its customer, and neither a live record, a company index nor
 *   a token;
 * - every owner index, company index and sealed token has its record (or, for a marked
 *   owner index, its tombstone): nothing dangles;
 * - a `connection_id` belongs to one customer; a (customer, provider, company) has one
 *   live record (invariant 1, which concerns live connections only);
 * - every stored value parses with its schema, and every sealed token is `v1.<kid>...`
 *   and opens under TOKEN_KEYS with its connection's AAD (invariant 4);
 * - no access token issued by Finch appears in plain text in any key or value, nor in
 *   the bytes of the KV file and its journal (invariants 3, 4).
 *
 * Returns the violations found (empty when the store is sound), so that the soak can
 * count them and a test can show the exact ones.
 */
import { tokenAad } from "../../lib/db/connections.ts";
import { Connection, DisconnectedConnection } from "../../lib/db/schemas.ts";
import type { Sealer } from "../../lib/sealing.ts";

/** What a scan saw. */
export interface StoreReport {
  violations: string[];
  entries: number;
  connections: number;
  tokens: number;
}

/** Renders any KV value as text to search (KvU64 and bigints included). */
function text(value: unknown): string {
  return JSON.stringify(
    value,
    (_k, v) =>
      typeof v === "bigint"
        ? v.toString()
        : v instanceof Deno.KvU64
        ? v.value.toString()
        : v instanceof Uint8Array
        ? new TextDecoder("latin1").decode(v)
        : v,
  ) ?? "";
}

/**
 * Checks every invariant over the raw contents of `kv`. `issued` are the access tokens
 * Finch issued (from the simulator), to prove none is stored in plain text.
 */
export async function checkStore(
  kv: Deno.Kv,
  sealer: Sealer,
  issued: Iterable<string>,
): Promise<StoreReport> {
  const violations: string[] = [];
  const all: Connection[] = [];
  const records = new Map<string, Connection>(); // by connection_id (the first seen)
  const owners = new Map<string, string>(); // connection_id -> customer_id (live)
  const marked = new Map<string, string>(); // connection_id -> customer_id (tombstone)
  const tombstones = new Map<string, DisconnectedConnection>(); // by connection_id
  const companies = new Map<string, string>(); // "cust/prov/comp" -> connection_id
  const tokens = new Map<string, string>(); // connection_id -> sealed
  const copies = new Map<string, string>(); // connection_id -> its added-order copy, as JSON
  const plaintext = [...issued];
  let entries = 0;

  for await (const entry of kv.list({ prefix: [] })) {
    entries++;
    const key = entry.key;
    const where = JSON.stringify(key);
    const blob = `${text(key)}\n${text(entry.value)}`;
    for (const token of plaintext) {
      if (blob.includes(token)) violations.push(`plaintext token in ${where}`);
    }
    switch (key[0]) {
      case "connections": {
        const parsed = Connection.safeParse(entry.value);
        if (!parsed.success) {
          violations.push(`${where}: not a valid connection record`);
          break;
        }
        const c = parsed.data;
        if (key[1] !== c.customer_id || key[2] !== c.connection_id) {
          violations.push(`${where}: key and record disagree`);
        }
        if (records.has(c.connection_id)) {
          violations.push(
            `connection ${c.connection_id} is stored under two customers`,
          );
        } else records.set(c.connection_id, c);
        all.push(c);
        break;
      }
      case "connections_by_id": {
        const value = entry.value as {
          customer_id?: unknown;
          disconnected_at?: unknown;
        };
        const owner = value?.customer_id;
        if (typeof owner !== "string") {
          violations.push(`${where}: malformed owner index`);
        } else if (value.disconnected_at !== undefined) {
          marked.set(String(key[1]), owner);
        } else owners.set(String(key[1]), owner);
        break;
      }
      case "disconnected_connections": {
        const parsed = DisconnectedConnection.safeParse(entry.value);
        if (!parsed.success) {
          violations.push(`${where}: not a valid tombstone`);
          break;
        }
        const c = parsed.data;
        if (key[1] !== c.customer_id || key[2] !== c.connection_id) {
          violations.push(`${where}: key and tombstone disagree`);
        }
        if (tombstones.has(c.connection_id)) {
          violations.push(`tombstone ${c.connection_id} under two customers`);
        } else tombstones.set(c.connection_id, c);
        break;
      }
      case "connections_by_added": {
        const c = entry.value as Connection;
        const id = String(key[3]);
        if (
          key[1] !== c?.customer_id || key[3] !== c?.connection_id ||
          key[2] !== Date.parse(c?.created_at)
        ) violations.push(`${where}: key and added-order copy disagree`);
        if (copies.has(id)) violations.push(`two added-order copies of ${id}`);
        copies.set(id, JSON.stringify(c));
        break;
      }
      case "connections_by_company":
        if (typeof entry.value !== "string") {
          violations.push(`${where}: malformed company index`);
        } else companies.set(key.slice(1).join("/"), entry.value);
        break;
      case "connection_tokens":
        if (typeof entry.value !== "string") {
          violations.push(`${where}: token is not a sealed string`);
        } else tokens.set(String(key[1]), entry.value);
        break;
    }
  }

  const live = new Map<string, string>(); // "cust/prov/comp" -> connection_id
  for (const c of all) {
    const id = c.connection_id;
    const triple = `${c.customer_id}/${c.provider_id}/${c.company_id}`;
    if (live.has(triple)) {
      violations.push(
        `two live records for ${triple}: ${live.get(triple)} and ${id}`,
      );
    }
    live.set(triple, id);
    const copy = copies.get(id);
    if (copy === undefined) {
      violations.push(`record ${id} without its added-order copy`);
    } else if (copy !== JSON.stringify(c)) {
      violations.push(`record ${id} and its added-order copy differ`);
    }
    if (owners.get(id) !== c.customer_id) {
      violations.push(`record ${id} without its owner index`);
    }
    if (companies.get(triple) !== id) {
      violations.push(`record ${id} without its company index`);
    }
    const sealed = tokens.get(id);
    if (!sealed) {
      violations.push(`record ${id} without a sealed token`);
      continue;
    }
    if (!/^v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(sealed)) {
      violations.push(`token of ${id} is not a v1 sealed value`);
      continue;
    }
    try {
      await sealer.open(sealed, tokenAad(id));
    } catch {
      violations.push(`token of ${id} does not open under TOKEN_KEYS`);
    }
  }
  for (const [id, customer] of owners) {
    if (
      !all.some((c) => c.connection_id === id && c.customer_id === customer)
    ) {
      violations.push(`owner index of ${id} without its record`);
    }
  }
  for (const [triple, id] of companies) {
    if (
      !all.some((c) =>
        c.connection_id === id &&
        `${c.customer_id}/${c.provider_id}/${c.company_id}` === triple
      )
    ) {
      violations.push(`company index ${triple} without its record`);
    }
  }
  for (const id of copies.keys()) {
    if (!records.has(id)) {
      violations.push(`added-order copy of ${id} without its record`);
    }
  }
  for (const id of tokens.keys()) {
    if (!records.has(id)) violations.push(`token of ${id} without its record`);
  }
  for (const [id, t] of tombstones) {
    if (marked.get(id) !== t.customer_id) {
      violations.push(`tombstone ${id} without its marked owner index`);
    }
    if (records.has(id)) {
      violations.push(`connection ${id} both live and disconnected`);
    }
  }
  for (const [id, customer] of marked) {
    if (tombstones.get(id)?.customer_id !== customer) {
      violations.push(`marked owner index of ${id} without its tombstone`);
    }
  }
  return {
    violations,
    entries,
    connections: all.length,
    tokens: tokens.size,
  };
}

/**
 * Scans the bytes of the KV file and its SQLite journal (`-wal`, `-shm`) for any issued
 * token in plain text. Returns the violations.
 */
export async function scanKvFiles(
  path: string,
  issued: Iterable<string>,
): Promise<string[]> {
  const violations: string[] = [];
  const tokens = [...issued];
  for (const file of [path, `${path}-wal`, `${path}-shm`]) {
    let bytes: Uint8Array;
    try {
      bytes = await Deno.readFile(file);
    } catch {
      continue;
    }
    const raw = new TextDecoder("latin1").decode(bytes);
    for (const token of tokens) {
      if (raw.includes(token)) violations.push(`plaintext token in ${file}`);
    }
  }
  return violations;
}
