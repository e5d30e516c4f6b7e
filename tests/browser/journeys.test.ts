/**
 * Journeys 1, 2, 3, 5 and 6 in a real browser, with JavaScript off (redirect flow, plain
 * forms) and on (embedded Connect through Finch's SDK, the disconnect dialog island).
 * Screenshots land in tests/screenshots/; axe must find nothing on any page.
 */
import assert from "node:assert/strict";
import {
  assertAccessible,
  fillConnect,
  pickProvider,
  portalBrowserTest,
  screenshot,
} from "../helpers/browser.ts";

portalBrowserTest(
  "[browser] journeys with JavaScript off: connect, another, same again, disconnect",
  { javaScriptEnabled: false },
  async (served, page) => {
    await page.goto(await served.link("acme", "Acme Inc."));
    assert.equal(new URL(page.url()).pathname, "/connections");
    await page.getByRole("heading", {
      name: "Share your payroll data with Northwind Benefits",
    }).waitFor();
    await assertAccessible(page, { scriptsOff: true });
    await screenshot(page, "01-empty-state");

    // Journey 1: first connection through the redirect flow.
    await pickProvider(page, "Gusto");
    assert.match(page.url(), /\/sim\/authorize\?session=/);
    await assertAccessible(page, { scriptsOff: true });
    await screenshot(page, "02-finch-connect");
    await fillConnect(page, {
      company: "Acme, Inc.",
      entities: "Acme East, Acme West",
    });
    await page.waitForURL(/\/connections$/);
    await page.getByText("connection for Acme, Inc. is connected").waitFor();
    const card = page.locator("li.card");
    assert.equal(await card.count(), 1);
    const text = await card.innerText();
    for (
      const expected of [
        "Acme, Inc.",
        "Gusto",
        "Connected",
        "Employee list",
        "Acme East",
        "Acme West",
      ]
    ) {
      assert.ok(text.includes(expected), `card shows ${expected}: ${text}`);
    }
    await assertAccessible(page, { scriptsOff: true });
    await screenshot(page, "03-first-connection");

    // Journey 2: another provider gives a second card.
    await pickProvider(page, "Justworks");
    await fillConnect(page, { company: "Acme, Inc." });
    await page.waitForURL(/\/connections$/);
    assert.equal(await page.locator("li.card").count(), 2);

    // Journey 3: the same company on the same provider, other credentials: no new card.
    await pickProvider(page, "Gusto");
    await fillConnect(page, {
      company: "Acme, Inc.",
      username: "someone.else@acme.example",
    });
    await page.waitForURL(/\/connections$/);
    await page.getByText("refreshed it instead of adding a second one")
      .waitFor();
    assert.equal(await page.locator("li.card").count(), 2);
    await screenshot(page, "04-two-connections");

    // Journey 5: disconnect through the confirmation page.
    const gusto = page.locator("li.card", { hasText: "Gusto" });
    await gusto.getByRole("link", { name: "Disconnect", exact: true }).click();
    await page.getByRole("heading", { name: "Disconnect Gusto?" }).waitFor();
    assert.equal(
      await page.locator("script").count(),
      0,
      "a page without islands ships no script",
    );
    await assertAccessible(page, { scriptsOff: true });
    await screenshot(page, "05-disconnect-confirm");
    await page.getByRole("button", { name: "Disconnect" }).click();
    await page.waitForURL(/\/connections$/);
    await page.getByText("its access at Gusto was revoked").waitFor();
    assert.equal(await page.locator("li.card").count(), 1);
    assert.equal(
      await page.locator("li.card", { hasText: "Gusto" }).count(),
      0,
    );
    const revoked = served.portal.sim!.revoked();
    assert.equal(
      revoked.connection_ids.length,
      1,
      "one connection revoked at Finch",
    );
    await screenshot(page, "06-after-disconnect");
  },
);

portalBrowserTest(
  "[browser] journeys with JavaScript on: embedded Connect and the disconnect dialog",
  {},
  async (served, page) => {
    const errors: string[] = [];
    page.on("pageerror", (err) => errors.push(err.message));
    await page.goto(await served.link("globex", "Globex Corporation"));
    await page.locator("[data-island][data-hydrated]").waitFor({
      state: "attached",
    });
    // A marker that a full page load would wipe: the card must appear without one.
    await page.evaluate(
      () => ((globalThis as unknown as { stayed: boolean }).stayed = true),
    );

    // Journey 6: embedded Connect through Finch's Connect SDK.
    await page.getByRole("button", { name: "Connect a payroll or HR system" })
      .click();
    const iframe = page.locator("#finch-connect-iframe");
    await iframe.waitFor();
    const frame = page.frameLocator("#finch-connect-iframe");
    await frame.locator("input[name=company_name]").waitFor();
    await screenshot(page, "11-embedded-connect");
    await fillConnect(frame, {
      provider: "rippling",
      company: "Globex Corporation",
    });
    await page.locator("li.card", { hasText: "Globex Corporation" })
      .waitFor();
    await iframe.waitFor({ state: "detached" });
    assert.equal(
      await page.evaluate(() =>
        (globalThis as unknown as { stayed?: boolean }).stayed
      ),
      true,
      "no page load happened",
    );
    await page.getByText("Globex Corporation is connected").waitFor();
    await assertAccessible(page);
    await screenshot(page, "12-embedded-connected");

    // Journey 2, embedded: another company on the same provider adds a second card.
    await page.getByRole("button", { name: "Connect another system" })
      .click();
    await fillConnect(page.frameLocator("#finch-connect-iframe"), {
      provider: "rippling",
      company: "Globex Europe GmbH",
    });
    await page.locator("li.card", { hasText: "Globex Europe GmbH" })
      .waitFor();
    assert.equal(await page.locator("li.card").count(), 2);

    // Journey 3, embedded: the first company again, other credentials: no third card.
    await page.getByRole("button", { name: "Connect another system" })
      .click();
    await fillConnect(page.frameLocator("#finch-connect-iframe"), {
      provider: "rippling",
      company: "Globex Corporation",
      username: "payroll.admin@globex.example",
    });
    await page.getByText("refreshed it instead of adding a second one")
      .waitFor();
    assert.equal(await page.locator("li.card").count(), 2);
    assert.equal(
      await page.evaluate(() =>
        (globalThis as unknown as { stayed?: boolean }).stayed
      ),
      true,
      "still no page load",
    );

    // The island's dialog: Disconnect opens a modal instead of a new page.
    const first = page.locator("li.card", { hasText: "Globex Corporation" });
    await first.getByRole("link", { name: "Disconnect", exact: true }).click();
    const dialog = page.getByRole("dialog");
    await dialog.waitFor();
    assert.match(page.url(), /\/connections$/);
    await assertAccessible(page);
    await screenshot(page, "13-disconnect-dialog");
    await dialog.getByRole("button", { name: "Cancel" }).click();
    await dialog.waitFor({ state: "hidden" });
    // The dialog is gone from the page, and focus is back where the admin left it.
    await page.locator("dialog").waitFor({ state: "detached" });
    assert.equal(
      await page.evaluate(() => document.activeElement?.textContent?.trim()),
      "Disconnect",
    );
    await first.getByRole("link", { name: "Disconnect", exact: true }).click();
    await dialog.getByRole("button", { name: "Disconnect" }).click();
    await page.getByText("its access at Rippling was revoked").waitFor();
    assert.equal(await page.locator("li.card").count(), 1);
    assert.equal(
      await page.locator("li.card", { hasText: "Globex Corporation" })
        .count(),
      0,
    );
    assert.deepEqual(errors, []);
  },
);

portalBrowserTest("[browser] the connections page reads well on a phone", {
  viewport: { width: 390, height: 844 },
  isMobile: true,
}, async (served, page) => {
  await page.goto(await served.link("initech", "Initech LLC"));
  await page.getByRole("button", { name: "Connect a payroll or HR system" })
    .click();
  const frame = page.frameLocator("#finch-connect-iframe");
  await fillConnect(frame, {
    provider: "adp_run",
    company: "Initech LLC",
    entities: "Initech Payroll",
  });
  await page.locator("li.card").waitFor();
  const overflow = await page.evaluate(() =>
    document.documentElement.scrollWidth >
      document.documentElement.clientWidth
  );
  assert.equal(overflow, false, "no horizontal scrolling on a phone");
  await assertAccessible(page);
  await screenshot(page, "21-phone");
});
