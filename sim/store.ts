/**
 * The simulator's state and Finch's connection rules, independent of HTTP.
 *
 * The rules (reference §5, docs 002 and 004):
 * - a connection is one (provider_id, company_id) for the client; the same company name
 *   always gives the same company_id, so authorizing the pair again, with any username,
 *   reuses the live connection and mints a new token;
 * - a customer_id that converted (completed an authorization) into a live connection cannot
 *   get a new session: `connection_already_exists`; until then a repeated session returns the
 *   same session_id with refreshed parameters;
 * - reauthentication keeps the connection_id; `/disconnect` revokes every token of that
 *   connection and no other, and a disconnected connection is never revived;
 * - codes are single-use and live ten minutes.
 *
 * Over 400 lines on purpose: one class holds every rule about sessions, codes,
 * connections and tokens, because each rule reads and writes several of those records
 * together; split, the rules would reach across modules for one another's records.
 *
 * @module
 */

import {
  CODE_TTL_MS,
  REAUTH_SESSION_DEFAULT_MINUTES,
  SESSION_DEFAULT_MINUTES,
} from "./defaults.ts";
import {
  finchError,
  invalidGrant,
  invalidRequest,
  invalidToken,
  SimError,
} from "./errors.ts";
import {
  normalizeName,
  pick,
  randomUuid,
  seededRandom,
  tidyName,
  uuidFrom,
} from "./ids.ts";
import { type AuthType, defaultAuthMethod, findProvider } from "./providers.ts";
import { defaultHeadcount } from "./datagen/company.ts";
import { emptyOverlay, type Overlay } from "./datagen/overlay.ts";
import type { JobRecord, RuleRecord } from "./jobs.ts";
import type {
  ConnectionStatus,
  CreateSessionBody,
  ReauthSessionBody,
} from "./schemas.ts";

/** A Connect session (`POST /connect/sessions` or `/reauthenticate`). */
export interface SessionRecord {
  id: string;
  kind: "connect" | "reauth";
  customer_id: string;
  customer_name: string;
  customer_email: string | null;
  products: string[];
  redirect_uri: string | null;
  sandbox: "finch" | "provider" | null;
  manual: boolean;
  /** `integration.provider`: fixes the provider on the Connect page. */
  provider_id: string | null;
  auth_method: AuthType | null;
  /** The connection a reauthentication session is for. */
  connection_id: string | null;
  created_at: number;
  expires_at: number;
  completed_at: number | null;
  completed_connection_id: string | null;
}

/** One entity (legal entity or pay group) of a connection. */
export interface EntityRecord {
  id: string;
  name: string;
  source_id: string;
  status: ConnectionStatus | "disconnected";
}

/** A connection: one (provider_id, company_id) for the client. */
export interface ConnectionRecord {
  id: string;
  provider_id: string;
  company_id: string;
  company_name: string;
  account_id: string;
  status: ConnectionStatus;
  status_message: string | null;
  auth_method: AuthType;
  products: string[];
  customer_id: string | null;
  customer_name: string | null;
  customer_email: string | null;
  username: string | null;
  entities: EntityRecord[];
  client_type: "production" | "development" | "sandbox";
  connection_type: "finch" | "provider";
  headcount: number;
  created_at: number;
  updated_at: number;
  last_successful_sync: number | null;
  disconnected_at: number | null;
  initial_sync_sent: boolean;
  /** When a pending (assisted) connection goes live on its own; null: it waits. */
  go_live_at?: number | null;
}

/** An access token and what it was minted with. */
export interface TokenRecord {
  access_token: string;
  /** The token's own id (`/introspect` `id`). */
  id: string;
  connection_id: string;
  products: string[];
  username: string | null;
  customer_id: string | null;
  customer_name: string | null;
  customer_email: string | null;
  created_at: number;
  revoked_at: number | null;
}

/** An authorization code waiting for `/auth/token`. */
export interface CodeRecord {
  code: string;
  session_id: string;
  connection_id: string;
  redirect_uri: string | null;
  products: string[];
  username: string | null;
  customer_id: string;
  customer_name: string;
  customer_email: string | null;
  expires_at: number;
  used_at: number | null;
}

/** Everything the simulator remembers; plain JSON so it can be persisted as is. */
export interface SimData {
  sessions: Record<string, SessionRecord>;
  codes: Record<string, CodeRecord>;
  connections: Record<string, ConnectionRecord>;
  tokens: Record<string, TokenRecord>;
  /** customer_id -> the connection its authorization converted into. */
  customers: Record<string, string>;
  /** Sandbox edits and API writes per dataset (`company_id:provider_id`). */
  datasets: Record<string, Overlay>;
  /** Automated and manual jobs, by job_id. */
  jobs: Record<string, JobRecord>;
  /** Pay statement item rules, by connection_id. */
  rules: Record<string, RuleRecord[]>;
  /** Sandbox job outcome of `data_sync_all`, by connection_id. */
  job_configs: Record<string, string>;
}

/** What the Connect form submits once validated. */
export interface Authorization {
  provider_id: string;
  company_name: string;
  entities: string[];
  username: string | null;
}

/** Why a session cannot be used on the Connect page. */
export type SessionProblem =
  | "unknown"
  | "expired"
  | "completed"
  | "disconnected";

/** Options of {@link SimStore}. */
export interface SimStoreOptions {
  clientId: string;
  now: () => number;
  data?: SimData;
  /** Called after every mutation (persistence). */
  onChange?: () => void;
  /** People per new company; default a few dozen, varying by company (datagen/company.ts). */
  companySize?: number;
}

function emptyData(): SimData {
  return {
    sessions: {},
    codes: {},
    connections: {},
    tokens: {},
    customers: {},
    datasets: {},
    jobs: {},
    rules: {},
    job_configs: {},
  };
}

const SANDBOX_WORDS = [
  [
    "Bright",
    "Northwind",
    "Blue Harbor",
    "Summit",
    "Evergreen",
    "Redwood",
    "Golden Gate",
  ],
  [
    "Logistics",
    "Analytics",
    "Foods",
    "Robotics",
    "Health",
    "Studios",
    "Outfitters",
  ],
];

/** The simulator's state with Finch's rules as methods; errors are thrown as `SimError`. */
export class SimStore {
  readonly data: SimData;
  #clientId: string;
  #now: () => number;
  #onChange: () => void;
  #size: number | undefined;

  constructor(opts: SimStoreOptions) {
    this.#clientId = opts.clientId;
    this.#now = opts.now;
    // A state file from an older simulator lacks the newer collections.
    this.data = { ...emptyData(), ...opts.data };
    this.#onChange = opts.onChange ?? (() => {});
    this.#size = opts.companySize;
  }

  /** Records that the state changed (persists it). */
  changed(): void {
    this.#onChange();
  }

  /** The stored changes of a dataset, created on first write. */
  overlay(key: string): Overlay {
    return this.data.datasets[key] ??= emptyOverlay();
  }

  /** The deterministic company_id of a company name for this client. */
  companyId(name: string): string {
    return uuidFrom(this.#clientId, "company", normalizeName(name));
  }

  /** The deterministic id of an entity of a company. */
  entityId(companyId: string, name: string): string {
    return uuidFrom(this.#clientId, "entity", companyId, normalizeName(name));
  }

  /** The connection a customer_id converted into, if it is still live. */
  liveConnectionOfCustomer(customerId: string): ConnectionRecord | undefined {
    const id = this.data.customers[customerId];
    const conn = id ? this.data.connections[id] : undefined;
    return conn && conn.disconnected_at === null ? conn : undefined;
  }

  /** The live connection of a (provider, company) pair, if any. */
  livePair(
    providerId: string,
    companyId: string,
  ): ConnectionRecord | undefined {
    return Object.values(this.data.connections).find((c) =>
      c.provider_id === providerId && c.company_id === companyId &&
      c.disconnected_at === null
    );
  }

  /** `POST /connect/sessions`. */
  createSession(body: CreateSessionBody): SessionRecord {
    const existing = this.liveConnectionOfCustomer(body.customer_id);
    if (existing) {
      throw finchError(
        400,
        "bad_request",
        `There's an existing connection for the customer_id: ${body.customer_id}. Please use the /connect/sessions/reauthenticate endpoint instead.`,
        "connection_already_exists",
        {
          context: {
            customer_id: body.customer_id,
            connection_id: existing.id,
          },
        },
      );
    }
    if (body.integration && !findProvider(body.integration.provider)) {
      throw invalidRequest(`Unknown provider: ${body.integration.provider}`);
    }
    const now = this.#now();
    const minutes = body.minutes_to_expire ?? SESSION_DEFAULT_MINUTES;
    // An unconverted customer keeps one staged session: refresh it rather than make another.
    const staged = Object.values(this.data.sessions).find((s) =>
      s.kind === "connect" && s.customer_id === body.customer_id &&
      s.completed_at === null
    );
    const session: SessionRecord = {
      id: staged?.id ?? randomUuid(),
      kind: "connect",
      customer_id: body.customer_id,
      customer_name: body.customer_name,
      customer_email: body.customer_email ?? null,
      products: [...new Set(body.products)],
      redirect_uri: body.redirect_uri ?? null,
      sandbox: body.sandbox ?? null,
      manual: body.manual ?? false,
      provider_id: body.integration?.provider ?? null,
      auth_method: body.integration?.auth_method ?? null,
      connection_id: null,
      created_at: staged?.created_at ?? now,
      expires_at: now + minutes * 60_000,
      completed_at: null,
      completed_connection_id: null,
    };
    this.data.sessions[session.id] = session;
    this.#onChange();
    return session;
  }

  /** `POST /connect/sessions/reauthenticate`. */
  reauthSession(body: ReauthSessionBody): SessionRecord {
    const conn = this.data.connections[body.connection_id];
    if (!conn || conn.disconnected_at !== null) {
      throw finchError(
        400,
        "bad_request",
        "Connection not found",
        "invalid_request",
      );
    }
    const now = this.#now();
    const lastToken = this.tokensOf(conn.id).at(-1);
    const session: SessionRecord = {
      id: randomUuid(),
      kind: "reauth",
      customer_id: lastToken?.customer_id ?? conn.customer_id ?? "",
      customer_name: lastToken?.customer_name ?? conn.customer_name ?? "",
      customer_email: lastToken?.customer_email ?? conn.customer_email,
      products: body.products
        ? [...new Set(body.products)]
        : lastToken?.products ?? conn.products,
      redirect_uri: body.redirect_uri ?? null,
      sandbox: conn.connection_type === "finch" ? "finch" : null,
      manual: conn.auth_method === "assisted",
      provider_id: conn.provider_id,
      auth_method: conn.auth_method,
      connection_id: conn.id,
      created_at: now,
      expires_at: now +
        (body.minutes_to_expire ?? REAUTH_SESSION_DEFAULT_MINUTES) * 60_000,
      completed_at: null,
      completed_connection_id: null,
    };
    this.data.sessions[session.id] = session;
    this.#onChange();
    return session;
  }

  /** The session behind a Connect page, or why it cannot be used. */
  usableSession(
    id: string | undefined,
  ): { session: SessionRecord; problem?: undefined } | {
    session?: SessionRecord;
    problem: SessionProblem;
  } {
    const session = id ? this.data.sessions[id] : undefined;
    if (!session) return { problem: "unknown" };
    if (session.completed_at !== null) return { session, problem: "completed" };
    if (session.expires_at <= this.#now()) {
      return { session, problem: "expired" };
    }
    if (session.kind === "reauth") {
      const conn = this.data.connections[session.connection_id!];
      if (!conn || conn.disconnected_at !== null) {
        return { session, problem: "disconnected" };
      }
    }
    return { session };
  }

  /** The connection a reauthentication session targets. */
  reauthTarget(session: SessionRecord): ConnectionRecord | undefined {
    return session.connection_id
      ? this.data.connections[session.connection_id]
      : undefined;
  }

  /**
   * Completes Connect for a usable session: finds or creates the connection of the pair and
   * returns a fresh single-use code.
   */
  authorize(session: SessionRecord, auth: Authorization): CodeRecord {
    const now = this.#now();
    const provider = findProvider(auth.provider_id);
    if (!provider) {
      throw invalidRequest(`Unknown provider: ${auth.provider_id}`);
    }
    let conn: ConnectionRecord | undefined;
    if (session.kind === "reauth") {
      conn = this.reauthTarget(session);
      if (!conn || conn.disconnected_at !== null) {
        throw invalidRequest("Connection not found");
      }
    } else {
      conn = this.livePair(provider.id, this.companyId(auth.company_name));
    }
    if (conn) {
      conn.status = "connected";
      conn.status_message = null;
      conn.updated_at = now;
      conn.last_successful_sync = now;
      for (const e of conn.entities) {
        if (e.status !== "disconnected") e.status = "connected";
      }
      this.#mergeEntities(conn, auth.entities);
    } else {
      const authMethod =
        session.auth_method && provider.auth.includes(session.auth_method)
          ? session.auth_method
          : defaultAuthMethod(provider);
      conn = this.#newConnection({
        provider_id: provider.id,
        company_id: this.companyId(auth.company_name),
        company_name: tidyName(auth.company_name),
        auth_method: authMethod,
        customer_id: session.customer_id,
        customer_name: session.customer_name,
        customer_email: session.customer_email,
        connection_type: session.sandbox === "finch" ? "finch" : "provider",
        client_type: session.sandbox ? "sandbox" : "production",
        headcount: null,
      });
      this.#mergeEntities(conn, auth.entities);
    }
    conn.username = auth.username;
    conn.products = [...new Set([...conn.products, ...session.products])];
    session.completed_at = now;
    session.completed_connection_id = conn.id;
    if (session.kind === "connect") {
      this.data.customers[session.customer_id] = conn.id;
    }
    const code: CodeRecord = {
      code: randomUuid(),
      session_id: session.id,
      connection_id: conn.id,
      redirect_uri: session.redirect_uri,
      products: session.products,
      username: auth.username,
      customer_id: session.customer_id,
      customer_name: session.customer_name,
      customer_email: session.customer_email,
      expires_at: now + CODE_TTL_MS,
      used_at: null,
    };
    this.data.codes[code.code] = code;
    this.#onChange();
    return code;
  }

  #newConnection(
    init:
      & Pick<
        ConnectionRecord,
        | "provider_id"
        | "company_id"
        | "company_name"
        | "auth_method"
        | "customer_id"
        | "customer_name"
        | "customer_email"
        | "connection_type"
        | "client_type"
      >
      & { headcount: number | null },
  ): ConnectionRecord {
    const now = this.#now();
    const id = randomUuid();
    const assisted = init.auth_method === "assisted";
    const conn: ConnectionRecord = {
      ...init,
      id,
      account_id: uuidFrom(id, "account"),
      // Assisted connections wait for the provider to grant Finch access (reference §1.7).
      status: assisted ? "pending" : "connected",
      status_message: null,
      products: [],
      username: null,
      entities: [],
      headcount: init.headcount ?? this.#size ??
        defaultHeadcount(init.company_id, init.company_name),
      created_at: now,
      updated_at: now,
      last_successful_sync: assisted ? null : now,
      disconnected_at: null,
      initial_sync_sent: false,
    };
    this.data.connections[id] = conn;
    return conn;
  }

  /**
   * Adds entities by name. With no names a connection still has one entity, the company
   * itself, because Finch always returns `entity_ids`.
   */
  #mergeEntities(conn: ConnectionRecord, names: string[]): void {
    const wanted = names.length || conn.entities.length
      ? names
      : [conn.company_name];
    for (const name of wanted) {
      const id = this.entityId(conn.company_id, name);
      const found = conn.entities.find((e) => e.id === id);
      if (found) found.status = conn.status;
      else {
        conn.entities.push({
          id,
          name: tidyName(name),
          source_id: String(1000 + conn.entities.length),
          status: conn.status,
        });
      }
    }
  }

  /** `POST /auth/token` once the client is authenticated: spends a code on a new token. */
  exchange(
    codeValue: string,
    redirectUri: string | null | undefined,
  ): { token: TokenRecord; conn: ConnectionRecord; firstToken: boolean } {
    const code = this.data.codes[codeValue];
    const now = this.#now();
    if (!code) throw invalidGrant("Invalid authorization code");
    if (code.used_at !== null) {
      throw invalidGrant("Authorization code has already been used");
    }
    if (code.expires_at <= now) {
      throw invalidGrant("Authorization code has expired");
    }
    // A redirect_uri, when sent, must be the session's; the embedded flow (a session
    // without one) fails if it is sent (reference §1.6; Finch-API/react-connect#33).
    if (redirectUri && redirectUri !== code.redirect_uri) {
      throw invalidGrant(
        code.redirect_uri
          ? "redirect_uri does not match the one of the Connect session"
          : "redirect_uri must not be sent for a session without one (embedded flow)",
      );
    }
    const conn = this.data.connections[code.connection_id];
    if (!conn || conn.disconnected_at !== null) {
      throw invalidGrant("The connection of this code has been disconnected");
    }
    code.used_at = now;
    const firstToken = this.tokensOf(conn.id).length === 0;
    const token = this.#mint(conn, code);
    this.#onChange();
    return { token, conn, firstToken };
  }

  #mint(
    conn: ConnectionRecord,
    from: Pick<
      TokenRecord,
      | "products"
      | "username"
      | "customer_id"
      | "customer_name"
      | "customer_email"
    >,
  ): TokenRecord {
    const token: TokenRecord = {
      access_token: randomUuid(),
      id: randomUuid(),
      connection_id: conn.id,
      products: from.products,
      username: from.username,
      customer_id: from.customer_id,
      customer_name: from.customer_name,
      customer_email: from.customer_email,
      created_at: this.#now(),
      revoked_at: null,
    };
    this.data.tokens[token.access_token] = token;
    return token;
  }

  /** Every token ever minted for a connection, oldest first. */
  tokensOf(connectionId: string): TokenRecord[] {
    return Object.values(this.data.tokens).filter((t) =>
      t.connection_id === connectionId
    );
  }

  /** Resolves a bearer token; unknown or revoked tokens are a 401. */
  bearer(accessToken: string): { token: TokenRecord; conn: ConnectionRecord } {
    const token = this.data.tokens[accessToken];
    const conn = token ? this.data.connections[token.connection_id] : undefined;
    if (
      !token || !conn || token.revoked_at !== null ||
      conn.disconnected_at !== null
    ) {
      throw invalidToken();
    }
    return { token, conn };
  }

  /** `POST /disconnect`: revokes every token of the connection, for good. */
  disconnect(conn: ConnectionRecord): TokenRecord[] {
    const now = this.#now();
    conn.disconnected_at = now;
    conn.updated_at = now;
    for (const e of conn.entities) e.status = "disconnected";
    const revoked = this.tokensOf(conn.id).filter((t) => t.revoked_at === null);
    for (const t of revoked) t.revoked_at = now;
    this.#onChange();
    return revoked;
  }

  /** `POST /disconnect-entity`: all ids must be live entities of the connection. */
  disconnectEntities(conn: ConnectionRecord, ids: string[]): void {
    const missing = ids.filter((id) =>
      !conn.entities.some((e) => e.id === id && e.status !== "disconnected")
    );
    if (missing.length) {
      throw new SimError(400, {
        errors: missing.map((entityId) => ({ entityId, error: "NOT_FOUND" })),
      });
    }
    for (const e of conn.entities) {
      if (ids.includes(e.id)) e.status = "disconnected";
    }
    conn.updated_at = this.#now();
    this.#onChange();
  }

  /** `PUT /sandbox/connections/accounts`: sets the status of a connection and its entities. */
  setStatus(conn: ConnectionRecord, status: ConnectionStatus): void {
    const now = this.#now();
    conn.status = status;
    conn.status_message = status === "reauth"
      ? "The employer must reauthenticate this connection"
      : null;
    if (status === "connected") conn.last_successful_sync = now;
    for (const e of conn.entities) {
      if (e.status !== "disconnected") e.status = status;
    }
    conn.updated_at = now;
    this.#onChange();
  }

  /** Marks the first-sync webhook of a connection as sent; true the first time only. */
  claimInitialSync(conn: ConnectionRecord): boolean {
    if (conn.initial_sync_sent) return false;
    conn.initial_sync_sent = true;
    this.#onChange();
    return true;
  }

  /** `POST /sandbox/connections`: a new company on a provider, with a token. */
  sandboxConnection(input: {
    provider_id: string;
    authentication_type?: AuthType;
    products?: string[];
    employee_size?: number;
  }): { token: TokenRecord; conn: ConnectionRecord } {
    const provider = findProvider(input.provider_id);
    if (!provider) {
      throw invalidRequest(`Unknown provider: ${input.provider_id}`);
    }
    const seed = randomUuid();
    const rand = seededRandom(seed);
    const name = `${pick(rand, SANDBOX_WORDS[0])} ${
      pick(rand, SANDBOX_WORDS[1])
    } ${seed.slice(0, 4).toUpperCase()}, Inc.`;
    const conn = this.#newConnection({
      provider_id: provider.id,
      company_id: this.companyId(name),
      company_name: name,
      auth_method: input.authentication_type ?? defaultAuthMethod(provider),
      customer_id: null,
      customer_name: null,
      customer_email: null,
      connection_type: "finch",
      client_type: "sandbox",
      // Finch's sandbox default is 20 people; a configured size wins over it.
      headcount: input.employee_size ?? this.#size ?? 20,
    });
    return this.#sandboxToken(conn, input.products);
  }

  /** `POST /sandbox/connections/accounts`: a token for a known company on a provider. */
  sandboxAccount(input: {
    company_id: string;
    provider_id: string;
    authentication_type?: AuthType;
    products?: string[];
  }): { token: TokenRecord; conn: ConnectionRecord } {
    const provider = findProvider(input.provider_id);
    if (!provider) {
      throw invalidRequest(`Unknown provider: ${input.provider_id}`);
    }
    const known = Object.values(this.data.connections).find((c) =>
      c.company_id === input.company_id
    );
    if (!known) throw invalidRequest(`Company not found: ${input.company_id}`);
    const conn = this.livePair(provider.id, known.company_id) ??
      this.#newConnection({
        provider_id: provider.id,
        company_id: known.company_id,
        company_name: known.company_name,
        auth_method: input.authentication_type ?? defaultAuthMethod(provider),
        customer_id: null,
        customer_name: null,
        customer_email: null,
        connection_type: "finch",
        client_type: "sandbox",
        headcount: known.headcount,
      });
    return this.#sandboxToken(conn, input.products);
  }

  #sandboxToken(conn: ConnectionRecord, products?: string[]) {
    const list = products ??
      ["company", "directory", "employment", "individual"];
    this.#mergeEntities(conn, []);
    conn.products = [...new Set([...conn.products, ...list])];
    const token = this.#mint(conn, {
      products: list,
      username: null,
      customer_id: conn.customer_id,
      customer_name: conn.customer_name,
      customer_email: conn.customer_email,
    });
    this.#onChange();
    return { token, conn };
  }
}
