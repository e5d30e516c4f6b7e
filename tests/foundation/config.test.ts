import assert from "node:assert/strict";
import { ConfigError, loadConfig } from "../../lib/config.ts";

const PROD = {
  FINCH_CLIENT_ID: "client",
  FINCH_CLIENT_SECRET: "secret",
  ADMIN_API_KEY: "k".repeat(32),
  APP_SECRET: "s".repeat(32),
  TOKEN_KEYS: `k1:${btoa("x".repeat(32))}`,
};

Deno.test("[config] no environment means demo mode with the documented defaults", () => {
  const config = loadConfig({});
  assert.equal(config.demo, true);
  assert.equal(config.port, 8000);
  assert.equal(config.publicUrl, "http://localhost:8000");
  assert.equal(config.redirectUri, "http://localhost:8000/callback");
  assert.equal(config.kvPath, "./data/portal.db");
  assert.equal(config.finch.connectUrl, "https://connect.tryfinch.com");
  assert.deepEqual(config.finch.products, [
    "company",
    "directory",
    "individual",
    "employment",
  ]);
});

Deno.test("[config] PUBLIC_URL, PORT and products are parsed", () => {
  const config = loadConfig({
    PORT: "9000",
    PUBLIC_URL: "https://portal.example.com/",
    FINCH_PRODUCTS: "company, directory payment",
    FINCH_SANDBOX: "finch",
    FINCH_WEBHOOK_SECRET: "c2VjcmV0MQ==, c2VjcmV0Mg==",
  });
  assert.equal(config.port, 9000);
  assert.equal(config.publicUrl, "https://portal.example.com");
  assert.equal(config.redirectUri, "https://portal.example.com/callback");
  assert.deepEqual(config.finch.products, ["company", "directory", "payment"]);
  assert.equal(config.finch.sandbox, "finch");
  assert.deepEqual(config.finch.webhookSecrets, [
    "c2VjcmV0MQ==",
    "c2VjcmV0Mg==",
  ]);
});

Deno.test("[config] production mode names each missing secret", () => {
  assert.equal(loadConfig(PROD).demo, false);
  for (const name of ["ADMIN_API_KEY", "APP_SECRET", "TOKEN_KEYS"] as const) {
    const env: Record<string, string> = { ...PROD };
    delete env[name];
    assert.throws(() => loadConfig(env), (err: Error) => {
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, new RegExp(`^${name} `));
      return true;
    });
  }
});

Deno.test("[config] bad values are refused with the variable's name and never echoed", () => {
  const cases: [Record<string, string>, string][] = [
    [{ PORT: "eighty" }, "PORT"],
    [{ PUBLIC_URL: "ftp://x" }, "PUBLIC_URL"],
    [{ FINCH_PRODUCTS: "company payroll-magic" }, "FINCH_PRODUCTS"],
    [{ FINCH_SANDBOX: "yes" }, "FINCH_SANDBOX"],
    [{ ...PROD, APP_SECRET: "short-secret-value" }, "APP_SECRET"],
    [{ FINCH_CLIENT_ID: "only-the-id" }, "FINCH_CLIENT_SECRET"],
  ];
  for (const [env, name] of cases) {
    assert.throws(() => loadConfig(env), (err: Error) => {
      assert.ok(err instanceof ConfigError, name);
      assert.ok(err.message.startsWith(name), `${name}: ${err.message}`);
      assert.ok(!err.message.includes("short-secret-value"));
      return true;
    });
  }
});

Deno.test("[config] a missing secret stops main.ts with one clear line", async () => {
  const env: Record<string, string> = {
    ...PROD,
    NO_COLOR: "1",
    KV_PATH: ":memory:",
  };
  delete env.TOKEN_KEYS;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "main.ts"],
    cwd: new URL("../../", import.meta.url).pathname,
    env,
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr).trim();
  assert.equal(out.code, 1);
  assert.equal(
    stderr,
    "Cannot start the portal: TOKEN_KEYS is required outside demo mode",
  );
});
