/**
 * Status changes the portal learns by itself, with no webhook (refresh on view, through
 * introspect), are events too: a connection that went to `reauth` and one whose token
 * Finch no longer accepts.
 */
import assert from "node:assert/strict";
import {
  REFRESH_LEASE_MS,
  STATUS_STALE_AFTER_MS,
  statusRefreshesSettled,
} from "../../lib/flows/refresh.ts";
import { eventsTest } from "./_helpers.ts";

Deno.test("[events] refresh on view: reauth_required, then status_changed to disconnected", async () => {
  const clock = { now: Date.now() };
  // Feed only: the receiver would check webhook-timestamp against the real clock.
  const e = await eventsTest({ noUrl: true, now: () => clock.now });
  try {
    const { client, id } = await e.connect("Acme, Inc.");
    const sim = e.t.portal.sim!;
    // A change whose webhook was lost.
    sim.store.setStatus(sim.store.data.connections[id], "reauth");
    clock.now += STATUS_STALE_AFTER_MS + 1000;
    await client.page();
    await statusRefreshesSettled(e.t.portal.deps);
    let events = (await e.feed()).slice(1);
    assert.deepEqual(events.map((x) => x.type), [
      "connection.reauth_required",
    ]);
    assert.equal(events[0].data.previous_status, "connected");

    // Finch no longer accepts the token.
    const token = await e.api("GET", `/api/connections/${id}/token`);
    const upstream = await e.t.fetch("/sim/disconnect", {
      method: "POST",
      headers: { authorization: `Bearer ${token.body.access_token}` },
    });
    await upstream.body?.cancel();
    clock.now += STATUS_STALE_AFTER_MS + REFRESH_LEASE_MS;
    await client.page();
    await statusRefreshesSettled(e.t.portal.deps);
    events = (await e.feed()).slice(2);
    assert.deepEqual(
      events.map((x) => [x.type, x.data.previous_status, x.data.status]),
      [["connection.status_changed", "reauth", "disconnected"]],
    );
    // Seen again, nothing changed: no event.
    clock.now += STATUS_STALE_AFTER_MS + REFRESH_LEASE_MS;
    await client.page();
    await statusRefreshesSettled(e.t.portal.deps);
    assert.equal((await e.feed()).length, 3);
  } finally {
    await e.close();
  }
});
