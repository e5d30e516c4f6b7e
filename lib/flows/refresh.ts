/**
 * Refresh on view: webhooks can be lost, late or not configured, so when the connections
 * page shows a status older than a few minutes it asks Finch (introspect) again.
 *
 * - Bounded: a few connections per view, and a time budget after which the page renders
 *   with what it has while the rest finishes in the background.
 * - A short per-connection lease in KV makes concurrent views and processes refresh each
 *   connection once; it doubles as a back-off before the next try.
 * - Never fails the page: a Finch failure is only logged.
 * - A token Finch no longer accepts (401 on introspect) means the connection is gone
 *   upstream: it is marked `disconnected`.
 *
 * @module
 */
import { applyStatus } from "../db/connection_status.ts";
import { getAccessToken } from "../db/connections.ts";
import { statusRefreshLeaseKey } from "../db/keys.ts";
import type { Connection } from "../db/schemas.ts";
import { FinchTokenRevoked } from "../finch/gateway.ts";
import type { AppDeps } from "../http/env.ts";
import { recordStatusChange } from "../events/emit.ts";
import { enrich } from "./enrich.ts";

/** A status older than this is refreshed when the page shows it. */
export const STATUS_STALE_AFTER_MS = 5 * 60_000;
/** At most this many connections are refreshed per page view. */
export const REFRESH_MAX_PER_VIEW = 5;
/** The page waits at most this long for refreshes before it renders. */
export const REFRESH_BUDGET_MS = 1_500;
/** One refresh per connection per this long, across views and processes. */
export const REFRESH_LEASE_MS = 60_000;

/** Options of {@linkcode refreshStaleStatuses}; the defaults are the constants above. */
export interface RefreshOptions {
  staleAfterMs?: number;
  maxPerView?: number;
  budgetMs?: number;
  leaseMs?: number;
}

interface Lease {
  until: string;
}

/** Refreshes still running after their page rendered, per KV store (for tests). */
const running = new WeakMap<Deno.Kv, Set<Promise<unknown>>>();

/**
 * Refreshes, through introspect, the connections among `connections` whose status is
 * older than `staleAfterMs`, and returns the list with what was refreshed in time. Never
 * throws and never waits longer than about `budgetMs`.
 *
 * @example
 * ```ts
 * const shown = await refreshStaleStatuses(deps, page.values);
 * ```
 */
export async function refreshStaleStatuses(
  deps: AppDeps,
  connections: readonly Connection[],
  options: RefreshOptions = {},
): Promise<Connection[]> {
  const staleAfter = options.staleAfterMs ?? STATUS_STALE_AFTER_MS;
  const now = deps.now();
  const stale = connections
    // A disconnected connection's token is gone: introspect has nothing to tell.
    .filter((c) =>
      c.status !== "disconnected" &&
      now - Date.parse(c.status_at) >= staleAfter
    )
    .sort((a, b) => a.status_at.localeCompare(b.status_at))
    .slice(0, options.maxPerView ?? REFRESH_MAX_PER_VIEW);
  if (stale.length === 0) return [...connections];

  const fresh = new Map<string, Connection>();
  const work = stale.map((c) =>
    refreshOne(deps, c, options.leaseMs ?? REFRESH_LEASE_MS).then((r) => {
      if (r) fresh.set(r.connection_id, r);
    })
  );
  const all = Promise.all(work);
  const set = running.get(deps.kv) ?? new Set();
  running.set(deps.kv, set);
  set.add(all);
  all.finally(() => set.delete(all));

  let timer: ReturnType<typeof setTimeout> | undefined;
  const budget = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, options.budgetMs ?? REFRESH_BUDGET_MS);
  });
  try {
    await Promise.race([all, budget]);
  } finally {
    clearTimeout(timer);
  }
  return connections.map((c) => fresh.get(c.connection_id) ?? c);
}

/**
 * Resolves when every refresh started for this KV store has finished, also those that
 * outlived their page's budget (tests await it before closing the store).
 *
 * @example
 * ```ts
 * await statusRefreshesSettled(portal.deps);
 * ```
 */
export async function statusRefreshesSettled(
  deps: Pick<AppDeps, "kv">,
): Promise<void> {
  const set = running.get(deps.kv);
  while (set && set.size > 0) await Promise.allSettled([...set]);
}

/** Takes the lease with an absence check: false when another view holds it. */
async function takeLease(
  deps: AppDeps,
  connection_id: string,
  leaseMs: number,
): Promise<boolean> {
  const key = statusRefreshLeaseKey(connection_id);
  const entry = await deps.kv.get<Lease>(key);
  const now = deps.now();
  // KV expiry is lazy: a lease past its time counts as absent.
  if (entry.value && Date.parse(entry.value.until) > now) return false;
  const lease: Lease = { until: new Date(now + leaseMs).toISOString() };
  const res = await deps.kv.atomic().check(entry)
    .set(key, lease, { expireIn: leaseMs }).commit();
  return res.ok;
}

/** One connection's refresh: the refreshed record, or null when nothing was learnt. */
async function refreshOne(
  deps: AppDeps,
  connection: Connection,
  leaseMs: number,
): Promise<Connection | null> {
  const id = connection.connection_id;
  try {
    if (!await takeLease(deps, id, leaseMs)) return null;
    const token = await getAccessToken(deps.kv, deps.sealer, id);
    if (!token) return null;
    const enriched = await enrich(deps, connection, token);
    const failure = enriched.introspectFailure;
    const updated = enriched.connection;
    if (failure instanceof FinchTokenRevoked) {
      const r = await applyStatus(deps.kv, id, {
        status: "disconnected",
        at: new Date(deps.now()),
        message: null,
      }, { also: recordStatusChange(deps) });
      deps.log("info", "status_refreshed", {
        connection_id: id,
        status: "disconnected",
        reason: "token_revoked",
      });
      return r.outcome === "not_found" ? null : r.connection;
    }
    if (failure) {
      deps.log("warn", "status_refresh_failed", {
        connection_id: id,
        error: failure instanceof Error ? failure.name : "unknown",
      });
      return updated === connection ? null : updated;
    }
    deps.log("info", "status_refreshed", {
      connection_id: id,
      status: updated.status,
    });
    return updated;
  } catch (err) {
    // Store or sealing trouble: the page shows what it has; the next view tries again.
    deps.log("warn", "status_refresh_failed", {
      connection_id: id,
      error: err instanceof Error ? err.name : "unknown",
    });
    return null;
  }
}
