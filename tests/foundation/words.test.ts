/** The card's words: products in plain words, relative times, statuses. */
import assert from "node:assert/strict";
import {
  productWords,
  relativeTime,
  statusWords,
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
