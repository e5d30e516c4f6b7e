/**
 * Seeding a KV file for the benchmarks, before the server that reads it starts.
 *
 * The customers being measured ("targets") are written through the data layer
 * (`upsertCustomer`, `storeConnection`, `createPortalSession`), exactly as the app writes
 * them, and last, so their statuses are fresh when the page is measured (the page
 * refreshes statuses older than a few minutes from Finch). The many other customers only
 * have to be there, so they are cloned from one record written through the data layer
 * and set in batched atomic ops: the store then holds the same keys, values and sealed
 * tokens as one filled by real traffic, in seconds instead of minutes.
 *
 * @module
 */
import { recordKeys } from "../../lib/db/connection_records.ts";
import { storeConnection, tokenAad } from "../../lib/db/connections.ts";
import { upsertCustomer } from "../../lib/db/customers.ts";
import {
  connectionCompanyKey,
  connectionKey,
  connectionOwnerKey,
  connectionTokenKey,
  customerKey,
} from "../../lib/db/keys.ts";
import { createPortalSession } from "../../lib/db/portal_sessions.ts";
import type { Connection, Customer } from "../../lib/db/schemas.ts";
import { SESSION_TTL_MS } from "../../lib/http/session.ts";
import {
  createSealer,
  generateTokenKey,
  parseTokenKeys,
  type Sealer,
} from "../../lib/sealing.ts";

/** Demo-mode secrets given to the server in its environment, so the seeder can seal. */
export function benchSecrets(): Record<string, string> {
  const random = () =>
    crypto.getRandomValues(new Uint8Array(32)).toBase64({
      alphabet: "base64url",
      omitPadding: true,
    });
  return {
    APP_SECRET: random(),
    ADMIN_API_KEY: `bench_${random()}`,
    TOKEN_KEYS: generateTokenKey("bench1"),
  };
}

/** A customer to measure: its id and how many connections it has. */
export interface Target {
  id: string;
  connections: number;
}

/** What seeding did. */
export interface Seeded {
  /** Other customers written (fewer than asked when the time budget ran out). */
  others: number;
  /** Seconds spent writing the other customers. */
  othersSeconds: number;
  /** Cookie header value per target, e.g. `portal_session=...`. */
  cookies: Record<string, string>;
  /** The first connection id of each target (for the disconnect confirm page). */
  firstConnection: Record<string, string>;
}

const PROVIDERS = ["gusto", "adp_run", "bamboo_hr", "rippling", "paychex_flex"];
const PRODUCTS = ["company", "directory", "employment", "individual"];

function connectionInput(customer: string, i: number, token: string) {
  return {
    customer_id: customer,
    connection_id: `${customer}-conn-${String(i).padStart(6, "0")}`,
    provider_id: PROVIDERS[i % PROVIDERS.length],
    company_id: `${customer}-co-${i}`,
    company_name: `${customer} Holdings ${i} LLC`,
    access_token: token,
    products: PRODUCTS,
    entity_ids: [`${customer}-ent-${i}`],
    entities: [{ id: `${customer}-ent-${i}`, name: `Entity ${i}` }],
    finch_customer_id: i === 0 ? customer : `${customer}~${i + 1}`,
    client_type: "production",
    connection_type: "provider",
  };
}

/** Writes one customer with `n` connections through the data layer. */
async function seedTarget(
  kv: Deno.Kv,
  sealer: Sealer,
  target: Target,
): Promise<void> {
  await upsertCustomer(kv, {
    id: target.id,
    name: `Customer ${target.id}`,
    email: `hr@${target.id}.example`,
  });
  // Batches in parallel: each store is its own atomic op on its own keys.
  for (let i = 0; i < target.connections; i += 25) {
    const batch = [];
    for (let j = i; j < Math.min(i + 25, target.connections); j++) {
      batch.push(storeConnection(
        kv,
        sealer,
        connectionInput(target.id, j, `bench-token-${target.id}-${j}`),
      ));
    }
    await Promise.all(batch);
  }
}

/**
 * Seeds `kvPath`: `others` customers with one connection each (within `budgetMs`), then
 * the targets, then a portal session per target.
 */
export async function seedStore(options: {
  kvPath: string;
  tokenKeys: string;
  others: number;
  targets: Target[];
  budgetMs: number;
}): Promise<Seeded> {
  const kv = await Deno.openKv(options.kvPath);
  try {
    const sealer = await createSealer(parseTokenKeys(options.tokenKeys));
    const started = performance.now();
    let others = 0;
    if (options.others > 0) {
      // One real customer and connection, written by the data layer: the template.
      const first = "other-000000";
      await seedTarget(kv, sealer, { id: first, connections: 1 });
      const customer = (await kv.get<Customer>(customerKey(first))).value!;
      const connection = (await kv.get<Connection>(
        connectionKey(first, `${first}-conn-000000`),
      )).value!;
      others = 1;
      // 100 customers x 6 keys = 600 mutations per op, under KV's 1000 and 800 KB.
      const PER_OP = 100;
      while (others < options.others) {
        if (performance.now() - started > options.budgetMs) break;
        const op = kv.atomic();
        const end = Math.min(others + PER_OP, options.others);
        const sealed = [];
        for (let n = others; n < end; n++) {
          const id = `other-${String(n).padStart(6, "0")}`;
          const connId = `${id}-conn-000000`;
          sealed.push(sealer.seal(`bench-token-${id}`, tokenAad(connId)));
        }
        const tokens = await Promise.all(sealed);
        for (let n = others; n < end; n++) {
          const id = `other-${String(n).padStart(6, "0")}`;
          const connId = `${id}-conn-000000`;
          const companyId = `${id}-co-0`;
          op.set(customerKey(id), {
            ...customer,
            id,
            name: `Customer ${id}`,
            email: `hr@${id}.example`,
          });
          const record: Connection = {
            ...connection,
            connection_id: connId,
            customer_id: id,
            company_id: companyId,
            company_name: `${id} Holdings 0 LLC`,
            finch_customer_id: id,
            entities: [{ ...connection.entities[0], id: `${id}-ent-0` }],
          };
          // The record under each of its keys, as the data layer keeps it.
          for (const key of recordKeys(record)) op.set(key, record);
          op.set(connectionOwnerKey(connId), { customer_id: id });
          op.set(
            connectionCompanyKey(id, connection.provider_id, companyId),
            connId,
          );
          op.set(connectionTokenKey(connId), tokens[n - others]);
        }
        const res = await op.commit();
        if (!res.ok) throw new Error("seeding batch failed its checks");
        others = end;
      }
    }
    const othersSeconds = (performance.now() - started) / 1000;

    const cookies: Record<string, string> = {};
    const firstConnection: Record<string, string> = {};
    for (const target of options.targets) {
      await seedTarget(kv, sealer, target);
      const session = await createPortalSession(kv, target.id, {
        ttlMs: SESSION_TTL_MS,
      });
      if (!session.ok) throw new Error(`no session for ${target.id}`);
      // The server runs on http://127.0.0.1, so the cookie has no `__Host-` prefix.
      cookies[target.id] = `portal_session=${session.token}`;
      firstConnection[target.id] =
        connectionInput(target.id, 0, "").connection_id;
    }
    return { others, othersSeconds, cookies, firstConnection };
  } finally {
    kv.close();
  }
}
