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
      view.entities.map((e) => e.name ?? "an unnamed entity").join(", ")
    }.`
    : "";
  const revoked = receipt.revokedUpstream
    ? "Finch revoked every access token of this connection and data sharing has stopped"
    : "Finch had already ended this connection; the access stored here was deleted";
  return `${view.provider_name} for ${company} is disconnected: ${revoked} ` +
    `(${formatDateTime(receipt.disconnectedAt)}).${entities}`;
}
