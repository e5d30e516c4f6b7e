/** What a disconnect did, in words: the receipt the employer sees. */
import type { ConnectionView } from "../lib/views.ts";
import { formatDateTime } from "./status.ts";

export function disconnectReceipt(
  view: ConnectionView,
  receipt: { revokedUpstream: boolean; disconnectedAt: string },
): string {
  const company = view.company_name ?? "your company";
  const entities = view.entities.length > 1
    ? ` It covered ${
      view.entities.map((e) => e.name ?? "an unnamed company").join(", ")
    }.`
    : "";
  const revoked = receipt.revokedUpstream
    ? `its access at ${view.provider_name} was revoked and data sharing has stopped`
    : `${view.provider_name} had already ended it, and what was stored here is deleted`;
  return `${view.provider_name} for ${company} is disconnected: ${revoked} ` +
    `(${formatDateTime(receipt.disconnectedAt)}).${entities}`;
}

/** What disconnecting one entity did: named, with what stays connected. */
export function entityReceipt(
  view: ConnectionView,
  receipt: {
    entity: { name: string | null };
    revokedUpstream: boolean;
    disconnectedAt: string;
  },
): string {
  const entity = receipt.entity.name ?? "The company";
  const rest = view.entities.map((e) => e.name ?? "an unnamed company")
    .join(", ");
  return `${entity} is disconnected from ${view.provider_name}: ` +
    `its data sharing has stopped (${
      formatDateTime(receipt.disconnectedAt)
    }). Still connected: ${rest}.`;
}
