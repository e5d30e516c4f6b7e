/**
 * How the portal starts (issue 17, item 6): demo mode only when asked for. The quick
 * start (`deno task start`) asks for it; `deno task serve` and `main.ts` as Deno Deploy
 * runs it do not, and without Finch credentials they refuse to start with one line
 * naming `FINCH_CLIENT_ID`, instead of coming up with the simulator's test controls on
 * the portal's own origin.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { ensureServerBundle } from "../../testing/build.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** A task of deno.json as the arguments `deno` is run with. */
async function task(name: string): Promise<string[]> {
  const json = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`));
  const [deno, ...args] = String(json.tasks[name]).split(/\s+/);
  assert.equal(deno, "deno", `task ${name} runs deno`);
  return args;
}

/**
 * Runs `deno <args>` with exactly `env`; what it wrote, and its exit code, or null if
 * it was still running (serving) after `ms`.
 */
async function run(
  args: string[],
  env: Record<string, string>,
  ms = 20_000,
): Promise<{ code: number | null; stderr: string }> {
  const child = new Deno.Command(Deno.execPath(), {
    args,
    cwd: ROOT,
    env: { NO_COLOR: "1", ...env },
    clearEnv: true,
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const code = await Promise.race([
    child.status.then((s) => s.code),
    new Promise<null>((r) => timer = setTimeout(() => r(null), ms)),
  ]);
  clearTimeout(timer);
  if (code === null) child.kill("SIGKILL");
  await child.status;
  return { code, stderr: (await stderr).trim() };
}

const REFUSAL =
  "Cannot start the portal: FINCH_CLIENT_ID is required: set FINCH_CLIENT_ID and " +
  "FINCH_CLIENT_SECRET, or ask for demo mode with --demo (deno task start)";

/** A production environment but for the Finch credentials. */
const SECRETS = {
  ADMIN_API_KEY: "k".repeat(32),
  APP_SECRET: "s".repeat(32),
  TOKEN_KEYS: `k1:${btoa("x".repeat(32))}`,
  KV_PATH: ":memory:",
};

Deno.test("[start] `deno task start` with no settings serves demo mode and prints a working portal link", async () => {
  assert.deepEqual(await task("start"), ["run", "-A", "main.ts", "--demo"]);
  const dir = await Deno.makeTempDir();
  const port = freePort();
  const child = new Deno.Command(Deno.execPath(), {
    args: await task("start"),
    cwd: ROOT,
    env: { PORT: String(port), KV_PATH: `${dir}/portal.db`, NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  try {
    const reader = child.stdout.pipeThrough(new TextDecoderStream())
      .getReader();
    let out = "";
    const deadline = Date.now() + 30_000;
    while (
      !/Open the demo employer's portal:\s+(\S+)/.test(out) &&
      Date.now() < deadline
    ) {
      const { value, done } = await reader.read();
      if (done) break;
      out += value;
    }
    reader.releaseLock();
    const link = out.match(/Open the demo employer's portal:\s+(\S+)/)?.[1];
    assert.ok(link, `no link printed:\n${out}`);
    assert.ok(link.startsWith(`http://localhost:${port}/portal/`));
    assert.match(out, /Demo mode/);

    const redeem = await fetch(link.replace("localhost", "127.0.0.1"), {
      redirect: "manual",
    });
    assert.equal(redeem.status, 303);
    const cookie = redeem.headers.get("set-cookie")?.split(";")[0];
    assert.ok(cookie?.startsWith("portal_session="));
    await redeem.body?.cancel();
    const page = await fetch(`http://127.0.0.1:${port}/connections`, {
      headers: { cookie: cookie! },
    });
    assert.equal(page.status, 200);
    assert.match(
      await page.text(),
      /Share your payroll data with Northwind Benefits/,
    );
  } finally {
    child.kill("SIGTERM");
    await child.status;
    await child.stdout.cancel().catch(() => {});
    await child.stderr.cancel().catch(() => {});
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("[start] without Finch credentials, `deno task serve` (the server bundle) and `main.ts` refuse to start, in one line", async () => {
  assert.deepEqual(await task("serve"), [
    "run",
    "--allow-net",
    "--allow-env",
    "--allow-read",
    "--allow-write",
    "dist/main.js",
  ]);
  await ensureServerBundle();
  for (
    const [what, args, env] of [
      ["deno task serve, secrets set", await task("serve"), SECRETS],
      ["deno task serve, nothing set", await task("serve"), {}],
      ["main.ts", ["run", "-A", "main.ts"], { KV_PATH: ":memory:" }],
    ] as const
  ) {
    const { code, stderr } = await run([...args], {
      ...env,
      PORT: String(freePort()),
    });
    assert.equal(code, 1, `${what}: still serving (demo mode?)\n${stderr}`);
    assert.equal(stderr, REFUSAL, what);
  }
});

Deno.test("[start] --demo with Finch credentials set, or an unknown argument, is refused in one line", async () => {
  const creds = { FINCH_CLIENT_ID: "client-id", FINCH_CLIENT_SECRET: "shh" };
  const ambiguous = await run(["run", "-A", "main.ts", "--demo"], {
    ...creds,
    ...SECRETS,
  });
  assert.equal(ambiguous.code, 1);
  assert.match(
    ambiguous.stderr,
    /^Cannot start the portal: FINCH_CLIENT_ID is set, but demo mode \(--demo\) was asked for: [^\n]+$/,
  );
  const unknown = await run(["run", "-A", "main.ts", "--dmeo"], SECRETS);
  assert.equal(unknown.code, 1);
  assert.equal(
    unknown.stderr,
    'Cannot start the portal: unknown argument "--dmeo": main.ts takes only --demo',
  );
});
