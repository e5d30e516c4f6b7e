import assert from "node:assert/strict";

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

Deno.test("[start] `deno task start` with no settings serves demo mode and prints a working portal link", async () => {
  const dir = await Deno.makeTempDir();
  const port = freePort();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "main.ts"],
    cwd: new URL("../../", import.meta.url).pathname,
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
    assert.match(await page.text(), /Connect your payroll system/);
  } finally {
    child.kill("SIGTERM");
    await child.status;
    await child.stdout.cancel().catch(() => {});
    await child.stderr.cancel().catch(() => {});
    await Deno.remove(dir, { recursive: true });
  }
});
