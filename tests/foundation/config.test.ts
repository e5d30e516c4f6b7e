import assert from "node:assert/strict";
import { ConfigError, loadConfig } from "../../lib/config.ts";

const PROD = {
  FINCH_CLIENT_ID: "client",
  FINCH_CLIENT_SECRET: "secret",
  ADMIN_API_KEY: "k".repeat(32),
  APP_SECRET: "s".repeat(32),
  TOKEN_KEYS: `k1:${btoa("x".repeat(32))}`,
};

Deno.test("[config] demo mode asked for, with no environment: the documented defaults", () => {
  const config = loadConfig({}, { demo: true });
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

Deno.test("[config] demo mode is only ever asked for: no credentials without it is an error", () => {
  const { FINCH_CLIENT_ID: _, FINCH_CLIENT_SECRET: __, ...secrets } = PROD;
  for (const env of [{}, secrets]) {
    for (const options of [undefined, { demo: false }]) {
      assert.throws(() => loadConfig(env, options), (err: Error) => {
        assert.ok(err instanceof ConfigError);
        assert.match(err.message, /^FINCH_CLIENT_ID is required: /);
        assert.match(err.message, /--demo/);
        return true;
      });
    }
  }
});

Deno.test("[config] demo mode with Finch credentials set is refused as ambiguous", () => {
  for (
    const [env, name] of [
      [PROD, "FINCH_CLIENT_ID"],
      [{ FINCH_CLIENT_ID: "client-value-123" }, "FINCH_CLIENT_ID"],
      [{ FINCH_CLIENT_SECRET: "secret-value-456" }, "FINCH_CLIENT_SECRET"],
    ] as const
  ) {
    assert.throws(() => loadConfig(env, { demo: true }), (err: Error) => {
      assert.ok(err instanceof ConfigError);
      assert.ok(err.message.startsWith(`${name} is set`), err.message);
      assert.doesNotMatch(err.message, /value-\d/);
      return true;
    });
  }
  assert.equal(loadConfig(PROD).demo, false);
});

Deno.test("[config] PUBLIC_URL, PORT and products are parsed", () => {
  const config = loadConfig({
    PORT: "9000",
    PUBLIC_URL: "https://portal.example.com/",
    FINCH_PRODUCTS: "company, directory payment",
    FINCH_SANDBOX: "finch",
    FINCH_WEBHOOK_SECRET: "c2VjcmV0MQ==, c2VjcmV0Mg==",
  }, { demo: true });
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
