/**
 * Zod schemas of every stored record, and the types inferred from them.
 *
 * Values are validated and normalized here before they are written, so a key
 * and the value stored under it always agree (ids trimmed, products sorted
 * and unique, timestamps ISO-8601 UTC).
 *
 * @module
 */
import { z } from "zod";
import { InvalidInput } from "./errors.ts";

/**
 * The integrator's customer id. Its alphabet leaves out `~`, which the Finch
 * customer-id slots use as separator (see `attempts.ts`), so two customers can
 * never share a Finch customer id.
 */
export const CustomerId = z.string().regex(
  /^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$/,
  "1-100 chars: letters, digits, . _ : -, starting with a letter or digit",
);

/** An id issued by Finch (connection, company, entity): opaque, bounded. */
export const FinchId = z.string().trim().min(1).max(200);

/** ISO-8601 UTC timestamp as produced by `Date#toISOString`. */
export const Timestamp = z.iso.datetime();

/** Statuses Finch spells in old docs, mapped to today's names. */
const LEGACY_STATUS: Record<string, string> = {
  error_reauth: "reauth",
  error_no_acount_setup: "error_no_account_setup",
};

/**
 * Finch's `ConnectionStatusType` plus `disconnected`, which webhooks and
 * entity statuses use. Legacy spellings are normalized.
 */
export const ConnectionStatus = z.preprocess(
  (v) => typeof v === "string" ? LEGACY_STATUS[v] ?? v : v,
  z.enum([
    "pending",
    "processing",
    "connected",
    "reauth",
    "error_no_account_setup",
    "error_permissions",
    "disconnected",
  ]),
);
/** A connection or entity status. */
export type ConnectionStatus = z.infer<typeof ConnectionStatus>;

/** Finch product scopes: unique and sorted so refreshes compare equal. */
export const Products = z.array(z.string().trim().min(1).max(50)).max(50)
  .transform((p) => [...new Set(p)].sort());

/** One legal entity / pay group of a connection. */
export const Entity = z.object({
  id: FinchId,
  name: z.string().max(500).nullable(),
  source_id: z.string().max(500).nullable(),
  status: ConnectionStatus,
  /** Time of the information `status` came from; orders webhook events. */
  status_at: Timestamp,
});
export type Entity = z.infer<typeof Entity>;

/** One authentication method as introspect reports it. */
export const AuthenticationMethod = z.object({
  type: z.string().min(1).max(50),
  status: ConnectionStatus.nullable(),
  products: Products,
});
export type AuthenticationMethod = z.infer<typeof AuthenticationMethod>;

/** A customer of the integrator (an employer). */
export const Customer = z.object({
  id: CustomerId,
  name: z.string().trim().min(1).max(200),
  email: z.email().max(320).nullable(),
  /** Portal links issued before this instant are rejected; null: none revoked. */
  links_valid_after: Timestamp.nullable(),
  /**
   * The layout the customer's records are kept in (lib/db/layout.ts); absent on a
   * customer from before release 2, whose records are brought up to date when first
   * listed.
   */
  layout: z.number().int().min(1).optional(),
  created_at: Timestamp,
  updated_at: Timestamp,
});
export type Customer = z.infer<typeof Customer>;

/** A stored Finch connection. Never holds the token (see `connection_tokens`). */
export const Connection = z.object({
  connection_id: FinchId,
  customer_id: CustomerId,
  provider_id: FinchId,
  company_id: FinchId,
  company_name: z.string().max(500).nullable(),
  status: ConnectionStatus,
  status_message: z.string().max(2000).nullable(),
  /** Time of the information `status` came from; older events are ignored. */
  status_at: Timestamp,
  products: Products,
  entities: z.array(Entity).max(500),
  /** The Connect `customer_id` (attempt slot) the connection was made under. */
  finch_customer_id: z.string().min(1).max(255),
  client_type: z.string().max(50).nullable(),
  connection_type: z.string().max(50).nullable(),
  authentication_methods: z.array(AuthenticationMethod).max(20).nullable(),
  last_synced_at: Timestamp.nullable(),
  token_updated_at: Timestamp,
  created_at: Timestamp,
  updated_at: Timestamp,
});
export type Connection = z.infer<typeof Connection>;

/**
 * Who ended a connection: the employer on its page, the integrator through the API, or
 * the portal itself (`system`: the same company connected again under a new Finch
 * connection, which retires the old one).
 */
export const DisconnectedBy = z.enum(["employer", "api", "system"]);
export type DisconnectedBy = z.infer<typeof DisconnectedBy>;

/** A disconnect's receipt, kept on the tombstone and sent with the event. */
export const DisconnectReceipt = z.object({
  by: DisconnectedBy,
  /**
   * Whether Finch confirmed the revocation (false: it had already revoked it); null when
   * the portal retires a connection and revokes it upstream only afterwards.
   */
  revoked_upstream: z.boolean().nullable(),
  disconnected_at: Timestamp,
  /** The connection that took its place (`system` only). */
  replaced_by: FinchId.nullable(),
});
export type DisconnectReceipt = z.infer<typeof DisconnectReceipt>;

/**
 * A disconnected connection's tombstone: the record as it last was, with status
 * `disconnected` and the receipt. No token exists for it any more.
 */
export const DisconnectedConnection = Connection.extend({
  status: z.literal("disconnected"),
  disconnect: DisconnectReceipt,
});
export type DisconnectedConnection = z.infer<typeof DisconnectedConnection>;

/** Entity detail a caller may supply (introspect); status defaults apply. */
export const EntityInput = z.object({
  id: FinchId,
  name: z.string().max(500).nullable().default(null),
  source_id: z.string().max(500).nullable().default(null),
  status: ConnectionStatus.optional(),
});
export type EntityInput = z.input<typeof EntityInput>;

/** What `storeConnection` needs: token exchange plus optional introspect data. */
export const StoreConnectionInput = z.object({
  customer_id: CustomerId,
  connection_id: FinchId,
  provider_id: FinchId,
  company_id: FinchId,
  access_token: z.string().min(1).max(4096),
  products: Products,
  /** `entity_ids` from `/auth/token`. */
  entity_ids: z.array(FinchId).max(500).default([]),
  /** Entity detail from `/introspect`, merged over `entity_ids`. */
  entities: z.array(EntityInput).max(500).default([]),
  finch_customer_id: z.string().min(1).max(255),
  /** The attempt slot this Connect run used; it is advanced in the same op. */
  attempt_slot: z.number().int().min(1).optional(),
  company_name: z.string().max(500).nullable().default(null),
  /** Defaults to `connected`: Finch just issued a token. */
  status: ConnectionStatus.default("connected"),
  status_message: z.string().max(2000).nullable().default(null),
  client_type: z.string().max(50).nullable().default(null),
  connection_type: z.string().max(50).nullable().default(null),
  authentication_methods: z.array(AuthenticationMethod).max(20).nullable()
    .default(null),
});
export type StoreConnectionInput = z.input<typeof StoreConnectionInput>;

/** Fields `updateConnection` may change. */
export const ConnectionPatch = z.object({
  company_name: z.string().max(500).nullable().optional(),
  status: ConnectionStatus.optional(),
  status_message: z.string().max(2000).nullable().optional(),
  /** When the patch's status was observed; defaults to now. */
  status_at: Timestamp.optional(),
  /** Authoritative entity list (introspect); replaces the stored one. */
  entities: z.array(EntityInput).max(500).optional(),
  products: Products.optional(),
  authentication_methods: z.array(AuthenticationMethod).max(20).nullable()
    .optional(),
  last_synced_at: Timestamp.nullable().optional(),
  client_type: z.string().max(50).nullable().optional(),
  connection_type: z.string().max(50).nullable().optional(),
}).strict();
export type ConnectionPatch = z.input<typeof ConnectionPatch>;

/**
 * Parses `value` with `schema`, turning a Zod failure into
 * {@linkcode InvalidInput} that names fields but never echoes values.
 *
 * @example
 * ```ts
 * const id = parse(CustomerId, "acme", "customer id");
 * ```
 */
export function parse<S extends z.ZodType>(
  schema: S,
  value: unknown,
  what: string,
): z.output<S> {
  const res = schema.safeParse(value);
  if (res.success) return res.data;
  throw new InvalidInput(
    what,
    res.error.issues.map((i) =>
      `${i.path.length ? i.path.join(".") : "value"}: ${i.message}`
    ),
  );
}

/** Normalizes a Date or ISO string to ISO-8601 UTC. @example `iso(new Date())` */
export function iso(at: Date | string): string {
  const d = typeof at === "string" ? new Date(at) : at;
  if (Number.isNaN(d.getTime())) throw new InvalidInput("timestamp", ["at"]);
  return d.toISOString();
}
