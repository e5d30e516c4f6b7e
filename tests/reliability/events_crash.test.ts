/**
 * Integrator events survive `kill -9`: two production-mode portals on one KV file send
 * their events to a real receiver (which verifies every delivery with the
 * `standardwebhooks` library and answers a little slowly, so that deliveries are in
 * flight). A burst of Finch webhooks, each forwarded as an event, lands on both
 * processes; one process is killed in the middle of the deliveries and started again.
 * Then every event the feed holds (each recorded in the same atomic op as what caused
 * it) was delivered at least once, with its one `webhook-id`, and the store is sound.
 *
 * The restart waits a few seconds first: Deno KV hands a dead process's unfinished queue
 * messages out again once their deadline passed, at the next open of the store (or
 * within about a minute in a process that keeps running).
 */
import assert from "node:assert/strict";
import { createSealer, parseTokenKeys } from "../../lib/sealing.ts";
import { DEFAULT_WEBHOOK_SECRET } from "../../sim/defaults.ts";
import { newSecret, Receiver } from "../events/_receiver.ts";
import { eventId, sign } from "../webhooks/_helpers.ts";
import { startRedirect } from "../connect/_helpers.ts";
import { checkStore } from "./_invariants.ts";
import {
  api,
  type Cluster,
  type Proc,
  sameBrowserOn,
  shoot,
  signIn,
  simTokens,
  startCluster,
} from "./_procs.ts";
import { record, scaled } from "./_stats.ts";

/** Finch webhooks in the burst, each one forwarded as an event. */
const BURST = scaled(80);

interface FeedEvent {
  id: string;
  type: string;
  delivery: { state: string; attempts: number };
}

async function feed(cluster: Cluster, proc: Proc): Promise<FeedEvent[]> {
  const all: FeedEvent[] = [];
  let after = "";
  for (;;) {
    const res = await api(
      cluster,
      proc,
      "GET",
      `/api/events?limit=100${after ? `&after=${after}` : ""}`,
    );
    assert.equal(res.status, 200, res.text);
    const body = res.json as {
      events: FeedEvent[];
      next_cursor: string;
      has_more: boolean;
    };
    all.push(...body.events);
    if (!body.has_more) return all;
    after = encodeURIComponent(body.next_cursor);
  }
}

/** A signed Finch webhook about `connectionId`, posted to `proc`. */
async function finchWebhook(proc: Proc, connectionId: string, n: number) {
  const id = eventId();
  const timestamp = Math.floor(Date.now() / 1000);
  const body = JSON.stringify({
    event_type: "directory.updated",
    connection_id: connectionId,
    data: { individual_id: `ind_${n}` },
  });
  return await fetch(`${proc.origin}/webhooks/finch`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "finch-event-id": id,
      "finch-timestamp": String(timestamp),
      "finch-signature": await sign(
        DEFAULT_WEBHOOK_SECRET,
        id,
        timestamp,
        body,
      ),
    },
    body,
  });
}

Deno.test("[reliability] kill -9 during a burst of event deliveries, then restart: every event is delivered at least once", async () => {
  const secret = newSecret();
  const receiver = new Receiver([secret]).start();
  receiver.delayMs = 40;
  const cluster = await startCluster(2, {
    EVENTS_WEBHOOK_URL: receiver.url,
    EVENTS_WEBHOOK_SECRET: secret,
    EVENTS_RETRY_SCHEDULE: "0.2,0.5,1,2,4,8",
  });
  try {
    const [a, b] = cluster.portals;
    const home = await signIn(cluster, a, "acme");
    const url = await home.authorize(await startRedirect(home), {
      company_name: "Acme, Inc.",
    });
    const done = await home.get(url);
    assert.equal(done.status, 303);
    await done.body?.cancel();
    const [created] = await feed(cluster, a);
    const connectionId = (await api(
      cluster,
      a,
      "GET",
      "/api/customers/acme/connections",
    )).json as { connections: { connection_id: string }[] };
    const id = connectionId.connections[0].connection_id;
    assert.equal(created.type, "connection.created");

    // The burst, spread over both processes; b dies a third of the way through the
    // deliveries, with some of them in flight.
    const shots = Array.from(
      { length: BURST },
      (_, n) => shoot(finchWebhook(n % 2 ? b : a, id, n)),
    );
    await receiver.until(
      () => receiver.received.length >= BURST / 3,
      "a third of the deliveries",
      60_000,
    );
    await b.crash();
    const answered = await Promise.all(shots);
    const lost = answered.filter((s) => !s.ok).length;
    for (const s of answered) {
      if (s.ok) assert.equal(s.status, 200, s.text);
    }
    await record("crash_cycles", 1);
    await record("requests_lost_to_crashes", lost);

    // Past the queue's deadline for b's unfinished messages, b starts again.
    await new Promise((r) => setTimeout(r, 6_000));
    const restarted = await cluster.restart(1);
    const page = await sameBrowserOn(cluster, home, restarted).page();
    assert.equal(page.status, 200);

    // Every event recorded is delivered, at least once, under its one id.
    const deadline = Date.now() + 120_000;
    let events = await feed(cluster, a);
    while (
      events.some((e) => e.delivery.state !== "delivered") &&
      Date.now() < deadline
    ) {
      await new Promise((r) => setTimeout(r, 200));
      events = await feed(cluster, a);
    }
    const open = events.filter((e) => e.delivery.state !== "delivered");
    assert.deepEqual(
      open.map((e) => `${e.type} ${e.delivery.state}`),
      [],
      "events left undelivered",
    );
    // Each forwarded webhook that was answered made exactly one event.
    const forwarded = events.filter((e) =>
      e.type === "finch.directory.updated"
    );
    assert.ok(forwarded.length >= answered.filter((s) => s.ok).length);
    assert.ok(forwarded.length <= BURST);
    const delivered = receiver.delivered();
    for (const e of events) {
      assert.ok(delivered.has(e.id), `${e.type} ${e.id} never reached it`);
    }
    // Nothing the receiver got is outside the feed (ids are the feed's).
    const ids = new Set(events.map((e) => e.id));
    for (const r of receiver.received) assert.ok(ids.has(r.id), r.id);

    // The store is sound and holds no plaintext token, events included.
    const kv = await Deno.openKv(cluster.kvPath);
    try {
      const sealer = await createSealer(
        parseTokenKeys(cluster.secrets.TOKEN_KEYS),
      );
      const tokens = [...(await simTokens(cluster)).keys()];
      const report = await checkStore(kv, sealer, tokens);
      await record("invariant_scans", 1);
      assert.deepEqual(report.violations, []);
    } finally {
      kv.close();
    }
    for (const line of cluster.portalLines()) {
      assert.ok(!line.includes(secret.slice(6)), "the events secret in a log");
    }
  } finally {
    await cluster.stop();
    await receiver.stop();
  }
});
