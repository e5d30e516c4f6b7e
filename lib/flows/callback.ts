/**
 * Finishing a Connect run (journeys 1 to 4, 6): the callback's `state` and `code` become
 * a stored connection.
 *
 * - Nothing in the URL is trusted: the `state` must be ours, unused, unexpired, and made
 *   for this browser session and customer, or nothing is exchanged.
 * - The state is spent in the same atomic write that stores the connection, not before
 *   the code is exchanged: when Finch fails (5xx, 429, timeout) nothing was spent and the
 *   same callback works once Finch is back; "already completed" means something was
 *   stored. Two deliveries of one callback cannot both store: Finch accepts a code once,
 *   and the state's check lets one write through. The one whose code Finch refused
 *   waits a moment for the other to store the run, so that it too says "already
 *   completed" rather than "expired, nothing was changed"; a code Finch took before its
 *   answer was lost (a timeout) is never stored by anyone, and says "expired".
 * - The grant must belong to the run: a new connection under the run's Finch customer
 *   id (a grant that names none cannot be tied to the run and is refused too), a
 *   reconnect of the run's connection. A code from another run is refused and nothing is
 *   stored (or revoked).
 * - The token is stored the moment it exists; introspect and company only add detail,
 *   and their failure loses nothing.
 * - A connection owned by another customer is refused and never disconnected: that
 *   would revoke the other customer's tokens too.
 *
 * Key-value round trips: the session, customer and state in one read (the route reads
 * them), the store's read and its write, and the details' write: four.
 *
 * @module
 */
import { AppError } from "../errors.ts";
import {
  addSpendState,
  type ConnectStateData,
  type ConnectStateEntry,
  connectStateKeyOf,
  judgeConnectState,
} from "../db/connect_states.ts";
import {
  type AlsoInOp,
  type ReplaceChange,
  replaceConnection,
  type StoreChange,
  storeConnection,
} from "../db/connections.ts";
import {
  ConnectionOwnedElsewhere,
  DuplicateConnection,
  WriteConflict,
} from "../db/errors.ts";
import { connectionKey } from "../db/keys.ts";
import type { Connection, StoreConnectionInput } from "../db/schemas.ts";
import { retryTransient } from "../db/retry.ts";
import { FinchInvalidCode, type TokenGrant } from "../finch/gateway.ts";
import type { AppDeps } from "../http/env.ts";
import { recordEvents, storedEvents } from "../events/emit.ts";
import { enrich } from "./enrich.ts";
import { backToConnections, flowError } from "./errors.ts";
import type { Actor } from "./launch.ts";

/** What a completed callback did. */
export interface CompletedConnect {
  outcome: "created" | "refreshed" | "replaced" | "reconnected";
  connection: Connection;
}

/** How many times a store that lost a race is decided again before giving up. */
const SAVE_ROUNDS = 4;

/**
 * How long a callback whose code Finch refused as used waits for another delivery of the
 * same callback, which took the code a moment earlier, to store the run. That one stores
 * within milliseconds of Finch's answer (at most 155 ms among fifty deliveries at once
 * in one process); the wait runs out only when nobody will (the code was taken by a
 * request whose answer was lost, or was never valid), and then costs that page a second.
 */
const SETTLE_WAIT_MS = 1_000;

/** The state was spent by another callback between our read and our write. */
class StateSpent extends Error {
  override name = "StateSpent";
}

/**
 * Completes a Connect run. `stateEntry` is the state as read with the session (one
 * round trip for both); without it the state is read here.
 *
 * @example
 * ```ts
 * const done = await completeConnect(deps, actor, { code, state, redirect: true });
 * ```
 */
export async function completeConnect(
  deps: AppDeps,
  actor: Actor,
  input: {
    code: string;
    state: string;
    redirect: boolean;
    /** The state as read with the session; null when it could not be one of ours. */
    stateEntry?: ConnectStateEntry | null;
  },
): Promise<CompletedConnect> {
  const stateKey = connectStateKeyOf(input.state);
  const entry = input.stateEntry !== undefined
    ? input.stateEntry
    : stateKey
    ? await retryTransient(() => deps.kv.get(stateKey))
    : null;
  // The binding is checked before anything else: a callback replayed in another session
  // (or by another customer) is refused without exchanging its code, and leaves the
  // state for the browser that started the run.
  const judged = judgeConnectState(entry, {
    now: new Date(deps.now()),
    accept: (d) =>
      d.session_hash === actor.sessionHash &&
      d.customer_id === actor.customerId,
  });
  if (!judged.ok) throw stateProblem(judged.reason);
  const run = judged.data;

  let grant: TokenGrant;
  try {
    grant = await deps.finch.exchangeCode(input.code, {
      redirect: input.redirect,
    });
  } catch (err) {
    if (err instanceof FinchInvalidCode) {
      // Another delivery of this callback may have used the code and stored the run, or
      // be about to: Finch answered it a moment before us.
      if (stateKey && await spentMeanwhile(deps, stateKey)) {
        throw stateProblem("used");
      }
      throw new AppError(
        400,
        "code_invalid",
        "This sign-in has expired or was already used. Nothing was changed; please connect again.",
        { title: "Sign-in expired", action: backToConnections },
      );
    }
    // Nothing was spent: the same callback works again once Finch answers.
    throw flowError(err, "finish connecting");
  }
  if (!grantBelongsToRun(grant, run)) {
    deps.log("warn", "connect_grant_mismatch", {
      customer_id: actor.customerId,
      kind: run.kind,
    });
    throw new AppError(
      400,
      "code_mismatch",
      "This sign-in belongs to another connection attempt, so nothing was saved. Please connect again from this page.",
      { title: "Connection not saved", action: backToConnections },
    );
  }

  const now = new Date(deps.now());
  // The state is spent, and the integrator's event recorded, in the store's own op.
  const spend: AlsoInOp<StoreChange | ReplaceChange> = async (
    op,
    round,
    change,
  ) => {
    // A later round re-reads: the entry in hand is stale once a write lost to another.
    const current = round === 0 ? entry! : await deps.kv.get(entry!.key);
    const still = judgeConnectState(current, { now });
    if (!still.ok) throw new StateSpent();
    addSpendState(op, current, now);
    recordEvents(deps, op, storedEvents(change, run.kind, now.toISOString()));
  };
  let saved;
  try {
    saved = await saveGrant(
      deps,
      {
        customer_id: actor.customerId,
        connection_id: grant.connectionId,
        provider_id: grant.providerId,
        company_id: grant.companyId,
        access_token: grant.accessToken,
        products: grant.products,
        entity_ids: grant.entityIds,
        finch_customer_id: grant.finchCustomerId ?? run.finch_customer_id,
        attempt_slot: run.kind === "new" ? run.slot : undefined,
        client_type: grant.clientType,
        connection_type: grant.connectionType,
      },
      now,
      spend,
    );
  } catch (err) {
    if (err instanceof StateSpent) throw stateProblem("used");
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
    saved.outcome === "refreshed" && run.kind === "reauth"
      ? "reconnected"
      : saved.outcome;
  const { connection } = await enrich(
    deps,
    saved.connection,
    grant.accessToken,
    {
      known: {
        key: saved.key,
        value: saved.connection,
        versionstamp: saved.versionstamp,
      },
    },
  );
  deps.log("info", "connect_completed", {
    customer_id: actor.customerId,
    connection_id: connection.connection_id,
    outcome,
  });
  return { outcome, connection };
}

/** Whether a grant is what the run asked for (see the module doc). */
function grantBelongsToRun(
  grant: TokenGrant,
  run: ConnectStateData,
): boolean {
  if (run.kind === "reauth") return grant.connectionId === run.connection_id;
  // Finch echoes the Connect session's customer id in the grant. Every session the
  // portal starts names one, so a grant without it came from elsewhere: it cannot be
  // tied to this run and is refused like a grant naming another.
  return grant.finchCustomerId === run.finch_customer_id;
}

/**
 * Whether the state at `key` is spent (a stored run), now or within
 * {@linkcode SETTLE_WAIT_MS}: polled with a growing pause while it is still live.
 */
async function spentMeanwhile(
  deps: AppDeps,
  key: Deno.KvKey,
): Promise<boolean> {
  // Real time, not deps.now: this is a wait, and tests move their clocks.
  const deadline = Date.now() + SETTLE_WAIT_MS;
  for (let pause = 20;; pause = Math.min(pause * 2, 320)) {
    const judged = judgeConnectState(
      await retryTransient(() => deps.kv.get(key)),
    );
    if (!judged.ok) return judged.reason === "used";
    if (Date.now() + pause > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, pause));
  }
}

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
  also: AlsoInOp<StoreChange | ReplaceChange>,
): Promise<{
  outcome: "created" | "refreshed" | "replaced";
  connection: Connection;
  key: Deno.KvKey;
  versionstamp: string;
}> {
  const keyOf = (c: Connection) =>
    connectionKey(c.customer_id, c.connection_id);
  for (let round = 1;; round++) {
    try {
      try {
        const stored = await storeConnection(deps.kv, deps.sealer, input, {
          now,
          also,
        });
        return { ...stored, key: keyOf(stored.connection) };
      } catch (err) {
        if (!(err instanceof DuplicateConnection)) throw err;
        const replaced = await replaceConnection(
          deps.kv,
          deps.sealer,
          err,
          input,
          { now, also },
        );
        if (replaced.retired.access_token) {
          // No record uses the old connection any more (replaceConnection made it a
          // tombstone in the same op), so revoking it cannot hurt a stored token.
          await deps.finch.disconnect(replaced.retired.access_token).catch(
            (err) => {
              deps.log("warn", "retire_failed", {
                connection_id: replaced.retired.connection.connection_id,
                error: err instanceof Error ? err.name : "unknown",
              });
            },
          );
        }
        return { ...replaced, key: keyOf(replaced.connection) };
      }
    } catch (err) {
      if (!(err instanceof WriteConflict) || round >= SAVE_ROUNDS) throw err;
    }
  }
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
