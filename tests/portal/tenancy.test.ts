/**
 * Invariant 6: an employer sees and acts only on its own connections. Another customer's
 * connection id answers exactly like an id that does not exist, on every route.
 */
import assert from "node:assert/strict";
import { testPortal } from "../../testing/portal.ts";

/** The page minus what differs on every response (nonce, form token). */
function normalize(html: string): string {
  return html.replace(/nonce="[^"]*"/g, "").replace(
    /value="[A-Za-z0-9_-]{43}"/g,
    "",
  );
}

Deno.test("[portal] another customer's connection answers like an unknown one, everywhere", async () => {
  const t = await testPortal();
  try {
    const acme = await t.signedIn("acme", "Acme Inc.");
    const globex = await t.signedIn("globex", "Globex Corp.");
    await acme.connect({ company_name: "Acme, Inc.", provider_id: "gusto" });
    const [theirs] = t.portal.sim!.connections().map((c) => c.id);
    assert.ok(theirs);
    const unknown = "00000000-0000-4000-8000-000000000000";
    const { csrf } = await globex.page();

    const attempts: [string, (id: string) => Promise<Response>][] = [
      ["GET confirm", (id) => globex.get(`/connections/${id}/disconnect`)],
      [
        "POST disconnect",
        (id) =>
          globex.postForm(`/connections/${id}/disconnect`, { _csrf: csrf }),
      ],
      [
        "POST reauth",
        (id) => globex.postForm(`/connections/${id}/reauth`, { _csrf: csrf }),
      ],
      [
        "POST reauth (JSON)",
        (id) =>
          globex.postJson(`/connections/${id}/reauth`, {}, {
            "x-csrf-token": csrf,
          }),
      ],
    ];
    for (const [name, attempt] of attempts) {
      const mine = await attempt(theirs);
      const none = await attempt(unknown);
      assert.equal(mine.status, 404, name);
      assert.equal(none.status, 404, name);
      assert.equal(
        normalize(await mine.text()),
        normalize(await none.text()),
        name,
      );
    }

    // Globex's page never shows Acme's connection, and Acme's is untouched.
    assert.doesNotMatch((await globex.page()).html, /Acme, Inc\./);
    assert.match((await acme.page()).html, /Acme, Inc\./);
    assert.equal(
      t.portal.sim!.revoked().connection_ids.length,
      0,
      "nothing was disconnected",
    );
  } finally {
    await t.close();
  }
});

Deno.test("[portal] tampered, expired and revoked links open nothing", async () => {
  let clock = Date.now();
  const t = await testPortal({ now: () => clock });
  try {
    const { upsertCustomer, revokePortalLinks } = await import(
      "../../lib/db/customers.ts"
    );
    const { createPortalLink } = await import("../../lib/links.ts");
    await upsertCustomer(t.kv, { id: "acme", name: "Acme Inc." });
    const good = await createPortalLink(t.portal.deps, "acme", 3600);
    const token = good.url.split("/portal/")[1];
    const [payload, sig] = token.split(".");

    // Tampered: another customer in the payload, the old signature.
    const forged = btoa(
      JSON.stringify({ c: "globex", i: clock, e: clock + 3600_000 }),
    )
      .replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
    for (
      const bad of [
        `${forged}.${sig}`,
        `${payload}.${sig.slice(0, -2)}AA`,
        payload,
        "x",
        `${token}.x`,
      ]
    ) {
      const client = t.client();
      const res = await client.get(`/portal/${bad}`);
      assert.equal(res.status, 404, bad);
      assert.match(await res.text(), /Link not valid/);
      assert.equal(client.cookies.size, 0, "no session for a bad link");
    }

    // Expired.
    clock += 3601_000;
    const late = t.client();
    const expired = await late.get(new URL(good.url).pathname);
    assert.equal(expired.status, 410);
    assert.match(await expired.text(), /Link expired/);
    assert.equal(late.cookies.size, 0);

    // Revoked: links issued before the revocation are dead, later ones work.
    const before = await createPortalLink(t.portal.deps, "acme", 3600);
    clock += 1000;
    await revokePortalLinks(t.kv, "acme", new Date(clock));
    const revoked = t.client();
    assert.equal((await revoked.get(new URL(before.url).pathname)).status, 410);
    assert.equal(revoked.cookies.size, 0);
    clock += 1000;
    const after = await createPortalLink(t.portal.deps, "acme", 3600);
    const fresh = t.client();
    assert.equal((await fresh.get(new URL(after.url).pathname)).status, 303);
    assert.equal((await fresh.page()).status, 200);
  } finally {
    await t.close();
  }
});

Deno.test("[portal] without a session the pages say how to get in, and set nothing", async () => {
  const t = await testPortal();
  try {
    const client = t.client();
    for (
      const path of [
        "/connections",
        "/callback?code=x&state=y",
        "/connections/abc/disconnect",
      ]
    ) {
      const res = await client.get(path);
      assert.equal(res.status, 401, path);
      assert.match(await res.text(), /Please open your portal link/);
    }
    const post = await client.postForm("/connections/new", {});
    assert.equal(post.status, 401);
    await post.body?.cancel();
  } finally {
    await t.close();
  }
});

Deno.test("[portal] over https the session cookie is __Host-, Secure, HttpOnly, SameSite=Lax", async () => {
  const t = await testPortal({
    env: { PUBLIC_URL: "https://portal.example.com" },
  });
  try {
    const { upsertCustomer } = await import("../../lib/db/customers.ts");
    const { createPortalLink } = await import("../../lib/links.ts");
    await upsertCustomer(t.kv, { id: "acme", name: "Acme Inc." });
    const link = await createPortalLink(t.portal.deps, "acme");
    const res = await t.fetch(new URL(link.url).pathname, {
      redirect: "manual",
    });
    assert.equal(res.status, 303);
    const cookie = res.headers.get("set-cookie") ?? "";
    assert.match(cookie, /^__Host-portal_session=/);
    assert.match(cookie, /; Secure/i);
    assert.match(cookie, /; HttpOnly/i);
    assert.match(cookie, /; SameSite=Lax/i);
    assert.match(cookie, /; Path=\//i);
    assert.doesNotMatch(cookie, /Domain=/i);
  } finally {
    await t.close();
  }
});

Deno.test("[portal] names holding markup render escaped on the page and the cards", async () => {
  const t = await testPortal();
  try {
    const client = await t.signedIn("acme", `<img src=x onerror=alert(1)>`);
    await client.connect({
      company_name: `<script>alert("co")</script> & Sons`,
    });
    const { html } = await client.page();
    assert.doesNotMatch(html, /<img src=x/);
    assert.doesNotMatch(html, /<script>alert/);
    assert.match(html, /&lt;img src=x onerror=alert\(1\)>/);
    assert.match(
      html,
      /&lt;script>alert\(&quot;co&quot;\)&lt;\/script> &amp; Sons/,
    );
  } finally {
    await t.close();
  }
});

Deno.test("[portal] a path no route answers is a 404, with or without a session or form token", async () => {
  const t = await testPortal();
  try {
    const client = await t.signedIn();
    for (
      const res of [
        await client.postForm("/connections//reauth", {}),
        await client.postForm("/connections/abc/nothing", {}),
        await client.get("/connections/a/b/c"),
        await t.client().postForm("/connections/abc/nothing", {}),
      ]
    ) {
      assert.equal(res.status, 404);
      assert.match(await res.text(), /Page not found/);
    }
    // Real routes still insist on both.
    const refused = await client.postForm("/connections/new", {});
    assert.equal(refused.status, 403);
    await refused.body?.cancel();
  } finally {
    await t.close();
  }
});
