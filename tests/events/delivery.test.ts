/**
 * Delivering integrator events through the real KV queue to a real receiver on
 * 127.0.0.1, every delivery verified with the `standardwebhooks` library: retries with the
 * same `webhook-id`, a receiver down then up, one that hangs, redirects, the retry
 * schedule running out, redelivery, duplicate queue messages, and secret rotation.
 * Retries are quick here (`EVENTS_RETRY_SCHEDULE=0.05,0.1`).
 */
import assert from "node:assert/strict";
import { Webhook } from "standardwebhooks";
import { eventJob } from "../../lib/db/events.ts";
import { type EventsTest, eventsTest, newSecret } from "./_helpers.ts";

/** Connects `company` for `acme` (signing in once) and returns its event. */
async function connectOne(e: EventsTest, company: string) {
  const client = await e.t.signedIn("acme");
  const res = await client.connect({ company_name: company });
  assert.equal(res.status, 303, await res.text());
  return client;
}

Deno.test("[events] a 500 then a 200: retried with the same webhook-id, delivered, counted once each", async () => {
  const e = await eventsTest();
  try {
    e.receiver.script = [{ status: 500 }];
    await connectOne(e, "Acme, Inc.");
    const [event] = await e.settled();
    assert.equal(event.delivery.state, "delivered");
    assert.equal(event.delivery.attempts, 2);
    assert.equal(event.delivery.last_error, null);
    const got = e.receiver.received;
    assert.deepEqual(got.map((r) => r.answered), [500, 200]);
    assert.deepEqual(got.map((r) => r.id), [event.id, event.id]);
    assert.equal(got[0].body, got[1].body, "the same body");
    assert.ok(got[1].timestamp >= got[0].timestamp);
    assert.ok(e.t.logs.some((l) => l.includes('"event_delivery_failed"')));
  } finally {
    await e.close();
  }
});

Deno.test("[events] the schedule runs out: failed, visible in the feed, redelivered on request with the same id", async () => {
  const e = await eventsTest();
  try {
    e.receiver.fallback = { status: 500 };
    await connectOne(e, "Acme, Inc.");
    const [event] = await e.settled();
    // One attempt, then one per delay of the schedule.
    assert.deepEqual(
      {
        state: event.delivery.state,
        attempts: event.delivery.attempts,
        last_error: event.delivery.last_error,
      },
      { state: "failed", attempts: 3, last_error: "HTTP 500" },
    );
    assert.equal(e.receiver.received.length, 3);

    e.receiver.fallback = { status: 204 };
    const again = await e.api("POST", `/api/events/${event.id}/redeliver`);
    assert.equal(again.status, 202, again.text);
    assert.equal(again.body.delivery.state, "pending");
    const [done] = await e.settled();
    assert.equal(done.delivery.state, "delivered");
    assert.equal(done.delivery.attempts, 1);
    assert.deepEqual(
      e.receiver.received.map((r) => [r.id, r.answered]),
      [[event.id, 500], [event.id, 500], [event.id, 500], [event.id, 204]],
    );

    // A delivered event is delivered again only on request, and then again once.
    const more = await e.api("POST", `/api/events/${event.id}/redeliver`);
    assert.equal(more.status, 202);
    await e.settled();
    assert.equal(e.receiver.received.length, 5);

    for (const id of ["01ARZ3NDEKTSV4RRFFQ69G5FAV", "nope", "%00"]) {
      const missing = await e.api("POST", `/api/events/${id}/redeliver`);
      assert.equal(missing.status, 404, missing.text);
      assert.equal(missing.body.error.code, "not_found");
    }
  } finally {
    await e.close();
  }
});

Deno.test("[events] a receiver down, then up again: nothing is lost", async () => {
  // Long enough for the receiver to be seen down, short enough to come back.
  const e = await eventsTest({ schedule: "0.2,0.4,0.8,1.6,3.2,6.4" });
  try {
    await e.receiver.stop();
    const client = await connectOne(e, "Acme One");
    for (const company of ["Acme Two", "Acme Three"]) {
      const res = await client.connect({ company_name: company });
      assert.equal(res.status, 303);
    }
    // Every event has failed at least once against the dead receiver.
    const deadline = Date.now() + 20_000;
    let feed = await e.feed();
    while (
      !feed.every((x) =>
        x.delivery.attempts >= 1 && x.delivery.state === "retrying"
      ) && Date.now() < deadline
    ) {
      await new Promise((r) => setTimeout(r, 20));
      feed = await e.feed();
    }
    assert.equal(feed.length, 3);
    for (const x of feed) {
      assert.equal(x.delivery.state, "retrying");
      assert.equal(x.delivery.last_error, "connection refused");
      assert.ok(x.delivery.next_attempt_at);
    }
    // The page and the API answer meanwhile.
    assert.equal((await client.page()).status, 200);

    e.receiver.start();
    const done = await e.settled();
    assert.equal(done.length, 3);
    for (const x of done) {
      assert.equal(x.delivery.state, "delivered");
      assert.ok(x.delivery.attempts >= 2);
      assert.ok(e.receiver.delivered().has(x.id));
    }
  } finally {
    await e.close();
  }
});

Deno.test("[events] a receiver that hangs times out and is retried; pages and the API do not wait for it", async () => {
  const e = await eventsTest({ timeoutMs: 300 });
  try {
    e.receiver.script = [{ hang: true }, { hang: true }];
    const client = await connectOne(e, "Acme, Inc.");
    await e.receiver.until(
      () => e.receiver.received.length >= 1,
      "the first delivery",
    );
    // While the delivery hangs: the page, the API and another connect answer.
    assert.equal((await client.page()).status, 200);
    const list = await e.api("GET", "/api/customers/acme/connections");
    assert.equal(list.status, 200);
    const feed = await e.api("GET", "/api/events");
    assert.equal(feed.body.events[0].delivery.state, "pending");
    assert.equal(
      (await client.connect({ company_name: "Acme West" })).status,
      303,
    );

    const events = await e.settled();
    assert.ok(
      events.some((x) => x.delivery.attempts >= 2),
      "a hung attempt was retried",
    );
    assert.ok(
      e.t.logs.some((l) =>
        l.includes('"event_delivery_failed"') &&
        l.includes("timeout after 0.3 s")
      ),
    );
    for (const x of events) assert.equal(x.delivery.state, "delivered");
  } finally {
    await e.close();
  }
});

Deno.test("[events] a redirect is a failure, never followed", async () => {
  const e = await eventsTest();
  try {
    e.receiver.fallback = { status: 307 };
    await connectOne(e, "Acme, Inc.");
    const [event] = await e.settled();
    assert.equal(event.delivery.state, "failed");
    assert.equal(
      event.delivery.last_error,
      "HTTP 307 (redirects are not followed)",
    );
    // Every attempt reached the receiver itself; none went where it pointed.
    assert.equal(e.receiver.received.length, 3);
  } finally {
    await e.close();
  }
});

Deno.test("[events] a queue message delivered twice, or one left from an earlier run, POSTs nothing", async () => {
  const e = await eventsTest();
  try {
    await connectOne(e, "Acme, Inc.");
    const [event] = await e.settled();
    assert.equal(e.receiver.received.length, 1);
    // KV queues deliver at least once: the same job again, and a stale one.
    await e.t.kv.enqueue(eventJob(event.id, 0, 0));
    await e.t.kv.enqueue(eventJob(event.id, 0, 1));
    const skipped = () =>
      e.t.logs.filter((l) =>
        l.includes('"event_job_skipped"') && l.includes(event.id)
      ).length;
    await e.receiver.until(() => skipped() >= 2, "both jobs skipped");
    const [after] = await e.feed();
    assert.deepEqual(after.delivery, event.delivery);
    assert.equal(e.receiver.received.length, 1);
  } finally {
    await e.close();
  }
});

Deno.test("[events] secret rotation: every configured secret signs; a receiver with either verifies", async () => {
  const fresh = newSecret(), old = newSecret();
  // The receiver verifies each delivery with each secret on its own.
  const e = await eventsTest({ secrets: [fresh, old] });
  try {
    await connectOne(e, "Acme, Inc.");
    await e.settled();
    const [got] = e.receiver.received;
    const signatures = got.signature.split(" ");
    assert.equal(signatures.length, 2);
    for (const s of signatures) assert.match(s, /^v1,[A-Za-z0-9+/]+=*$/);
    const headers = {
      "webhook-id": got.id,
      "webhook-timestamp": String(got.timestamp),
      "webhook-signature": got.signature,
    };
    for (const secret of [fresh, old]) {
      assert.ok(new Webhook(secret).verify(got.body, headers));
    }
    // A secret not configured verifies nothing.
    assert.throws(() => new Webhook(newSecret()).verify(got.body, headers));
    // After the rotation only the new secret signs.
    const rotated = await eventsTest({ secrets: [fresh] });
    try {
      await connectOne(rotated, "Acme, Inc.");
      await rotated.settled();
      const [one] = rotated.receiver.received;
      assert.equal(one.signature.split(" ").length, 1);
      assert.throws(() =>
        new Webhook(old).verify(one.body, {
          "webhook-id": one.id,
          "webhook-timestamp": String(one.timestamp),
          "webhook-signature": one.signature,
        })
      );
    } finally {
      await rotated.close();
    }
  } finally {
    await e.close();
  }
});
