/**
 * Connections as the outside sees them: the integrator API's JSON and the props of the
 * connections page. One shape for both, plain JSON (dates as ISO strings), never a token.
 */
import type {
  Connection,
  DisconnectedConnection,
  DisconnectReceipt,
} from "./db/schemas.ts";
import type { PeopleSummary } from "./db/people.ts";
import type { Provider } from "./finch/gateway.ts";

/** A connection, as shown to the employer and the integrator. */
export interface ConnectionView {
  connection_id: string;
  customer_id: string;
  provider_id: string;
  provider_name: string;
  provider_logo: string | null;
  company_id: string;
  company_name: string | null;
  status: Connection["status"];
  status_message: string | null;
  products: string[];
  entities: { id: string; name: string | null; status: Connection["status"] }[];
  last_synced_at: string | null;
  created_at: string;
  updated_at: string;
  /** A disconnected connection's receipt (status `disconnected`); null while live. */
  disconnect: DisconnectReceipt | null;
}

/** A connection as its card shows it: the page's island props carry only these. */
export interface CardView {
  connection_id: string;
  provider_name: string;
  provider_logo: string | null;
  company_name: string | null;
  status: Connection["status"];
  products: string[];
  entities: ConnectionView["entities"];
  last_synced_at: string | null;
  created_at: string;
  /** How many people the customer's people list holds from this connection; null: not in it yet. */
  people: number | null;
}

/**
 * A stored connection as its card shows it. Built straight from the record (not through
 * {@linkcode connectionView}): the page builds one per card on every view.
 */
export function cardView(
  c: Connection,
  providers: ReadonlyMap<string, Provider>,
  people: PeopleSummary | null = null,
): CardView {
  const provider = providers.get(c.provider_id);
  return {
    connection_id: c.connection_id,
    provider_name: provider?.displayName ?? fallbackName(c.provider_id),
    provider_logo: provider?.logo ?? null,
    company_name: c.company_name,
    status: c.status,
    products: c.products,
    entities: liveEntities(c),
    last_synced_at: c.last_synced_at,
    created_at: c.created_at,
    people: people?.by_connection[c.connection_id] ?? null,
  };
}

/**
 * The entities a connection still shares: one disconnected alone (Finch's
 * `/disconnect-entity`) is left out of the card and the API's view.
 */
function liveEntities(
  c: Pick<Connection, "entities">,
): ConnectionView["entities"] {
  return c.entities.filter((e) => e.status !== "disconnected").map((e) => ({
    id: e.id,
    name: e.name,
    status: e.status,
  }));
}

/** Turns `gusto_payroll` into `Gusto Payroll` when Finch's list is unavailable. */
function fallbackName(providerId: string): string {
  return providerId.split(/[_-]+/).filter(Boolean)
    .map((w) => w[0].toUpperCase() + w.slice(1)).join(" ");
}

/** Builds the public view of a stored connection. */
export function connectionView(
  c: Connection | DisconnectedConnection,
  providers: ReadonlyMap<string, Provider>,
): ConnectionView {
  const provider = providers.get(c.provider_id);
  return {
    connection_id: c.connection_id,
    customer_id: c.customer_id,
    provider_id: c.provider_id,
    provider_name: provider?.displayName ?? fallbackName(c.provider_id),
    provider_logo: provider?.logo ?? null,
    company_id: c.company_id,
    company_name: c.company_name,
    status: c.status,
    status_message: c.status_message,
    products: c.products,
    entities: liveEntities(c),
    last_synced_at: c.last_synced_at,
    created_at: c.created_at,
    updated_at: c.updated_at,
    disconnect: "disconnect" in c ? c.disconnect : null,
  };
}

/**
 * How long a page waits for Finch's provider list. Names are a nicety: past this the
 * page renders with ids spelled out, and the list, still loading, is cached for the next
 * page. Without it a Finch that hangs holds every page for the gateway's timeout (10 s,
 * twice).
 */
export const PROVIDERS_BUDGET_MS = 1_500;

/** The list a settled `providers()` promise gave, by id: reused while Finch's is. */
const settled = new WeakMap<Promise<Provider[]>, Map<string, Provider>>();

/**
 * Finch's provider list by id, for names and logos. Never fails and never waits longer
 * than {@linkcode PROVIDERS_BUDGET_MS}: when Finch is down or slow the page still
 * renders, with provider ids spelled out. While the gateway's cached list is the same,
 * its map is handed out again at once (no timer, no new map on every page view).
 */
export async function loadProviders(
  deps: {
    finch: { providers(): Promise<Provider[]> };
    log: (level: "warn", event: string, fields?: object) => void;
  },
): Promise<Map<string, Provider>> {
  const pending = deps.finch.providers();
  const known = settled.get(pending);
  if (known) return known;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error("providers_late")),
      PROVIDERS_BUDGET_MS,
    );
  });
  try {
    const list = await Promise.race([pending, late]);
    const map = new Map(list.map((p) => [p.id, p]));
    settled.set(pending, map);
    return map;
  } catch (err) {
    deps.log("warn", "providers_unavailable", {
      error: err instanceof Error
        ? (err.message === "providers_late" ? "timeout" : err.name)
        : "unknown",
    });
    return new Map();
  } finally {
    clearTimeout(timer);
  }
}
