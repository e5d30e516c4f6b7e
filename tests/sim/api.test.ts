/**
 * The simulator's Finch API, driven with the official SDK: auth, sessions, codes,
 * connection identity, reauthentication, disconnect, multi-entity, introspect, providers,
 * company and directory data, and bad input.
 */

import assert from "node:assert/strict";
import fc from "fast-check";
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

Deno.test("[sim api] reauthentication", async (t) => {
  const f = fixture();
  try {
    const first = await connect(f, {
      customer_id: "re",
      company_name: "Reauth Co",
    });
    const client = f.as(first.access_token);

    await t.step("status reauth through the sandbox endpoint", async () => {
      const res = await client.sandbox.connections.accounts.update({
        connection_status: "reauth",
      });
      assert.equal(res.connection_id, first.connection_id);
      assert.equal(res.company_id, first.company_id);
      const intro = await client.account.introspect();
      assert.equal(intro.connection_status.status, "reauth");
      const err = await apiError(client.hris.company.retrieve());
      assert.equal(err.status, 401);
      assert.equal(
        (err.error as { finch_code: string }).finch_code,
        "reauthenticate_user",
      );
    });

    await t.step(
      "reauth keeps connection_id, gives a new token, status connected",
      async () => {
        const s = await f.client.connect.sessions.reauthenticate({
          connection_id: first.connection_id,
          redirect_uri: REDIRECT_URI,
        });
        const page = await (await f.sim.app.request(s.connect_url)).text();
        assert.match(page, /name="provider_id" value="gusto"/);
        assert.doesNotMatch(
          page,
          /type="radio"/,
          "provider is fixed on a reauth session",
        );
        assert.match(page, /Reauth Co/);
        const code = await authorizeCode(f.sim.app, s.session_id, {
          username: "new-admin",
        });
        const next = await f.client.accessTokens.create({ code });
        assert.equal(next.connection_id, first.connection_id);
        assert.notEqual(next.access_token, first.access_token);
        const intro = await f.as(next.access_token).account.introspect();
        assert.equal(intro.connection_status.status, "connected");
        assert.equal(intro.customer_id, "re");
        assert.ok(await f.as(next.access_token).hris.company.retrieve());
      },
    );

    await t.step(
      "the customer stays converted: new sessions still refused",
      async () => {
        const err = await apiError(
          f.client.connect.sessions.new({
            customer_id: "re",
            customer_name: "R",
            products: [],
          }),
        );
        assert.equal(err.status, 400);
      },
    );
  } finally {
    await f.sim.close();
  }
});

Deno.test("[sim api] disconnect", async (t) => {
  const f = fixture();
  try {
    const a1 = await connect(f, {
      customer_id: "d1",
      company_name: "Disco",
      username: "u1",
    });
    const a2 = await connect(f, {
      customer_id: "d2",
      company_name: "Disco",
      username: "u2",
    });
    const other = await connect(f, {
      customer_id: "d3",
      company_name: "Disco",
      provider_id: "bamboo_hr",
    });
    assert.equal(a1.connection_id, a2.connection_id);

    await t.step(
      "revokes every token of the connection and no other",
      async () => {
        assert.deepEqual(await f.as(a2.access_token).account.disconnect(), {
          status: "success",
        });
        for (const token of [a1.access_token, a2.access_token]) {
          const err = await apiError(f.as(token).account.introspect());
          assert.equal(err.status, 401);
        }
        const intro = await f.as(other.access_token).account.introspect();
        assert.equal(intro.connection_status.status, "connected");
        const revoked = await (await f.sim.app.request(`${BASE}/_sim/revoked`))
          .json();
        assert.deepEqual(
          revoked.tokens.map((t: { access_token: string }) => t.access_token)
            .sort(),
          [a1.access_token, a2.access_token].sort(),
        );
        assert.deepEqual(revoked.connection_ids, [a1.connection_id]);
      },
    );

    await t.step("a disconnected connection is never revived", async () => {
      const again = await connect(f, {
        customer_id: "d1",
        company_name: "Disco",
      });
      assert.notEqual(again.connection_id, a1.connection_id);
      assert.equal(again.company_id, a1.company_id);
      const err = await apiError(
        f.client.connect.sessions.reauthenticate({
          connection_id: a1.connection_id,
        }),
      );
      assert.equal(err.status, 400);
    });
  } finally {
    await f.sim.close();
  }
});

Deno.test("[sim api] multi-entity", async (t) => {
  const f = fixture();
  try {
    const token = await connect(f, {
      company_name: "Umbrella Holdings",
      entities: "Umbrella East, Umbrella West ,umbrella east,",
    });
    const client = f.as(token.access_token);

    await t.step(
      "entity ids in the token, entities in introspect",
      async () => {
        assert.equal(token.entity_ids.length, 2);
        const intro = await client.account.introspect();
        assert.deepEqual(
          intro.entities!.map((e) => [e.id, e.name, e.status]),
          [
            [token.entity_ids[0], "Umbrella East", "connected"],
            [token.entity_ids[1], "Umbrella West", "connected"],
          ],
        );
      },
    );

    await t.step(
      "entity ids are deterministic per company and name",
      async () => {
        const again = await connect(f, {
          company_name: "umbrella holdings",
          entities: "Umbrella West",
        });
        assert.equal(again.connection_id, token.connection_id);
        assert.deepEqual(again.entity_ids, token.entity_ids);
      },
    );

    await t.step("company and directory by entity_ids[]", async () => {
      const east = await client.hris.company.retrieve({
        entity_ids: [token.entity_ids[0]],
      });
      assert.equal(east.legal_name, "Umbrella East");
      const whole = await client.hris.company.retrieve();
      assert.equal(whole.legal_name, "Umbrella Holdings");
      const page = await client.hris.directory.list({
        entity_ids: [token.entity_ids[1]],
      });
      assert.ok(page.individuals.length > 0);
      const err = await apiError(
        client.hris.company.retrieve({ entity_ids: token.entity_ids }),
      );
      assert.equal(err.status, 400, "at most one entity per request");
      const unknown = await apiError(
        client.hris.company.retrieve({ entity_ids: [crypto.randomUUID()] }),
      );
      assert.equal(unknown.status, 400);
    });

    await t.step(
      "disconnect-entity drops one entity, keeps the token",
      async () => {
        const res = await client.account.disconnectEntity({
          entity_ids: [token.entity_ids[0]],
        });
        assert.deepEqual(res, { status: "success" });
        const intro = await client.account.introspect();
        assert.equal(intro.entities![0].status, "disconnected");
        assert.equal(intro.entities![1].status, "connected");
        const missing = crypto.randomUUID();
        const err = await apiError(
          client.account.disconnectEntity({
            entity_ids: [token.entity_ids[0], missing],
          }),
        );
        assert.equal(err.status, 400);
        assert.deepEqual(err.error, {
          errors: [
            { entityId: token.entity_ids[0], error: "NOT_FOUND" },
            { entityId: missing, error: "NOT_FOUND" },
          ],
        });
      },
    );
  } finally {
    await f.sim.close();
  }
});

Deno.test("[sim api] introspect has every documented field", async () => {
  const f = fixture();
  try {
    const session = await f.client.connect.sessions.new({
      customer_id: "intro",
      customer_name: "Intro Inc",
      customer_email: "ops@intro.test",
      products: ["company", "directory"],
      redirect_uri: REDIRECT_URI,
      sandbox: "finch",
    });
    const code = await authorizeCode(f.sim.app, session.session_id, {
      provider_id: "rippling",
      company_name: "Intro Inc",
      username: "jane@intro.test",
    });
    const token = await f.client.accessTokens.create({ code });
    const intro = await f.as(token.access_token).account.introspect();
    assert.match(intro.id, /^[0-9a-f-]{36}$/);
    assert.notEqual(
      intro.id,
      token.access_token,
      "id is the token's id, not the token",
    );
    assert.equal(intro.connection_id, token.connection_id);
    assert.equal(intro.connection_status.status, "connected");
    assert.ok(intro.connection_status.last_successful_sync);
    assert.equal(intro.client_id, CLIENT_ID);
    assert.equal(intro.client_type, "sandbox");
    assert.equal(intro.connection_type, "finch");
    assert.equal(intro.company_id, token.company_id);
    assert.equal(intro.account_id, token.account_id);
    assert.equal(intro.customer_id, "intro");
    assert.equal(intro.customer_name, "Intro Inc");
    assert.equal(intro.customer_email, "ops@intro.test");
    assert.deepEqual(intro.products, ["company", "directory"]);
    assert.equal(intro.username, "jane@intro.test");
    assert.equal(intro.provider_id, "rippling");
    assert.equal(intro.payroll_provider_id, "rippling");
    assert.equal(intro.manual, false);
    assert.deepEqual(intro.authentication_methods!.map((m) => m.type), [
      "oauth",
    ]);
    assert.equal(
      intro.authentication_methods![0].connection_status!.status,
      "connected",
    );
    assert.equal(intro.entities!.length, 1);
    assert.equal(intro.entities![0].name, "Intro Inc");
  } finally {
    await f.sim.close();
  }
});

Deno.test("[sim api] assisted providers start pending and answer 202", async () => {
  const f = fixture();
  try {
    const token = await connect(f, {
      provider_id: "trinet",
      company_name: "Assisted Co",
      manual: true,
    });
    const client = f.as(token.access_token);
    const intro = await client.account.introspect();
    assert.equal(intro.connection_status.status, "pending");
    assert.equal(intro.manual, true);
    const res = await client.hris.company.retrieve().withResponse();
    assert.equal(res.response.status, 202);
    await client.sandbox.connections.accounts.update({
      connection_status: "connected",
    });
    assert.equal(
      (await client.hris.company.retrieve()).legal_name,
      "Assisted Co",
    );
  } finally {
    await f.sim.close();
  }
});

Deno.test("[sim api] providers", async (t) => {
  const f = fixture();
  try {
    const page = await f.client.providers.list({
      headers: { Authorization: null },
    });
    const providers = page.items;

    await t.step(
      "a bare array of real provider ids with names, products, logos",
      () => {
        assert.ok(providers.length >= 12);
        for (
          const id of [
            "gusto",
            "adp_run",
            "bamboo_hr",
            "paychex_flex",
            "rippling",
            "justworks",
          ]
        ) {
          assert.ok(providers.some((p) => p.id === id), id);
        }
        for (const p of providers) {
          assert.ok(p.display_name && p.products.length > 0);
          assert.equal(p.logo, `${BASE}/_sim/logos/${p.id}.svg`);
          assert.ok(p.authentication_methods!.length > 0);
        }
      },
    );

    await t.step("logos are served as SVG", async () => {
      const res = await f.sim.app.request(providers[0].logo!);
      assert.equal(res.status, 200);
      assert.match(res.headers.get("content-type")!, /image\/svg\+xml/);
      assert.match(await res.text(), /^<svg/);
      assert.equal(
        (await f.sim.app.request(`${BASE}/_sim/logos/nope.svg`)).status,
        404,
      );
    });

    await t.step("a bearer token is accepted too", async () => {
      const token = await connect(f);
      assert.equal(
        (await f.as(token.access_token).providers.list()).items.length,
        providers.length,
      );
    });
  } finally {
    await f.sim.close();
  }
});

Deno.test("[sim api] company and directory data", async (t) => {
  const f = fixture();
  try {
    const token = await connect(f, { company_name: "Hooli" });
    const client = f.as(token.access_token);

    await t.step("company is deterministic and complete", async () => {
      const a = await client.hris.company.retrieve();
      const b = await client.hris.company.retrieve();
      assert.deepEqual(a, b);
      assert.equal(a.id, token.company_id);
      assert.equal(a.legal_name, "Hooli");
      assert.match(a.ein!, /^\d{2}-\d{7}$/);
      assert.match(a.primary_phone_number!, /^\+1\d{10}$/);
      assert.ok(
        a.departments!.length >= 3 && a.locations!.length >= 1 &&
          a.accounts!.length,
      );
      const g = fixture();
      try {
        const other = await connect(g, {
          company_name: "Hooli",
          provider_id: "rippling",
        });
        assert.deepEqual(
          await g.as(other.access_token).hris.company.retrieve(),
          a,
        );
      } finally {
        await g.sim.close();
      }
    });

    await t.step(
      "directory pages: offset echoed, total in count, auto-pagination",
      async () => {
        const first = await client.hris.directory.list({ limit: 7 });
        const total = first.paging.count!;
        assert.ok(total >= 12);
        assert.equal(first.paging.offset, 0);
        assert.equal(first.individuals.length, 7);
        const second = await client.hris.directory.list({
          limit: 7,
          offset: 7,
        });
        assert.equal(second.paging.offset, 7);
        const all = [];
        for await (const person of client.hris.directory.list({ limit: 7 })) {
          all.push(person);
        }
        assert.equal(all.length, total);
        assert.equal(new Set(all.map((p) => p.id)).size, total);
        assert.deepEqual(all.slice(7, 14), second.individuals);
        const ids = new Set(all.map((p) => p.id));
        for (const p of all) {
          if (p.manager) assert.ok(ids.has(p.manager.id), "managers exist");
        }
        const whole = await client.hris.directory.list();
        assert.equal(
          whole.individuals.length,
          Math.min(100, total),
          "default limit 100",
        );
      },
    );

    await t.step("limit above 10000 -> 422", async () => {
      const err = await apiError(client.hris.directory.list({ limit: 10_001 }));
      assert.equal(err.status, 422);
      assert.ok(err instanceof Finch.UnprocessableEntityError);
      assert.equal(
        (err.error as { finch_code: string }).finch_code,
        "page_size_limit_exceeded",
      );
    });

    await t.step("a non-numeric limit -> 400", async () => {
      const res = await f.sim.app.request(
        `${BASE}/employer/directory?limit=ten`,
        {
          headers: { authorization: `Bearer ${token.access_token}` },
        },
      );
      assert.equal(res.status, 400);
    });

    await t.step("largeco has a large directory", async () => {
      const big = await connect(f, { company_name: "LargeCo" });
      const page = await f.as(big.access_token).hris.directory.list({
        limit: 10_000,
      });
      assert.equal(page.paging.count, 1500);
      assert.equal(page.individuals.length, 1500);
    });
  } finally {
    await f.sim.close();
  }
});

Deno.test("[sim api] sandbox connections", async () => {
  const f = fixture();
  try {
    const created = await f.client.sandbox.connections.create({
      provider_id: "gusto",
      employee_size: 3,
    });
    assert.equal(created.token_type, "bearer");
    assert.equal(created.provider_id, "gusto");
    const client = f.as(created.access_token);
    assert.equal((await client.hris.directory.list()).paging.count, 3);
    const account = await f.client.sandbox.connections.accounts.create({
      company_id: created.company_id!,
      provider_id: "gusto",
    });
    assert.equal(account.connection_id, created.connection_id);
    assert.notEqual(account.access_token, created.access_token);
  } finally {
    await f.sim.close();
  }
});

Deno.test("[sim api] bad input gets Finch-style 4xx JSON, never 5xx", async (t) => {
  const f = fixture();
  const basic = `Basic ${btoa(`${CLIENT_ID}:test-secret`)}`;
  try {
    const token = (await connect(f)).access_token;
    const routes: [string, string, string][] = [
      ["POST", "/connect/sessions", basic],
      ["POST", "/connect/sessions/reauthenticate", basic],
      ["POST", "/auth/token", ""],
      ["POST", "/disconnect-entity", `Bearer ${token}`],
      ["PUT", "/sandbox/connections/accounts", `Bearer ${token}`],
      ["POST", "/sandbox/connections", basic],
      ["POST", "/sandbox/connections/accounts", basic],
      ["POST", "/_sim/faults", ""],
    ];
    const send = (method: string, path: string, auth: string, body: string) =>
      f.sim.app.request(`${BASE}${path}`, {
        method,
        headers: {
          "content-type": "application/json",
          ...(auth ? { authorization: auth } : {}),
        },
        body,
      });

    await t.step("unknown paths -> 404 JSON", async () => {
      for (
        const [method, path] of [["GET", "/nope"], ["POST", "/employer/nope"], [
          "GET",
          "/",
        ]]
      ) {
        const res = await f.sim.app.request(`${BASE}${path}`, { method });
        assert.equal(res.status, 404);
        assert.match(res.headers.get("content-type")!, /application\/json/);
        assert.equal((await res.json()).code, 404);
      }
    });

    await t.step(
      "malformed JSON, wrong types, missing fields -> 400 JSON",
      async () => {
        for (const [method, path, auth] of routes) {
          for (
            const body of [
              "{not json",
              "[]",
              '{"customer_id": 42}',
              "null",
              '"x"',
            ]
          ) {
            const res = await send(method, path, auth, body);
            assert.equal(res.status, 400, `${method} ${path} ${body}`);
            const json = await res.json();
            assert.equal(json.code, 400);
            assert.equal(typeof json.message, "string");
          }
        }
      },
    );

    await t.step(
      "property: any JSON body to any endpoint answers below 500",
      async () => {
        await fc.assert(
          fc.asyncProperty(
            fc.constantFrom(...routes),
            fc.oneof(fc.json(), fc.string()),
            async ([method, path, auth], body) => {
              const res = await send(method, path, auth, body);
              await res.body?.cancel();
              return res.status < 500;
            },
          ),
          { numRuns: 150 },
        );
      },
    );
  } finally {
    await f.sim.close();
  }
});
