/**
 * Finch's own Connect SDK (`@tryfinch/react-connect`, vanilla `FinchConnect`) in real
 * Chromium against the simulator: the SDK opens the simulator's page in its iframe, the
 * employer fills the form, and `onSuccess` receives a code that exchanges for a token.
 * Cancel gives `onClose`. Screenshots land in tests/screenshots/ for a human look.
 */

import assert from "node:assert/strict";
import * as esbuild from "esbuild";
import Finch from "@tryfinch/finch-api";
import { Hono } from "hono";
import { createSimulator, type Simulator } from "../../sim/app.ts";
import { CLIENT_ID, CLIENT_SECRET, WEBHOOK_SECRET } from "./helpers.ts";
import { browserTest, launchBrowser } from "../helpers/browser.ts";

const SCREENSHOTS = new URL("../screenshots/", import.meta.url);

/** Finch's Connect SDK bundled for the browser; its `react` import is served by Preact. */
async function bundleConnectSdk(): Promise<string> {
  try {
    const out = await esbuild.build({
      stdin: {
        contents:
          `import { FinchConnect } from "@tryfinch/react-connect"; window.FinchConnect = FinchConnect;`,
        resolveDir: Deno.cwd(),
        loader: "js",
      },
      bundle: true,
      format: "esm",
      platform: "browser",
      alias: { react: "preact/compat" },
      write: false,
      logLevel: "silent",
    });
    return out.outputFiles[0].text;
  } finally {
    await esbuild.stop();
  }
}

function hostPage(simOrigin: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>Integrator app</title></head>
<body style="font-family:sans-serif;margin:0;background:#fff">
<div style="padding:40px"><h1>Acme Benefits</h1><p>Connect your payroll to enable 401(k) sync.</p></div>
<script type="module" src="/connect.js"></script>
<script type="module">
  await import("/connect.js");
  window.results = [];
  const connect = window.FinchConnect.initialize({
    onSuccess: (r) => window.results.push({ kind: "success", ...r }),
    onError: (e) => window.results.push({ kind: "error", ...e }),
    onClose: () => window.results.push({ kind: "close" }),
    apiConfig: { connectUrl: ${JSON.stringify(simOrigin)} },
  });
  window.openConnect = (sessionId, state) => connect.open({ sessionId, state });
  window.ready = true;
</script></body></html>`;
}

/** Serves a handler on an ephemeral port and returns its origin. */
function serve(handler: (req: Request) => Response | Promise<Response>) {
  const server = Deno.serve({
    port: 0,
    hostname: "127.0.0.1",
    onListen: () => {},
  }, handler);
  return { server, origin: `http://127.0.0.1:${server.addr.port}` };
}

browserTest(
  "[sim browser] Finch's Connect SDK completes against the simulator",
  async (t) => {
    const sdk = await bundleConnectSdk();
    // The simulator needs the server's origin and the server needs the simulator.
    const late: { sim?: Simulator } = {};
    const simServer = serve((req) => late.sim!.app.fetch(req));
    const sim = late.sim = createSimulator({
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      webhookSecret: WEBHOOK_SECRET,
      publicUrl: simServer.origin,
      initialSyncDelayMs: null,
    });
    const host = serve((req) => {
      const path = new URL(req.url).pathname;
      if (path === "/connect.js") {
        return new Response(sdk, {
          headers: { "content-type": "text/javascript" },
        });
      }
      return new Response(hostPage(simServer.origin), {
        headers: { "content-type": "text/html" },
      });
    });
    const client = new Finch({
      clientID: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      baseURL: simServer.origin,
      maxRetries: 0,
    });
    const browser = await launchBrowser();
    try {
      await Deno.mkdir(SCREENSHOTS, { recursive: true });
      const context = await browser.newContext({
        viewport: { width: 1100, height: 900 },
      });
      const page = await context.newPage();

      const open = async (customerId: string, state: string) => {
        const session = await client.connect.sessions.new({
          customer_id: customerId,
          customer_name: "Acme Benefits",
          products: [
            "company",
            "directory",
            "individual",
            "employment",
            "pay_statement",
          ],
        });
        await page.goto(host.origin);
        await page.waitForFunction(() =>
          (window as unknown as { ready?: boolean }).ready
        );
        await page.evaluate(
          ([id, st]) =>
            (window as unknown as {
              openConnect: (a: string, b: string) => void;
            })
              .openConnect(id, st),
          [session.session_id, state],
        );
        return page.frameLocator("#finch-connect-iframe");
      };
      const results = () =>
        page.evaluate(() =>
          (window as unknown as { results: Record<string, string>[] }).results
        );

      await t.step(
        "onSuccess gets a code and state; the code exchanges for a token",
        async () => {
          const frame = await open("browser-1", "state-123");
          await frame.getByText("Gusto", { exact: true }).click();
          await page.screenshot({
            path: new URL("sim_connect_embedded.png", SCREENSHOTS).pathname,
          });
          await frame.getByLabel("Company legal name").fill("Browser Test Co");
          await frame.getByLabel("Entities").fill("Browser East, Browser West");
          await frame.getByLabel("Username or email").fill(
            "admin@browser.test",
          );
          await frame.getByLabel("Password").fill("hunter2");
          await frame.getByRole("button", { name: "Connect", exact: true })
            .click();
          await page.waitForFunction(() =>
            (window as unknown as { results: unknown[] }).results.length > 0
          );
          const [result] = await results();
          assert.equal(result.kind, "success");
          assert.equal(result.state, "state-123");
          assert.equal(
            await page.locator("#finch-connect-iframe").count(),
            0,
            "iframe removed",
          );
          const token = await client.accessTokens.create({ code: result.code });
          assert.equal(token.provider_id, "gusto");
          assert.equal(token.entity_ids.length, 2);
          assert.equal(token.customer_id, "browser-1");
        },
      );

      await t.step("cancel gives onClose", async () => {
        const frame = await open("browser-2", "state-456");
        await frame.getByRole("button", { name: "Cancel" }).click();
        await page.waitForFunction(() =>
          (window as unknown as { results: unknown[] }).results.length > 0
        );
        assert.deepEqual(await results(), [{ kind: "close" }]);
        assert.equal(await page.locator("#finch-connect-iframe").count(), 0);
      });

      await t.step(
        "screenshots of the redirect page, desktop and phone",
        async () => {
          const session = await client.connect.sessions.new({
            customer_id: "browser-3",
            customer_name: "Acme Benefits",
            products: ["company", "directory", "individual", "employment"],
            redirect_uri: "http://127.0.0.1:9/callback",
          });
          await page.goto(session.connect_url);
          await page.getByText("Rippling", { exact: true }).click();
          await page.getByLabel("Company legal name").focus();
          await page.screenshot({
            path: new URL("sim_connect_redirect.png", SCREENSHOTS).pathname,
            fullPage: true,
          });
          const phone = await browser.newContext({
            viewport: { width: 390, height: 844 },
          });
          const mobile = await phone.newPage();
          await mobile.goto(session.connect_url);
          await mobile.screenshot({
            path: new URL("sim_connect_phone.png", SCREENSHOTS).pathname,
            fullPage: true,
          });
          await phone.close();
        },
      );
      await context.close();
    } finally {
      await browser.close();
      await host.server.shutdown();
      await simServer.server.shutdown();
      await sim.close();
    }
  },
);

browserTest(
  "[sim browser] mounted under /sim: the SDK works with connectUrl = the origin",
  async () => {
    // The SDK accepts messages only when event.origin starts with connectUrl, so a simulator
    // mounted under /sim is reached with connectUrl = the bare origin and a /authorize redirect.
    const sdk = await bundleConnectSdk();
    let handler: (req: Request) => Response | Promise<Response> = () =>
      new Response();
    const server = serve((req) => handler(req));
    const sim = createSimulator({
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      webhookSecret: WEBHOOK_SECRET,
      publicUrl: `${server.origin}/sim`,
      initialSyncDelayMs: null,
    });
    const portal = new Hono();
    portal.get(
      "/authorize",
      (c) => c.redirect(`/sim/authorize?${new URL(c.req.url).searchParams}`),
    );
    portal.get(
      "/connect.js",
      (c) => c.body(sdk, 200, { "content-type": "text/javascript" }),
    );
    portal.get("/", (c) => c.html(hostPage(server.origin)));
    portal.route("/sim", sim.app);
    handler = portal.fetch;
    const client = new Finch({
      clientID: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      baseURL: `${server.origin}/sim`,
      maxRetries: 0,
    });
    const browser = await launchBrowser();
    try {
      const page = await browser.newPage();
      const session = await client.connect.sessions.new({
        customer_id: "mounted-browser",
        customer_name: "Acme Benefits",
        products: ["company"],
      });
      await page.goto(server.origin);
      await page.waitForFunction(() =>
        (window as unknown as { ready?: boolean }).ready
      );
      await page.evaluate(
        (id) =>
          (window as unknown as { openConnect: (a: string, b: string) => void })
            .openConnect(id, "m1"),
        session.session_id,
      );
      const frame = page.frameLocator("#finch-connect-iframe");
      await frame.getByText("Justworks", { exact: true }).click();
      await frame.getByLabel("Company legal name").fill("Mounted Browser Co");
      await frame.getByRole("button", { name: "Connect", exact: true }).click();
      await page.waitForFunction(() =>
        (window as unknown as { results: unknown[] }).results.length > 0
      );
      const [result] = await page.evaluate(() =>
        (window as unknown as { results: Record<string, string>[] }).results
      );
      assert.equal(result.kind, "success");
      assert.equal(result.state, "m1");
      const token = await client.accessTokens.create({ code: result.code });
      assert.equal(token.provider_id, "justworks");
    } finally {
      await browser.close();
      await server.server.shutdown();
      await sim.close();
    }
  },
);
