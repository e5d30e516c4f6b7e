/**
 * Each integrator event type, from a real journey through the portal and the simulator,
 * delivered to a real receiver that verifies every delivery with the `standardwebhooks`
 * library; the feed lists the same events in the order they happened; none carries a
 * token.
 */
import assert from "node:assert/strict";
import { simSdk } from "../webhooks/_helpers.ts";
import { eventsTest, type FeedEvent } from "./_helpers.ts";

const COMMON = [
  "customer_id",
  "connection_id",
  "provider_id",
  "company_id",
  "status",
  "occurred_at",
];

Deno.test("[events] every event type from a real journey, signed, in the feed in order", async () => {
  const e = await eventsTest();
  const { t, receiver } = e;
  try {
    const sim = t.portal.sim!;
    const client = await t.signedIn("acme");
    const since = async (n: number) => (await e.settled()).slice(n);
    const types = (events: FeedEvent[]) => events.map((x) => x.type);
    const connect = async (company: string, provider = "gusto") => {
      const res = await client.connect({
        company_name: company,
        provider_id: provider,
      });
      assert.equal(res.status, 303, await res.text());
    };

    // Journey 1: a new connection.
    await connect("Acme, Inc.");
    let events = await since(0);
    assert.deepEqual(types(events), ["connection.created"]);
    const id = events[0].data.connection_id;
    assert.equal(events[0].data.customer_id, "acme");
    assert.equal(events[0].data.status, "connected");
    let seen = events.length;

    // Journey 3: the same company on the same provider again.
    await connect("Acme, Inc.");
    events = await since(seen);
    assert.deepEqual(types(events), ["connection.token_refreshed"]);
    assert.equal(events[0].data.connection_id, id);
    assert.equal(events[0].data.previous_status, "connected");
    seen += events.length;

    // Journey 8 then 4: Finch says reauth; the employer reconnects.
    sim.setConnectionStatus(id, "reauth");
    events = await since(seen);
    assert.deepEqual(types(events), [
      "connection.reauth_required",
      "finch.account.updated",
    ]);
    assert.equal(events[0].data.previous_status, "connected");
    assert.equal(events[0].data.status, "reauth");
    const finch = events[1].data.finch as Record<string, unknown>;
    assert.equal(finch.event_type, "account.updated");
    assert.equal(finch.connection_id, id);
    assert.equal((finch.data as { status: string }).status, "reauth");
    seen += events.length;
    const { csrf } = await client.page();
    const started = await client.postForm(`/connections/${id}/reauth`, {
      _csrf: csrf,
    });
    const back = await client.get(
      await client.authorize(started.headers.get("location")!, {
        company_name: "Acme, Inc.",
      }),
    );
    assert.equal(back.status, 303);
    events = await since(seen);
    // Finch also says so (account.updated, connected), forwarded; its webhook may come
    // before the browser's callback (then it is the status change, reauth to connected,
    // and the callback's reconnect found the connection already connected) or after.
    const reconnected = events.find((x) => x.type === "connection.reconnected");
    assert.ok(reconnected, types(events).join());
    assert.equal(reconnected.data.connection_id, id);
    assert.equal(reconnected.data.status, "connected");
    assert.ok(types(events).includes("finch.account.updated"));
    for (const x of events) {
      assert.ok(
        [
          "connection.reconnected",
          "connection.status_changed",
          "finch.account.updated",
        ].includes(x.type),
        x.type,
      );
      assert.equal(x.data.status, "connected");
    }
    seen += events.length;

    // Finch's data events, forwarded with their payload.
    const { sdk } = await simSdk(t, id);
    await sdk.jobs.automated.create({ type: "data_sync_all" });
    const person = (await sdk.hris.directory.list()).individuals[0].id;
    await sdk.sandbox.individual.update(person, { last_name: "Renamed" });
    events = await since(seen);
    assert.deepEqual(types(events).sort(), [
      "finch.directory.updated",
      "finch.individual.updated",
      "finch.job.data_sync_all.completed",
    ]);
    const directory = events.find((x) => x.type === "finch.directory.updated")!;
    assert.deepEqual(
      (directory.data.finch as { data: unknown }).data,
      { individual_id: person },
    );
    seen += events.length;

    // Any other change of status.
    sim.setConnectionStatus(id, "error_permissions");
    events = await since(seen);
    assert.deepEqual(types(events), [
      "connection.status_changed",
      "finch.account.updated",
    ]);
    assert.equal(events[0].data.previous_status, "connected");
    assert.equal(events[0].data.status, "error_permissions");
    seen += events.length;

    // Journey 2 and 5: another connection, disconnected by the employer; the first by
    // the integrator's API.
    await connect("Acme West", "rippling");
    events = await since(seen);
    assert.deepEqual(types(events), ["connection.created"]);
    const west = events[0].data.connection_id;
    seen += events.length;
    const page = await client.page();
    const gone = await client.postForm(`/connections/${west}/disconnect`, {
      _csrf: page.csrf,
    });
    assert.equal(gone.status, 303);
    const deleted = await e.api("DELETE", `/api/connections/${id}`);
    assert.equal(deleted.status, 200, deleted.text);
    events = await since(seen);
    assert.deepEqual(types(events), [
      "connection.disconnected",
      "connection.disconnected",
    ]);
    assert.deepEqual(
      events.map((x) => [x.data.connection_id, x.data.by, x.data.status]),
      [[west, "employer", "disconnected"], [id, "api", "disconnected"]],
    );
    assert.equal(events[1].data.revoked_upstream, true);
    assert.equal(typeof events[1].data.disconnected_at, "string");
    assert.ok(Array.isArray(events[1].data.entities));
    seen += events.length;

    // The same company connected again after Finch ended its connection: the old one
    // is retired (`by: "system"`), the new one created.
    await connect("Acme East", "justworks");
    events = await since(seen);
    const east = events[0].data.connection_id;
    seen += events.length;
    const token = await e.api("GET", `/api/connections/${east}/token`);
    const upstream = await t.fetch("/sim/disconnect", {
      method: "POST",
      headers: { authorization: `Bearer ${token.body.access_token}` },
    });
    assert.equal(upstream.status, 200);
    await upstream.body?.cancel();
    await connect("Acme East", "justworks");
    events = await since(seen);
    assert.deepEqual(types(events), [
      "connection.disconnected",
      "connection.created",
    ]);
    assert.equal(events[0].data.connection_id, east);
    assert.equal(events[0].data.by, "system");
    assert.equal(events[0].data.replaced_by, events[1].data.connection_id);
    assert.notEqual(events[1].data.connection_id, east);

    // Every event: the common fields, delivered once, verified (by the receiver), in
    // the feed in the order it happened.
    const all = await e.settled();
    assert.ok(all.length >= 17, String(all.length));
    for (const x of all) {
      for (const field of COMMON) {
        assert.ok(field in x.data, `${x.type} lacks data.${field}`);
      }
      assert.equal(x.delivery.state, "delivered", x.type);
      assert.equal(x.delivery.attempts, 1);
      const got = receiver.delivered().get(x.id);
      assert.ok(got, `${x.type} ${x.id} was not delivered`);
      assert.deepEqual(got.payload, {
        type: x.type,
        timestamp: x.timestamp,
        data: x.data,
      });
    }
    const ids = all.map((x) => x.id);
    assert.deepEqual([...ids].sort(), ids, "the feed lists in id order");
    assert.equal(new Set(ids).size, ids.length);
    assert.equal(receiver.received.length, all.length, "each POSTed once");

    // No token in any event, any delivery, any log line.
    const tokens = Object.keys(sim.store.data.tokens);
    const sent = JSON.stringify(all) +
      receiver.received.map((r) => r.body).join("\n");
    const text = sent + t.logs.join("\n");
    for (const tok of tokens) assert.ok(!text.includes(tok), "a token leaked");
    assert.doesNotMatch(sent, /access_token/);
    // Nor the events secret.
    for (const s of e.secrets) {
      assert.ok(!t.logs.join("\n").includes(s.slice(6)), "secret in a log");
    }
  } finally {
    await e.close();
  }
});

Deno.test("[events] without EVENTS_WEBHOOK_URL the feed records events and nothing is sent", async () => {
  const e = await eventsTest({ noUrl: true });
  try {
    const client = await e.t.signedIn("acme");
    const res = await client.connect({ company_name: "Acme, Inc." });
    assert.equal(res.status, 303);
    const [event] = await e.feed();
    assert.equal(event.type, "connection.created");
    assert.deepEqual(event.delivery, {
      state: "skipped",
      attempts: 0,
      last_error: null,
      next_attempt_at: null,
      delivered_at: null,
    });
    const again = await e.api("POST", `/api/events/${event.id}/redeliver`);
    assert.equal(again.status, 409, again.text);
    assert.equal(again.body.error.code, "events_webhook_not_configured");
    assert.equal(e.receiver.received.length, 0);
  } finally {
    await e.close();
  }
});
