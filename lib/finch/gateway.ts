/**
 * The Finch gateway: the only code in the portal that talks to Finch, through the
 * official SDK (`@tryfinch/finch-api`).
 *
 * Each call chooses its retries and timeout on purpose (the SDK's default is two
 * retries on 408/409/429/5xx and a 60 s timeout, too slow for a page a person waits on),
 * and every SDK error leaves this module as one of the typed errors below, so the flows
 * decide what to say without knowing the SDK.
 */
import type FinchClient from "@tryfinch/finch-api";
import type { FinchProduct } from "../config.ts";
import {
  type ConnectionDetails,
  type ConnectSession,
  FinchConnectionExists,
  FinchInvalidCode,
  FinchRejected,
  type FinchStatus,
  FinchTokenRevoked,
  FinchUnavailable,
  type Provider,
  type TokenGrant,
} from "./errors.ts";
import { guardedFetch, retryAfterSeconds } from "./fetch.ts";
import { type RosterCalls, rosterCalls } from "./roster.ts";
import { type Finch, loadFinchSdk } from "./sdk.ts";

export * from "./errors.ts";
export type {
  DirectoryPage,
  DirectoryPerson,
  IndividualFacts,
  RosterCalls,
} from "./roster.ts";

export interface FinchGatewayOptions {
  clientId: string;
  clientSecret: string;
  baseUrl?: string;
  products: readonly FinchProduct[];
  sandbox?: "finch" | "provider";
  /**
   * Offer assisted providers too (`FINCH_MANUAL`): Finch's `manual` session option.
   * Their connections start pending until the provider grants access.
   */
  manual?: boolean;
  redirectUri: string;
  /** The SDK's `fetch` option, e.g. to reach an in-process simulator. */
  fetch?: typeof fetch;
  /** Scales every timeout; tests lower it to exercise timeouts quickly. */
  timeoutMs?: number;
  /** How long the provider list is cached. */
  providersTtlMs?: number;
  now?: () => number;
}

/**
 * Everything the portal asks of Finch; the people list's reads (directory, individual,
 * employment) are in lib/finch/roster.ts.
 */
export interface FinchGateway extends RosterCalls {
  createSession(input: {
    finchCustomerId: string;
    customerName: string;
    customerEmail?: string | null;
    providerId?: string;
    /** Redirect flow (with `redirect_uri`) or embedded flow (without). */
    redirect: boolean;
  }): Promise<ConnectSession>;
  reauthSession(
    input: { connectionId: string; redirect: boolean },
  ): Promise<ConnectSession>;
  exchangeCode(code: string, input: { redirect: boolean }): Promise<TokenGrant>;
  introspect(accessToken: string): Promise<ConnectionDetails>;
  /** The company's legal name (of one entity, for multi-entity connections). */
  companyName(accessToken: string, entityId?: string): Promise<string | null>;
  disconnect(accessToken: string): Promise<void>;
  /**
   * Disconnects entities of a multi-entity connection, the rest staying connected
   * (`POST /disconnect-entity`). False when Finch no longer knew them: they were
   * disconnected already.
   */
  disconnectEntities(
    accessToken: string,
    entityIds: string[],
  ): Promise<boolean>;
  providers(): Promise<Provider[]>;
}

/** Minutes a Connect session stays valid: a day is plenty for an admin at a desk. */
const SESSION_MINUTES = 24 * 60;

/**
 * Creates the gateway.
 *
 * @example
 * ```ts
 * const finch = createFinchGateway({ clientId, clientSecret, products, redirectUri });
 * const { connectUrl } = await finch.createSession({ finchCustomerId: "acme", ... });
 * ```
 */
export function createFinchGateway(options: FinchGatewayOptions): FinchGateway {
  const timeout = options.timeoutMs ?? 10_000;
  const now = options.now ?? Date.now;
  // The SDK is imported on the first call (lib/finch/sdk.ts), then kept.
  let sdk: { Finch: Finch; client: FinchClient } | null = null;
  const ready = async () => {
    if (sdk) return sdk;
    const Finch = await loadFinchSdk();
    sdk = {
      Finch,
      client: new Finch({
        clientID: options.clientId,
        clientSecret: options.clientSecret,
        baseURL: options.baseUrl,
        fetch: guardedFetch(
          options.fetch ?? ((input, init) => fetch(input, init)),
        ),
        timeout,
        maxRetries: 0,
        // No webhook secret here: webhooks are verified by their own module.
        webhookSecret: null,
        logLevel: "off",
      }),
    };
    return sdk;
  };
  let providerCache: { at: number; value: Promise<Provider[]> } | null = null;

  const bearer = async (token: string) =>
    (await ready()).client.withOptions({ accessToken: token });
  const mapError = async (
    err: unknown,
    step: string,
    auth?: "client" | "bearer",
  ) => toGatewayError((await ready()).Finch, err, step, auth);

  return {
    ...rosterCalls(bearer, mapError),

    async createSession(input) {
      try {
        const { client } = await ready();
        const res = await client.connect.sessions.new({
          customer_id: input.finchCustomerId,
          customer_name: input.customerName,
          customer_email: input.customerEmail || undefined,
          products: [...options.products],
          redirect_uri: input.redirect ? options.redirectUri : undefined,
          integration: input.providerId
            ? { provider: input.providerId }
            : undefined,
          sandbox: options.sandbox,
          manual: options.manual || undefined,
          minutes_to_expire: SESSION_MINUTES,
        }, { maxRetries: 1 });
        return { sessionId: res.session_id, connectUrl: res.connect_url };
      } catch (err) {
        const body = errorBody((await ready()).Finch, err);
        if (body?.finch_code === "connection_already_exists") {
          const connectionId =
            (body.context as Record<string, unknown> | undefined)
              ?.connection_id;
          if (typeof connectionId === "string") {
            throw new FinchConnectionExists(connectionId);
          }
        }
        throw await mapError(err, "creating the Connect session");
      }
    },

    async reauthSession(input) {
      try {
        const { client } = await ready();
        const res = await client.connect.sessions.reauthenticate({
          connection_id: input.connectionId,
          products: [...options.products],
          redirect_uri: input.redirect ? options.redirectUri : undefined,
          minutes_to_expire: SESSION_MINUTES,
        }, { maxRetries: 1 });
        return { sessionId: res.session_id, connectUrl: res.connect_url };
      } catch (err) {
        throw await mapError(err, "creating the reconnect session");
      }
    },

    async exchangeCode(code, input) {
      try {
        // Retrying is never worse here: a code the first attempt consumed answers
        // invalid_grant, which is what the caller would have seen anyway.
        const { client } = await ready();
        const res = await client.accessTokens.create({
          code,
          redirect_uri: input.redirect ? options.redirectUri : undefined,
        }, { maxRetries: 2 });
        if (!res.connection_id || !res.company_id || !res.access_token) {
          throw new FinchRejected(
            "exchanging the code",
            200,
            "incomplete_token_response",
          );
        }
        return {
          accessToken: res.access_token,
          connectionId: res.connection_id,
          companyId: res.company_id,
          providerId: res.provider_id,
          products: res.products ?? [],
          entityIds: res.entity_ids ?? [],
          finchCustomerId: res.customer_id ?? null,
          clientType: res.client_type,
          connectionType: res.connection_type,
        };
      } catch (err) {
        if (err instanceof FinchRejected) throw err;
        if (err instanceof (await ready()).Finch.BadRequestError) {
          throw new FinchInvalidCode();
        }
        throw await mapError(err, "exchanging the code");
      }
    },

    async introspect(accessToken) {
      try {
        const res = await (await bearer(accessToken)).account.introspect({
          maxRetries: 1,
        });
        const methods = res.authentication_methods ?? [];
        return {
          connectionId: res.connection_id,
          status: res.connection_status.status as FinchStatus,
          statusMessage: res.connection_status.message ?? null,
          lastSuccessfulSync: res.connection_status.last_successful_sync ??
            null,
          providerId: res.provider_id ?? res.payroll_provider_id,
          companyId: res.company_id ?? null,
          products: res.products ?? [],
          entities: (res.entities ?? []).map((e) => ({
            id: e.id,
            name: e.name ?? null,
            source_id: e.source_id ?? null,
            status: e.status as FinchStatus,
          })),
          authenticationMethods: methods.map((m) => ({
            type: m.type ?? "unknown",
            status: (m.connection_status?.status as FinchStatus | undefined) ??
              null,
          })),
          username: res.username ?? null,
        };
      } catch (err) {
        throw await mapError(err, "reading the connection", "bearer");
      }
    },

    async companyName(accessToken, entityId) {
      try {
        const res = await (await bearer(accessToken)).hris.company.retrieve(
          entityId ? { entity_ids: [entityId] } : {},
          { maxRetries: 1 },
        );
        // A 202 (data not synced yet) arrives as a body without `legal_name`.
        return typeof res.legal_name === "string" && res.legal_name
          ? res.legal_name
          : null;
      } catch (err) {
        throw await mapError(err, "reading the company", "bearer");
      }
    },

    async disconnect(accessToken) {
      try {
        await (await bearer(accessToken)).account.disconnect({ maxRetries: 2 });
      } catch (err) {
        throw await mapError(err, "disconnecting", "bearer");
      }
    },

    async disconnectEntities(accessToken, entityIds) {
      try {
        await (await bearer(accessToken)).account.disconnectEntity({
          entity_ids: entityIds,
        }, { maxRetries: 2 });
        return true;
      } catch (err) {
        // A 400 that names only entities Finch does not find: they are gone already.
        const body = errorBody((await ready()).Finch, err);
        const errors = body?.errors;
        if (
          Array.isArray(errors) && errors.length > 0 &&
          errors.every((e) => e?.error === "NOT_FOUND")
        ) return false;
        throw await mapError(err, "disconnecting the entity", "bearer");
      }
    },

    providers() {
      const ttl = options.providersTtlMs ?? 60 * 60_000;
      if (!providerCache || now() - providerCache.at > ttl) {
        const value = (async () => {
          try {
            const { client } = await ready();
            const page = await client.providers.list({
              maxRetries: 1,
              // The list is public; the SDK insists on a bearer token unless told not to.
              headers: { Authorization: null },
            });
            return page.items.map((p) => ({
              id: p.id,
              displayName: p.display_name,
              logo: p.logo ?? p.icon ?? null,
            }));
          } catch (err) {
            providerCache = null; // never cache a failure
            throw await mapError(err, "listing providers");
          }
        })();
        providerCache = { at: now(), value };
      }
      return providerCache.value;
    },
  };
}

function errorBody(
  Finch: Finch,
  err: unknown,
): Record<string, unknown> | undefined {
  if (
    err instanceof Finch.APIError && err.error && typeof err.error === "object"
  ) {
    return err.error as Record<string, unknown>;
  }
  return undefined;
}

/** Maps an SDK error to the gateway's typed errors. */
function toGatewayError(
  Finch: Finch,
  err: unknown,
  step: string,
  auth: "client" | "bearer" = "client",
): Error {
  if (err instanceof Finch.APIConnectionError) {
    return new FinchUnavailable(step);
  }
  if (err instanceof Finch.APIError && typeof err.status === "number") {
    const status = err.status;
    if (status === 429 || status === 408 || status >= 500) {
      return new FinchUnavailable(
        step,
        status,
        retryAfterSeconds(err.headers?.get("retry-after") ?? null),
      );
    }
    // A 401 on a bearer call means the token is revoked; on a client call, bad credentials.
    if (status === 401 && auth === "bearer") return new FinchTokenRevoked(step);
    const code = errorBody(Finch, err)?.finch_code;
    return new FinchRejected(
      step,
      status,
      typeof code === "string" ? code : undefined,
    );
  }
  if (err instanceof Error && err.name.startsWith("Finch")) return err;
  return new FinchUnavailable(step);
}
