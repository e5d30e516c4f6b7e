/**
 * Opening the store (lib/db/open.ts): a file path gets its folder, `:memory:` nothing,
 * and an http(s) URL is a KV Connect endpoint (a self-hosted `denokv`, or a managed
 * store), reached with `DENO_KV_ACCESS_TOKEN`, with no folder made for it. No `denokv`
 * server can be built here, so the endpoint below answers only the protocol's first step
 * (the metadata exchange) with a refusal: enough to see the portal speak KV Connect to
 * the URL with the token, and stop with one clear line when refused.
 */
import assert from "node:assert/strict";
import { bootPortal } from "../../boot.ts";
import { ConfigError } from "../../lib/config.ts";
import { isKvConnectUrl, openKv } from "../../lib/db/open.ts";

Deno.test("[db] openKv makes a file's folder; :memory: needs none", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const kv = await openKv(`${dir}/nested/deeper/portal.db`);
    await kv.set(["k"], 1);
    kv.close();
    assert.ok((await Deno.stat(`${dir}/nested/deeper/portal.db`)).isFile);
    const mem = await openKv(":memory:");
    mem.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("[db] KV_PATH as a URL speaks KV Connect with DENO_KV_ACCESS_TOKEN, and a refusal stops the start in one line", async () => {
  const seen: { method: string; path: string; auth: string | null }[] = [];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (req) => {
      await req.body?.cancel();
      seen.push({
        method: req.method,
        path: new URL(req.url).pathname,
        auth: req.headers.get("authorization"),
      });
      return new Response("access denied", { status: 401 });
    },
  );
  const url = `http://127.0.0.1:${server.addr.port}`;
  const cwd = Deno.cwd();
  const before = new Set([...Deno.readDirSync(cwd)].map((e) => e.name));
  const previous = Deno.env.get("DENO_KV_ACCESS_TOKEN");
  Deno.env.set("DENO_KV_ACCESS_TOKEN", "kv-connect-test-token");
  try {
    assert.ok(isKvConnectUrl(url) && isKvConnectUrl("https://kv.example"));
    assert.ok(!isKvConnectUrl("./data/portal.db"));
    await assert.rejects(openKv(url), /metadata endpoint/);
    assert.deepEqual(seen[0], {
      method: "POST",
      path: "/",
      auth: "Bearer kv-connect-test-token",
    });
    // Through the composition root: a ConfigError naming KV_PATH, nothing else.
    const err = await bootPortal({
      env: {
        KV_PATH: url,
        FINCH_CLIENT_ID: "client",
        FINCH_CLIENT_SECRET: "secret",
        ADMIN_API_KEY: "admin-key-0123456789",
        APP_SECRET: "a".repeat(40),
        TOKEN_KEYS: `k1:${btoa("k".repeat(32))}`,
      },
    }).then(() => null, (e) => e);
    assert.ok(err instanceof ConfigError);
    assert.match(err.message, /^KV_PATH could not be opened: /);
    assert.doesNotMatch(err.message, /kv-connect-test-token/);
    // No folder named after the URL appeared.
    const after = [...Deno.readDirSync(cwd)].map((e) => e.name);
    assert.deepEqual(after.filter((n) => !before.has(n)), []);
  } finally {
    if (previous === undefined) Deno.env.delete("DENO_KV_ACCESS_TOKEN");
    else Deno.env.set("DENO_KV_ACCESS_TOKEN", previous);
    await server.shutdown();
  }
});
