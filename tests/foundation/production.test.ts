/**
 * The production path as Deno Deploy runs it, from the server bundle `deno task build`
 * makes (dist/main.js, what `deno task serve` runs) and from source (main.ts): only `--allow-net
 * --allow-env --allow-read` (it may write no file and start no process, so it cannot
 * bundle the islands or persist anything but through KV), `KV_PATH=:memory:`, against a
 * standalone simulator. An employer opens a link, sees the connections page with its
 * island, and connects a payroll system through Connect and the callback.
 */
import assert from "node:assert/strict";
import {
  DEFAULT_CLIENT_ID,
  DEFAULT_CLIENT_SECRET,
  DEFAULT_WEBHOOK_SECRET,
} from "../../sim/defaults.ts";
import { ensureIslandBuild, ensureServerBundle } from "../../testing/build.ts";
import { Client } from "../../testing/portal.ts";
import { freePort, newSecrets, Proc } from "../reliability/_procs.ts";

for (const entry of ["dist/main.js", "main.ts"]) {
  Deno.test(`[production] ${entry} with read, net and env only serves the page, its island and a whole connect`, async () => {
    await ensureIslandBuild();
    await ensureServerBundle();
    const simPort = freePort(), portalPort = freePort();
    const simOrigin = `http://127.0.0.1:${simPort}`;
    const origin = `http://127.0.0.1:${portalPort}`;
    const secrets = newSecrets();
    const sim = new Proc("simulator", simOrigin, ["run", "-A", "sim/main.ts"], {
      SIM_PORT: String(simPort),
      SIM_PUBLIC_URL: simOrigin,
      SIM_REDIRECT_URIS: `${origin}/callback`,
    });
    const portal = new Proc(
      "portal",
      origin,
      ["run", "--allow-net", "--allow-env", "--allow-read", entry],
      {
        PORT: String(portalPort),
        PUBLIC_URL: origin,
        KV_PATH: ":memory:",
        FINCH_CLIENT_ID: DEFAULT_CLIENT_ID,
        FINCH_CLIENT_SECRET: DEFAULT_CLIENT_SECRET,
        FINCH_BASE_URL: simOrigin,
        FINCH_CONNECT_URL: simOrigin,
        FINCH_WEBHOOK_SECRET: DEFAULT_WEBHOOK_SECRET,
        ...secrets,
      },
    );
    try {
      await sim.ready("/providers");
      await portal.ready("/healthz");
      const api = (path: string, init: RequestInit = {}) =>
        fetch(`${origin}${path}`, {
          ...init,
          headers: {
            authorization: `Bearer ${secrets.ADMIN_API_KEY}`,
            "content-type": "application/json",
          },
        });
      const created = await api("/api/customers/acme", {
        method: "PUT",
        body: JSON.stringify({ name: "Acme Inc." }),
      });
      assert.equal(created.status, 201);
      await created.body?.cancel();
      const link = await (await api("/api/customers/acme/links", {
        method: "POST",
      })).json();

      // A browser: Connect's page (/authorize) is the simulator's, the rest the portal's.
      const browser = new Client(async (path, init) => {
        const url = new URL(path, origin);
        const target = url.pathname === "/authorize" ? simOrigin : origin;
        return await fetch(`${target}${url.pathname}${url.search}`, init);
      }, origin);
      assert.equal((await browser.get(link.url)).status, 303);
      const page = await browser.page();
      assert.equal(page.status, 200);
      const script = page.html.match(
        /<script type="module" src="(\/static\/build\/[0-9a-f]{16}\/islands\.js)"/,
      );
      assert.ok(script, "the page loads its island bundle");
      assert.match(page.html, /data-island-props="ConnectionsBoard"/);
      const bundle = await fetch(`${origin}${script[1]}`);
      assert.equal(bundle.status, 200);
      assert.ok((await bundle.text()).length > 1000);

      const done = await browser.connect({ company_name: "Acme, Inc." });
      assert.equal(done.status, 303, await done.text());
      const after = await browser.page();
      assert.equal(after.html.match(/<li class="card"/g)?.length, 1);

      const complaints = portal.lines.filter((l) =>
        /PermissionDenied|Requires (write|run) access|NotCapable/i.test(l)
      );
      assert.deepEqual(complaints, [], "no write or run was even attempted");
    } finally {
      await portal.stop();
      await sim.stop();
    }
  });
}
