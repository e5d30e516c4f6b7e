/**
 * Customers: the integrator's employers, keyed by the integrator's own id.
 *
 * The customer record also carries `links_valid_after`, the revocation mark
 * the portal-link verifier and {@linkcode getPortalSession} honour.
 *
 * @module
 */
import { NotFound } from "./errors.ts";
import { CURRENT_LAYOUT } from "./layout.ts";
import { customerKey, customersPrefix } from "./keys.ts";
import { listPage, type Page, type PageOptions } from "./page.ts";
import { decideLoop, retryTransient } from "./retry.ts";
import { Customer, CustomerId, iso, parse } from "./schemas.ts";

/** Input of {@linkcode upsertCustomer}. */
export interface CustomerInput {
  id: string;
  name: string;
  email?: string | null;
}

/**
 * Creates or updates a customer (name, email); keeps `created_at` and
 * `links_valid_after`.
 *
 * @example
 * ```ts
 * const { outcome, customer } = await upsertCustomer(kv, { id: "acme", name: "Acme" });
 * // outcome: "created" | "updated"
 * ```
 */
export async function upsertCustomer(
  kv: Deno.Kv,
  input: CustomerInput,
  options: { now?: Date } = {},
): Promise<{ outcome: "created" | "updated"; customer: Customer }> {
  const id = parse(CustomerId, input?.id, "customer id");
  return await decideLoop<
    { outcome: "created" | "updated"; customer: Customer }
  >(
    `upsert customer ${id}`,
    async () => {
      const entry = await kv.get<Customer>(customerKey(id));
      const now = iso(options.now ?? new Date());
      const customer = parse(Customer, {
        id,
        name: input.name,
        email: input.email ?? null,
        links_valid_after: entry.value?.links_valid_after ?? null,
        // A new customer has no records yet: they are in today's layout from the start.
        layout: entry.value ? entry.value.layout : CURRENT_LAYOUT,
        created_at: entry.value?.created_at ?? now,
        updated_at: now,
      }, "customer");
      return {
        commit: () => kv.atomic().check(entry).set(customerKey(id), customer),
        result: { outcome: entry.value ? "updated" : "created", customer },
      };
    },
  );
}

/**
 * A customer, or null.
 *
 * @example
 * ```ts
 * const customer = await getCustomer(kv, "acme");
 * ```
 */
export async function getCustomer(
  kv: Deno.Kv,
  id: string,
): Promise<Customer | null> {
  if (!CustomerId.safeParse(id).success) return null;
  const entry = await retryTransient(() => kv.get<Customer>(customerKey(id)));
  return entry.value;
}

/**
 * Revokes every portal link issued at or before `at` (default now), and the portal
 * sessions those links opened, whenever they were opened (see portal_sessions.ts).
 * Throws {@linkcode NotFound}.
 *
 * @example
 * ```ts
 * await revokePortalLinks(kv, "acme");
 * ```
 */
export async function revokePortalLinks(
  kv: Deno.Kv,
  id: string,
  at: Date = new Date(),
): Promise<Customer> {
  return await decideLoop(`revoke links of ${id}`, async () => {
    const entry = CustomerId.safeParse(id).success
      ? await kv.get<Customer>(customerKey(id))
      : null;
    if (!entry?.value) throw new NotFound("customer", id);
    const customer: Customer = {
      ...entry.value,
      links_valid_after: iso(at),
      updated_at: iso(new Date()),
    };
    return {
      commit: () => kv.atomic().check(entry).set(customerKey(id), customer),
      result: customer,
    };
  });
}

/**
 * One page of customers in id order.
 *
 * @example
 * ```ts
 * const { values, cursor } = await listCustomers(kv, { limit: 20 });
 * const next = cursor ? await listCustomers(kv, { cursor }) : null;
 * ```
 */
export async function listCustomers(
  kv: Deno.Kv,
  options: PageOptions = {},
): Promise<Page<Customer>> {
  return await listPage<Customer>(kv, customersPrefix(), options);
}
