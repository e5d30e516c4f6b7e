import assert from "node:assert/strict";
import { verifyFinchWebhook } from "../../lib/finch/webhooks.ts";
import { sign } from "./_helpers.ts";

// reference.md §3.2: the SDK's own test vector.
const VECTOR = {
  secret: "5WbX5kEWLlfzsGNjH64I8lOOqUB6e8FH",
  id: "msg_2Lh9KRb0pzN4LePd3XiA4v12Axj",
  timestamp: 1676312382,
  body: '{"company_id":"720be419-0293-4d32-a707-32179b0827ab"}',
  signature: "v1,m7y0TV2C+hlHxU42wCieApTSTaA8/047OAplBqxIV/s=",
};

Deno.test("[webhooks] the test signer reproduces the SDK test vector", async () => {
  assert.equal(
    await sign(VECTOR.secret, VECTOR.id, VECTOR.timestamp, VECTOR.body),
    VECTOR.signature,
  );
});

Deno.test("[webhooks] verification accepts the SDK test vector at its time and only then", async () => {
  const headers = new Headers({
    "finch-event-id": VECTOR.id,
    "finch-timestamp": String(VECTOR.timestamp),
    "finch-signature": VECTOR.signature,
  });
  const realNow = Date.now;
  // The SDK checks its tolerance against Date.now: pin it to the vector's time here only.
  Date.now = () => VECTOR.timestamp * 1000 + 1000;
  try {
    const hook = await verifyFinchWebhook(
      VECTOR.body,
      headers,
      [VECTOR.secret],
      VECTOR.timestamp * 1000 + 1000,
    );
    assert.equal(hook.eventId, VECTOR.id);
    // The last millisecond of the signed second (see VerifiedWebhook.at).
    assert.equal(hook.at.getTime(), VECTOR.timestamp * 1000 + 999);
    assert.deepEqual(hook.payload, JSON.parse(VECTOR.body));
    // One changed byte in the body no longer verifies.
    await assert.rejects(
      () =>
        verifyFinchWebhook(
          VECTOR.body.replace("720", "721"),
          headers,
          [VECTOR.secret],
          VECTOR.timestamp * 1000,
        ),
      (e: Error & { status?: number }) => e.status === 401,
    );
  } finally {
    Date.now = realNow;
  }
  // At today's time the vector is years old: refused by our clock check.
  await assert.rejects(
    () => verifyFinchWebhook(VECTOR.body, headers, [VECTOR.secret], Date.now()),
    (e: Error & { status?: number; code?: string }) =>
      e.status === 400 && e.code === "timestamp_out_of_range",
  );
});
