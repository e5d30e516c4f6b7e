/** The simulator's Finch API, driven with the official SDK: reauthentication, disconnect, multi-entity connections, introspect and assisted providers. */
import assert from "node:assert/strict";
import {
  apiError,
  authorizeCode,
  BASE,
  CLIENT_ID,
  connect,
  fixture,
  REDIRECT_URI,
} from "./helpers.ts";

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
