import assert from "node:assert/strict";
import {
  advanceAttempt,
  currentAttempt,
  finchCustomerId,
  getCustomer,
  InvalidInput,
  listAttemptLog,
  listCustomers,
  NotFound,
  revokePortalLinks,
  upsertCustomer,
} from "../../lib/db/mod.ts";
import { withKv } from "./_helpers.ts";

const T0 = new Date("2025-01-01T00:00:00.000Z");

Deno.test("[db] customers: upsert creates then updates, keeping created_at and revocation", async () => {
  await withKv(async (kv) => {
    const a = await upsertCustomer(kv, {
      id: "acme",
      name: " Acme ",
      email: "hr@acme.test",
    }, { now: T0 });
    assert.equal(a.outcome, "created");
    assert.deepEqual(a.customer, {
      id: "acme",
      name: "Acme",
      email: "hr@acme.test",
      links_valid_after: null,
      // A new customer's records are in today's layout from the start.
      layout: 2,
      created_at: T0.toISOString(),
      updated_at: T0.toISOString(),
    });
    await revokePortalLinks(kv, "acme", new Date("2025-01-02T00:00:00.000Z"));
    const b = await upsertCustomer(kv, { id: "acme", name: "Acme Corp" });
    assert.equal(b.outcome, "updated");
    assert.equal(b.customer.created_at, T0.toISOString());
    assert.equal(b.customer.email, null);
    assert.equal(b.customer.links_valid_after, "2025-01-02T00:00:00.000Z");
    assert.equal(b.customer.layout, 2, "an update keeps the layout");
    assert.deepEqual(await getCustomer(kv, "acme"), b.customer);
    assert.equal(await getCustomer(kv, "nobody"), null);
    assert.equal(await getCustomer(kv, "bad id"), null);
  });
});

Deno.test("[db] customers: ids, names and emails are validated", async () => {
  await withKv(async (kv) => {
    for (const id of ["", "-acme", "a b", "acme~2", "x".repeat(101), "ä"]) {
      await assert.rejects(
        upsertCustomer(kv, { id, name: "A" }),
        InvalidInput,
        id,
      );
    }
    for (const id of ["acme", "A.b_c:d-9", "1", "x".repeat(100)]) {
      assert.equal(
        (await upsertCustomer(kv, { id, name: "A" })).customer.id,
        id,
      );
    }
    await assert.rejects(
      upsertCustomer(kv, { id: "acme", name: "  " }),
      InvalidInput,
    );
    await assert.rejects(
      upsertCustomer(kv, { id: "acme", name: "A", email: "nope" }),
      InvalidInput,
    );
    await assert.rejects(revokePortalLinks(kv, "nobody"), NotFound);
  });
});

Deno.test("[db] customers: listCustomers pages with a cursor", async () => {
  await withKv(async (kv) => {
    for (let i = 0; i < 25; i++) {
      await upsertCustomer(kv, {
        id: `c${String(i).padStart(2, "0")}`,
        name: "C",
      });
    }
    const p1 = await listCustomers(kv, { limit: 10 });
    const p2 = await listCustomers(kv, { limit: 10, cursor: p1.cursor });
    const p3 = await listCustomers(kv, { limit: 10, cursor: p2.cursor });
    assert.deepEqual([p1.values.length, p2.values.length, p3.values.length], [
      10,
      10,
      5,
    ]);
    assert.equal(p3.cursor, undefined);
    assert.equal(p1.values[0].id, "c00");
    assert.equal(p3.values.at(-1)!.id, "c24");
  });
});

Deno.test("[db] attempts: slots are stable until advanced; advancing is once per slot", async () => {
  await withKv(async (kv) => {
    assert.deepEqual(await currentAttempt(kv, "acme"), {
      slot: 1,
      finch_customer_id: "acme",
    });
    assert.deepEqual(await currentAttempt(kv, "acme"), {
      slot: 1,
      finch_customer_id: "acme",
    }, "stable on retry");
    // Ten concurrent advances from slot 1 move it once.
    const rs = await Promise.all(
      Array.from(
        { length: 10 },
        () =>
          advanceAttempt(kv, "acme", 1, {
            detail: "connection_already_exists",
            connection_id: "conn-x",
            now: T0,
          }),
      ),
    );
    assert.equal(rs.filter((r) => r.advanced).length, 1);
    assert.ok(
      rs.every((r) =>
        r.attempt.slot === 2 && r.attempt.finch_customer_id === "acme~2"
      ),
    );
    // Stale advance from 1 is a no-op.
    assert.deepEqual(await advanceAttempt(kv, "acme", 1), {
      advanced: false,
      attempt: { slot: 2, finch_customer_id: "acme~2" },
    });
    await advanceAttempt(kv, "acme", 2, {
      outcome: "converted",
      connection_id: "conn-2",
    });
    assert.equal(
      (await currentAttempt(kv, "acme")).finch_customer_id,
      "acme~3",
    );
    const log = await listAttemptLog(kv, "acme");
    assert.deepEqual(
      log.map((
        e,
      ) => [e.slot, e.finch_customer_id, e.outcome, e.connection_id, e.detail]),
      [[1, "acme", "skipped", "conn-x", "connection_already_exists"], [
        2,
        "acme~2",
        "converted",
        "conn-2",
        null,
      ]],
    );
  });
});

Deno.test("[db] attempts: slot ids never collide across customers and fit Finch's 255 chars", () => {
  // `acme`'s slot 2 must not be customer `acme-2`'s slot 1.
  assert.notEqual(finchCustomerId("acme", 2), finchCustomerId("acme-2", 1));
  const longest = finchCustomerId("x".repeat(100), Number.MAX_SAFE_INTEGER);
  assert.ok(longest.length <= 255);
  assert.throws(() => finchCustomerId("acme", 0), InvalidInput);
});
