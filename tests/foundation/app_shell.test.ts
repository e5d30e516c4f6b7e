import assert from "node:assert/strict";
import { testPortal } from "../../testing/portal.ts";

Deno.test("[shell] healthz answers ok", async () => {
  const t = await testPortal();
  try {
    const res = await t.fetch("/healthz");
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { status: "ok" });
  } finally {
    await t.close();
  }
});

Deno.test("[shell] the 404 page looks like the product and ships no script", async () => {
  const t = await testPortal();
  try {
    const res = await t.fetch("/no/such/page");
    assert.equal(res.status, 404);
    assert.match(res.headers.get("content-type") ?? "", /text\/html/);
    const html = await res.text();
    assert.match(html, /Page not found/);
    assert.match(html, /<link rel="stylesheet" href="\/static\/styles.css"/);
    assert.doesNotMatch(html, /<script/);
  } finally {
    await t.close();
  }
});

Deno.test("[shell] security headers on every page; the island script carries the CSP nonce", async () => {
  const t = await testPortal();
  try {
    const client = await t.signedIn();
    const res = await client.get("/connections");
    const csp = res.headers.get("content-security-policy") ?? "";
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.equal(res.headers.get("x-frame-options"), "DENY");
    assert.equal(res.headers.get("x-content-type-options"), "nosniff");
    assert.equal(res.headers.get("cache-control"), "no-store");
    const nonce = csp.match(/script-src 'nonce-([^']+)'/)?.[1];
    assert.ok(nonce, csp);
    const html = await res.text();
    const tags = [...html.matchAll(/<script[^>]*>/g)].map((m) => m[0]);
    const [data, ...scripts] = tags;
    assert.match(data, /^<script type="application\/json" data-island-props=/);
    assert.equal(scripts.length, 1, "one script that runs: the island bundle");
    assert.match(
      scripts[0],
      new RegExp(`nonce="${nonce.replace(/[+/=]/g, "\\$&")}"`),
    );
    assert.match(
      scripts[0],
      /src="\/static\/build\/[0-9a-f]{16}\/islands\.js"/,
    );
    // A fresh nonce per response.
    const again = (await client.get("/connections")).headers.get(
      "content-security-policy",
    );
    assert.notEqual(again, csp);
  } finally {
    await t.close();
  }
});

Deno.test("[shell] static assets: immutable bundle, revalidated stylesheet with ETag", async () => {
  const t = await testPortal();
  try {
    const { islandsUrl, stylesUrl } = t.portal.deps.assets;
    const js = await t.fetch(islandsUrl);
    assert.equal(js.status, 200);
    assert.match(js.headers.get("content-type") ?? "", /javascript/);
    assert.match(js.headers.get("cache-control") ?? "", /immutable/);
    assert.ok((await js.arrayBuffer()).byteLength > 1000);

    const css = await t.fetch(stylesUrl);
    const etag = css.headers.get("etag");
    assert.ok(etag);
    assert.match(css.headers.get("cache-control") ?? "", /must-revalidate/);
    await css.body?.cancel();
    const revalidated = await t.fetch(stylesUrl, {
      headers: { "if-none-match": etag },
    });
    assert.equal(revalidated.status, 304);
    const changed = await t.fetch(stylesUrl, {
      headers: { "if-none-match": '"other"' },
    });
    assert.equal(changed.status, 200);
    await changed.body?.cancel();

    assert.equal(
      (await t.fetch("/static/build/0000000000000000/islands.js")).status,
      404,
    );
  } finally {
    await t.close();
  }
});

Deno.test("[shell] forms refuse cross-site posts and posts without the form token", async () => {
  const t = await testPortal();
  try {
    const client = await t.signedIn();
    const { csrf } = await client.page();
    const crossSite = await client.postForm(
      "/connections/new",
      { _csrf: csrf },
      {
        origin: "https://evil.example",
      },
    );
    assert.equal(crossSite.status, 403);
    assert.match(await crossSite.text(), /Request refused/);
    const noToken = await client.postForm("/connections/new", {});
    assert.equal(noToken.status, 403);
    assert.match(await noToken.text(), /Please try again/);
    const wrongToken = await client.postForm("/connections/new", {
      _csrf: "x".repeat(43),
    });
    assert.equal(wrongToken.status, 403);
    await wrongToken.body?.cancel();
    // The same token from our own origin goes through to Finch Connect.
    const ok = await client.postForm("/connections/new", { _csrf: csrf });
    assert.equal(ok.status, 303);
    assert.match(
      ok.headers.get("location") ?? "",
      /\/sim\/authorize\?session=/,
    );
  } finally {
    await t.close();
  }
});

Deno.test("[shell] demo secrets are generated once and survive a restart", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const first = await testPortal({ kv });
    const client = await first.signedIn("acme");
    const link = (await import("../../lib/links.ts")).createPortalLink(
      first.portal.deps,
      "acme",
    );
    await client.connect({ company_name: "Acme, Inc." });
    const key = first.portal.config.adminApiKey;
    await first.close();

    const second = await testPortal({ kv });
    try {
      assert.equal(second.portal.config.adminApiKey, key);
      assert.equal(
        second.portal.config.appSecret,
        first.portal.config.appSecret,
      );
      // A link minted before the restart still opens the portal.
      const again = second.client();
      assert.equal((await again.get((await link).url)).status, 303);
      // And the token sealed before the restart still opens.
      const res = await second.fetch("/api/customers/acme/connections", {
        headers: { authorization: `Bearer ${key}` },
      });
      const { connections } = await res.json();
      assert.equal(connections.length, 1);
      const token = await second.fetch(
        `/api/connections/${connections[0].connection_id}/token`,
        {
          headers: { authorization: `Bearer ${key}` },
        },
      );
      assert.equal(token.status, 200);
      assert.ok((await token.json()).access_token);
    } finally {
      await second.close();
    }
  } finally {
    kv.close();
  }
});

Deno.test("[shell] island props are escaped in the page", async () => {
  const t = await testPortal();
  try {
    const client = await t.signedIn(
      "evil",
      `"><script>alert(1)</script>&amp;\u2028`,
    );
    const { html } = await client.page();
    assert.doesNotMatch(html, /<script>alert/);
    assert.match(
      html,
      /&lt;script>alert\(1\)&lt;\/script>|&lt;script&gt;alert/,
    );
  } finally {
    await t.close();
  }
});
