/**
 * The integrator API (journey 7), end to end through the real app in demo mode: Bearer
 * auth on every route, customers, portal links and their revocation, listing, reading,
 * the token route and disconnecting, with Finch (the simulator) failing or not.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { MAX_LINK_TTL_S } from "../lib/links.ts";
import {
  BASE,
  type Client,
  type TestPortal,
  testPortal,
} from "../testing/portal.ts";

/** The public connection shape of the product brief (views may add to it). */
const CONNECTION_KEYS = [
  "connection_id",
  "customer_id",
  "provider_id",
  "provider_name",
  "company_id",
  "company_name",
  "status",
  "products",
  "entities",
  "created_at",
  "updated_at",
];

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  // deno-lint-ignore no-explicit-any
  body: any;
}

/**
 * An integrator's HTTP client. Keeps every answer so a test can check afterwards that
 * no access token left through any route but `/token`.
 */
function integrator(
  t: TestPortal,
  key: string | null = t.portal.config.adminApiKey,
) {
  const seen: { path: string; text: string; headers: Headers }[] = [];
  async function call(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Answer> {
    const h: Record<string, string> = {};
    if (key !== null) h.authorization = `Bearer ${key}`;
    if (body !== undefined && typeof body !== "string") {
      h["content-type"] = "application/json";
    }
    const res = await t.fetch(path, {
      method,
      headers: { ...h, ...headers },
      body: body === undefined
        ? undefined
        : typeof body === "string"
        ? body
        : JSON.stringify(body),
    });
    const text = await res.text();
    seen.push({ path, text, headers: res.headers });
    let parsed: unknown = undefined;
    try {
      parsed = JSON.parse(text);
    } catch { /* asserted by the caller where it matters */ }
    return { status: res.status, headers: res.headers, text, body: parsed };
  }
  return { call, seen };
}

/** Every access token the simulator ever issued. */
function simTokens(t: TestPortal): string[] {
  return Object.values(t.portal.sim!.store.data.tokens).map((x) =>
    x.access_token
  );
}

/** Invariant 3: no token in any answer but `/token`'s, nor in any log line. */
function assertNoTokenLeak(
  t: TestPortal,
  seen: ReturnType<typeof integrator>["seen"],
) {
  const tokens = simTokens(t);
  assert.ok(tokens.length > 0);
  for (const answer of seen) {
    const where = `${answer.path}: ${answer.text.slice(0, 200)}`;
    if (!/\/token$/.test(new URL(answer.path, BASE).pathname)) {
      assert.doesNotMatch(answer.text, /access_token/, where);
      for (const token of tokens) {
        assert.ok(!answer.text.includes(token), where);
      }
    }
    for (const token of tokens) {
      for (const [, value] of answer.headers) {
        assert.ok(!value.includes(token), where);
      }
    }
  }
  for (const line of t.logs) {
    for (const token of tokens) assert.ok(!line.includes(token), line);
  }
}

function assertError(answer: Answer, status: number, code?: string) {
  assert.equal(answer.status, status, answer.text);
  assert.match(answer.headers.get("content-type") ?? "", /^application\/json/);
  assert.equal(typeof answer.body?.error?.message, "string", answer.text);
  assert.ok(answer.body.error.message.length > 0);
  if (code) assert.equal(answer.body.error.code, code, answer.text);
}

/**
 * Connects through the real redirect flow and returns the new connection's id, as the
 * integrator's API lists it.
 */
async function connectOne(
  t: TestPortal,
  client: Client,
  customerId: string,
  form: {
    company_name: string;
    provider_id?: string;
    username?: string;
    entities?: string;
  },
): Promise<string> {
  const api = integrator(t);
  const ids = async () =>
    (await api.call("GET", `/api/customers/${customerId}/connections`)).body
      .connections.map((c: { connection_id: string }) => c.connection_id);
  const before = await ids();
  const done = await client.connect(form);
  assert.equal(done.status, 303, await done.clone().text());
  const made = (await ids()).filter((id: string) => !before.includes(id));
  assert.equal(made.length, 1, `new connections: ${made}`);
  return made[0];
}

const ROUTES: [string, string, unknown?][] = [
  ["PUT", "/api/customers/acme", { name: "Acme" }],
  ["GET", "/api/customers/acme"],
  ["POST", "/api/customers/acme/links", {}],
  ["DELETE", "/api/customers/acme/links"],
  ["GET", "/api/customers/acme/connections"],
  ["GET", "/api/connections/conn_1"],
  ["GET", "/api/connections/conn_1/token"],
  ["DELETE", "/api/connections/conn_1"],
  ["GET", "/api/no/such/route"],
];

Deno.test("[api] every route refuses a missing, wrong or malformed key, and writes nothing", async () => {
  const t = await testPortal();
  try {
    const key = t.portal.config.adminApiKey;
    const attempts: Record<string, string>[] = [
      {},
      { authorization: "Bearer wrong-key-wrong-key-wrong" },
      { authorization: `Bearer ${key}x` },
      { authorization: `Bearer ${key.slice(0, -1)}` },
      { authorization: `Basic ${btoa(`admin:${key}`)}` },
      { authorization: key },
      { authorization: "Bearer " },
      { authorization: `Bearer ${key} extra` },
    ];
    const anonymous = integrator(t, null);
    for (const [method, path, body] of ROUTES) {
      for (const headers of attempts) {
        const res = await anonymous.call(method, path, body, headers);
        assertError(res, 401, "unauthorized");
        assert.match(res.headers.get("www-authenticate") ?? "", /^Bearer /);
        assert.equal(res.headers.get("cache-control"), "no-store");
      }
    }
    // Nothing was created by all those PUTs.
    const api = integrator(t);
    assertError(await api.call("GET", "/api/customers/acme"), 404, "not_found");
    // With the key, an unknown route is a plain JSON 404.
    assertError(await api.call("GET", "/api/no/such/route"), 404, "not_found");
    // The scheme is case-insensitive, as RFC 9110 says.
    const lower = await api.call("GET", "/api/customers/acme", undefined, {
      authorization: `bearer ${key}`,
    });
    assertError(lower, 404, "not_found");
    assert.ok(t.logs.some((l) => l.includes('"api_unauthorized"')));
    for (const line of t.logs) assert.ok(!line.includes(key.slice(5)), line);
  } finally {
    await t.close();
  }
});

Deno.test("[api] PUT creates then replaces a customer; GET reads it", async () => {
  let now = Date.parse("2030-01-02T03:04:05.000Z");
  const t = await testPortal({ now: () => now });
  try {
    const api = integrator(t);
    const created = await api.call("PUT", "/api/customers/acme", {
      name: "  Acme Inc.  ",
      email: "hr@acme.example",
    });
    assert.equal(created.status, 201, created.text);
    assert.match(
      created.headers.get("content-type") ?? "",
      /^application\/json/,
    );
    assert.equal(created.headers.get("cache-control"), "no-store");
    assert.deepEqual(created.body, {
      id: "acme",
      name: "Acme Inc.",
      email: "hr@acme.example",
      links_valid_after: null,
      created_at: "2030-01-02T03:04:05.000Z",
      updated_at: "2030-01-02T03:04:05.000Z",
    });

    now += 60_000;
    // PUT replaces: the email not sent is cleared.
    const updated = await api.call("PUT", "/api/customers/acme", {
      name: "Acme Corp",
    });
    assert.equal(updated.status, 200, updated.text);
    assert.equal(updated.body.name, "Acme Corp");
    assert.equal(updated.body.email, null);
    assert.equal(updated.body.created_at, "2030-01-02T03:04:05.000Z");
    assert.equal(updated.body.updated_at, "2030-01-02T03:05:05.000Z");

    const read = await api.call("GET", "/api/customers/acme");
    assert.equal(read.status, 200);
    assert.deepEqual(read.body, updated.body);

    // The employer's page greets the customer by the name the API set.
    const link = await api.call("POST", "/api/customers/acme/links");
    const client = t.client();
    assert.equal((await client.get(link.body.url)).status, 303);
    assert.match((await client.page()).html, /Acme Corp/);

    assertError(
      await api.call("GET", "/api/customers/globex"),
      404,
      "not_found",
    );
  } finally {
    await t.close();
  }
});

Deno.test("[api] bad input of every kind gets a clear 4xx, never a 5xx", async () => {
  const t = await testPortal();
  try {
    const api = integrator(t);
    assert.equal(
      (await api.call("PUT", "/api/customers/acme", { name: "Acme" })).status,
      201,
    );

    const cases: [
      string,
      string,
      unknown,
      number,
      string,
      Record<string, string>?,
    ][] = [
      [
        "PUT",
        "/api/customers/-acme",
        { name: "A" },
        400,
        "invalid_customer_id",
      ],
      [
        "PUT",
        `/api/customers/${"a".repeat(101)}`,
        { name: "A" },
        400,
        "invalid_customer_id",
      ],
      [
        "PUT",
        "/api/customers/a%20b",
        { name: "A" },
        400,
        "invalid_customer_id",
      ],
      ["PUT", "/api/customers/a~2", { name: "A" }, 400, "invalid_customer_id"],
      ["GET", "/api/customers/a%2Fb", undefined, 400, "invalid_customer_id"],
      [
        "PUT",
        "/api/customers/acme",
        "name=Acme",
        415,
        "unsupported_media_type",
        {
          "content-type": "application/x-www-form-urlencoded",
        },
      ],
      ["PUT", "/api/customers/acme", "", 415, "unsupported_media_type"],
      ["PUT", "/api/customers/acme", "{name:", 400, "invalid_json", {
        "content-type": "application/json",
      }],
      ["PUT", "/api/customers/acme", "", 400, "invalid_json", {
        "content-type": "application/json",
      }],
      ["PUT", "/api/customers/acme", [], 400, "invalid_input"],
      ["PUT", "/api/customers/acme", null, 400, "invalid_input"],
      ["PUT", "/api/customers/acme", {}, 400, "invalid_input"],
      ["PUT", "/api/customers/acme", { name: "   " }, 400, "invalid_input"],
      ["PUT", "/api/customers/acme", { name: 42 }, 400, "invalid_input"],
      [
        "PUT",
        "/api/customers/acme",
        { name: "x".repeat(201) },
        400,
        "invalid_input",
      ],
      [
        "PUT",
        "/api/customers/acme",
        { name: "A", email: "not-an-email" },
        400,
        "invalid_input",
      ],
      [
        "PUT",
        "/api/customers/acme",
        { name: "A", nmae: "typo" },
        400,
        "invalid_input",
      ],
      [
        "PUT",
        "/api/customers/acme",
        { name: "x".repeat(20_000) },
        413,
        "payload_too_large",
      ],
      [
        "POST",
        "/api/customers/acme/links",
        { expires_in: 0 },
        400,
        "invalid_input",
      ],
      [
        "POST",
        "/api/customers/acme/links",
        { expires_in: 59 },
        400,
        "invalid_input",
      ],
      [
        "POST",
        "/api/customers/acme/links",
        { expires_in: -3600 },
        400,
        "invalid_input",
      ],
      [
        "POST",
        "/api/customers/acme/links",
        { expires_in: 90.5 },
        400,
        "invalid_input",
      ],
      [
        "POST",
        "/api/customers/acme/links",
        { expires_in: "3600" },
        400,
        "invalid_input",
      ],
      [
        "POST",
        "/api/customers/acme/links",
        { expires_in: MAX_LINK_TTL_S + 1 },
        400,
        "invalid_input",
      ],
      [
        "POST",
        "/api/customers/acme/links",
        "3600",
        415,
        "unsupported_media_type",
        {
          "content-type": "text/plain",
        },
      ],
      ["POST", "/api/customers/nobody/links", {}, 404, "not_found"],
      [
        "GET",
        "/api/customers/acme/connections?limit=0",
        undefined,
        400,
        "invalid_input",
      ],
      [
        "GET",
        "/api/customers/acme/connections?limit=101",
        undefined,
        400,
        "invalid_input",
      ],
      [
        "GET",
        "/api/customers/acme/connections?limit=ten",
        undefined,
        400,
        "invalid_input",
      ],
      [
        "GET",
        "/api/customers/acme/connections?cursor=%21%21",
        undefined,
        400,
        "invalid_input",
      ],
      ["GET", "/api/customers/nobody/connections", undefined, 404, "not_found"],
      ["DELETE", "/api/customers/nobody/links", undefined, 404, "not_found"],
      [
        "GET",
        `/api/connections/${"c".repeat(300)}`,
        undefined,
        404,
        "not_found",
      ],
      ["GET", "/api/connections/%20", undefined, 404, "not_found"],
      ["GET", "/api/connections/nope/token", undefined, 404, "not_found"],
      ["DELETE", "/api/connections/nope", undefined, 404, "not_found"],
    ];
    for (const [method, path, body, status, code, headers] of cases) {
      const res = await api.call(method, path, body, headers);
      assertError(res, status, code);
    }
    // The typo'd field is named, so the integrator can fix it.
    const typo = await api.call("PUT", "/api/customers/acme", {
      name: "A",
      nmae: "x",
    });
    assert.match(typo.body.error.message, /nmae/);
    // None of it changed the customer.
    assert.equal(
      (await api.call("GET", "/api/customers/acme")).body.name,
      "Acme",
    );
  } finally {
    await t.close();
  }
});

Deno.test("[api] fuzz: any id and any JSON body answers below 500 with the error shape", async () => {
  const t = await testPortal();
  try {
    const api = integrator(t);
    const methods = fc.constantFrom(
      ["PUT", ""],
      ["GET", ""],
      ["POST", "/links"],
      ["DELETE", "/links"],
      ["GET", "/connections"],
    );
    await fc.assert(
      fc.asyncProperty(
        fc.string({ minLength: 1, maxLength: 120 }),
        fc.oneof(
          fc.jsonValue(),
          fc.record({ name: fc.string(), email: fc.string() }),
        ),
        methods,
        async (id, body, [method, suffix]) => {
          const res = await api.call(
            method,
            `/api/customers/${encodeURIComponent(id)}${suffix}`,
            method === "PUT" || method === "POST" ? body : undefined,
          );
          assert.ok(
            res.status < 500,
            `${method} ${id}: ${res.status} ${res.text}`,
          );
          if (res.status >= 400) assertError(res, res.status);
        },
      ),
      { numRuns: 150 },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.string({ minLength: 1, maxLength: 250 }),
        async (id) => {
          for (const suffix of ["", "/token"]) {
            const res = await api.call(
              "GET",
              `/api/connections/${encodeURIComponent(id)}${suffix}`,
            );
            assertError(res, 404, "not_found");
          }
        },
      ),
      { numRuns: 50 },
    );
  } finally {
    await t.close();
  }
});

Deno.test("[api] a minted link opens the portal, honours expires_in and then expires", async () => {
  let now = Date.parse("2030-05-01T00:00:00.000Z");
  const t = await testPortal({ now: () => now });
  try {
    const api = integrator(t);
    await api.call("PUT", "/api/customers/acme", { name: "Acme" });

    // No body at all: the default 72 hours.
    const week = await api.call("POST", "/api/customers/acme/links");
    assert.equal(week.status, 201, week.text);
    assert.equal(week.body.expires_at, "2030-05-04T00:00:00.000Z");
    assert.ok(week.body.url.startsWith(`${BASE}/portal/`));
    assert.equal(week.headers.get("cache-control"), "no-store");

    const hour = await api.call("POST", "/api/customers/acme/links", {
      expires_in: 3600,
    });
    assert.equal(hour.status, 201, hour.text);
    assert.deepEqual(Object.keys(hour.body).sort(), [
      "expires_at",
      "single_use",
      "url",
    ]);
    assert.equal(hour.body.single_use, false);
    assert.equal(hour.body.expires_at, "2030-05-01T01:00:00.000Z");

    const longest = await api.call("POST", "/api/customers/acme/links", {
      expires_in: MAX_LINK_TTL_S,
    });
    assert.equal(longest.status, 201, longest.text);

    const client = t.client();
    const opened = await client.get(hour.body.url);
    assert.equal(opened.status, 303);
    assert.equal(opened.headers.get("location"), "/connections");
    assert.equal((await client.page()).status, 200);

    now += 3600_000;
    const late = await t.client().get(hour.body.url);
    assert.equal(late.status, 410);
    await late.body?.cancel();
    // The 72-hour one still works.
    const still = await t.client().get(week.body.url);
    assert.equal(still.status, 303);

    // A link is a credential: never logged.
    for (const url of [week.body.url, hour.body.url, longest.body.url]) {
      const token = url.split("/portal/")[1];
      for (const line of t.logs) assert.ok(!line.includes(token), line);
    }
    assert.ok(t.logs.some((l) => l.includes('"portal_link_created"')));
  } finally {
    await t.close();
  }
});

Deno.test("[api] revoking links turns away earlier links and ends their sessions; a new link works", async () => {
  let now = Date.parse("2030-05-01T00:00:00.000Z");
  const t = await testPortal({ now: () => now });
  try {
    const api = integrator(t);
    await api.call("PUT", "/api/customers/acme", { name: "Acme" });
    await api.call("PUT", "/api/customers/globex", { name: "Globex" });
    const old = await api.call("POST", "/api/customers/acme/links");
    const other = await api.call("POST", "/api/customers/globex/links");
    const employer = t.client();
    assert.equal((await employer.get(old.body.url)).status, 303);
    const neighbour = t.client();
    assert.equal((await neighbour.get(other.body.url)).status, 303);

    now += 1000;
    const revoked = await api.call("DELETE", "/api/customers/acme/links");
    assert.equal(revoked.status, 200, revoked.text);
    assert.equal(revoked.body.links_valid_after, "2030-05-01T00:00:01.000Z");

    const reopened = await t.client().get(old.body.url);
    assert.equal(reopened.status, 410);
    await reopened.body?.cancel();
    assert.equal((await employer.page()).status, 401);
    // Another customer's links and sessions are untouched.
    assert.equal((await neighbour.page()).status, 200);

    // Re-issuing at once (same instant) gives a link that works.
    const fresh = await api.call("POST", "/api/customers/acme/links");
    const client = t.client();
    assert.equal((await client.get(fresh.body.url)).status, 303);
    assert.equal((await client.page()).status, 200);
  } finally {
    await t.close();
  }
});

Deno.test("[api] lists a customer's own connections in the public shape, page by page, never with a token", async () => {
  const t = await testPortal();
  try {
    const api = integrator(t);
    await api.call("PUT", "/api/customers/acme", { name: "Acme" });
    await api.call("PUT", "/api/customers/globex", { name: "Globex" });
    const empty = await api.call("GET", "/api/customers/acme/connections");
    assert.equal(empty.status, 200, empty.text);
    assert.deepEqual(empty.body, { connections: [], next_cursor: null });

    const acme = await t.signedIn("acme", "Acme");
    const first = await connectOne(t, acme, "acme", {
      company_name: "Acme, Inc.",
      provider_id: "gusto",
    });
    const second = await connectOne(t, acme, "acme", {
      company_name: "Acme Payroll LLC",
      provider_id: "adp_run",
      entities: "East, West",
    });
    const globex = await t.signedIn("globex", "Globex");
    const theirs = await connectOne(t, globex, "globex", {
      company_name: "Globex",
      provider_id: "gusto",
    });

    const list = await api.call("GET", "/api/customers/acme/connections");
    assert.equal(list.status, 200, list.text);
    assert.equal(list.body.next_cursor, null);
    const ids = list.body.connections.map((c: { connection_id: string }) =>
      c.connection_id
    );
    assert.deepEqual(ids.sort(), [first, second].sort());
    assert.ok(!ids.includes(theirs));
    for (const c of list.body.connections) {
      for (const key of CONNECTION_KEYS) assert.ok(key in c, `${key} missing`);
      assert.equal(c.customer_id, "acme");
      assert.equal(c.status, "connected");
      assert.ok(Array.isArray(c.products) && c.products.length > 0);
    }
    const adp = list.body.connections.find((c: { provider_id: string }) =>
      c.provider_id === "adp_run"
    );
    assert.equal(typeof adp.provider_name, "string");
    assert.notEqual(adp.provider_name, "");
    assert.deepEqual(adp.entities.map((e: { name: string }) => e.name).sort(), [
      "East",
      "West",
    ]);

    // One at a time: the cursor leads to the rest, then stops.
    const page1 = await api.call(
      "GET",
      "/api/customers/acme/connections?limit=1",
    );
    assert.equal(page1.body.connections.length, 1);
    assert.equal(typeof page1.body.next_cursor, "string");
    const page2 = await api.call(
      "GET",
      `/api/customers/acme/connections?limit=1&cursor=${
        encodeURIComponent(page1.body.next_cursor)
      }`,
    );
    assert.equal(page2.status, 200, page2.text);
    assert.equal(page2.body.connections.length, 1);
    assert.equal(page2.body.next_cursor, null);
    assert.deepEqual(
      [
        page1.body.connections[0].connection_id,
        page2.body.connections[0].connection_id,
      ].sort(),
      [first, second].sort(),
    );

    // One connection by id answers the same shape as the list.
    const one = await api.call("GET", `/api/connections/${first}`);
    assert.equal(one.status, 200, one.text);
    assert.deepEqual(
      one.body,
      list.body.connections.find((c: { connection_id: string }) =>
        c.connection_id === first
      ),
    );
    const globexOne = await api.call("GET", `/api/connections/${theirs}`);
    assert.equal(globexOne.body.customer_id, "globex");

    assertNoTokenLeak(t, api.seen);
  } finally {
    await t.close();
  }
});

Deno.test("[api] the token route hands out the newest working token, and only it does", async () => {
  const t = await testPortal();
  try {
    const api = integrator(t);
    const employer = await t.signedIn("acme", "Acme");
    const id = await connectOne(t, employer, "acme", {
      company_name: "Acme, Inc.",
      username: "first",
    });

    const got = await api.call("GET", `/api/connections/${id}/token`);
    assert.equal(got.status, 200, got.text);
    assert.equal(got.headers.get("cache-control"), "no-store");
    assert.deepEqual(Object.keys(got.body).sort(), [
      "access_token",
      "connection_id",
    ]);
    assert.equal(got.body.connection_id, id);
    const introspect = await t.fetch("/sim/introspect", {
      headers: { authorization: `Bearer ${got.body.access_token}` },
    });
    assert.equal(introspect.status, 200);
    assert.equal((await introspect.json()).connection_id, id);

    // Journey 3: the same company again with other credentials keeps one record and
    // the newest token.
    const again = await employer.connect({
      company_name: "Acme, Inc.",
      username: "second",
    });
    assert.equal(again.status, 303);
    const list = await api.call("GET", "/api/customers/acme/connections");
    assert.equal(list.body.connections.length, 1);
    const newer = await api.call("GET", `/api/connections/${id}/token`);
    assert.equal(newer.body.connection_id, id);
    assert.notEqual(newer.body.access_token, got.body.access_token);
    const live = t.portal.sim!.store.tokensOf(id).filter((x) =>
      x.revoked_at === null
    )
      .map((x) => x.access_token);
    assert.ok(live.includes(newer.body.access_token));

    // The employer's page never carries it.
    const { html } = await employer.page();
    for (const token of simTokens(t)) assert.ok(!html.includes(token));
    assert.ok(t.logs.some((l) => l.includes('"access_token_read"')));
    assertNoTokenLeak(t, api.seen);
  } finally {
    await t.close();
  }
});

Deno.test("[api] DELETE disconnects upstream and locally and says what it revoked", async () => {
  const t = await testPortal();
  try {
    const api = integrator(t);
    const employer = await t.signedIn("acme", "Acme");
    const id = await connectOne(t, employer, "acme", {
      company_name: "Acme, Inc.",
    });
    const keep = await connectOne(t, employer, "acme", {
      company_name: "Acme West",
      provider_id: "rippling",
    });
    const token =
      (await api.call("GET", `/api/connections/${id}/token`)).body.access_token;

    const gone = await api.call("DELETE", `/api/connections/${id}`);
    assert.equal(gone.status, 200, gone.text);
    assert.equal(gone.body.revoked_upstream, true);
    assert.equal(gone.body.connection.connection_id, id);
    assert.equal(gone.body.connection.customer_id, "acme");
    // The answer shows the connection as it is after the disconnect.
    assert.equal(gone.body.connection.status, "disconnected");
    assert.equal(gone.body.connection.disconnect.by, "api");
    assert.ok(!Number.isNaN(Date.parse(gone.body.disconnected_at)));

    const revoked = t.portal.sim!.revoked();
    assert.ok(revoked.connection_ids.includes(id));
    assert.ok(revoked.tokens.some((x) => x.access_token === token));
    assert.ok(!revoked.connection_ids.includes(keep));

    // A tombstone: readable by id, with its receipt and no token.
    const tombstone = await api.call("GET", `/api/connections/${id}`);
    assert.equal(tombstone.status, 200, tombstone.text);
    assert.equal(tombstone.body.status, "disconnected");
    assert.deepEqual(tombstone.body.disconnect, {
      by: "api",
      revoked_upstream: true,
      disconnected_at: gone.body.disconnected_at,
      replaced_by: null,
    });
    for (const key of CONNECTION_KEYS) assert.ok(key in tombstone.body, key);
    assertError(
      await api.call("GET", `/api/connections/${id}/token`),
      410,
      "connection_disconnected",
    );
    assertError(
      await api.call("DELETE", `/api/connections/${id}`),
      410,
      "connection_disconnected",
    );
    const disconnected = await api.call(
      "GET",
      "/api/customers/acme/connections?status=disconnected",
    );
    assert.deepEqual(
      disconnected.body.connections.map((c: { connection_id: string }) =>
        c.connection_id
      ),
      [id],
    );
    const reauth = await api.call(
      "GET",
      "/api/customers/acme/connections?status=reauth",
    );
    assert.deepEqual(reauth.body.connections, []);
    const connected = await api.call(
      "GET",
      "/api/customers/acme/connections?status=connected",
    );
    assert.deepEqual(
      connected.body.connections.map((c: { connection_id: string }) =>
        c.connection_id
      ),
      [keep],
    );
    assertError(
      await api.call("GET", "/api/customers/acme/connections?status=gone"),
      400,
      "invalid_input",
    );
    const list = await api.call("GET", "/api/customers/acme/connections");
    assert.deepEqual(
      list.body.connections.map((c: { connection_id: string }) =>
        c.connection_id
      ),
      [
        keep,
      ],
    );
    const { html } = await employer.page();
    assert.doesNotMatch(html, /Acme, Inc\./);
    assert.match(html, /Acme West/);
    // The company is free: connecting it again makes a new live connection.
    const again = await connectOne(t, employer, "acme", {
      company_name: "Acme, Inc.",
    });
    assert.notEqual(again, id);
    assert.equal(
      (await api.call("GET", `/api/connections/${again}`)).body.status,
      "connected",
    );
    assertNoTokenLeak(t, api.seen);
  } finally {
    await t.close();
  }
});

Deno.test("[api] DELETE while Finch fails changes nothing and says so; later it succeeds", async () => {
  const t = await testPortal();
  try {
    const api = integrator(t);
    const employer = await t.signedIn("acme", "Acme");
    const id = await connectOne(t, employer, "acme", {
      company_name: "Acme, Inc.",
    });
    const sim = t.portal.sim!;

    for (const status of [503, 429]) {
      sim.addFault({ path: "/disconnect", status, count: 10, retry_after: 1 });
      const failed = await api.call("DELETE", `/api/connections/${id}`);
      assertError(failed, 503, "finch_unavailable");
      assert.ok(Number(failed.headers.get("retry-after")) >= 1);
      sim.clearFaults();
      assert.equal(sim.revoked().connection_ids.length, 0);
      assert.equal(
        (await api.call("GET", `/api/connections/${id}`)).status,
        200,
      );
      const token = await api.call("GET", `/api/connections/${id}/token`);
      const check = await t.fetch("/sim/introspect", {
        headers: { authorization: `Bearer ${token.body.access_token}` },
      });
      assert.equal(check.status, 200);
      await check.body?.cancel();
    }

    const done = await api.call("DELETE", `/api/connections/${id}`);
    assert.equal(done.status, 200, done.text);
    assert.ok(sim.revoked().connection_ids.includes(id));
    assertNoTokenLeak(t, api.seen);
  } finally {
    await t.close();
  }
});

Deno.test("[api] DELETE of a connection Finch already revoked removes it locally", async () => {
  const t = await testPortal();
  try {
    const api = integrator(t);
    const employer = await t.signedIn("acme", "Acme");
    const id = await connectOne(t, employer, "acme", {
      company_name: "Acme, Inc.",
    });
    const token =
      (await api.call("GET", `/api/connections/${id}/token`)).body.access_token;
    // Someone disconnected it straight at Finch.
    const upstream = await t.fetch("/sim/disconnect", {
      method: "POST",
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(upstream.status, 200);
    await upstream.body?.cancel();

    const gone = await api.call("DELETE", `/api/connections/${id}`);
    assert.equal(gone.status, 200, gone.text);
    assert.equal(gone.body.revoked_upstream, false);
    const after = await api.call("GET", `/api/connections/${id}`);
    assert.equal(after.body.status, "disconnected");
    assert.equal(after.body.disconnect.revoked_upstream, false);
  } finally {
    await t.close();
  }
});

Deno.test("[api] two concurrent DELETEs of one connection: one succeeds, the other says it is disconnected", async () => {
  const t = await testPortal();
  try {
    const api = integrator(t);
    const employer = await t.signedIn("acme", "Acme");
    const id = await connectOne(t, employer, "acme", {
      company_name: "Acme, Inc.",
    });
    const answers = await Promise.all([
      api.call("DELETE", `/api/connections/${id}`),
      api.call("DELETE", `/api/connections/${id}`),
    ]);
    const statuses = answers.map((a) => a.status).sort();
    assert.deepEqual(
      statuses,
      [200, 410],
      answers.map((a) => a.text).join("\n"),
    );
    assertError(
      answers.find((a) => a.status === 410)!,
      410,
      "connection_disconnected",
    );
    assert.ok(t.portal.sim!.revoked().connection_ids.includes(id));
    assert.equal(
      (await api.call("GET", `/api/connections/${id}`)).body.status,
      "disconnected",
    );
  } finally {
    await t.close();
  }
});

Deno.test("[api] unknown routes answer the app's own 404: JSON under /api, a page elsewhere", async () => {
  const t = await testPortal();
  try {
    const api = integrator(t);
    for (const path of ["/api/no/such/route", "/api", "/api/customers/"]) {
      assertError(await api.call("GET", path), 404, "not_found");
    }
    // A method the route does not have is no route either.
    assertError(
      await api.call("POST", "/api/customers/acme"),
      404,
      "not_found",
    );
    const page = await t.fetch("/no/such/page");
    assert.equal(page.status, 404);
    assert.match(page.headers.get("content-type") ?? "", /^text\/html/);
    assert.match(await page.text(), /Page not found/);
  } finally {
    await t.close();
  }
});
