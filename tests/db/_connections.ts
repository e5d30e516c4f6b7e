/** A clock and two customers, for the connection store's tests. */
import { upsertCustomer } from "../../lib/db/mod.ts";
import { testSealer } from "./_helpers.ts";

export const T0 = new Date("2025-01-01T00:00:00.000Z");
export const at = (minutes: number) =>
  new Date(T0.getTime() + minutes * 60_000);

export async function setup(kv: Deno.Kv) {
  await upsertCustomer(kv, { id: "acme", name: "Acme" });
  await upsertCustomer(kv, { id: "globex", name: "Globex" });
  return await testSealer();
}
