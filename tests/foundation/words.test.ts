/** The card's words: products in plain words, relative times, statuses. */
import assert from "node:assert/strict";
import {
  peopleWords,
  productWords,
  relativeTime,
  statusWords,
  thousands,
} from "../../components/status.ts";

Deno.test("[words] Finch's products in the employer's words, each once, in one order", () => {
  assert.equal(
    productWords(["employment", "directory", "individual", "company"]),
    "Company details, Employee list, Personal details, Jobs and pay",
  );
  assert.equal(
    productWords(["pay_statement", "payment", "benefits", "deduction"]),
    "Pay runs, Pay statements, Benefits",
  );
  assert.equal(productWords(["plans_enrollments"]), "Plans enrollments");
});

Deno.test("[words] last synced, relative to the page's clock", () => {
  const now = Date.parse("2026-12-02T12:00:00Z");
  const ago = (s: number) => new Date(now - s * 1000).toISOString();
  assert.equal(relativeTime(ago(20), now), "just now");
  assert.equal(relativeTime(ago(60), now), "1 minute ago");
  assert.equal(relativeTime(ago(12 * 60 + 30), now), "12 minutes ago");
  assert.equal(relativeTime(ago(3 * 3600), now), "3 hours ago");
  assert.equal(relativeTime(ago(86400), now), "1 day ago");
  assert.equal(relativeTime(ago(65 * 86400), now), "2 months ago");
  // A clock a little behind the server's says "just now", never "in the future".
  assert.equal(relativeTime(ago(-90), now), "just now");
  assert.equal(relativeTime("garbage", now), "Unknown");
});

Deno.test("[words] a pending connection is submitted, never 'set up', and names its provider", () => {
  const pending = statusWords("pending", "Gusto");
  assert.equal(pending.label, "Submitted");
  assert.equal(
    pending.explain,
    "Submitted. Gusto usually takes up to a business day to approve access; this page updates when it's live.",
  );
  for (
    const s of [
      "connected",
      "pending",
      "processing",
      "reauth",
      "error_no_account_setup",
      "error_permissions",
      "disconnected",
    ] as const
  ) {
    const w = statusWords(s, "Gusto");
    assert.doesNotMatch(
      `${w.label} ${w.explain ?? ""}`,
      /set up|Finch Connect/i,
    );
  }
});

Deno.test("[words] the people line above the cards, and counts with thousands", () => {
  const line = (people: number, systems: number, shared: number) =>
    peopleWords({ people, systems, shared });
  assert.equal(
    line(212, 3, 14),
    "212 people across 3 systems; 14 are in more than one",
  );
  assert.equal(
    line(12_345, 2, 1),
    "12,345 people across 2 systems; 1 is in more than one",
  );
  assert.equal(
    line(40, 2, 0),
    "40 people across 2 systems; nobody is in more than one",
  );
  assert.equal(line(1, 1, 0), "1 person in 1 system");
  // Nothing to say before a list exists, or when it is empty.
  assert.equal(peopleWords(null), null);
  assert.equal(line(0, 2, 0), null);
  assert.equal(thousands(999), "999");
  assert.equal(thousands(1000), "1,000");
  assert.equal(thousands(1234567), "1,234,567");
});
