/**
 * Journeys 4 and 8 in a real browser: Finch flips a real connection to `reauth` (the
 * simulator's `PUT /sandbox/connections/accounts`, called with the connection's token
 * through the official SDK, sends a signed `account.updated` to the portal); the page
 * shows "Reconnect"; reconnecting gives the same connection back, connected.
 */
import assert from "node:assert/strict";
import Finch from "@tryfinch/finch-api";
import type { Page } from "playwright-core";
import { getAccessToken, listConnections } from "../../lib/db/connections.ts";
import {
  assertAccessible,
  fillConnect,
  pickProvider,
  portalBrowserTest,
  screenshot,
  type ServedPortal,
} from "../helpers/browser.ts";

/** Flips the customer's only connection to `reauth` the way Finch's sandbox does. */
async function flipToReauth(served: ServedPortal): Promise<string> {
  const { values } = await listConnections(served.kv, "acme");
  assert.equal(values.length, 1);
  const id = values[0].connection_id;
  const token = await getAccessToken(
    served.kv,
    served.portal.deps.sealer,
    id,
  );
  const sdk = new Finch({
    accessToken: token,
    clientID: null,
    clientSecret: null,
    webhookSecret: null,
    baseURL: `${served.url}/sim`,
    maxRetries: 0,
    logLevel: "off",
  });
  await sdk.sandbox.connections.accounts.update({
    connection_status: "reauth",
  });
  await served.portal.sim!.settled();
  const delivery = served.portal.sim!.webhooks().at(-1)!;
  assert.equal(delivery.event_type, "account.updated");
  assert.equal(delivery.state, "delivered", JSON.stringify(delivery.attempts));
  return id;
}

async function expectReconnect(page: Page) {
  await page.goto(new URL("/connections", page.url()).href);
  const card = page.locator("li.card");
  await card.locator(".badge", { hasText: "Reconnect needed" }).waitFor();
  await card.getByRole("button", { name: "Reconnect" }).waitFor();
}

portalBrowserTest(
  "[browser] a reauth webhook shows Reconnect; reconnecting (JavaScript off) restores it",
  { javaScriptEnabled: false },
  async (served, page) => {
    await page.goto(await served.link("acme", "Acme Inc."));
    await pickProvider(page, "Gusto");
    await fillConnect(page, { company: "Acme, Inc." });
    await page.waitForURL(/\/connections$/);
    const card = page.locator("li.card");
    await card.locator(".badge", { hasText: "Connected" }).waitFor();
    assert.equal(
      await card.getByRole("button", { name: "Reconnect" }).count(),
      0,
    );

    const id = await flipToReauth(served);
    await expectReconnect(page);
    await assertAccessible(page, { scriptsOff: true });
    await screenshot(page, "31-reauth-needed");

    await card.getByRole("button", { name: "Reconnect" }).click();
    assert.match(page.url(), /\/sim\/authorize\?session=/);
    await fillConnect(page, { company: "Acme, Inc." });
    await page.waitForURL(/\/connections$/);
    await card.locator(".badge", { hasText: "Connected" }).waitFor();
    assert.equal(
      await card.getByRole("button", { name: "Reconnect" }).count(),
      0,
    );
    assert.equal(await page.locator("li.card").count(), 1);
    assert.equal(await card.getAttribute("data-connection-id"), id);
    await screenshot(page, "32-reconnected");
  },
);

portalBrowserTest(
  "[browser] a reauth webhook shows Reconnect; reconnecting in embedded Connect restores it",
  {},
  async (served, page) => {
    const errors: string[] = [];
    page.on("pageerror", (err) => errors.push(err.message));
    await page.goto(await served.link("acme", "Acme Inc."));
    await page.locator("[data-island][data-hydrated]").waitFor({
      state: "attached",
    });
    await page.getByRole("button", { name: "Connect a payroll or HR system" })
      .click();
    const frame = page.frameLocator("#finch-connect-iframe");
    await fillConnect(frame, { provider: "gusto", company: "Acme, Inc." });
    const card = page.locator("li.card");
    await card.locator(".badge", { hasText: "Connected" }).waitFor();

    const id = await flipToReauth(served);
    await expectReconnect(page);
    await page.locator("[data-island][data-hydrated]").waitFor({
      state: "attached",
    });
    await assertAccessible(page);

    await card.getByRole("button", { name: "Reconnect" }).click();
    const iframe = page.locator("#finch-connect-iframe");
    await iframe.waitFor();
    await fillConnect(frame, { company: "Acme, Inc." });
    await iframe.waitFor({ state: "detached" });
    await card.locator(".badge", { hasText: "Connected" }).waitFor();
    assert.equal(
      await card.getByRole("button", { name: "Reconnect" }).count(),
      0,
    );
    assert.equal(await card.getAttribute("data-connection-id"), id);
    await page.getByText("reconnected and working again").waitFor();
    await assertAccessible(page);
    const stored = await listConnections(served.kv, "acme");
    assert.equal(stored.values.length, 1);
    assert.equal(stored.values[0].status, "connected");
    assert.deepEqual(errors, []);
  },
);
