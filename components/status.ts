/** Connection statuses in plain words, for badges and alerts. */
import type { ConnectionView } from "../lib/views.ts";

export interface StatusWords {
  label: string;
  tone: "ok" | "wait" | "warn" | "error";
  /** A sentence for the admin, when there is something to know or do. */
  explain?: string;
}

export function statusWords(
  status: ConnectionView["status"],
  provider = "your payroll provider",
): StatusWords {
  switch (status) {
    case "connected":
      return { label: "Connected", tone: "ok" };
    case "pending":
      return {
        label: "Submitted",
        tone: "wait",
        explain:
          `Submitted. ${provider} usually takes up to a business day to approve access; this page updates when it's live.`,
      };
    case "processing":
      return {
        label: "First sync",
        tone: "wait",
        explain:
          "Access was granted and the first data sync is running. This usually takes a few minutes.",
      };
    case "reauth":
      return {
        label: "Reconnect needed",
        tone: "warn",
        explain:
          `The sign-in to ${provider} stopped working. Reconnect to keep data flowing.`,
      };
    case "error_no_account_setup":
      return {
        label: "Access not granted",
        tone: "error",
        explain:
          `Finch was not yet added as an admin in ${provider}. Follow the setup email you received, or contact support.`,
      };
    case "error_permissions":
      return {
        label: "Missing permissions",
        tone: "error",
        explain:
          `Finch was added to ${provider} without the permissions it needs. Update its role there.`,
      };
    case "disconnected":
      return {
        label: "Disconnected",
        tone: "error",
        explain:
          `This connection was ended at ${provider}. Disconnect it here and connect again.`,
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

/** Finch's product names in the employer's words. */
const PRODUCT_WORDS: Record<string, string> = {
  company: "Company details",
  directory: "Employee list",
  individual: "Personal details",
  employment: "Jobs and pay",
  payment: "Pay runs",
  pay_statement: "Pay statements",
  benefits: "Benefits",
  deduction: "Benefits",
  documents: "Tax documents",
  ssn: "Social Security numbers",
};

/**
 * `["directory", "company"]` → "Company details, Employee list": each once, always in
 * the same order (the order above), whatever order Finch listed them in.
 */
export function productWords(products: readonly string[]): string {
  const order = Object.keys(PRODUCT_WORDS);
  const rank = (p: string) => (order.indexOf(p) + 1) || order.length + 1;
  const sorted = [...products].sort((a, b) => rank(a) - rank(b));
  const words = sorted.map((p) =>
    PRODUCT_WORDS[p] ??
      (p[0]?.toUpperCase() ?? "") + p.slice(1).replaceAll("_", " ")
  );
  return [...new Set(words)].join(", ");
}

/**
 * 12345 → "12,345". By hand: `toLocaleString` builds a number format on every call,
 * which costs more than the rest of a card.
 */
export function thousands(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/**
 * The line above the cards: "212 people across 3 systems; 14 are in more than one".
 * Null when there is nothing to say yet (no list built, or an empty one).
 */
export function peopleWords(
  summary: { people: number; systems: number; shared: number } | null,
): string | null {
  if (!summary || summary.people === 0 || summary.systems === 0) return null;
  const { people, systems, shared } = summary;
  const count = `${thousands(people)} ${people === 1 ? "person" : "people"}`;
  if (systems === 1) return `${count} in 1 system`;
  const line = `${count} across ${systems} systems`;
  if (shared === 0) return `${line}; nobody is in more than one`;
  return `${line}; ${thousands(shared)} ${
    shared === 1 ? "is" : "are"
  } in more than one`;
}

/**
 * "12 minutes ago": how long ago `iso` was, seen from `now` (ms). Coarse on purpose: an
 * admin wants to know whether data is fresh, and the exact time is on hover.
 */
export function relativeTime(iso: string, now: number): string {
  const then = Date.parse(iso);
  if (Number.isNaN(then)) return "Unknown";
  const s = Math.max(0, Math.round((now - then) / 1000));
  if (s < 60) return "just now";
  const steps: [number, string][] = [
    [60, "minute"],
    [3600, "hour"],
    [86400, "day"],
    [30 * 86400, "month"],
    [365 * 86400, "year"],
  ];
  let unit = steps[0];
  for (const step of steps) if (s >= step[0]) unit = step;
  const n = Math.floor(s / unit[0]);
  return `${n} ${unit[1]}${n === 1 ? "" : "s"} ago`;
}
