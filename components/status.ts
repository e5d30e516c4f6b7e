/** Connection statuses in plain words, for badges and alerts. */
import type { ConnectionView } from "../lib/views.ts";

export interface StatusWords {
  label: string;
  tone: "ok" | "wait" | "warn" | "error";
  /** A sentence for the admin, when there is something to know or do. */
  explain?: string;
}

export function statusWords(status: ConnectionView["status"]): StatusWords {
  switch (status) {
    case "connected":
      return { label: "Connected", tone: "ok" };
    case "pending":
      return {
        label: "Pending",
        tone: "wait",
        explain:
          "Finch is waiting for access to your payroll account. This can take a business day.",
      };
    case "processing":
      return {
        label: "Setting up",
        tone: "wait",
        explain: "Access was granted and the first data sync is running.",
      };
    case "reauth":
      return {
        label: "Reconnect needed",
        tone: "warn",
        explain:
          "The sign-in for this payroll account stopped working. Reconnect to keep data flowing.",
      };
    case "error_no_account_setup":
      return {
        label: "Setup incomplete",
        tone: "error",
        explain:
          "Finch was not added as an admin in your payroll system. Follow Finch's setup email, or contact support.",
      };
    case "error_permissions":
      return {
        label: "Missing permissions",
        tone: "error",
        explain:
          "Finch was added without the permissions it needs. Update its role in your payroll system.",
      };
    case "disconnected":
      return {
        label: "Disconnected",
        tone: "error",
        explain:
          "This connection was ended at the payroll provider. Disconnect it here and connect again.",
      };
  }
}

const MONTHS = [
  "Jan",
  "Feb",
  "Mar",
  "Apr",
  "May",
  "Jun",
  "Jul",
  "Aug",
  "Sep",
  "Oct",
  "Nov",
  "Dec",
];

/** A timestamp as `Date#toISOString` writes it, which every stored date is. */
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})T/;

/**
 * "Mar 4, 2026": dates as an admin reads them, in UTC so server and browser agree.
 * Spelled out by hand: Intl formatting cost a large share of the page's server time
 * (bench/), and this one format needs no locale machinery; a stored timestamp is read
 * off its digits, with no Date at all.
 */
export function formatDate(iso: string | null): string {
  if (!iso) return "Not yet";
  const m = ISO_DATE.exec(iso);
  const month = m ? MONTHS[Number(m[2]) - 1] : undefined;
  if (month) return `${month} ${Number(m![3])}, ${m![1]}`;
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "Unknown";
  return `${MONTHS[d.getUTCMonth()]} ${d.getUTCDate()}, ${d.getUTCFullYear()}`;
}

/** "Nov 21, 2026, 11:43 UTC": a moment, for receipts. */
export function formatDateTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "Unknown";
  const time = `${String(d.getUTCHours()).padStart(2, "0")}:${
    String(d.getUTCMinutes()).padStart(2, "0")
  }`;
  return `${formatDate(iso)}, ${time} UTC`;
}

/** "company directory" → "Company, Directory". */
export function productWords(products: readonly string[]): string[] {
  return products.map((p) =>
    (p[0]?.toUpperCase() ?? "") + p.slice(1).replaceAll("_", " ")
  );
}
