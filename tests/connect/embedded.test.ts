/**
 * Journey 6's backend and the Connect session parameters: `POST /connections/new` as
 * JSON (no redirect_uri sent to Finch), the simulator's embedded Connect page posting
 * `finch-auth-message-v2`, and `POST /connections/complete`, protected by the form token
 * header and the JSON content type. Also what exactly the gateway sends to Finch.
 */
import assert from "node:assert/strict";
import { applyStatus } from "../../lib/db/connection_status.ts";
import { createFinchGateway } from "../../lib/finch/gateway.ts";
import type { Client } from "../../testing/portal.ts";
import {
  type ConnectTest,
  embeddedMessage,
  latestSimToken,
  simSession,
  startRedirect,
  stored,
  storedToken,
  withPortal,
} from "./_helpers.ts";

/** Request bodies the gateway sent to Finch, by path. */
type Sent = { path: string; body: Record<string, unknown> }[];

function spying(sent: Sent, env: Record<string, string> = {}) {
  return {
    env,
    finch: (opts: Parameters<typeof createFinchGateway>[0]) =>
      createFinchGateway({
        ...opts,
        fetch: (input: RequestInfo | URL, init?: RequestInit) => {
          const url = new URL(input instanceof Request ? input.url : input);
          if (typeof init?.body === "string") {
            sent.push({
              path: url.pathname.replace(/^\/sim/, ""),
              body: JSON.parse(init.body),
            });
          }
          return opts.fetch!(input, init);
        },
      }),
  };
}

/** What the Connect SDK does in the page: opens Connect embedded and submits it. */
async function embeddedConnect(
  client: Client,
  launch: { session_id: string; state: string },
  company: string,
  action = "connect",
): Promise<Record<string, unknown>> {
  const query = new URLSearchParams({
    session: launch.session_id,
    state: launch.state,
    app_type: "spa",
    sdk_host_url: "http://portal.test",
  });
  const form = await client.get(`/sim/authorize?${query}`);
  assert.equal(form.status, 200);
  await form.body?.cancel();
  const page = await client.postForm("/sim/authorize", {
    session: launch.session_id,
    state: launch.state,
    app_type: "spa",
    sdk_host_url: "http://portal.test",
    provider_id: "gusto",
    company_name: company,
    entities: "",
    username: "",
    action,
  });
  return embeddedMessage(await page.text());
}

async function launchJson(client: Client, path = "/connections/new") {
  const { csrf } = await client.page();
  const res = await client.postJson(path, {}, { "x-csrf-token": csrf });
  assert.equal(res.status, 200, await res.clone().text());
  assert.match(res.headers.get("content-type") ?? "", /application\/json/);
  return { csrf, launch: await res.json() };
}

Deno.test("[connect] embedded flow: JSON start without redirect_uri, Connect's message, JSON complete", async () => {
  const sent: Sent = [];
  await withPortal(spying(sent), async (t) => {
    const client = await t.signedIn("acme");
    const { csrf, launch } = await launchJson(client);
    assert.deepEqual(Object.keys(launch).sort(), [
      "kind",
      "note",
      "session_id",
      "state",
    ]);
    assert.equal(launch.kind, "new");
    assert.equal(launch.note, null);
    const session = sent.find((s) => s.path === "/connect/sessions")!;
    assert.ok(session, "a Connect session was created");
    assert.equal("redirect_uri" in session.body, false);
    assert.equal(simSession(t, launch.session_id).redirect_uri, null);

    const message = await embeddedConnect(client, launch, "Acme, Inc.");
    assert.equal(message.name, "finch-auth-message-v2");
    assert.equal(message.kind, "success");
    assert.equal(message.state, launch.state);

    const res = await client.postJson("/connections/complete", {
      code: message.code,
      state: message.state,
    }, { "x-csrf-token": csrf });
    const text = await res.text();
    assert.equal(res.status, 200, text);
    const body = JSON.parse(text);
    assert.equal(body.outcome, "created");
    assert.match(body.message, /Gusto connection for Acme, Inc\. is connected/);
    assert.equal(body.connection.company_name, "Acme, Inc.");
    assert.equal(body.connection.provider_name, "Gusto");
    assert.equal(body.connection.status, "connected");
    assert.doesNotMatch(text, /token/i);

    const token = sent.find((s) => s.path === "/auth/token")!;
    assert.equal(token.body.code, message.code);
    assert.equal("redirect_uri" in token.body, false);
    const id = body.connection.connection_id;
    assert.equal(await storedToken(t, id), latestSimToken(t, id));

    // The same message again: already completed, nothing new.
    const replay = await client.postJson("/connections/complete", {
      code: message.code,
      state: message.state,
    }, { "x-csrf-token": csrf });
    assert.equal(replay.status, 400);
    assert.equal((await replay.json()).error.code, "state_used");
    assert.equal(t.sim.store.tokensOf(id).length, 1);
    assert.equal((await stored(t)).length, 1);
  });
});

Deno.test("[connect] embedded reconnect: JSON reauth session, then complete says reconnected", async () => {
  const sent: Sent = [];
  await withPortal(spying(sent), async (t) => {
    const client = await t.signedIn("acme");
    await client.connect({ company_name: "Acme, Inc." });
    const [record] = await stored(t);
    const id = record.connection_id;
    await applyStatus(t.kv, id, { status: "reauth", at: new Date() });

    const { csrf, launch } = await launchJson(
      client,
      `/connections/${id}/reauth`,
    );
    assert.equal(launch.kind, "reauth");
    const reauth = sent.find((s) =>
      s.path === "/connect/sessions/reauthenticate"
    )!;
    assert.equal(reauth.body.connection_id, id);
    assert.equal("redirect_uri" in reauth.body, false);

    const message = await embeddedConnect(client, launch, "ignored");
    const res = await client.postJson("/connections/complete", {
      code: message.code,
      state: message.state,
    }, { "x-csrf-token": csrf });
    const body = await res.json();
    assert.equal(body.outcome, "reconnected");
    assert.equal(body.connection.connection_id, id);
    assert.equal(body.connection.status, "connected");
    assert.equal(await storedToken(t, id), latestSimToken(t, id));
  });
});

Deno.test("[connect] an embedded cancel hands nothing to the backend and stores nothing", async () => {
  await withPortal({}, async (t) => {
    const client = await t.signedIn("acme");
    const { launch } = await launchJson(client);
    const message = await embeddedConnect(client, launch, "Acme", "cancel");
    assert.equal(message.kind, "closed");
    assert.equal("code" in message, false);
    assert.equal((await stored(t)).length, 0);
  });
});

Deno.test("[connect] Connect sessions carry the attempt id, customer, products, provider, sandbox and expiry", async () => {
  const sent: Sent = [];
  await withPortal(
    spying(sent, {
      FINCH_PRODUCTS: "company directory payment",
      FINCH_SANDBOX: "finch",
    }),
    async (t) => {
      const client = await t.signedIn("acme", "Acme Inc.");
      const url = await startRedirect(client, { provider_id: "gusto" });
      const [session] = sent.filter((s) => s.path === "/connect/sessions");
      assert.deepEqual(session.body, {
        customer_id: "acme",
        customer_name: "Acme Inc.",
        customer_email: "hr@acme.example",
        products: ["company", "directory", "payment"],
        redirect_uri: "http://portal.test/callback",
        integration: { provider: "gusto" },
        sandbox: "finch",
        minutes_to_expire: 24 * 60,
      });
      // The redirect flow's exchange names the same redirect_uri.
      const done = await client.get(
        await client.authorize(url, { company_name: "Acme, Inc." }),
      );
      assert.equal(done.status, 303);
      const token = sent.find((s) => s.path === "/auth/token")!;
      assert.equal(token.body.redirect_uri, "http://portal.test/callback");
      const [record] = await stored(t);
      assert.equal(record.client_type, "sandbox");
      assert.deepEqual(record.products, ["company", "directory", "payment"]);

      // A provider that is not on Finch's list never reaches Finch.
      const { csrf } = await client.page();
      const before = sent.length;
      const bad = await client.postForm("/connections/new", {
        _csrf: csrf,
        provider_id: "no_such_payroll",
      });
      assert.equal(bad.status, 400);
      await bad.body?.cancel();
      assert.equal(sent.length, before);
    },
  );
});

/** Nothing was exchanged and nothing stored. */
function assertUntouched(t: ConnectTest) {
  assert.equal(Object.keys(t.sim.store.data.tokens).length, 0);
}

Deno.test("[connect] the complete endpoint answers bad input with JSON 4xx, never 5xx", async () => {
  await withPortal({}, async (t) => {
    const client = await t.signedIn("acme");
    const { csrf } = await client.page();
    const h = { "x-csrf-token": csrf };
    const cases: [unknown, string][] = [
      [{}, "invalid_body"],
      [{ code: "abc" }, "invalid_body"],
      [{ code: "", state: "x" }, "invalid_body"],
      [{ code: 42, state: "x".repeat(43) }, "invalid_body"],
      [{ code: "x".repeat(3000), state: "x".repeat(43) }, "invalid_body"],
      [null, "invalid_body"],
      [["code", "state"], "invalid_body"],
      [{ code: "abc", state: "x".repeat(43) }, "state_unknown"],
      [{ code: "abc", state: "<script>" }, "state_unknown"],
    ];
    for (const [body, code] of cases) {
      const res = await client.postJson("/connections/complete", body, h);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.equal((await res.json()).error.code, code, JSON.stringify(body));
    }
    const broken = await client.request("/connections/complete", {
      method: "POST",
      headers: {
        origin: "http://portal.test",
        "content-type": "application/json",
        ...h,
      },
      body: "{not json",
    });
    assert.equal(broken.status, 400);
    assert.equal((await broken.json()).error.code, "invalid_body");
    assertUntouched(t);
  });
});

Deno.test("[connect] the JSON endpoints need the form token header, JSON, and our origin", async () => {
  await withPortal({}, async (t) => {
    const client = await t.signedIn("acme");
    const { csrf } = await client.page();
    const { launch } = await launchJson(client);
    const message = await embeddedConnect(client, launch, "Acme, Inc.");
    const body = { code: message.code, state: message.state };

    const missing = await client.postJson("/connections/complete", body);
    assert.equal(missing.status, 403);
    assert.equal((await missing.json()).error.code, "csrf_failed");

    const wrong = await client.postJson("/connections/complete", body, {
      "x-csrf-token": csrf.slice(0, -2) + "xx",
    });
    assert.equal(wrong.status, 403);
    await wrong.body?.cancel();

    const plain = await client.request("/connections/complete", {
      method: "POST",
      headers: { origin: "http://portal.test", "content-type": "text/plain" },
      body: JSON.stringify(body),
    });
    assert.equal(plain.status, 415);
    await plain.body?.cancel();

    const form = await client.postForm("/connections/complete", {
      _csrf: csrf,
      ...body,
    } as Record<string, string>);
    assert.equal(form.status, 415);
    await form.body?.cancel();

    const crossSite = await client.postForm("/connections/new", {
      _csrf: csrf,
    }, { origin: "http://evil.example" });
    assert.equal(crossSite.status, 403);
    await crossSite.body?.cancel();

    const startNoToken = await client.postJson("/connections/new", {});
    assert.equal(startNoToken.status, 403);
    await startNoToken.body?.cancel();

    const anonymous = await t.client().postJson("/connections/complete", body, {
      "x-csrf-token": csrf,
    });
    assert.equal(anonymous.status, 401);
    assert.equal((await anonymous.json()).error.code, "session_required");

    // None of that spent the state or the code: the real request still works.
    assertUntouched(t);
    const ok = await client.postJson("/connections/complete", body, {
      "x-csrf-token": csrf,
    });
    assert.equal(ok.status, 200);
    assert.equal((await ok.json()).outcome, "created");
  });
});

Deno.test("[connect] cross-origin JSON posts are refused with 403 and change nothing, even with the form token", async () => {
  await withPortal({}, async (t) => {
    const client = await t.signedIn("acme");
    await client.connect({ company_name: "Acme, Inc." });
    const [existing] = await stored(t);
    const id = existing.connection_id;
    const tokensBefore = Object.keys(t.sim.store.data.tokens).length;
    const { csrf, launch } = await launchJson(client);
    const message = await embeddedConnect(client, launch, "Beta LLC");
    const body = { code: message.code, state: message.state };
    const sessions = () => Object.keys(t.sim.store.data.sessions).length;
    const sessionsBefore = sessions();
    const token = { "x-csrf-token": csrf };

    const refusals: [string, HeadersInit][] = [
      ["another origin", { origin: "https://evil.example" }],
      ["an opaque origin", { origin: "null" }],
      ["our host on another scheme", { origin: "https://portal.test" }],
      ["no Origin, cross-site", { origin: "", "sec-fetch-site": "cross-site" }],
      ["no Origin, same-site", { origin: "", "sec-fetch-site": "same-site" }],
      ["no Origin at all", { origin: "" }],
    ];
    for (const [what, headers] of refusals) {
      const h = new Headers({ ...token, ...headers as Record<string, string> });
      if (h.get("origin") === "") h.delete("origin");
      for (
        const [path, json] of [
          ["/connections/new", {}],
          [`/connections/${id}/reauth`, {}],
          ["/connections/complete", body],
          [`/connections/${id}/disconnect`, {}],
        ] as const
      ) {
        const res = await client.request(path, {
          method: "POST",
          headers: new Headers([...h, ["content-type", "application/json"]]),
          body: JSON.stringify(json),
        });
        assert.equal(res.status, 403, `${what}: ${path}`);
        assert.equal((await res.json()).error.code, "forbidden", what);
      }
    }
    // Nothing happened: no Connect session, no exchange, no disconnect.
    assert.equal(sessions(), sessionsBefore);
    assert.equal(Object.keys(t.sim.store.data.tokens).length, tokensBefore);
    assert.deepEqual(await stored(t), [existing]);
    assert.deepEqual(t.sim.revoked().tokens, []);

    // A same-origin fetch that sends no Origin but says so in Sec-Fetch-Site passes.
    const ok = await client.request("/connections/complete", {
      method: "POST",
      headers: {
        ...token,
        "sec-fetch-site": "same-origin",
        "content-type": "application/json",
      },
      body: JSON.stringify(body),
    });
    assert.equal(ok.status, 200, await ok.clone().text());
    assert.equal((await ok.json()).outcome, "created");
  });
});
