/** Fault injection under `/_sim/faults`: status, count, delay, method, retry-after. */

import assert from "node:assert/strict";
import Finch from "@tryfinch/finch-api";
import { apiError, BASE, connect, fixture, REDIRECT_URI } from "./helpers.ts";

Deno.test("[sim faults] status faults hit every Finch path the portal uses", async (t) => {
  const f = fixture();
  try {
    const token = await connect(f, { company_name: "Faulty" });
    const client = f.as(token.access_token);
    const calls: [string, () => Promise<unknown>][] = [
      ["/auth/token", () => f.client.accessTokens.create({ code: "x" })],
      ["/introspect", () => client.account.introspect()],
      ["/employer/company", () => client.hris.company.retrieve()],
      ["/employer/directory", () => client.hris.directory.list()],
      [
        "/connect/sessions",
        () =>
          f.client.connect.sessions.new({
            customer_id: "f",
            customer_name: "F",
            products: ["company"],
            redirect_uri: REDIRECT_URI,
          }),
      ],
      [
        "/connect/sessions/reauthenticate",
        () =>
          f.client.connect.sessions.reauthenticate({
            connection_id: token.connection_id,
          }),
      ],
      ["/providers", () => client.providers.list()],
      ["/disconnect", () => client.account.disconnect()],
    ];
    for (const [path, call] of calls) {
      await t.step(`${path}: 503 then normal`, async () => {
        f.sim.addFault({ path, status: 503 });
        const err = await apiError(call());
        assert.equal(err.status, 503);
        assert.ok(err instanceof Finch.InternalServerError);
        assert.equal((err.error as { code: number }).code, 503);
        // count defaults to 1: the next call is served normally (or fails on its own merits).
        await call().catch((e) => assert.notEqual(e.status, 503));
      });
    }
  } finally {
    await f.sim.close();
  }
});

Deno.test("[sim faults] count, method, retry-after, clearing, over HTTP", async (t) => {
  const f = fixture();
  const http = (method: string, body?: unknown) =>
    f.sim.app.request(`${BASE}/_sim/faults`, {
      method,
      headers: { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  try {
    await t.step("count = how many requests it hits", async () => {
      const res = await http("POST", {
        path: "/providers",
        status: 500,
        count: 2,
      });
      assert.equal(res.status, 201);
      assert.equal(
        (await apiError(
          f.client.providers.list({ headers: { Authorization: null } }),
        ))
          .status,
        500,
      );
      assert.equal(
        (await apiError(
          f.client.providers.list({ headers: { Authorization: null } }),
        ))
          .status,
        500,
      );
      assert.ok(
        (await f.client.providers.list({ headers: { Authorization: null } }))
          .items.length,
      );
    });

    await t.step("the method filter and retry-after", async () => {
      await http("POST", {
        method: "get",
        path: "/providers",
        status: 429,
        retry_after: 7,
      });
      const post = await f.sim.app.request(`${BASE}/providers`, {
        method: "POST",
      });
      assert.equal(post.status, 404, "a POST is not hit by a GET fault");
      const res = await f.sim.app.request(`${BASE}/providers`);
      assert.equal(res.status, 429);
      assert.equal(res.headers.get("retry-after"), "7");
      assert.equal((await res.json()).name, "rate_limit_exceeded_error");
    });

    await t.step("the SDK retries a 429 fault and then succeeds", async () => {
      f.sim.addFault({ path: "/providers", status: 429, retry_after: 0 });
      const retrying = f.client.withOptions({ maxRetries: 1 });
      const page = await retrying.providers.list({
        headers: { Authorization: null },
      });
      assert.ok(page.items.length >= 12);
    });

    await t.step("GET lists armed faults, DELETE clears them", async () => {
      await http("POST", { path: "/introspect", status: 500, count: 5 });
      const listed = await (await http("GET")).json();
      assert.equal(listed.faults.length, 1);
      assert.equal(listed.faults[0].remaining, 5);
      assert.equal((await http("DELETE")).status, 200);
      assert.deepEqual(f.sim.faults(), []);
    });

    await t.step("a bad fault is a 400", async () => {
      assert.equal((await http("POST", { path: "no-slash" })).status, 400);
      assert.equal(
        (await http("POST", { path: "/x", status: 200 })).status,
        400,
      );
    });
  } finally {
    await f.sim.close();
  }
});

Deno.test("[sim faults] a delay makes the SDK time out, then the call works", async () => {
  const f = fixture();
  try {
    f.sim.addFault({ path: "/providers", delay_ms: 400 });
    const impatient = f.client.withOptions({ timeout: 100 });
    const started = Date.now();
    await assert.rejects(
      impatient.providers.list({ headers: { Authorization: null } }),
      Finch.APIConnectionTimeoutError,
    );
    assert.ok(Date.now() - started < 350);
    const page = await impatient.providers.list({
      headers: { Authorization: null },
    });
    assert.ok(page.items.length > 0);
    // A delay with a status: slow, then the error.
    f.sim.addFault({ path: "/providers", delay_ms: 50, status: 502 });
    const t0 = Date.now();
    const err = await apiError(
      f.client.providers.list({ headers: { Authorization: null } }),
    );
    assert.equal(err.status, 502);
    assert.ok(Date.now() - t0 >= 45);
  } finally {
    await f.sim.close();
  }
});
