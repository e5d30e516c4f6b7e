/** The simulator's Finch API, driven with the official SDK: providers, company and directory data, sandbox connections, and bad input. */
import assert from "node:assert/strict";
import fc from "fast-check";
import Finch from "@tryfinch/finch-api";
import { apiError, BASE, CLIENT_ID, connect, fixture } from "./helpers.ts";

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
