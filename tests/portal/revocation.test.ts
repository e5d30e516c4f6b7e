/**
 * Revoking a customer's portal links (`DELETE /api/customers/:id/links`) holds however it
 * interleaves with redemptions: a link issued at or before the revocation (the same
 * millisecond included) opens nothing, and no session it opened outlives the
 * revocation, also one created a moment after it. The cross-process race is in
 * tests/reliability/links.test.ts.
 */
import assert from "node:assert/strict";
import { revokePortalLinks, upsertCustomer } from "../../lib/db/customers.ts";
import {
  createPortalSession,
  getPortalSession,
} from "../../lib/db/portal_sessions.ts";
import { createPortalLink } from "../../lib/links.ts";
import { testPortal } from "../../testing/portal.ts";

/** A KV handle that runs `before` ahead of each commit, with the keys the op sets. */
function beforeCommit(
  inner: Deno.Kv,
  before: (keys: Deno.KvKey[]) => Promise<void>,
): Deno.Kv {
  return new Proxy(inner, {
    get(target, prop) {
      if (prop === "atomic") {
        return () => {
          const op = target.atomic();
          const keys: Deno.KvKey[] = [];
          const proxy: Deno.AtomicOperation = new Proxy(op, {
            get(o, p) {
              if (p === "commit") {
                return async () => {
                  await before(keys);
                  return await o.commit();
                };
              }
              const value = Reflect.get(o, p, o);
              if (typeof value !== "function") return value;
              return (...args: unknown[]) => {
                if (p === "set") keys.push(args[0] as Deno.KvKey);
                const result = value.apply(o, args);
                return result === o ? proxy : result;
              };
            },
          });
          return proxy;
        };
      }
      const value = Reflect.get(target, prop, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

async function sessionCount(kv: Deno.Kv): Promise<number> {
  let n = 0;
  for await (const _ of kv.list({ prefix: ["portal_sessions"] })) n++;
  return n;
}

Deno.test("[portal] a revocation committed while a redemption is in flight: no session, the link refused", async () => {
  const inner = await Deno.openKv(":memory:");
  let clock = Date.parse("2030-05-01T00:00:00.000Z");
  let armed = false;
  // The revocation lands after the redemption judged the customer, before it writes.
  const kv = beforeCommit(inner, async (keys) => {
    if (!armed || !keys.some((k) => k[0] === "portal_sessions")) return;
    armed = false;
    await revokePortalLinks(inner, "acme", new Date(clock));
  });
  const t = await testPortal({ kv, now: () => clock });
  try {
    await upsertCustomer(inner, { id: "acme", name: "Acme Inc." });
    const link = await createPortalLink(t.portal.deps, "acme");
    clock += 1000;
    armed = true;
    const client = t.client();
    const res = await client.get(new URL(link.url).pathname);
    assert.equal(armed, false, "the revocation ran");
    assert.equal(res.status, 410);
    assert.match(await res.text(), /Link expired/);
    assert.equal(client.cookies.size, 0);
    assert.equal(await sessionCount(inner), 0);
    // A link issued after it works.
    clock += 1;
    const fresh = await createPortalLink(t.portal.deps, "acme");
    const ok = t.client();
    assert.equal((await ok.get(new URL(fresh.url).pathname)).status, 303);
    assert.equal((await ok.page()).status, 200);
  } finally {
    await t.close();
    inner.close();
  }
});

Deno.test("[portal] a link issued in the same millisecond as a revocation is dead", async () => {
  const clock = Date.parse("2030-05-01T00:00:00.000Z");
  const t = await testPortal({ now: () => clock });
  try {
    await upsertCustomer(t.kv, { id: "acme", name: "Acme Inc." });
    const link = await createPortalLink(t.portal.deps, "acme");
    const revoke = await t.fetch("/api/customers/acme/links", {
      method: "DELETE",
      headers: { authorization: `Bearer ${t.portal.config.adminApiKey}` },
    });
    assert.equal(revoke.status, 200);
    assert.equal(
      (await revoke.json()).links_valid_after,
      new Date(clock).toISOString(),
    );
    const client = t.client();
    const res = await client.get(new URL(link.url).pathname);
    assert.equal(res.status, 410);
    await res.body?.cancel();
    assert.equal(client.cookies.size, 0);
  } finally {
    await t.close();
  }
});

Deno.test("[db] portal sessions are judged by their link's issue time, not their creation", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const T = Date.parse("2030-05-01T00:00:00.000Z");
    await upsertCustomer(kv, { id: "acme", name: "Acme" }, {
      now: new Date(T - 60_000),
    });
    // Created at T from a link issued at T - 1 s; the revocation is marked at T - 0.5 s
    // (it committed after the session, on a process whose clock ran behind).
    const session = await createPortalSession(kv, "acme", {
      ttlMs: 3600_000,
      now: new Date(T),
      linkIssuedAt: new Date(T - 1000),
    });
    assert.ok(session.ok);
    const later = await createPortalSession(kv, "acme", {
      ttlMs: 3600_000,
      now: new Date(T),
      linkIssuedAt: new Date(T - 400),
    });
    assert.ok(later.ok);
    const at = { now: new Date(T + 1000) };
    assert.ok(await getPortalSession(kv, session.token, at));
    await revokePortalLinks(kv, "acme", new Date(T - 500));
    assert.equal(await getPortalSession(kv, session.token, at), null);
    assert.ok(await getPortalSession(kv, later.token, at), "a later link");

    // Once the mark is in place, a session from a link it covers is never created.
    const refused = await createPortalSession(kv, "acme", {
      ttlMs: 3600_000,
      now: new Date(T + 2000),
      linkIssuedAt: new Date(T - 500),
    });
    assert.deepEqual(refused, { ok: false, reason: "revoked" });
    assert.deepEqual(
      await createPortalSession(kv, "nobody", { ttlMs: 1000 }),
      { ok: false, reason: "unknown_customer" },
    );
  } finally {
    kv.close();
  }
});
