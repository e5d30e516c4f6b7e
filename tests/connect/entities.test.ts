/**
 * Disconnecting one entity of a multi-entity connection (Finch's `/disconnect-entity`):
 * Finch is told first, the entity is then marked disconnected on the record, the card
 * and the API show the entities that remain, and the integrator gets
 * `connection.entity_disconnected`. The last live entity is not disconnected alone, a
 * Finch failure changes nothing, another customer's connection is a 404.
 */
import assert from "node:assert/strict";
import { stored, twoEntities, withPortal } from "./_helpers.ts";
import type { ConnectTest } from "./_helpers.ts";

async function api(t: ConnectTest, method: string, path: string) {
  const res = await t.fetch(path, {
    method,
    headers: { authorization: `Bearer ${t.portal.config.adminApiKey}` },
  });
  return { status: res.status, body: await res.json() };
}

Deno.test("[connect] one entity disconnected through the API: Finch first, the rest stays, an event says so", async () => {
  await withPortal({}, async (t) => {
    const { record, east, west } = await twoEntities(t);
    const res = await api(
      t,
      "DELETE",
      `/api/connections/${record.connection_id}/entities/${east.id}`,
    );
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(res.body.entity, { id: east.id, name: "Acme East" });
    assert.equal(res.body.revoked_upstream, true);
    assert.deepEqual(
      res.body.connection.entities.map((e: { id: string }) => e.id),
      [west.id],
    );
    assert.equal(res.body.connection.status, "connected");
    // Finch (the simulator) has it disconnected, and only it.
    const upstream = t.sim.store.data.connections[record.connection_id];
    assert.equal(
      upstream.entities.find((e) => e.id === east.id)?.status,
      "disconnected",
    );
    assert.equal(
      upstream.entities.find((e) => e.id === west.id)?.status,
      "connected",
    );
    // The API's view of the connection lists the entity that remains.
    const view = await api(
      t,
      "GET",
      `/api/connections/${record.connection_id}`,
    );
    assert.deepEqual(view.body.entities.map((e: { id: string }) => e.id), [
      west.id,
    ]);
    const events = await api(
      t,
      "GET",
      "/api/events?type=connection.entity_disconnected",
    );
    assert.equal(events.body.events.length, 1);
    const data = events.body.events[0].data;
    assert.equal(data.customer_id, "acme");
    assert.equal(data.connection_id, record.connection_id);
    assert.equal(data.by, "api");
    assert.deepEqual(data.entity, { id: east.id, name: "Acme East" });
    assert.deepEqual(data.entities, [{ id: west.id, name: "Acme West" }]);
    // Again: it is no longer a live entity of the connection.
    const again = await api(
      t,
      "DELETE",
      `/api/connections/${record.connection_id}/entities/${east.id}`,
    );
    assert.equal(again.status, 404);
  });
});

Deno.test("[connect] the last live entity is not disconnected alone; an unknown entity is a 404", async () => {
  await withPortal({}, async (t) => {
    const { record, east, west } = await twoEntities(t);
    const path = (id: string) =>
      `/api/connections/${record.connection_id}/entities/${id}`;
    assert.equal((await api(t, "DELETE", path(east.id))).status, 200);
    const last = await api(t, "DELETE", path(west.id));
    assert.equal(last.status, 409);
    assert.equal(last.body.error.code, "only_entity");
    assert.equal((await api(t, "DELETE", path("ent-nope"))).status, 404);
    const upstream = t.sim.store.data.connections[record.connection_id];
    assert.equal(
      upstream.entities.find((e) => e.id === west.id)?.status,
      "connected",
    );
  });
});

Deno.test("[connect] a Finch failure disconnecting an entity changes nothing and says so", async () => {
  await withPortal({}, async (t) => {
    const { record, east } = await twoEntities(t);
    t.sim.addFault({ path: "/disconnect-entity", status: 500, count: 10 });
    const res = await api(
      t,
      "DELETE",
      `/api/connections/${record.connection_id}/entities/${east.id}`,
    );
    assert.equal(res.status, 503);
    assert.equal(res.body.error.code, "finch_unavailable");
    const [after] = await stored(t);
    assert.deepEqual(after.entities, record.entities);
    t.sim.clearFaults();
    const ok = await api(
      t,
      "DELETE",
      `/api/connections/${record.connection_id}/entities/${east.id}`,
    );
    assert.equal(ok.status, 200);
  });
});
