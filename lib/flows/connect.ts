/**
 * Connecting a payroll system: Connect sessions, the callback, reauthentication.
 *
 * The rules come from Finch's docs (004: sessions, 002: what a connection is):
 * - Finch allows one connection per Connect `customer_id`, so each attempt uses the
 *   customer's current attempt slot (`acme`, then `acme~2`, ...), reused across
 *   retries and drop-offs and advanced only once the attempt converted.
 * - `connection_already_exists` names the connection the slot already holds: one of
 *   ours goes to a reauthenticate session; one we do not know moves us to the next slot.
 * - The callback trusts nothing in the URL: its `state` must be ours, unused, unexpired,
 *   and made for this browser session and customer. The token is stored the moment it
 *   exists; introspect and company only add detail, and their failure loses nothing.
 * - A connection owned by another customer is refused and never disconnected: that
 *   would revoke the other customer's tokens too.
 */
import { AppError } from "../errors.ts";
import { advanceAttempt, currentAttempt } from "../db/attempts.ts";
import {
  findConnection,
  getConnection,
  replaceConnection,
  storeConnection,
  updateConnection,
} from "../db/connections.ts";
import { createConnectState, takeConnectState } from "../db/connect_states.ts";
import {
  ConnectionOwnedElsewhere,
  DuplicateConnection,
  WriteConflict,
} from "../db/errors.ts";
import type { Connection, StoreConnectionInput } from "../db/schemas.ts";
import {
  FinchConnectionExists,
  FinchInvalidCode,
  FinchRejected,
  FinchTokenRevoked,
  FinchUnavailable,
} from "../finch.ts";
import type { AppDeps } from "../http/env.ts";

/** Who is acting: the employer's portal session. */
export interface Actor {
  customerId: string;
  customerName: string;
  customerEmail: string | null;
  sessionHash: string;
}

/** A Connect session ready to open, in either flow. */
export interface LaunchedSession {
  kind: "new" | "reauth";
  sessionId: string;
  /** For the redirect flow: Finch's `connect_url` with our `state` appended. */
  connectUrl: string;
  state: string;
  /** Set when a "connect another" attempt turned out to be a reconnect. */
  note?: string;
}

/** What a completed callback did. */
export interface CompletedConnect {
  outcome: "created" | "refreshed" | "replaced" | "reconnected";
  connection: Connection;
}

/** How long a callback `state` stays valid: long enough to find one's payroll login. */
export const STATE_TTL_MS = 2 * 3600_000;

const MAX_SLOT_SKIPS = 5;

const backToConnections = {
  href: "/connections",
  label: "Back to connections",
};

/**
 * Starts connecting a new provider or entity (journeys 1 and 2).
 *
 * @example
 * ```ts
 * const launch = await startConnect(deps, actor, { redirect: true });
 * return c.redirect(launch.connectUrl, 303);
 * ```
 */
export async function startConnect(
  deps: AppDeps,
  actor: Actor,
  options: { providerId?: string; redirect: boolean },
): Promise<LaunchedSession> {
  for (let skips = 0; skips <= MAX_SLOT_SKIPS; skips++) {
    const attempt = await currentAttempt(deps.kv, actor.customerId);
    try {
      const session = await deps.finch.createSession({
        finchCustomerId: attempt.finch_customer_id,
        customerName: actor.customerName,
        customerEmail: actor.customerEmail,
        providerId: options.providerId,
        redirect: options.redirect,
      });
      const state = await createConnectState(deps.kv, {
        customer_id: actor.customerId,
        session_hash: actor.sessionHash,
        kind: "new",
        finch_customer_id: attempt.finch_customer_id,
        slot: attempt.slot,
      }, { ttlMs: STATE_TTL_MS, now: new Date(deps.now()) });
      return {
        kind: "new",
        sessionId: session.sessionId,
        connectUrl: withState(session.connectUrl, state),
        state,
      };
    } catch (err) {
      if (!(err instanceof FinchConnectionExists)) {
        throw finchFailure(err, "start connecting");
      }
      const owner = await findConnection(deps.kv, err.connectionId);
      // Either way this slot is spent: the next "connect another" needs a fresh one.
      await advanceAttempt(deps.kv, actor.customerId, attempt.slot, {
        outcome: "skipped",
        connection_id: err.connectionId,
        detail: owner?.customer_id === actor.customerId
          ? "connection_already_exists: a connection of this customer"
          : "connection_already_exists: a connection we do not hold",
        now: new Date(deps.now()),
      });
      deps.log("info", "connect_slot_skipped", {
        customer_id: actor.customerId,
        slot: attempt.slot,
        ours: owner?.customer_id === actor.customerId,
      });
      if (owner?.customer_id === actor.customerId) {
        const launch = await startReauth(
          deps,
          actor,
          err.connectionId,
          options,
        );
        return {
          ...launch,
          note:
            "This payroll account is already connected; you can sign in again to refresh it.",
        };
      }
    }
  }
  throw new AppError(
    409,
    "too_many_attempts",
    "Finch reported existing connections for every attempt we tried. Please contact support.",
    { title: "Could not start connecting", action: backToConnections },
  );
}

/**
 * Starts a reauthenticate session for a connection the customer owns (journey 4).
 * Another customer's connection answers exactly like one that does not exist.
 */
export async function startReauth(
  deps: AppDeps,
  actor: Actor,
  connectionId: string,
  options: { redirect: boolean },
): Promise<LaunchedSession> {
  const connection = await getConnection(
    deps.kv,
    actor.customerId,
    connectionId,
  );
  if (!connection) throw connectionNotFound();
  let session;
  try {
    session = await deps.finch.reauthSession({
      connectionId,
      redirect: options.redirect,
    });
  } catch (err) {
    if (
      err instanceof FinchRejected && (err.status === 400 || err.status === 404)
    ) {
      // Finch refuses to reauthenticate a connection it no longer has (disconnected
      // upstream). Reconnecting cannot help; the person needs to know what can.
      throw new AppError(
        409,
        "connection_gone",
        "Finch no longer has this connection, so it cannot be reconnected. Disconnect it here, then connect your payroll system again.",
        { title: "Cannot reconnect", action: backToConnections },
      );
    }
    throw finchFailure(err, "start reconnecting");
  }
  const state = await createConnectState(deps.kv, {
    customer_id: actor.customerId,
    session_hash: actor.sessionHash,
    kind: "reauth",
    finch_customer_id: connection.finch_customer_id,
    connection_id: connectionId,
  }, { ttlMs: STATE_TTL_MS, now: new Date(deps.now()) });
  return {
    kind: "reauth",
    sessionId: session.sessionId,
    connectUrl: withState(session.connectUrl, state),
    state,
  };
}

/**
 * Completes a Connect run: checks `state`, exchanges the code, stores the connection at
 * once, then adds status, entities and the legal name (journeys 1 to 4, 6).
 */
export async function completeConnect(
  deps: AppDeps,
  actor: Actor,
  input: { code: string; state: string; redirect: boolean },
): Promise<CompletedConnect> {
  // The binding is checked before the state is spent: a callback replayed in another
  // session (or by another customer) is refused without exchanging its code, and leaves
  // the state for the browser that started the run.
  const taken = await takeConnectState(deps.kv, input.state, {
    now: new Date(deps.now()),
    accept: (d) =>
      d.session_hash === actor.sessionHash &&
      d.customer_id === actor.customerId,
  });
  if (!taken.ok) throw stateProblem(taken.reason);
  const data = taken.data;

  let grant;
  try {
    grant = await deps.finch.exchangeCode(input.code, {
      redirect: input.redirect,
    });
  } catch (err) {
    if (err instanceof FinchInvalidCode) {
      throw new AppError(
        400,
        "code_invalid",
        "This sign-in has expired or was already used. Nothing was changed; please connect again.",
        { title: "Sign-in expired", action: backToConnections },
      );
    }
    throw finchFailure(err, "finish connecting");
  }

  const now = new Date(deps.now());
  const input2 = {
    customer_id: actor.customerId,
    connection_id: grant.connectionId,
    provider_id: grant.providerId,
    company_id: grant.companyId,
    access_token: grant.accessToken,
    products: grant.products,
    entity_ids: grant.entityIds,
    finch_customer_id: grant.finchCustomerId ?? data.finch_customer_id,
    attempt_slot: data.kind === "new" ? data.slot : undefined,
    client_type: grant.clientType,
    connection_type: grant.connectionType,
  };
  let saved;
  try {
    saved = await saveGrant(deps, input2, now);
  } catch (err) {
    if (err instanceof ConnectionOwnedElsewhere) {
      deps.log("warn", "connection_owned_elsewhere", {
        customer_id: actor.customerId,
        connection_id: grant.connectionId,
      });
      throw new AppError(
        409,
        "connection_owned_elsewhere",
        "This company's payroll account is already connected to another account in this portal, so nothing was saved. If you think this is wrong, contact support.",
        { title: "Already connected elsewhere", action: backToConnections },
      );
    }
    throw err;
  }
  const outcome: CompletedConnect["outcome"] =
    saved.outcome === "refreshed" && data.kind === "reauth"
      ? "reconnected"
      : saved.outcome;
  let connection = saved.connection;

  connection = await enrich(deps, connection, grant.accessToken);
  deps.log("info", "connect_completed", {
    customer_id: actor.customerId,
    connection_id: connection.connection_id,
    outcome,
  });
  return { outcome, connection };
}

/** How many times a store that lost a race is decided again before giving up. */
const SAVE_ROUNDS = 4;

/**
 * Stores a fresh token: a new record, a refresh of ours, or (the same company on the same
 * provider under a new Finch connection, the old one gone upstream) a replacement that
 * keeps one record, the newest, and retires the old connection.
 *
 * A replacement that lost a race to another write (`WriteConflict`) is decided again from
 * fresh data, as the data layer asks, and so is a store that could not win its checks:
 * the token in hand is the only copy, so giving up early would lose it.
 */
async function saveGrant(
  deps: AppDeps,
  input: StoreConnectionInput,
  now: Date,
): Promise<
  { outcome: "created" | "refreshed" | "replaced"; connection: Connection }
> {
  for (let round = 1;; round++) {
    try {
      try {
        return await storeConnection(deps.kv, deps.sealer, input, { now });
      } catch (err) {
        if (!(err instanceof DuplicateConnection)) throw err;
        const replaced = await replaceConnection(
          deps.kv,
          deps.sealer,
          err,
          input,
          { now },
        );
        if (replaced.retired.access_token) {
          // No record uses the old connection any more (replaceConnection removed it in
          // the same op), so revoking it cannot hurt a stored token.
          await deps.finch.disconnect(replaced.retired.access_token).catch(
            (err) => {
              deps.log("warn", "retire_failed", {
                connection_id: replaced.retired.connection.connection_id,
                error: err instanceof Error ? err.name : "unknown",
              });
            },
          );
        }
        return { outcome: "replaced", connection: replaced.connection };
      }
    } catch (err) {
      if (!(err instanceof WriteConflict) || round >= SAVE_ROUNDS) throw err;
    }
  }
}

/**
 * Adds introspect's status and entities and the company's legal name. Best effort: a
 * failure here leaves the stored connection as it was and is only logged.
 */
export async function enrich(
  deps: AppDeps,
  connection: Connection,
  accessToken: string,
): Promise<Connection> {
  // The company itself, not one of its entities: the card names the employer.
  const [details, name] = await Promise.allSettled([
    deps.finch.introspect(accessToken),
    deps.finch.companyName(accessToken),
  ]);
  const patch: Parameters<typeof updateConnection>[3] = {};
  if (details.status === "fulfilled") {
    const d = details.value;
    patch.status = d.status;
    patch.status_message = d.statusMessage;
    patch.status_at = new Date(deps.now()).toISOString();
    if (d.entities.length) patch.entities = d.entities;
    if (d.lastSuccessfulSync) {
      patch.last_synced_at = new Date(d.lastSuccessfulSync).toISOString();
    }
    patch.authentication_methods = d.authenticationMethods.map((m) => ({
      type: m.type,
      status: m.status,
      products: [],
    }));
  }
  if (name.status === "fulfilled" && name.value) {
    patch.company_name = name.value;
  }
  for (const r of [details, name]) {
    if (r.status === "rejected") {
      deps.log("warn", "enrich_failed", {
        connection_id: connection.connection_id,
        error: r.reason instanceof Error ? r.reason.name : "unknown",
      });
    }
  }
  if (Object.keys(patch).length === 0) return connection;
  try {
    return await updateConnection(
      deps.kv,
      connection.customer_id,
      connection.connection_id,
      patch,
      {
        now: new Date(deps.now()),
      },
    );
  } catch (err) {
    deps.log("warn", "enrich_store_failed", {
      connection_id: connection.connection_id,
      error: err instanceof Error ? err.name : "unknown",
    });
    return connection;
  }
}

function withState(connectUrl: string, state: string): string {
  const url = new URL(connectUrl);
  url.searchParams.set("state", state);
  return url.toString();
}

/** The 404 every lookup of a connection that is not the customer's answers. */
export function connectionNotFound(): AppError {
  return new AppError(404, "not_found", "There is no such connection.", {
    title: "Connection not found",
    action: backToConnections,
  });
}

function stateProblem(
  status: "expired" | "used" | "unknown" | "mismatch",
): AppError {
  if (status === "mismatch") {
    // Nothing is exchanged: a code started in another session must not land here.
    return new AppError(
      400,
      "state_mismatch",
      "This connection was started from a different browser session, so it was not saved. Finish it in the browser where you started, or start again from this page.",
      { title: "Connection not saved", action: backToConnections },
    );
  }
  const message = {
    expired:
      "This sign-in took too long and has expired. Nothing was saved; please connect again.",
    used:
      "This sign-in was already completed. Your connections page shows the result.",
    unknown:
      "We could not match this sign-in to one you started here, so nothing was saved. Please connect again from your connections page.",
  }[status];
  return new AppError(400, `state_${status}`, message, {
    title: status === "used" ? "Already completed" : "Please connect again",
    action: backToConnections,
  });
}

/** Maps a gateway failure to a page that says what happened and how to go on. */
export function finchFailure(err: unknown, what: string): AppError {
  if (err instanceof FinchUnavailable) {
    return new AppError(
      503,
      "finch_unavailable",
      `We could not reach Finch to ${what}. Nothing was changed; please try again in a minute.`,
      {
        title: "Finch is not answering",
        action: backToConnections,
        headers: {
          "Retry-After": String(
            Math.min(Math.max(err.retryAfterS ?? 30, 1), 300),
          ),
        },
      },
    );
  }
  if (err instanceof FinchTokenRevoked) {
    return new AppError(
      409,
      "finch_token_revoked",
      `Finch no longer accepts this connection, so we could not ${what}. Reconnect it, or disconnect it and connect again.`,
      { title: "Connection no longer valid", action: backToConnections },
    );
  }
  if (err instanceof FinchRejected) {
    return new AppError(
      502,
      "finch_rejected",
      `Finch refused our request to ${what}. Nothing was changed; if this keeps happening, contact support.`,
      { title: "Finch refused the request", action: backToConnections },
    );
  }
  throw err;
}
