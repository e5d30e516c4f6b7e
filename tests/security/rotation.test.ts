/**
 * Rotating every secret without downtime (SECURITY.md): during a rotation the portal is
 * started with the new value and the old one (`ADMIN_API_KEY=new,old`,
 * `APP_SECRET=new,old`, `TOKEN_KEYS=new,old`), everything issued under the old value
 * keeps working, then the old one is dropped. Each step is one restart of a portal on the
 * same KV store, as a rolling deploy would do. (`FINCH_WEBHOOK_SECRET` rotation is in
 * tests/webhooks/secrets.test.ts.)
 */
import assert from "node:assert/strict";
import { bootPortal } from "../../boot.ts";
import { upsertCustomer } from "../../lib/db/customers.ts";
import { rekeyTokens } from "../../lib/db/rekey.ts";
import { createPortalLink } from "../../lib/links.ts";
import {
  createSealer,
  generateTokenKey,
  parseTokenKeys,
} from "../../lib/sealing.ts";
import { type TestPortal, testPortal } from "../../testing/portal.ts";

const hex = (n: number) =>
  [...crypto.getRandomValues(new Uint8Array(n))]
    .map((b) => b.toString(16).padStart(2, "0")).join("");

/** Boots portals one after another on one KV store, like a rolling deploy. */
async function deploys(
  fn: (boot: (env: Record<string, string>) => Promise<TestPortal>) => Promise<
    void
  >,
) {
  const kv = await Deno.openKv(":memory:");
  const running: TestPortal[] = [];
  try {
    await fn(async (env) => {
      const t = await testPortal({ kv, env });
      running.push(t);
      return t;
    });
  } finally {
    for (const t of running) await t.close();
    kv.close();
  }
}

function api(t: TestPortal, key: string, path = "/api/customers/acme") {
  return t.fetch(path, { headers: { authorization: `Bearer ${key}` } });
}

Deno.test("[security] rotation: ADMIN_API_KEY=new,old accepts both, then only the new one", async () => {
  const [oldKey, newKey] = [`old_${hex(16)}`, `new_${hex(16)}`];
  await deploys(async (boot) => {
    const before = await boot({ ADMIN_API_KEY: oldKey });
    await upsertCustomer(before.kv, { id: "acme", name: "Acme" });
    assert.equal((await api(before, oldKey)).status, 200);

    const during = await boot({ ADMIN_API_KEY: `${newKey},${oldKey}` });
    assert.equal((await api(during, oldKey)).status, 200);
    assert.equal((await api(during, newKey)).status, 200);
    assert.equal((await api(during, `${newKey},${oldKey}`)).status, 401);

    const after = await boot({ ADMIN_API_KEY: newKey });
    assert.equal((await api(after, newKey)).status, 200);
    const refused = await api(after, oldKey);
    assert.equal(refused.status, 401);
    await refused.body?.cancel();
  });
  // Every key in the list must be a real key.
  const kv = await Deno.openKv(":memory:");
  try {
    await assert.rejects(
      bootPortal({
        env: { ADMIN_API_KEY: `${newKey},short` },
        kv,
        log: () => {},
      }),
      /ADMIN_API_KEY is invalid: each key must be 16 or more characters/,
    );
  } finally {
    kv.close();
  }
});

Deno.test("[security] rotation: APP_SECRET=new,old keeps old links, sessions and open forms working", async () => {
  const [oldSecret, newSecret] = [hex(32), hex(32)];
  await deploys(async (boot) => {
    const before = await boot({ APP_SECRET: oldSecret });
    const employer = await before.signedIn("acme");
    const oldPage = await employer.page();
    const oldLink = (await createPortalLink(before.portal.deps, "acme")).url;

    const during = await boot({ APP_SECRET: `${newSecret},${oldSecret}` });
    const browser = during.client();
    for (const [k, v] of employer.cookies) browser.cookies.set(k, v);
    // The session (a random token, not a signature) and the old page's form token work.
    const started = await browser.postForm("/connections/new", {
      _csrf: oldPage.csrf,
    });
    assert.equal(started.status, 303);
    // A link sent last week still opens; new links are signed with the new secret.
    const opened = await during.client().get(oldLink);
    assert.equal(opened.status, 303);
    const newLink = (await createPortalLink(during.portal.deps, "acme")).url;
    const newPage = await browser.page();
    // The form token is the session's own (kept with it in KV), not a signature: a
    // rotation leaves it as it was, so no open form breaks, even after the old secret goes.
    assert.equal(newPage.csrf, oldPage.csrf);

    const after = await boot({ APP_SECRET: newSecret });
    const late = await after.client().get(oldLink);
    assert.equal(
      late.status,
      404,
      "links signed with a dropped secret are dead",
    );
    await late.body?.cancel();
    assert.equal((await after.client().get(newLink)).status, 303);
    const browser2 = after.client();
    for (const [k, v] of browser.cookies) browser2.cookies.set(k, v);
    const ok = await browser2.postForm("/connections/new", {
      _csrf: newPage.csrf,
    });
    assert.equal(ok.status, 303);
  });
});

Deno.test("[security] rotation: TOKEN_KEYS=new,old, rekey, then only the new key: every token still served", async () => {
  const [k1, k2] = [generateTokenKey("k1"), generateTokenKey("k2")];
  const key = `key_${hex(16)}`;
  await deploys(async (boot) => {
    const before = await boot({ TOKEN_KEYS: k1, ADMIN_API_KEY: key });
    const employer = await before.signedIn("acme");
    for (const company of ["One Co", "Two Co"]) {
      assert.equal(
        (await employer.connect({ company_name: company })).status,
        303,
      );
    }
    const ids =
      (await (await api(before, key, "/api/customers/acme/connections"))
        .json()).connections.map((c: { connection_id: string }) =>
          c.connection_id
        );
    const tokens = async (t: TestPortal) =>
      await Promise.all(
        ids.map(async (id: string) =>
          (await (await api(t, key, `/api/connections/${id}/token`)).json())
            .access_token
        ),
      );
    const issued = await tokens(before);

    const during = await boot({
      TOKEN_KEYS: `${k2},${k1}`,
      ADMIN_API_KEY: key,
    });
    assert.deepEqual(await tokens(during), issued);
    const result = await rekeyTokens(
      during.kv,
      await createSealer(parseTokenKeys(`${k2},${k1}`)),
    );
    assert.equal(result.resealed, 2);
    assert.deepEqual(result.failed, []);

    const after = await boot({ TOKEN_KEYS: k2, ADMIN_API_KEY: key });
    assert.deepEqual(await tokens(after), issued);
  });
});
