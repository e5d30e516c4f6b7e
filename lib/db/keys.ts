/**
 * Every KV key tuple of the app, spelled once.
 *
 * Routes and other modules never build keys by hand; they call these. Layout:
 *
 * | key | value | why |
 * | --- | --- | --- |
 * | `["customers", customer_id]` | Customer | |
 * | `["connections", customer_id, connection_id]` | Connection | keyed by customer so tenancy is structural: a customer's prefix lists only its own |
 * | `["connections_by_added", customer_id, created_ms, connection_id]` | Connection (a copy) | the page's order, newest first, in one list; written and deleted in the record's own op |
 * | `["connections_by_id", connection_id]` | `{customer_id, disconnected_at?}` | one owning customer per Finch connection id, kept after a disconnect (then pointing to the tombstone); webhook / integrator lookups |
 * | `["connections_by_company", customer_id, provider_id, company_id]` | connection_id | one live connection per (customer, provider, company) |
 * | `["connection_tokens", connection_id]` | sealed token string | apart from the record so listing records never loads tokens, and rekey can scan one prefix |
 * | `["disconnected_connections", customer_id, connection_id]` | DisconnectedConnection | a disconnect's tombstone: readable by id, apart from the live prefix so the page never lists it |
 * | `["events", event_id]` | StoredEvent, with `expireIn` 30 days | the integrator events feed and each event's delivery state; ids are ULIDs, so key order is the order events happened |
 * | `["events_undelivered", event_id]` | the queue message, if KV gave up on it | `keysIfUndelivered` of every delivery job; swept back into the queue when a worker starts (lib/events/worker.ts) |
 * | `["connect_attempts", customer_id]` | `{slot, ...}` | the customer's current Finch customer-id slot |
 * | `["connect_attempt_log", customer_id, slot]` | what happened to the slot | debugging aid |
 * | `["portal_sessions", customer_id, sha256(token)]` | PortalSession | only a hash of the cookie value is stored; under the customer, so one read fetches a session and its customer |
 * | `["portal_link_redemptions", link_id]` | `{customer_id, redeemed_at}`, with `expireIn` | a single-use portal link's redemption, written with its session |
 * | `["connect_states", sha256(state)]` | ConnectState or a tombstone | single-use callback state |
 * | `["webhook_events", event_id]` | `{seen_at, expires_at}` | webhook dedupe |
 * | `["settings", name]` | any | app settings (demo-mode secrets, ...) |
 * | `["rate_limits", rule, subject, window_start_ms]` | count, with `expireIn` | a rate limit's fixed-window counter (lib/http/rate_limit.ts) |
 * | `["status_refresh_leases", connection_id]` | `{until}`, with `expireIn` | one status refresh per connection at a time (lib/flows/refresh.ts) |
 * | `["token_reads", id]` | AuditEntry, with `expireIn` | the audit log of access token reads, oldest first (ids are ULIDs) |
 * | `["token_reads_by_connection", connection_id, id]` | AuditEntry, with `expireIn` | the same entries per connection, for `?connection_id=` |
 * | `["people_jobs", customer_id]` | PeopleJob | the customer's people job: its state machine (lib/people/job.ts) |
 * | `["people_job_connections", customer_id, job_id, connection_id]` | JobConnection | where one connection's fetch stands in a job (its directory offset) |
 * | `["people_rosters", customer_id, connection_id, job_id, offset]` | sealed page of records | a connection's fetched people, ~100 per value |
 * | `["people_roster_meta", customer_id, connection_id]` | RosterMeta | which job's pages are the connection's current roster |
 * | `["people_results", customer_id]` | PeopleResult | the reconciled list's header: its id, time, counts, digest, connections |
 * | `["people_chunks", customer_id, result_id, n]` | sealed page of people | the reconciled list, 100 people per value |
 * | `["people_conflict_chunks", customer_id, result_id, n]` | sealed page of conflicts | its conflicts |
 * | `["people_summary", customer_id]` | PeopleSummary | counts for the page, no personal data |
 * | `["people_requests", customer_id]` | KvU64 ms | the latest time a job was asked for (a job started before it is not the latest) |
 *
 * Collections are snake_case, indexes `<collection>_by_<field>`.
 *
 * @module
 */

/** Prefix of all customers, for listing. @example `kv.list({ prefix: customersPrefix() })` */
export const customersPrefix = (): Deno.KvKey => ["customers"];

/** A customer record. @example `customerKey("acme")` */
export const customerKey = (customer_id: string): Deno.KvKey => [
  "customers",
  customer_id,
];

/** Prefix of one customer's connections. @example `connectionsPrefix("acme")` */
export const connectionsPrefix = (customer_id: string): Deno.KvKey => [
  "connections",
  customer_id,
];

/**
 * Prefix of one customer's live connections in the order they were first added: the
 * page lists it newest first. @example `connectionsByAddedPrefix("acme")`
 */
export const connectionsByAddedPrefix = (customer_id: string): Deno.KvKey => [
  "connections_by_added",
  customer_id,
];

/**
 * A live connection's copy in added order (its `created_at` in ms, then its id).
 * @example `connectionByAddedKey("acme", 1767225600000, "conn_1")`
 */
export const connectionByAddedKey = (
  customer_id: string,
  created_ms: number,
  connection_id: string,
): Deno.KvKey => [
  "connections_by_added",
  customer_id,
  created_ms,
  connection_id,
];

/** A connection record. @example `connectionKey("acme", "conn_1")` */
export const connectionKey = (
  customer_id: string,
  connection_id: string,
): Deno.KvKey => ["connections", customer_id, connection_id];

/** Owner index of a Finch connection id. @example `connectionOwnerKey("conn_1")` */
export const connectionOwnerKey = (connection_id: string): Deno.KvKey => [
  "connections_by_id",
  connection_id,
];

/**
 * Uniqueness index of (customer, provider, company).
 * @example `connectionCompanyKey("acme", "gusto", "co_1")`
 */
export const connectionCompanyKey = (
  customer_id: string,
  provider_id: string,
  company_id: string,
): Deno.KvKey => [
  "connections_by_company",
  customer_id,
  provider_id,
  company_id,
];

/** Prefix of all sealed tokens, for rekey. @example `connectionTokensPrefix()` */
export const connectionTokensPrefix = (): Deno.KvKey => ["connection_tokens"];

/** Sealed access token of a connection. @example `connectionTokenKey("conn_1")` */
export const connectionTokenKey = (connection_id: string): Deno.KvKey => [
  "connection_tokens",
  connection_id,
];

/**
 * A disconnected connection's tombstone.
 * @example `disconnectedConnectionKey("acme", "conn_1")`
 */
export const disconnectedConnectionKey = (
  customer_id: string,
  connection_id: string,
): Deno.KvKey => ["disconnected_connections", customer_id, connection_id];

/**
 * Prefix of one customer's tombstones.
 * @example `disconnectedConnectionsPrefix("acme")`
 */
export const disconnectedConnectionsPrefix = (
  customer_id: string,
): Deno.KvKey => ["disconnected_connections", customer_id];

/** Prefix of every integrator event, in order. @example `eventsPrefix()` */
export const eventsPrefix = (): Deno.KvKey => ["events"];

/** One integrator event with its delivery state. @example `eventKey("01J...")` */
export const eventKey = (event_id: string): Deno.KvKey => ["events", event_id];

/**
 * Where KV leaves a delivery job it could not hand to a listener.
 * @example `eventUndeliveredKey("01J...")`
 */
export const eventUndeliveredKey = (event_id: string): Deno.KvKey => [
  "events_undelivered",
  event_id,
];

/** Prefix of the jobs KV gave up on. @example `eventsUndeliveredPrefix()` */
export const eventsUndeliveredPrefix = (): Deno.KvKey => ["events_undelivered"];

/** Current Connect attempt slot of a customer. @example `connectAttemptKey("acme")` */
export const connectAttemptKey = (customer_id: string): Deno.KvKey => [
  "connect_attempts",
  customer_id,
];

/** Prefix of a customer's attempt log. @example `connectAttemptLogPrefix("acme")` */
export const connectAttemptLogPrefix = (customer_id: string): Deno.KvKey => [
  "connect_attempt_log",
  customer_id,
];

/** What happened on one slot. @example `connectAttemptLogKey("acme", 2)` */
export const connectAttemptLogKey = (
  customer_id: string,
  slot: number,
): Deno.KvKey => ["connect_attempt_log", customer_id, slot];

/**
 * Portal session by its customer and the hash of its cookie value.
 * @example `portalSessionKey("acme", sha256("tok"))`
 */
export const portalSessionKey = (
  customer_id: string,
  session_hash: string,
): Deno.KvKey => ["portal_sessions", customer_id, session_hash];

/**
 * The redemption mark of a single-use portal link, by the link's id.
 * @example `portalLinkRedemptionKey("9fJ2kQ")`
 */
export const portalLinkRedemptionKey = (link_id: string): Deno.KvKey => [
  "portal_link_redemptions",
  link_id,
];

/** Callback state by hash of the state string. @example `connectStateKey(hash)` */
export const connectStateKey = (state_hash: string): Deno.KvKey => [
  "connect_states",
  state_hash,
];

/** Seen webhook event. @example `webhookEventKey("msg_123")` */
export const webhookEventKey = (event_id: string): Deno.KvKey => [
  "webhook_events",
  event_id,
];

/** An app setting. @example `settingKey("token_keys")` */
export const settingKey = (name: string): Deno.KvKey => ["settings", name];

/**
 * A rate limit's counter for one subject and window (lib/http/rate_limit.ts).
 * @example `rateLimitKey("linkPerAddress", "203.0.113.9", 1767225600000)`
 */
export const rateLimitKey = (
  rule: string,
  subject: string,
  window_start_ms: number,
): Deno.KvKey => ["rate_limits", rule, subject, window_start_ms];

/**
 * The short lease that lets one page view refresh a connection's status
 * (lib/flows/refresh.ts). @example `statusRefreshLeaseKey("conn_1")`
 */
export const statusRefreshLeaseKey = (connection_id: string): Deno.KvKey => [
  "status_refresh_leases",
  connection_id,
];

/** Prefix of the token-read audit log. @example `tokenReadsPrefix()` */
export const tokenReadsPrefix = (): Deno.KvKey => ["token_reads"];

/** One audit entry of a token read, by its ULID. @example `tokenReadKey(id)` */
export const tokenReadKey = (id: string): Deno.KvKey => ["token_reads", id];

/**
 * Prefix of one connection's token-read audit entries.
 * @example `tokenReadsByConnectionPrefix("conn_1")`
 */
export const tokenReadsByConnectionPrefix = (
  connection_id: string,
): Deno.KvKey => ["token_reads_by_connection", connection_id];

/**
 * One connection's copy of a token-read audit entry.
 * @example `tokenReadByConnectionKey("conn_1", id)`
 */
export const tokenReadByConnectionKey = (
  connection_id: string,
  id: string,
): Deno.KvKey => ["token_reads_by_connection", connection_id, id];

/** A customer's people job. @example `peopleJobKey("acme")` */
export const peopleJobKey = (customer_id: string): Deno.KvKey => [
  "people_jobs",
  customer_id,
];

/** One connection's fetch in a job. @example `peopleJobConnectionKey("acme", job, "conn_1")` */
export const peopleJobConnectionKey = (
  customer_id: string,
  job_id: string,
  connection_id: string,
): Deno.KvKey => ["people_job_connections", customer_id, job_id, connection_id];

/** Prefix of a job's connection states. @example `peopleJobConnectionsPrefix("acme", job)` */
export const peopleJobConnectionsPrefix = (
  customer_id: string,
  job_id: string,
): Deno.KvKey => ["people_job_connections", customer_id, job_id];

/**
 * Prefix of a connection's roster pages (every job's), or one job's with `job_id`.
 * @example `peopleRosterPrefix("acme", "conn_1")`
 */
export const peopleRosterPrefix = (
  customer_id: string,
  connection_id?: string,
  job_id?: string,
): Deno.KvKey =>
  ["people_rosters", customer_id, connection_id, job_id].filter((p) =>
    p !== undefined
  ) as Deno.KvKey;

/** One roster page, by its first directory offset. @example `peopleRosterKey("acme", "conn_1", job, 0)` */
export const peopleRosterKey = (
  customer_id: string,
  connection_id: string,
  job_id: string,
  offset: number,
): Deno.KvKey => ["people_rosters", customer_id, connection_id, job_id, offset];

/** Which job's pages are a connection's roster. @example `peopleRosterMetaKey("acme", "conn_1")` */
export const peopleRosterMetaKey = (
  customer_id: string,
  connection_id: string,
): Deno.KvKey => ["people_roster_meta", customer_id, connection_id];

/** Prefix of a customer's roster headers. @example `peopleRosterMetaPrefix("acme")` */
export const peopleRosterMetaPrefix = (customer_id: string): Deno.KvKey => [
  "people_roster_meta",
  customer_id,
];

/** The reconciled list's header. @example `peopleResultKey("acme")` */
export const peopleResultKey = (customer_id: string): Deno.KvKey => [
  "people_results",
  customer_id,
];

/**
 * Prefix of a customer's list pages (every result's), or one result's.
 * @example `peopleChunksPrefix("people_chunks", "acme")`
 */
export const peopleChunksPrefix = (
  kind: "people_chunks" | "people_conflict_chunks",
  customer_id: string,
  result_id?: string,
): Deno.KvKey =>
  (result_id === undefined
    ? [kind, customer_id]
    : [kind, customer_id, result_id]) as Deno.KvKey;

/** One page of a list. @example `peopleChunkKey("people_chunks", "acme", id, 0)` */
export const peopleChunkKey = (
  kind: "people_chunks" | "people_conflict_chunks",
  customer_id: string,
  result_id: string,
  n: number,
): Deno.KvKey => [kind, customer_id, result_id, n];

/** The page's counts. @example `peopleSummaryKey("acme")` */
export const peopleSummaryKey = (customer_id: string): Deno.KvKey => [
  "people_summary",
  customer_id,
];

/** When a people job was last asked for. @example `peopleRequestKey("acme")` */
export const peopleRequestKey = (customer_id: string): Deno.KvKey => [
  "people_requests",
  customer_id,
];
