/**
 * The Finch gateway's typed errors and the data it hands out. Flows decide what to say
 * from these alone, without knowing the SDK.
 *
 * @module
 */

/** Finch could not be reached or answered with a server error, a timeout or 429. */
export class FinchUnavailable extends Error {
  override name = "FinchUnavailable";
  constructor(
    readonly step: string,
    readonly status?: number,
    readonly retryAfterS?: number,
  ) {
    super(`Finch did not answer ${step}${status ? ` (HTTP ${status})` : ""}`);
  }
}

/** Finch refused the request (a 4xx other than the cases below). */
export class FinchRejected extends Error {
  override name = "FinchRejected";
  constructor(
    readonly step: string,
    readonly status: number,
    readonly finchCode?: string,
  ) {
    super(
      `Finch refused ${step} (HTTP ${status}${
        finchCode ? `, ${finchCode}` : ""
      })`,
    );
  }
}

/** `POST /connect/sessions` for a Finch customer id that already has a connection. */
export class FinchConnectionExists extends Error {
  override name = "FinchConnectionExists";
  constructor(readonly connectionId: string) {
    super("Finch already has a connection for this customer id");
  }
}

/** The authorization code is unknown, used or expired (`invalid_grant`). */
export class FinchInvalidCode extends Error {
  override name = "FinchInvalidCode";
  constructor() {
    super("The authorization code is invalid, used or expired");
  }
}

/**
 * Finch accepted a data request but has no data yet (HTTP 202: the first sync is still
 * running, or the authorization is pending): ask again later.
 */
export class FinchDataNotReady extends Error {
  override name = "FinchDataNotReady";
  constructor(readonly step: string, readonly finchCode?: string) {
    super(`Finch has no data yet for ${step}`);
  }
}

/** The access token no longer works: the connection was disconnected or revoked. */
export class FinchTokenRevoked extends Error {
  override name = "FinchTokenRevoked";
  constructor(readonly step: string) {
    super(`Finch rejected the access token at ${step}`);
  }
}

/** A status Finch reports for a connection or an entity. */
export type FinchStatus =
  | "pending"
  | "processing"
  | "connected"
  | "reauth"
  | "error_no_account_setup"
  | "error_permissions"
  | "disconnected";

/** What the code exchange gives (`POST /auth/token`). */
export interface TokenGrant {
  accessToken: string;
  connectionId: string;
  companyId: string;
  providerId: string;
  products: string[];
  entityIds: string[];
  finchCustomerId: string | null;
  clientType: string;
  connectionType: string;
}

/** The parts of `GET /introspect` the portal keeps. */
export interface ConnectionDetails {
  connectionId: string;
  status: FinchStatus;
  statusMessage: string | null;
  lastSuccessfulSync: string | null;
  providerId: string;
  companyId: string | null;
  products: string[];
  entities: {
    id: string;
    name: string | null;
    source_id: string | null;
    status: FinchStatus;
  }[];
  authenticationMethods: { type: string; status: FinchStatus | null }[];
  username: string | null;
}

/** A payroll or HR provider from `GET /providers`. */
export interface Provider {
  id: string;
  displayName: string;
  logo: string | null;
}

/** A Connect session to send the employer to. */
export interface ConnectSession {
  sessionId: string;
  connectUrl: string;
}
