/**
 * Abuse: rate limits on starting Connect sessions (per customer, per client address)
 * and on redeeming portal links (per client address, valid or not, and per customer),
 * answered with 429, `Retry-After` and a clear page or JSON; shared through KV (the
 * cross-process test is in tests/reliability/processes.test.ts), exact under concurrency,
 * and a refused request costs nothing: no Finch call, no state, no session.
 */
import assert from "node:assert/strict";
import { bootPortal } from "../../boot.ts";
import { ConfigError } from "../../lib/config.ts";
import { upsertCustomer } from "../../lib/db/customers.ts";
import { rateLimitKey } from "../../lib/db/keys.ts";
import {
  DEFAULT_RATE_LIMITS,
  loadRateLimits,
  normalizeAddress,
} from "../../lib/http/rate_limit.ts";
import { createPortalLink } from "../../lib/links.ts";
import { clock, errorPage, withPortal } from "../connect/_helpers.ts";
import { GENEROUS_RATE_LIMITS, testPortal } from "../../testing/portal.ts";
import { record } from "../reliability/_stats.ts";

const WINDOW_MS = 600_000;

async function kvCount(kv: Deno.Kv, prefix: Deno.KvKey): Promise<number> {
  let n = 0;
  for await (const _ of kv.list({ prefix })) n++;
  return n;
}

Deno.test("[security] rate limit: starting Connect, per customer: 429 with Retry-After, nothing done, then allowed again", async () => {
  const time = clock();
  await withPortal({
    now: time.now,
    env: { RATE_LIMIT_CONNECT_PER_CUSTOMER: "3/600" },
  }, async (t) => {
    const client = await t.signedIn("acme");
    const { csrf } = await client.page();
    const start = () => client.postForm("/connections/new", { _csrf: csrf });
    for (let i = 0; i < 3; i++) {
      const res = await start();
      assert.equal(res.status, 303);
    }
    const sessions = Object.keys(t.sim.store.data.sessions).length;
    const states = await kvCount(t.kv, ["connect_states"]);

    time.ms += 60_000;
    const page = await errorPage(await start());
    assert.equal(page.status, 429);
    assert.equal(page.title, "Too many attempts");
    assert.match(page.message, /try again in 9 minutes/);
    assert.equal(page.retryAfter, String((WINDOW_MS - 60_000) / 1000));
    assert.equal(page.action?.href, "/connections");

    // The island's JSON start and a reconnect count against the same allowance.
    const json = await client.postJson("/connections/new", {}, {
      "x-csrf-token": csrf,
    });
    assert.equal(json.status, 429);
    assert.ok(Number(json.headers.get("retry-after")) > 0);
    assert.equal((await json.json()).error.code, "rate_limited");
    const reauth = await client.postForm("/connections/anything/reauth", {
      _csrf: csrf,
    });
    assert.equal(reauth.status, 429);
    await reauth.body?.cancel();

    // Refused before anything happened: no Finch session, no state.
    assert.equal(Object.keys(t.sim.store.data.sessions).length, sessions);
    assert.equal(await kvCount(t.kv, ["connect_states"]), states);
    assert.ok(t.logs.some((l) => l.includes('"rate_limited"')));

    // Another customer has its own allowance; the page itself is never limited.
    const other = await t.signedIn("globex", "Globex");
    const { csrf: otherCsrf } = await other.page();
    const ok = await other.postForm("/connections/new", { _csrf: otherCsrf });
    assert.equal(ok.status, 303);
    assert.equal((await client.page()).status, 200);

    // The next window allows it again.
    time.ms += WINDOW_MS;
    assert.equal((await start()).status, 303);
    await record("rate_limit_checks", 9);
  });
});

Deno.test("[security] rate limit: link redemptions per client address behind a trusted proxy", async () => {
  const time = clock();
  await withPortal({
    now: time.now,
    env: { RATE_LIMIT_LINK_PER_ADDRESS: "3/600", TRUST_PROXY: "1" },
  }, async (t) => {
    await upsertCustomer(t.kv, { id: "acme", name: "Acme" });
    const link = (await createPortalLink(t.portal.deps, "acme")).url;
    const from = (xff: string, url = link) =>
      t.client().get(url, { "x-forwarded-for": xff });

    // Guessing counts: three bad links from one address...
    for (let i = 0; i < 3; i++) {
      const res = await from("203.0.113.7", `/portal/guess${i}.x`);
      assert.equal(res.status, 404);
      await res.body?.cancel();
    }
    // ...and then even a valid link is refused from there, with a clear page.
    const refused = await errorPage(await from("203.0.113.7"));
    assert.equal(refused.status, 429);
    assert.match(refused.message, /opened too many times/);
    assert.equal(refused.retryAfter, "600");
    // A client cannot pick its address: the proxy appends the real one last.
    const spoofed = await from("198.51.100.1, 203.0.113.7");
    assert.equal(spoofed.status, 429);
    await spoofed.body?.cancel();
    // Other addresses are not affected.
    const other = await from("203.0.113.8");
    assert.equal(other.status, 303);

    // IPv6 counts per /64: one subscriber's block is one address.
    for (
      const a of ["2001:db8:1:2::a", "2001:db8:1:2:ffff::b", "2001:db8:1:2::c"]
    ) {
      const res = await from(a);
      assert.equal(res.status, 303);
    }
    const v6 = await from("[2001:db8:1:2:0:0:0:d]");
    assert.equal(v6.status, 429);
    await v6.body?.cancel();
    const nextBlock = await from("2001:db8:1:3::a");
    assert.equal(nextBlock.status, 303);
    await record("rate_limit_checks", 11);
  });
});

Deno.test("[security] rate limit: without TRUST_PROXY, X-Forwarded-For is ignored and the socket address counts", async () => {
  const time = clock();
  // testPortal, not withPortal: its recording wrapper does not pass the socket info on.
  const t = await testPortal({
    now: time.now,
    env: { RATE_LIMIT_LINK_PER_ADDRESS: "2/600" },
  });
  try {
    await upsertCustomer(t.kv, { id: "acme", name: "Acme" });
    const link = new URL((await createPortalLink(t.portal.deps, "acme")).url);
    const server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      t.portal.fetch,
    );
    try {
      const url = `http://127.0.0.1:${server.addr.port}${link.pathname}`;
      const statuses = [];
      for (let i = 0; i < 4; i++) {
        const res = await fetch(url, {
          redirect: "manual",
          headers: { "x-forwarded-for": `198.51.100.${i}` },
        });
        statuses.push(res.status);
        await res.body?.cancel();
      }
      assert.deepEqual(statuses, [303, 303, 429, 429]);
      assert.equal(
        (await t.kv.get(
          rateLimitKey("linkPerAddress", "127.0.0.1", time.ms),
        )).value,
        2,
      );
    } finally {
      await server.shutdown();
    }
    await record("rate_limit_checks", 4);
  } finally {
    await t.close();
  }
});

Deno.test("[security] rate limit: sessions per customer from valid links, whatever the address", async () => {
  const time = clock();
  await withPortal({
    now: time.now,
    env: {
      RATE_LIMIT_LINK_PER_CUSTOMER: "2/600",
      RATE_LIMIT_LINK_PER_ADDRESS: "10/600",
      TRUST_PROXY: "1",
    },
  }, async (t) => {
    await upsertCustomer(t.kv, { id: "acme", name: "Acme" });
    const link = (await createPortalLink(t.portal.deps, "acme")).url;
    const codes = [];
    for (const address of ["192.0.2.1", "192.0.2.2", "192.0.2.3"]) {
      const res = await t.client().get(link, { "x-forwarded-for": address });
      codes.push(res.status);
      await res.body?.cancel();
    }
    assert.deepEqual(codes, [303, 303, 429]);
    assert.equal(await kvCount(t.kv, ["portal_sessions"]), 2);
    // Every attempt counts for its address, the refused one too: it was an attempt.
    const third = await t.kv.get(
      rateLimitKey("linkPerAddress", "192.0.2.3", time.ms),
    );
    assert.equal(third.value, 1);
    await record("rate_limit_checks", 3);
  });
});

Deno.test("[security] rate limit: a Connect start refused by one rule takes back its hit on the other", async () => {
  const time = clock();
  await withPortal({
    now: time.now,
    env: {
      RATE_LIMIT_CONNECT_PER_CUSTOMER: "2/600",
      RATE_LIMIT_CONNECT_PER_ADDRESS: "10/600",
      TRUST_PROXY: "1",
    },
  }, async (t) => {
    const client = await t.signedIn("acme");
    const { csrf } = await client.page();
    const codes = [];
    for (let i = 0; i < 4; i++) {
      const res = await client.postForm("/connections/new", { _csrf: csrf }, {
        "x-forwarded-for": "192.0.2.50",
      });
      codes.push(res.status);
      await res.body?.cancel();
    }
    assert.deepEqual(codes, [303, 303, 429, 429]);
    const address = await t.kv.get(
      rateLimitKey("connectPerAddress", "192.0.2.50", time.ms),
    );
    assert.equal(address.value, 2, "refused starts cost the address nothing");
    await record("rate_limit_checks", 4);
  });
});

Deno.test("[security] rate limit: exact under a concurrent burst", async () => {
  const time = clock();
  await withPortal({
    now: time.now,
    env: { RATE_LIMIT_LINK_PER_ADDRESS: "10/600", TRUST_PROXY: "1" },
  }, async (t) => {
    await upsertCustomer(t.kv, { id: "acme", name: "Acme" });
    const link = (await createPortalLink(t.portal.deps, "acme")).url;
    const answers = await Promise.all(
      Array.from(
        { length: 40 },
        () => t.client().get(link, { "x-forwarded-for": "203.0.113.9" }),
      ),
    );
    const codes = answers.map((r) => r.status);
    await Promise.all(answers.map((r) => r.body?.cancel()));
    assert.equal(codes.filter((c) => c === 303).length, 10, `${codes}`);
    assert.equal(codes.filter((c) => c === 429).length, 30, `${codes}`);
    await record("rate_limit_checks", 40);
  });
});

Deno.test("[security] rate limit settings: defaults, overrides, off, and errors that name the variable", async () => {
  assert.deepEqual(loadRateLimits({}), DEFAULT_RATE_LIMITS);
  const custom = loadRateLimits({
    RATE_LIMIT_CONNECT_PER_CUSTOMER: "5/60",
    RATE_LIMIT_LINK_PER_ADDRESS: "off",
    TRUST_PROXY: "2",
  });
  assert.deepEqual(custom.connectPerCustomer, { limit: 5, windowS: 60 });
  assert.equal(custom.linkPerAddress, null);
  assert.equal(custom.trustProxy, 2);
  for (
    const [name, value] of [
      ["RATE_LIMIT_CONNECT_PER_ADDRESS", "lots"],
      ["RATE_LIMIT_LINK_PER_CUSTOMER", "0/600"],
      ["RATE_LIMIT_CONNECT_PER_CUSTOMER", "5/0"],
      ["TRUST_PROXY", "yes"],
    ]
  ) {
    assert.throws(
      () => loadRateLimits({ [name]: value }),
      (err: Error) =>
        err instanceof ConfigError && err.message.startsWith(name),
    );
  }
  const kv = await Deno.openKv(":memory:");
  try {
    await assert.rejects(
      bootPortal({
        env: { ...GENEROUS_RATE_LIMITS, RATE_LIMIT_LINK_PER_ADDRESS: "-1" },
        demo: true,
        kv,
        log: () => {},
      }),
      /RATE_LIMIT_LINK_PER_ADDRESS is invalid/,
    );
  } finally {
    kv.close();
  }
});

Deno.test("[security] rate limit: client addresses are normalized (IPv4, mapped IPv6, /64)", () => {
  assert.equal(normalizeAddress("203.0.113.7"), "203.0.113.7");
  assert.equal(normalizeAddress("::ffff:203.0.113.7"), "203.0.113.7");
  assert.equal(normalizeAddress("2001:DB8:0:1::5"), "2001:db8:0:1::/64");
  assert.equal(
    normalizeAddress("2001:0db8:0000:0001:aaaa:bbbb:cccc:dddd"),
    "2001:db8:0:1::/64",
  );
  assert.equal(normalizeAddress("[::1]"), "0:0:0:0::/64");
  assert.equal(normalizeAddress("fe80::1"), "fe80:0:0:0::/64");
});
