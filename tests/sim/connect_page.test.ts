/**
 * The hosted Connect page over HTTP: the form, validation, redirect and embedded results,
 * expired and unknown sessions, escaping, mounting under `/sim`, and persisted state.
 */

import assert from "node:assert/strict";
import Finch from "@tryfinch/finch-api";
import { Hono } from "hono";
import { createSimulator } from "../../sim/app.ts";
import {
  appFetch,
  authorizeCode,
  BASE,
  CLIENT_ID,
  CLIENT_SECRET,
  fixture,
  postForm,
  REDIRECT_URI,
  WEBHOOK_SECRET,
} from "./helpers.ts";

const HOST = "http://host.test:3000";

async function newSession(
  f: ReturnType<typeof fixture>,
  extra: Record<string, unknown> = {},
) {
  return await f.client.connect.sessions.new({
    customer_id: `page-${crypto.randomUUID()}`,
    customer_name: "Acme Benefits",
    products: ["company", "directory", "pay_statement"],
    redirect_uri: REDIRECT_URI,
    ...extra,
  });
}

Deno.test("[sim connect] the form", async (t) => {
  const f = fixture();
  try {
    const s = await newSession(f);

    await t.step(
      "GET /authorize renders a complete, escaped form",
      async () => {
        const res = await f.sim.app.request(`${s.connect_url}&state=st%3C1%3E`);
        assert.equal(res.status, 200);
        assert.match(res.headers.get("content-type")!, /text\/html/);
        assert.match(
          res.headers.get("content-security-policy")!,
          /default-src 'none'/,
        );
        const page = await res.text();
        assert.match(page, /^<!doctype html>/);
        assert.match(page, new RegExp(`action="${BASE}/authorize"`));
        assert.match(
          page,
          new RegExp(`name="session" value="${s.session_id}"`),
        );
        assert.match(page, /name="state" value="st&lt;1>"/);
        for (
          const name of [
            "provider_id",
            "company_name",
            "entities",
            "username",
            "password",
          ]
        ) {
          assert.match(page, new RegExp(`name="${name}"`), name);
        }
        assert.match(page, /value="connect"/);
        assert.match(page, /value="cancel"/);
        assert.match(page, /Pay statements/);
        assert.match(page, new RegExp(`src="${BASE}/_sim/logos/gusto.svg"`));
        assert.doesNotMatch(page, /<script/, "no script on the form");
      },
    );

    await t.step(
      "the page names the integrator's app, escaped, never the employer",
      async () => {
        const g = fixture({ appName: '<img src=x onerror="alert(1)">' });
        try {
          const evil = await newSession(g, { customer_name: "Employer Name" });
          const page = await (await g.sim.app.request(evil.connect_url)).text();
          assert.doesNotMatch(page, /<img src=x/);
          assert.match(page, /&lt;img src=x[^<]*<\/strong> wants to access/);
          assert.doesNotMatch(page, /Employer Name/);
        } finally {
          await g.sim.close();
        }
        const page = await (await f.sim.app.request(s.connect_url)).text();
        assert.match(
          page,
          /Demo Integrator<\/strong> wants to access your payroll data/,
        );
      },
    );

    await t.step(
      "invalid input re-renders the form with 400 and keeps values",
      async () => {
        const res = await postForm(f.sim.app, s.session_id, {
          provider_id: "gusto",
          company_name: "   ",
          username: "kept-user",
        });
        assert.equal(res.status, 400);
        const page = await res.text();
        assert.match(
          page,
          /Enter your company&#39;s legal name|Enter your company's legal name/,
        );
        assert.match(page, /value="kept-user"/);
        assert.match(page, /role="alert"/);
        const unknown = await postForm(f.sim.app, s.session_id, {
          provider_id: "nope",
          company_name: "X",
        });
        assert.equal(unknown.status, 400);
        assert.match(await unknown.text(), /isn(&#39;|')t supported/);
        const missing = await postForm(f.sim.app, s.session_id, {
          company_name: "X",
        });
        assert.equal(missing.status, 400);
        const long = await postForm(f.sim.app, s.session_id, {
          provider_id: "gusto",
          company_name: "x".repeat(201),
        });
        assert.equal(long.status, 400);
      },
    );

    await t.step(
      "connect redirects with code and state; cancel with access_denied",
      async () => {
        const cancel = await postForm(f.sim.app, s.session_id, {
          action: "cancel",
          state: "s1",
        });
        assert.equal(cancel.status, 303);
        const back = new URL(cancel.headers.get("location")!);
        assert.equal(back.origin + back.pathname, REDIRECT_URI);
        assert.equal(back.searchParams.get("error"), "access_denied");
        assert.equal(back.searchParams.get("state"), "s1");
        const ok = await postForm(f.sim.app, s.session_id, {
          provider_id: "gusto",
          company_name: "Acme",
          state: "s2",
        });
        assert.equal(ok.status, 303);
        const url = new URL(ok.headers.get("location")!);
        assert.equal(url.searchParams.get("state"), "s2");
        assert.ok(url.searchParams.get("code"));
      },
    );

    await t.step("a completed session shows a clear page", async () => {
      const res = await f.sim.app.request(s.connect_url);
      assert.equal(res.status, 410);
      assert.match(await res.text(), /already used/);
    });

    await t.step("integration.provider fixes the provider", async () => {
      const fixed = await newSession(f, {
        integration: { provider: "paychex_flex" },
      });
      const page = await (await f.sim.app.request(fixed.connect_url)).text();
      assert.doesNotMatch(page, /type="radio"/);
      assert.match(page, /Paychex Flex/);
      const code = await authorizeCode(f.sim.app, fixed.session_id, {
        provider_id: "gusto", // ignored: the session decides
        company_name: "Fixed Co",
      });
      const token = await f.client.accessTokens.create({ code });
      assert.equal(token.provider_id, "paychex_flex");
    });
  } finally {
    await f.sim.close();
  }
});

Deno.test("[sim connect] unknown, expired and redirect-less sessions", async (t) => {
  const f = fixture();
  try {
    await t.step("unknown session -> 404 page", async () => {
      const res = await f.sim.app.request(`${BASE}/authorize?session=nope`);
      assert.equal(res.status, 404);
      assert.match(await res.text(), /isn(&#39;|')t valid/);
      assert.equal((await f.sim.app.request(`${BASE}/authorize`)).status, 404);
    });

    await t.step("minutes_to_expire is honoured", async () => {
      const s = await newSession(f, { minutes_to_expire: 2 });
      assert.equal((await f.sim.app.request(s.connect_url)).status, 200);
      f.advance(2 * 60_000 + 1);
      const res = await f.sim.app.request(s.connect_url);
      assert.equal(res.status, 410);
      assert.match(await res.text(), /expired/);
      const post = await postForm(f.sim.app, s.session_id, {
        provider_id: "gusto",
        company_name: "Late",
      });
      assert.equal(post.status, 410);
      // A repeated session for the unconverted customer revives the same id with a new expiry.
      const again = await f.client.connect.sessions.new({
        customer_id: f.sim.store.data.sessions[s.session_id].customer_id,
        customer_name: "Acme Benefits",
        products: ["company"],
        redirect_uri: REDIRECT_URI,
      });
      assert.equal(again.session_id, s.session_id);
      assert.equal((await f.sim.app.request(s.connect_url)).status, 200);
    });

    await t.step("no redirect_uri and no SDK -> 400 page", async () => {
      const s = await newSession(f, { redirect_uri: null });
      const res = await f.sim.app.request(s.connect_url);
      assert.equal(res.status, 400);
      assert.match(await res.text(), /Finch Connect SDK/);
    });
  } finally {
    await f.sim.close();
  }
});

Deno.test("[sim connect] embedded mode talks to the SDK host origin only", async (t) => {
  const f = fixture();
  const embed = { app_type: "spa", sdk_host_url: `${HOST}/some/page` };
  try {
    const s = await newSession(f, { redirect_uri: null });

    await t.step(
      "GET carries app_type and sdk_host_url as hidden fields",
      async () => {
        const q = new URLSearchParams({
          session: s.session_id,
          state: "st",
          ...embed,
        });
        const page = await (await f.sim.app.request(`${BASE}/authorize?${q}`))
          .text();
        assert.match(page, /name="app_type" value="spa"/);
        assert.match(page, new RegExp(`name="sdk_host_url" value="${HOST}"`));
      },
    );

    const message = async (res: Response) => {
      const page = await res.text();
      const nonce = /script-src 'nonce-([^']+)'/.exec(
        res.headers.get("content-security-policy")!,
      )![1];
      const m =
        /<script nonce="([^"]+)">window.parent!==window&&window.parent.postMessage\((.*),("[^"]*")\);<\/script>/
          .exec(page);
      assert.ok(m, page);
      assert.equal(m[1], nonce);
      return { data: JSON.parse(m[2]), target: JSON.parse(m[3]) };
    };

    await t.step("cancel posts kind closed", async () => {
      const res = await postForm(f.sim.app, s.session_id, {
        ...embed,
        action: "cancel",
      });
      assert.equal(res.status, 200);
      const { data, target } = await message(res);
      assert.deepEqual(data, { name: "finch-auth-message-v2", kind: "closed" });
      assert.equal(target, HOST);
    });

    await t.step(
      "success posts the code and state to the host origin",
      async () => {
        const res = await postForm(f.sim.app, s.session_id, {
          ...embed,
          state: "</script><b>",
          provider_id: "bamboo_hr",
          company_name: "Embedded Co",
        });
        assert.equal(res.status, 200);
        const { data, target } = await message(res);
        assert.equal(target, HOST);
        assert.equal(data.name, "finch-auth-message-v2");
        assert.equal(data.kind, "success");
        assert.equal(data.state, "</script><b>");
        const token = await f.client.accessTokens.create({ code: data.code });
        assert.equal(token.provider_id, "bamboo_hr");
      },
    );

    await t.step(
      "a used session posts an error that closes Connect",
      async () => {
        const q = new URLSearchParams({ session: s.session_id, ...embed });
        const res = await f.sim.app.request(`${BASE}/authorize?${q}`);
        assert.equal(res.status, 410);
        const { data } = await message(res);
        assert.equal(data.kind, "error");
        assert.equal(data.error.shouldClose, true);
        assert.match(data.error.message, /already used/);
      },
    );

    await t.step("a bad sdk_host_url is refused", async () => {
      const q = new URLSearchParams({
        session: s.session_id,
        app_type: "spa",
        sdk_host_url: "javascript:alert(1)",
      });
      const res = await f.sim.app.request(`${BASE}/authorize?${q}`);
      assert.equal(res.status, 400);
      assert.doesNotMatch(await res.text(), /<script/);
    });
  } finally {
    await f.sim.close();
  }
});

Deno.test("[sim connect] mounted under /sim in a parent app", async () => {
  const publicUrl = "http://portal.test/sim";
  const sim = createSimulator({
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    webhookSecret: WEBHOOK_SECRET,
    publicUrl,
    initialSyncDelayMs: null,
  });
  const portal = new Hono();
  portal.get("/", (c) => c.text("portal home"));
  portal.route("/sim", sim.app);
  portal.notFound((c) => c.text("portal 404", 404));
  const client = new Finch({
    clientID: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    baseURL: publicUrl,
    fetch: appFetch(portal),
    maxRetries: 0,
  });
  try {
    assert.equal(
      await (await portal.request("http://portal.test/")).text(),
      "portal home",
    );
    const s = await client.connect.sessions.new({
      customer_id: "mounted",
      customer_name: "Mounted",
      products: ["company"],
      redirect_uri: "http://portal.test/callback",
    });
    assert.equal(
      s.connect_url,
      `${publicUrl}/authorize?session=${s.session_id}`,
    );
    const page = await (await portal.request(s.connect_url)).text();
    assert.match(page, /action="http:\/\/portal.test\/sim\/authorize"/);
    assert.match(
      page,
      /src="http:\/\/portal.test\/sim\/_sim\/logos\/gusto.svg"/,
    );
    const logo = await portal.request(`${publicUrl}/_sim/logos/gusto.svg`);
    assert.equal(logo.status, 200);
    const code = await authorizeCode(portal, s.session_id, {
      provider_id: "gusto",
      company_name: "Mounted Co",
    }, publicUrl);
    const token = await client.accessTokens.create({ code });
    const intro = await client.withAccessToken(token.access_token).account
      .introspect();
    assert.equal(intro.connection_id, token.connection_id);
    const providers = await client.providers.list({
      headers: { Authorization: null },
    });
    assert.ok(providers.items[0].logo!.startsWith(`${publicUrl}/_sim/logos/`));
    const missing = await portal.request(`${publicUrl}/nope`);
    assert.equal(missing.status, 404);
    assert.equal((await missing.json()).message, "Route GET /nope not found");
    sim.addFault({ path: "/introspect", status: 500 });
    const err = await client.withAccessToken(token.access_token).account
      .introspect().catch((e) => e);
    assert.equal(err.status, 500, "fault paths are relative to the mount");
  } finally {
    await sim.close();
  }
});

Deno.test("[sim connect] state persists across restarts", async () => {
  const dir = await Deno.makeTempDir();
  const statePath = `${dir}/sim.json`;
  try {
    const first = fixture({ statePath });
    const s = await first.client.connect.sessions.new({
      customer_id: "persist",
      customer_name: "Persist",
      products: ["company"],
      redirect_uri: REDIRECT_URI,
    });
    const code = await authorizeCode(first.sim.app, s.session_id, {
      provider_id: "gusto",
      company_name: "Persist Co",
    });
    const token = await first.client.accessTokens.create({ code });
    await first.sim.close();
    const saved = JSON.parse(await Deno.readTextFile(statePath));
    assert.ok(saved.tokens[token.access_token]);
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), [
      "sim.json",
    ]);

    const second = fixture({ statePath });
    try {
      const intro = await second.as(token.access_token).account.introspect();
      assert.equal(intro.connection_id, token.connection_id);
      const err = await second.client.connect.sessions.new({
        customer_id: "persist",
        customer_name: "P",
        products: [],
      }).catch((e) => e);
      assert.equal(err.status, 400);
    } finally {
      await second.sim.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
