/**
 * The access token read's own key, rate limit and audit log (routes/api_tokens.ts,
 * lib/flows/token_read.ts): with `TOKEN_API_KEY` set only it reads tokens and
 * `ADMIN_API_KEY` keeps every other route; reads are limited per key and each is recorded
 * (who, which connection, when, outcome) in a log the admin key lists at `GET /api/audit`.
 * Across two processes in tests/reliability/token_reads.test.ts.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { ConfigError, loadConfig } from "./../lib/config.ts";
import { type TestPortal, testPortal } from "../testing/portal.ts";

const ADMIN = "admin-key-0123456789abcdef";
const TOKEN_NEW = "token-key-new-0123456789";
const TOKEN_OLD = "token-key-old-0123456789";
const fingerprint = (key: string) =>
  createHash("sha256").update(key).digest("hex").slice(0, 8);

/** A demo portal with the given keys and one connection for `acme`. */
async function portal(env: Record<string, string> = {}, now?: () => number) {
  const t = await testPortal({
    env: { ADMIN_API_KEY: ADMIN, ...env },
    now,
  });
  const client = await t.signedIn("acme");
  const done = await client.connect({ company_name: "Acme, Inc." });
  assert.equal(done.status, 303);
  const [id] = Object.keys(t.portal.sim!.store.data.connections);
  return { t, id };
}

async function call(
  t: TestPortal,
  path: string,
  key: string | null,
  init: RequestInit = {},
) {
  const res = await t.fetch(path, {
    ...init,
    headers: key ? { authorization: `Bearer ${key}` } : {},
  });
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    text,
    json: tryJson(text),
  };
}

function tryJson(text: string) {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

interface Entry {
  id: string;
  at: string;
  key: string;
  key_fingerprint: string;
  connection_id: string;
  customer_id: string | null;
  outcome: string;
}

async function audit(t: TestPortal, query = ""): Promise<Entry[]> {
  const res = await call(t, `/api/audit${query}`, ADMIN);
  assert.equal(res.status, 200, res.text);
  return res.json.entries;
}

Deno.test("[api] TOKEN_API_KEY: only it reads tokens; ADMIN_API_KEY gets 403 there and keeps every other route", async () => {
  const { t, id } = await portal({
    TOKEN_API_KEY: `${TOKEN_NEW},${TOKEN_OLD}`,
  });
  try {
    const token = `/api/connections/${id}/token`;
    const admin = await call(t, token, ADMIN);
    assert.equal(admin.status, 403, admin.text);
    assert.equal(admin.json.error.code, "forbidden_key");
    assert.doesNotMatch(admin.text, /access_token"/);
    for (const key of [TOKEN_NEW, TOKEN_OLD]) {
      const read = await call(t, token, key);
      assert.equal(read.status, 200, read.text);
      assert.equal(read.json.connection_id, id);
      assert.equal(
        read.json.access_token,
        t.portal.sim!.store.tokensOf(id).at(-1)!.access_token,
      );
      assert.equal(read.headers.get("cache-control"), "no-store");
    }
    // The token key reads tokens and nothing else.
    for (
      const path of [
        "/api/customers/acme",
        "/api/customers/acme/connections",
        `/api/connections/${id}`,
        "/api/audit",
      ]
    ) {
      const refused = await call(t, path, TOKEN_NEW);
      assert.equal(refused.status, 403, path);
      assert.equal(refused.json.error.code, "forbidden_key");
      assert.equal((await call(t, path, ADMIN)).status, 200, path);
    }
    const disconnect = await call(t, `/api/connections/${id}`, TOKEN_NEW, {
      method: "DELETE",
    });
    assert.equal(disconnect.status, 403);
    assert.deepEqual(t.portal.sim!.revoked().tokens, []);
    // Anything else is a 401, as everywhere.
    for (const key of [null, "wrong-key-0123456789", `${TOKEN_NEW}x`]) {
      const res = await call(t, token, key);
      assert.equal(res.status, 401);
      assert.equal(res.json.error.code, "unauthorized");
    }
    // A malformed connection id answers 403 to the admin key, 404 to the token key.
    assert.equal(
      (await call(t, "/api/connections/%20/token", ADMIN)).status,
      403,
    );
    assert.equal(
      (await call(t, "/api/connections/%20/token", TOKEN_NEW)).status,
      404,
    );
  } finally {
    await t.close();
  }
});

Deno.test("[api] without TOKEN_API_KEY the admin key reads tokens, recorded as the admin's", async () => {
  const { t, id } = await portal();
  try {
    assert.equal(
      (await call(t, `/api/connections/${id}/token`, ADMIN)).status,
      200,
    );
    const [entry] = await audit(t);
    assert.equal(entry.key, "admin");
    assert.equal(entry.key_fingerprint, fingerprint(ADMIN));
    assert.equal(entry.outcome, "served");
  } finally {
    await t.close();
  }
});

Deno.test("[api] TOKEN_API_KEY settings: each key 16+ characters, never one of the admin keys", () => {
  const prod = {
    FINCH_CLIENT_ID: "client",
    FINCH_CLIENT_SECRET: "secret",
    ADMIN_API_KEY: `${ADMIN},${"o".repeat(20)}`,
    APP_SECRET: "s".repeat(32),
    TOKEN_KEYS: `k1:${btoa("x".repeat(32))}`,
  };
  assert.equal(
    loadConfig({ ...prod, TOKEN_API_KEY: `${TOKEN_NEW},${TOKEN_OLD}` })
      .tokenApiKey,
    `${TOKEN_NEW},${TOKEN_OLD}`,
  );
  assert.equal(loadConfig(prod).tokenApiKey, undefined);
  for (
    const bad of [`${TOKEN_NEW},short`, ADMIN, `${TOKEN_NEW},${"o".repeat(20)}`]
  ) {
    assert.throws(() => loadConfig({ ...prod, TOKEN_API_KEY: bad }), (err) => {
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, /^TOKEN_API_KEY is invalid: /);
      assert.ok(!err.message.includes(ADMIN) && !err.message.includes("short"));
      return true;
    });
  }
});

Deno.test("[api] every token read is recorded: who, which connection, when, what it came to; GET /api/audit lists them", async () => {
  let clock = Date.parse("2030-05-01T00:00:00.000Z");
  const { t, id } = await portal(
    { TOKEN_API_KEY: `${TOKEN_NEW},${TOKEN_OLD}` },
    () => clock,
  );
  try {
    const before = await audit(t);
    assert.deepEqual(before, []);
    const reads: [string, string, number][] = [
      [id, TOKEN_NEW, 200],
      [id, ADMIN, 403],
      ["conn_unknown", TOKEN_OLD, 404],
      [id, TOKEN_OLD, 200],
    ];
    for (const [connection, key, status] of reads) {
      clock += 1000;
      const res = await call(t, `/api/connections/${connection}/token`, key);
      assert.equal(res.status, status, res.text);
    }
    const entries = await audit(t);
    assert.deepEqual(
      entries.map((e) => ({ ...e, id: undefined })),
      [
        [TOKEN_NEW, "token", id, "acme", "served"],
        [ADMIN, "admin", id, null, "forbidden"],
        [TOKEN_OLD, "token", "conn_unknown", null, "not_found"],
        [TOKEN_OLD, "token", id, "acme", "served"],
      ].map(([key, role, connection_id, customer_id, outcome], i) => ({
        id: undefined,
        at: new Date(Date.parse("2030-05-01T00:00:00.000Z") + (i + 1) * 1000)
          .toISOString(),
        key: role,
        key_fingerprint: fingerprint(key!),
        connection_id,
        customer_id,
        outcome,
      })),
    );
    // Oldest first, by id; neither a key nor a token anywhere in the log.
    const ids = entries.map((e) => e.id);
    assert.deepEqual([...ids].sort(), ids);
    const raw = (await call(t, "/api/audit", ADMIN)).text;
    for (const secret of [ADMIN, TOKEN_NEW, TOKEN_OLD]) {
      assert.ok(!raw.includes(secret));
    }
    for (const tk of t.portal.sim!.store.tokensOf(id)) {
      assert.ok(!raw.includes(tk.access_token));
    }

    // One connection's reads; pages that continue with `after`.
    assert.deepEqual(
      (await audit(t, `?connection_id=${id}`)).map((e) => e.id),
      [ids[0], ids[1], ids[3]],
    );
    assert.deepEqual(await audit(t, "?connection_id=conn_none"), []);
    const first = await call(t, "/api/audit?limit=3", ADMIN);
    assert.deepEqual(
      first.json.entries.map((e: Entry) => e.id),
      ids.slice(0, 3),
    );
    assert.equal(first.json.next_after, ids[2]);
    const rest = await call(t, `/api/audit?limit=3&after=${ids[2]}`, ADMIN);
    assert.deepEqual(rest.json.entries.map((e: Entry) => e.id), [ids[3]]);
    assert.equal(rest.json.next_after, null);
    assert.deepEqual(await audit(t, `?after=${ids[3]}`), []);

    // Bad queries are 400s; the audit log is the admin key's.
    for (
      const q of ["?limit=0", "?limit=501", "?limit=x", "?after=nope", "?x=1"]
    ) {
      const res = await call(t, `/api/audit${q}`, ADMIN);
      assert.equal(res.status, 400, q);
    }
    assert.equal((await call(t, "/api/audit", null)).status, 401);
  } finally {
    await t.close();
  }
});

Deno.test("[api] token reads are rate-limited per key: 429 with Retry-After, not recorded; another key has its own budget", async () => {
  let clock = Date.parse("2030-05-01T00:00:30.000Z");
  const { t, id } = await portal({
    TOKEN_API_KEY: `${TOKEN_NEW},${TOKEN_OLD}`,
    RATE_LIMIT_TOKEN_READS_PER_KEY: "3/60",
  }, () => clock);
  try {
    const path = `/api/connections/${id}/token`;
    for (let i = 0; i < 3; i++) {
      assert.equal((await call(t, path, TOKEN_NEW)).status, 200);
    }
    const limited = await call(t, path, TOKEN_NEW);
    assert.equal(limited.status, 429);
    assert.equal(limited.json.error.code, "rate_limited");
    assert.equal(limited.headers.get("retry-after"), "30");
    assert.doesNotMatch(limited.text, /access_token"/);
    // The old key of the rotation counts apart; an unknown connection counts too.
    assert.equal((await call(t, path, TOKEN_OLD)).status, 200);
    assert.equal(
      (await call(t, "/api/connections/x/token", TOKEN_NEW)).status,
      429,
    );
    assert.equal(
      (await audit(t)).length,
      4,
      "the refused reads are not recorded",
    );
    assert.ok(
      t.logs.some((l) =>
        l.includes('"rate_limited"') && l.includes(fingerprint(TOKEN_NEW))
      ),
    );
    for (const line of t.logs) assert.ok(!line.includes(TOKEN_NEW), line);

    // The next window.
    clock += 30_000;
    assert.equal((await call(t, path, TOKEN_NEW)).status, 200);

    // Exact under a concurrent burst: three more of twenty pass.
    clock += 60_000;
    const burst = await Promise.all(
      Array.from({ length: 20 }, () => call(t, path, TOKEN_NEW)),
    );
    const statuses = burst.map((r) => r.status).sort();
    assert.deepEqual(statuses, [200, 200, 200, ...Array(17).fill(429)]);
    assert.equal((await audit(t)).length, 8);
  } finally {
    await t.close();
  }
});

Deno.test("[api] RATE_LIMIT_TOKEN_READS_PER_KEY=off turns the limit off; the reads are still recorded", async () => {
  const { t, id } = await portal({ RATE_LIMIT_TOKEN_READS_PER_KEY: "off" });
  try {
    const res = await Promise.all(
      Array.from(
        { length: 30 },
        () => call(t, `/api/connections/${id}/token`, ADMIN),
      ),
    );
    assert.deepEqual(res.map((r) => r.status), Array(30).fill(200));
    assert.equal((await audit(t, "?limit=500")).length, 30);
  } finally {
    await t.close();
  }
});
