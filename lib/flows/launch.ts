/**
 * Starting to connect a payroll system: Connect sessions for a new connection and for
 * reauthentication. The callback that finishes a run is in `callback.ts`.
 *
 * The rules come from Finch's docs (004: sessions, 002: what a connection is):
 * - Finch allows one connection per Connect `customer_id`, so each attempt uses the
 *   customer's current attempt slot (`acme`, then `acme~2`, ...), reused across
 *   retries and drop-offs and advanced only once the attempt converted.
 * - `connection_already_exists` names the connection the slot already holds: one of
 *   ours goes to a reauthenticate session; one we do not know moves us to the next slot.
 * - Each run gets a `state` bound to this browser session and customer, which the
 *   callback checks before anything else.
 */
import { AppError } from "../errors.ts";
import { advanceAttempt, currentAttempt } from "../db/attempts.ts";
import { findConnection, getConnection } from "../db/connections.ts";
import { createConnectState } from "../db/connect_states.ts";
import { FinchConnectionExists, FinchRejected } from "../finch/gateway.ts";
import type { AppDeps } from "../http/env.ts";
import { backToConnections, connectionNotFound, flowError } from "./errors.ts";

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

/** How long a callback `state` stays valid: long enough to find one's payroll login. */
export const STATE_TTL_MS = 2 * 3600_000;

const MAX_SLOT_SKIPS = 5;

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
        throw flowError(err, "start connecting");
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
    throw flowError(err, "start reconnecting");
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

function withState(connectUrl: string, state: string): string {
  const url = new URL(connectUrl);
  url.searchParams.set("state", state);
  return url.toString();
}
