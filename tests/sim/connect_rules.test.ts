/**
 * Connect's newer rules: registered redirect URIs, `manual` sessions and assisted
 * connections (pending, 202, then live with `account.updated`), the webhook a completed
 * reauthentication sends, and Finch's opt-in rate limits.
 */

import assert from "node:assert/strict";
import {
  apiError,
  authorizeCode,
  BASE,
  connect,
  fixture,
  postForm,
  receiver,
  REDIRECT_URI,
} from "./helpers.ts";

Deno.test("[sim connect] only registered redirect URIs, when some are registered", async (t) => {
  const f = fixture({ redirectUris: [REDIRECT_URI] });
  try {
    const session = (redirect_uri?: string | null) =>
      f.client.connect.sessions.new({
        customer_id: `r-${crypto.randomUUID()}`,
        customer_name: "Redirects",
        products: ["company"],
        redirect_uri,
      });

    await t.step("a session for another redirect_uri -> 400", async () => {
      const err = await apiError(session("http://evil.test/callback"));
      assert.equal(err.status, 400);
      assert.equal(
        (err.error as { finch_code: string }).finch_code,
        "invalid_request",
      );
      assert.match(
        err.message,
        /not one of the application's registered redirect URIs/,
      );
      const reauth = await apiError(f.client.connect.sessions.reauthenticate({
        connection_id: (await connect(f)).connection_id,
        redirect_uri: "http://evil.test/callback",
      }));
      assert.equal(reauth.status, 400);
    });

    await t.step(
      "the registered one works, and the embedded flow needs none",
      async () => {
        assert.ok((await session(REDIRECT_URI)).session_id);
        assert.ok((await session(null)).session_id);
      },
    );

    await t.step(
      "the code exchange refuses an unregistered redirect_uri",
      async () => {
        const s = await session(REDIRECT_URI);
        const code = await authorizeCode(f.sim.app, s.session_id, {
          provider_id: "gusto",
          company_name: "Redirect Co",
        });
        const err = await apiError(f.client.accessTokens.create({
          code,
          redirect_uri: "http://evil.test/callback",
        }));
        assert.equal(err.status, 400);
        assert.equal(
          (err.error as { name: string }).name,
          "invalid_grant_error",
        );
      },
    );

    await t.step(
      "Connect will not redirect to a no longer registered URI",
      async () => {
        // A session made before the list changed (e.g. a restart with another list).
        const s = f.sim.store.createSession({
          customer_id: "old-session",
          customer_name: "Old",
          products: ["company"],
          redirect_uri: "http://old.test/callback",
        });
        const page = await f.sim.app.request(
          `${BASE}/authorize?session=${s.id}`,
        );
        assert.equal(page.status, 400);
        assert.match(await page.text(), /registered redirect URIs/);
        const post = await postForm(f.sim.app, s.id, {
          provider_id: "gusto",
          company_name: "X",
        });
        assert.equal(post.status, 400);
      },
    );
  } finally {
    await f.sim.close();
  }
  // Without the option any redirect_uri is accepted, as before.
  const open = fixture();
  try {
    const s = await open.client.connect.sessions.new({
      customer_id: "any",
      customer_name: "Any",
      products: ["company"],
      redirect_uri: "http://anything.test/cb",
    });
    assert.ok(s.session_id);
  } finally {
    await open.sim.close();
  }
});

Deno.test("[sim connect] an embedded session's code must be exchanged without redirect_uri", async () => {
  const f = fixture();
  try {
    const s = await f.client.connect.sessions.new({
      customer_id: "embedded",
      customer_name: "Embedded",
      products: ["company"],
    });
    const res = await postForm(f.sim.app, s.session_id, {
      provider_id: "gusto",
      company_name: "Embedded Co",
      app_type: "spa",
      sdk_host_url: "http://host.test",
    });
    const code = /"code":"([^"]+)"/.exec(await res.text())![1];
    const err = await apiError(
      f.client.accessTokens.create({ code, redirect_uri: REDIRECT_URI }),
    );
    assert.equal(err.status, 400);
    assert.ok((await f.client.accessTokens.create({ code })).access_token);
  } finally {
    await f.sim.close();
  }
});

Deno.test("[sim connect] manual sessions offer assisted providers; they go live later", async (t) => {
  const hooks = receiver();
  const f = fixture({
    assistedDelayMs: 20,
    initialSyncDelayMs: 5,
    webhookUrl: "http://portal.test/hook",
    fetch: hooks.fetch,
  });
  try {
    await t.step(
      "without manual, an assisted-only provider is neither shown nor taken",
      async () => {
        const s = await f.client.connect.sessions.new({
          customer_id: "auto",
          customer_name: "Auto",
          products: ["company"],
          redirect_uri: REDIRECT_URI,
        });
        const page = await (await f.sim.app.request(s.connect_url)).text();
        assert.doesNotMatch(page, /value="trinet"/);
        const res = await postForm(f.sim.app, s.session_id, {
          provider_id: "trinet",
          company_name: "Auto Co",
        });
        assert.equal(res.status, 400);
        assert.match(await res.text(), /isn(&#39;|')t available here/);
      },
    );

    await t.step("with manual, it is offered and marked assisted", async () => {
      const s = await f.client.connect.sessions.new({
        customer_id: "manual-page",
        customer_name: "Manual",
        products: ["company"],
        redirect_uri: REDIRECT_URI,
        manual: true,
      });
      const page = await (await f.sim.app.request(s.connect_url)).text();
      assert.match(
        page,
        /value="trinet"[^]*?TriNet<small class="tag">Assisted<\/small>/,
      );
    });

    await t.step(
      "pending with a token and 202s, then live with account.updated",
      async () => {
        const token = await connect(f, {
          provider_id: "trinet",
          company_name: "Assisted Live Co",
          manual: true,
        });
        const c = f.as(token.access_token);
        const intro = await c.account.introspect();
        assert.equal(intro.connection_status.status, "pending");
        assert.equal(intro.manual, true);
        assert.equal((await c.hris.directory.list().asResponse()).status, 202);
        await f.sim.settled();
        assert.equal(
          (await c.account.introspect()).connection_status.status,
          "connected",
        );
        assert.ok((await c.hris.directory.list()).individuals.length > 0);
        const events = hooks.received.map((m) =>
          f.client.webhooks.unwrap(m.body, m.headers) as {
            event_type: string;
            connection_id: string;
            data: { status?: string; authentication_method?: { type: string } };
          }
        );
        const live = events.find((e) => e.event_type === "account.updated")!;
        assert.equal(live.connection_id, token.connection_id);
        assert.deepEqual(live.data, {
          status: "connected",
          authentication_method: { type: "assisted" },
        });
        assert.ok(
          events.some((e) =>
            e.event_type === "job.initial_data_sync_org.succeeded"
          ),
        );
      },
    );
  } finally {
    await f.sim.close();
  }
});

Deno.test("[sim connect] with no go-live delay, an assisted connection waits for a status change", async () => {
  const f = fixture({ assistedDelayMs: null });
  try {
    const token = await connect(f, {
      provider_id: "ulti_pro",
      company_name: "Waiting Co",
      manual: true,
    });
    await new Promise((r) => setTimeout(r, 30));
    const c = f.as(token.access_token);
    assert.equal(
      (await c.account.introspect()).connection_status.status,
      "pending",
    );
    const res = await f.sim.app.request(
      `${BASE}/_sim/connections/${token.connection_id}/status`,
      {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ connection_status: "connected" }),
      },
    );
    assert.equal(res.status, 200);
    assert.equal((await c.hris.company.retrieve()).legal_name, "Waiting Co");
  } finally {
    await f.sim.close();
  }
});

Deno.test("[sim connect] a completed reauthentication sends account.updated", async () => {
  const hooks = receiver();
  const f = fixture({
    webhookUrl: "http://portal.test/hook",
    fetch: hooks.fetch,
  });
  try {
    const token = await connect(f, { company_name: "Reauth Hook Co" });
    f.sim.setConnectionStatus(token.connection_id, "reauth");
    const s = await f.client.connect.sessions.reauthenticate({
      connection_id: token.connection_id,
      redirect_uri: REDIRECT_URI,
    });
    await authorizeCode(f.sim.app, s.session_id, {});
    await f.sim.settled();
    // Signed as Finch signs; in the order they were sent (arrival order may differ).
    for (const m of hooks.received) f.client.webhooks.unwrap(m.body, m.headers);
    assert.equal(hooks.received.length, 2);
    const statuses = f.sim.webhooks().map((d) =>
      (d.payload as { data: { status: string } }).data.status
    );
    assert.deepEqual(statuses, ["reauth", "connected"]);
  } finally {
    await f.sim.close();
  }
});

Deno.test("[sim connect] Finch's rate limits, when asked for: 429 with Retry-After", async () => {
  let clock = Date.now();
  const f = fixture({ rateLimits: "finch", now: () => clock });
  try {
    const token = await connect(f, { company_name: "Limited Co" });
    const c = f.as(token.access_token);
    for (let i = 0; i < 20; i++) await c.hris.company.retrieve();
    const err = await apiError(c.hris.company.retrieve());
    assert.equal(err.status, 429);
    assert.equal(
      (err.error as { name: string }).name,
      "rate_limit_exceeded_error",
    );
    assert.equal(
      (err.error as { finch_code: string }).finch_code,
      "finch_application_rl",
    );
    assert.equal(err.headers?.get("retry-after"), "60");
    // Each endpoint counts apart; payments allow 12 a minute.
    assert.ok((await c.hris.directory.list()).individuals.length);
    clock += 30_000;
    assert.equal(
      (await apiError(c.hris.company.retrieve())).headers?.get("retry-after"),
      "30",
    );
    clock += 30_001;
    assert.ok(await c.hris.company.retrieve());
  } finally {
    await f.sim.close();
  }
  // Off by default.
  const g = fixture();
  try {
    const token = await connect(g);
    const c = g.as(token.access_token);
    for (let i = 0; i < 25; i++) await c.hris.company.retrieve();
    assert.equal((await g.last()).status, 200, "the 25th call in a minute");
  } finally {
    await g.sim.close();
  }
});
