/** The simulator's Finch API, driven with the official SDK: authentication, Connect sessions, authorization codes and connection identity. */
import assert from "node:assert/strict";
import Finch from "@tryfinch/finch-api";
import {
  apiError,
  authorizeCode,
  BASE,
  CLIENT_ID,
  connect,
  fixture,
  REDIRECT_URI,
} from "./helpers.ts";

Deno.test("[sim api] authentication", async (t) => {
  const f = fixture();
  try {
    await t.step(
      "bad Basic credentials on /connect/sessions -> 401 invalid_client",
      async () => {
        const bad = f.client.withOptions({ clientSecret: "wrong" });
        const err = await apiError(
          bad.connect.sessions.new({
            customer_id: "c",
            customer_name: "C",
            products: ["company"],
          }),
        );
        assert.equal(err.status, 401);
        assert.ok(err instanceof Finch.AuthenticationError);
        assert.deepEqual(err.error, {
          code: 401,
          finch_code: "invalid_client",
          message: "Invalid client: Unable to validate credentials",
        });
      },
    );

    await t.step(
      "no Authorization at all on /connect/sessions -> 401",
      async () => {
        const res = await f.sim.app.request(`${BASE}/connect/sessions`, {
          method: "POST",
          body: JSON.stringify({
            customer_id: "c",
            customer_name: "C",
            products: [],
          }),
        });
        assert.equal(res.status, 401);
        assert.match(res.headers.get("content-type")!, /application\/json/);
      },
    );

    await t.step(
      "bad client secret in /auth/token body -> 401 invalid_client_error",
      async () => {
        const err = await apiError(
          f.client.accessTokens.create({ code: "x", client_secret: "nope" }),
        );
        assert.equal(err.status, 401);
        assert.equal(
          (err.error as { name: string }).name,
          "invalid_client_error",
        );
      },
    );

    await t.step("/auth/token also accepts Basic credentials", async () => {
      const session = await f.client.connect.sessions.new({
        customer_id: "basic-token",
        customer_name: "Basic",
        products: ["company"],
        redirect_uri: REDIRECT_URI,
      });
      const code = await authorizeCode(f.sim.app, session.session_id, {
        provider_id: "gusto",
        company_name: "Basic Co",
      });
      const res = await f.sim.app.request(`${BASE}/auth/token`, {
        method: "POST",
        headers: {
          authorization: `Basic ${btoa(`${CLIENT_ID}:test-secret`)}`,
          "content-type": "application/json",
        },
        body: JSON.stringify({ code }),
      });
      assert.equal(res.status, 200);
      assert.ok((await res.json()).access_token);
    });

    await t.step(
      "missing bearer -> 401 unauthorized_request_error",
      async () => {
        const res = await f.sim.app.request(`${BASE}/introspect`);
        assert.equal(res.status, 401);
        assert.equal((await res.json()).name, "unauthorized_request_error");
      },
    );

    await t.step("unknown bearer -> 401 invalid_token_error", async () => {
      const err = await apiError(
        f.as(crypto.randomUUID()).account.introspect(),
      );
      assert.equal(err.status, 401);
      assert.equal((err.error as { name: string }).name, "invalid_token_error");
    });
  } finally {
    await f.sim.close();
  }
});

Deno.test("[sim api] Connect sessions", async (t) => {
  const f = fixture();
  try {
    await t.step(
      "connect_url points at the simulator's /authorize",
      async () => {
        const s = await f.client.connect.sessions.new({
          customer_id: "url",
          customer_name: "Url",
          products: ["company"],
        });
        assert.match(s.session_id, /^[0-9a-f-]{36}$/);
        assert.equal(
          s.connect_url,
          `${BASE}/authorize?session=${s.session_id}`,
        );
      },
    );

    await t.step(
      "unconverted customer: same session_id, refreshed parameters",
      async () => {
        const a = await f.client.connect.sessions.new({
          customer_id: "acme",
          customer_name: "Acme",
          products: ["company"],
          minutes_to_expire: 5,
        });
        const b = await f.client.connect.sessions.new({
          customer_id: "acme",
          customer_name: "Acme Renamed",
          products: ["company", "directory"],
          redirect_uri: REDIRECT_URI,
          integration: { provider: "justworks" },
        });
        assert.equal(a.session_id, b.session_id);
        const session = f.sim.store.data.sessions[b.session_id];
        assert.equal(session.customer_name, "Acme Renamed");
        assert.deepEqual(session.products, ["company", "directory"]);
        assert.equal(session.redirect_uri, REDIRECT_URI);
        assert.equal(session.provider_id, "justworks");
        assert.ok(
          session.expires_at - Date.now() > 89 * 24 * 3600_000,
          "expiry refreshed",
        );
        const other = await f.client.connect.sessions.new({
          customer_id: "acme-2",
          customer_name: "Acme",
          products: ["company"],
        });
        assert.notEqual(other.session_id, a.session_id);
      },
    );

    await t.step(
      "converted customer -> 400 connection_already_exists with context",
      async () => {
        const token = await connect(f, {
          customer_id: "conv",
          company_name: "Conv Co",
        });
        const err = await apiError(
          f.client.connect.sessions.new({
            customer_id: "conv",
            customer_name: "C",
            products: [],
          }),
        );
        assert.equal(err.status, 400);
        assert.ok(err instanceof Finch.BadRequestError);
        assert.deepEqual(err.error, {
          code: 400,
          finch_code: "connection_already_exists",
          message:
            "There's an existing connection for the customer_id: conv. Please use the /connect/sessions/reauthenticate endpoint instead.",
          name: "bad_request",
          context: { customer_id: "conv", connection_id: token.connection_id },
        });
      },
    );

    await t.step("unknown provider in integration -> 400", async () => {
      const err = await apiError(f.client.connect.sessions.new({
        customer_id: "p",
        customer_name: "P",
        products: ["company"],
        integration: { provider: "no_such_provider" },
      }));
      assert.equal(err.status, 400);
    });

    await t.step(
      "reauthenticate an unknown connection -> 400 Connection not found",
      async () => {
        const err = await apiError(
          f.client.connect.sessions.reauthenticate({
            connection_id: crypto.randomUUID(),
          }),
        );
        assert.equal(err.status, 400);
        assert.deepEqual(err.error, {
          code: 400,
          name: "bad_request",
          finch_code: "invalid_request",
          message: "Connection not found",
        });
      },
    );
  } finally {
    await f.sim.close();
  }
});

Deno.test("[sim api] authorization codes", async (t) => {
  const f = fixture();
  const newCode = async (customer: string) => {
    const s = await f.client.connect.sessions.new({
      customer_id: customer,
      customer_name: "Codes",
      products: ["company"],
      redirect_uri: REDIRECT_URI,
    });
    return await authorizeCode(f.sim.app, s.session_id, {
      provider_id: "gusto",
      company_name: `Codes ${customer}`,
    });
  };
  try {
    await t.step("a code is single-use", async () => {
      const code = await newCode("single");
      const first = await f.client.accessTokens.create({
        code,
        redirect_uri: REDIRECT_URI,
      });
      assert.ok(first.access_token);
      const err = await apiError(f.client.accessTokens.create({ code }));
      assert.equal(err.status, 400);
      assert.equal((err.error as { name: string }).name, "invalid_grant_error");
    });

    await t.step("a code still works just before 10 minutes", async () => {
      const code = await newCode("almost");
      f.advance(10 * 60_000 - 1_000);
      assert.ok((await f.client.accessTokens.create({ code })).access_token);
    });

    await t.step("a code expires after 10 minutes", async () => {
      const code = await newCode("late");
      f.advance(10 * 60_000 + 1);
      const err = await apiError(f.client.accessTokens.create({ code }));
      assert.equal(err.status, 400);
      assert.equal((err.error as { name: string }).name, "invalid_grant_error");
      assert.match(err.message, /expired/);
    });

    await t.step("an unknown code -> 400 invalid_grant_error", async () => {
      const err = await apiError(
        f.client.accessTokens.create({ code: "nope" }),
      );
      assert.equal(err.status, 400);
    });

    await t.step("a mismatched redirect_uri -> 400", async () => {
      const code = await newCode("mismatch");
      const err = await apiError(
        f.client.accessTokens.create({
          code,
          redirect_uri: "http://evil.test/cb",
        }),
      );
      assert.equal(err.status, 400);
    });
  } finally {
    await f.sim.close();
  }
});

Deno.test("[sim api] connection identity", async (t) => {
  const f = fixture();
  try {
    const first = await connect(f, {
      company_name: "Globex Corp",
      username: "alice",
    });

    await t.step("token response has every documented field", () => {
      assert.equal(first.token_type, "bearer");
      assert.match(first.access_token, /^[0-9a-f-]{36}$/);
      assert.equal(first.provider_id, "gusto");
      assert.equal(first.client_type, "production");
      assert.equal(first.connection_type, "provider");
      assert.deepEqual(first.products, [
        "company",
        "directory",
        "individual",
        "employment",
      ]);
      assert.equal(first.entity_ids.length, 1);
      assert.ok(first.company_id);
      assert.ok(first.account_id);
      assert.equal(first.customer_name, "Acme Benefits Customer");
      assert.match(first.customer_id!, /^cust-/);
    });

    await t.step(
      "same pair, other username and customer -> same connection, new token",
      async () => {
        const again = await connect(f, {
          company_name: "  globex   CORP ",
          username: "bob",
        });
        assert.equal(again.connection_id, first.connection_id);
        assert.equal(again.company_id, first.company_id);
        assert.notEqual(again.access_token, first.access_token);
        // Both tokens keep working: they are tokens of one connection.
        assert.equal(
          (await f.as(first.access_token).account.introspect()).username,
          "alice",
        );
        assert.equal(
          (await f.as(again.access_token).account.introspect()).username,
          "bob",
        );
      },
    );

    await t.step(
      "other company -> other connection and company_id",
      async () => {
        const other = await connect(f, { company_name: "Initech" });
        assert.notEqual(other.connection_id, first.connection_id);
        assert.notEqual(other.company_id, first.company_id);
      },
    );

    await t.step(
      "other provider, same company -> other connection, same company_id",
      async () => {
        const other = await connect(f, {
          company_name: "Globex Corp",
          provider_id: "justworks",
        });
        assert.notEqual(other.connection_id, first.connection_id);
        assert.equal(other.company_id, first.company_id);
      },
    );

    await t.step("company_id is deterministic across simulators", async () => {
      const g = fixture();
      try {
        const same = await connect(g, { company_name: "GLOBEX corp" });
        assert.equal(same.company_id, first.company_id);
        assert.notEqual(same.connection_id, first.connection_id);
      } finally {
        await g.sim.close();
      }
    });
  } finally {
    await f.sim.close();
  }
});
