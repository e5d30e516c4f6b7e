/**
 * Issue 18, "a page an HR admin trusts at first sight", in Chromium at 1280 and 390
 * wide, with JavaScript on and off: the brand, `/`, the picker (filter, keyboard),
 * Connect open and cancelled (focus back on the button that opened it), card order,
 * plain-words cards with relative times, a pending card, one company of a connection
 * disconnected alone, the whole disconnect, an error page, and the phone's one-line
 * header and banner. axe runs on every state; every state is screenshotted
 * (tests/screenshots/page-<width>-<js|nojs>-NN-<state>.png).
 */
import assert from "node:assert/strict";
import type { BrowserContextOptions, Page } from "playwright-core";
import { listConnections } from "../../lib/db/connections.ts";
import { peopleSummaryKey } from "../../lib/db/people.ts";
import {
  assertAccessible,
  browserTest,
  fillConnect,
  launchBrowser,
  pickProvider,
  screenshot,
  type ServedPortal,
  servePortal,
} from "../helpers/browser.ts";

const SIZES = [
  { width: 1280, height: 800 },
  { width: 390, height: 844 },
] as const;

/** A clock the test moves, so "12 minutes ago" is real and not "just now". */
function movableClock() {
  const c = { ms: Date.now(), now: () => c.ms };
  return c;
}

function pageTest(
  name: string,
  context: BrowserContextOptions,
  fn: (
    served: ServedPortal,
    page: Page,
    clock: { ms: number },
  ) => Promise<void>,
) {
  browserTest(name, async () => {
    const clock = movableClock();
    const served = await servePortal({ now: clock.now });
    const browser = await launchBrowser();
    try {
      const page = await (await browser.newContext(context)).newPage();
      await fn(served, page, clock);
    } finally {
      await browser.close();
      await served.close();
    }
  });
}

/** Sets a connection's status at Finch (the simulator), which tells the portal. */
async function setStatus(served: ServedPortal, id: string, status: string) {
  const res = await fetch(`${served.url}/sim/_sim/connections/${id}/status`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ connection_status: status }),
  });
  assert.equal(res.status, 200, await res.text());
  await served.portal.sim!.settled();
}

/** The header and the demo banner each fit on one line, nothing cut off. */
async function assertOneLineChrome(page: Page) {
  const problems = await page.evaluate(() => {
    const out: string[] = [];
    const oneLine = (sel: string) => {
      const el = document.querySelector<HTMLElement>(sel);
      if (!el) return out.push(`${sel} missing`);
      const cs = getComputedStyle(el);
      const line = parseFloat(cs.lineHeight) || parseFloat(cs.fontSize) * 1.5;
      const inner = el.getBoundingClientRect().height -
        parseFloat(cs.paddingTop) - parseFloat(cs.paddingBottom) -
        parseFloat(cs.borderTopWidth) - parseFloat(cs.borderBottomWidth);
      if (inner > line * 1.5) out.push(`${sel} wraps (${inner}px)`);
      if (el.scrollWidth > el.clientWidth) out.push(`${sel} is cut off`);
    };
    oneLine(".demo-banner");
    oneLine(".brand-name");
    // The employer's name may end in "…" on a phone (whole in its title): the brand
    // may not.
    const account = document.querySelector<HTMLElement>(".account");
    if (account && account.getBoundingClientRect().height > 40) {
      out.push(".account wraps");
    }
    const brand = document.querySelector(".brand")!.getBoundingClientRect();
    const mid = account!.getBoundingClientRect();
    if (Math.abs(brand.top + brand.height / 2 - mid.top - mid.height / 2) > 4) {
      out.push("brand and account are not on one line");
    }
    if (
      document.documentElement.scrollWidth >
        document.documentElement.clientWidth
    ) {
      out.push("the page scrolls sideways");
    }
    return out;
  });
  assert.deepEqual(problems, []);
}

/** The card titles, top to bottom. */
function cardOrder(page: Page): Promise<string[]> {
  return page.locator("li.card").evaluateAll((cards) =>
    cards.map((c) =>
      `${c.querySelector("h2")?.textContent} · ${
        c.querySelector(".card-title p")?.textContent
      }`
    )
  );
}

for (const size of SIZES) {
  const w = size.width;
  const shot = (page: Page, n: string) => screenshot(page, `page-${w}-js-${n}`);

  pageTest(
    `[browser] page at ${w} with JavaScript: brand, picker, Connect and cancel, order, cards, a company disconnected alone`,
    { viewport: size, isMobile: w < 600 },
    async (served, page, clock) => {
      const errors: string[] = [];
      page.on("pageerror", (err) => errors.push(err.message));
      const scripts: string[] = [];
      page.on("request", (r) => {
        if (r.resourceType() === "script") {
          scripts.push(new URL(r.url()).pathname);
        }
      });
      const logos: string[] = [];
      page.on("request", (r) => {
        if (r.url().includes("/_sim/logos/")) logos.push(r.url());
      });

      // `/`: what this is and how to get in (demo mode: straight to the demo employer).
      await page.goto(served.url);
      await page.getByRole("heading", {
        name: "Connect your payroll to Northwind Benefits",
      }).waitFor();
      await assertAccessible(page);
      await shot(page, "01-home");

      await page.goto(await served.link("globex", "Globex Corporation"));
      await page.locator("[data-island][data-hydrated]").waitFor({
        state: "attached",
      });
      // Whose page: the brand's logo and name, support and privacy in the footer.
      const header = page.getByRole("banner");
      assert.equal(
        await header.locator(".brand-name").innerText(),
        "Northwind Benefits",
      );
      assert.equal(await header.locator("img.brand-logo").count(), 1);
      const footer = page.getByRole("contentinfo");
      await footer.getByRole("link", { name: "Contact support" }).waitFor();
      await footer.getByRole("link", { name: "Privacy" }).waitFor();
      await page.getByRole("heading", {
        name: "Share your payroll data with Northwind Benefits",
      }).waitFor();
      assert.equal(await page.locator("select").count(), 0, "no native select");
      assert.equal(await page.getByText("Finch Connect").count(), 0);
      await assertOneLineChrome(page);
      await assertAccessible(page);
      await shot(page, "02-empty");

      // One script loads with the page; Finch's SDK waits until Connect opens.
      assert.deepEqual(scripts, [
        served.portal.deps.assets.islandsUrl,
      ]);

      // The picker: logos (fetched only once it opens), a filter, the keyboard.
      assert.deepEqual(logos, [], "no logo fetched for the closed picker");
      const fetched = page.waitForResponse((r) =>
        r.url().includes("/_sim/logos/")
      );
      await page.getByText("Or pick your system from the list").click();
      await fetched;
      const options = page.locator(".provider-option");
      const all = await options.count();
      assert.ok(all > 10, `${all} providers listed`);
      assert.ok(await page.locator(".provider-option img").count() > 0);
      const filter = page.getByLabel("Find your system");
      await filter.fill("gus");
      assert.equal(await options.count(), 1);
      await options.getByText("Gusto", { exact: true }).waitFor();
      await assertAccessible(page);
      await shot(page, "03-picker-filtered");
      await filter.fill("zzz");
      await page.getByText("No system called “zzz” here").waitFor();
      await filter.fill("gus");
      await filter.focus();
      await page.keyboard.press("Tab");
      assert.equal(
        await page.evaluate(() =>
          (document.activeElement as HTMLButtonElement).value
        ),
        "gusto",
      );
      await page.keyboard.press("Enter");

      // Connect, open in the page: a titled frame, preselected on Gusto.
      const iframe = page.locator("#finch-connect-iframe");
      await iframe.waitFor();
      assert.equal(scripts.length, 2, "the SDK's chunk, now");
      assert.equal(
        await iframe.getAttribute("title"),
        "Connect your payroll or HR system",
      );
      const frame = page.frameLocator("#finch-connect-iframe");
      await frame.locator("input[name=username]").waitFor();
      assert.equal(
        await frame.locator("select[name=provider_id]").count(),
        0,
        "the provider is fixed",
      );
      await assertAccessible(page);
      await shot(page, "04-connect-open");

      // Cancelling says so, and focus goes back to the button that opened Connect.
      await frame.locator("button[name=action][value=cancel]").click();
      await iframe.waitFor({ state: "detached" });
      await page.getByText("Connecting was cancelled. Nothing was changed.")
        .waitFor();
      assert.equal(
        await page.evaluate(() =>
          (document.activeElement as HTMLButtonElement).value
        ),
        "gusto",
      );
      await assertAccessible(page);
      await shot(page, "05-cancelled");

      // First connection, with two companies, through the primary button.
      await page.getByRole("button", { name: "Connect a payroll or HR system" })
        .click();
      await fillConnect(page.frameLocator("#finch-connect-iframe"), {
        provider: "rippling",
        company: "Globex Corporation",
        entities: "Globex East, Globex West",
      });
      await page.getByText("Globex Corporation is connected").waitFor();
      clock.ms += 60_000; // a minute later: the next one is newer
      // Another: inserted at the top, newest first.
      await page.getByRole("button", { name: "Connect another system" })
        .click();
      await fillConnect(page.frameLocator("#finch-connect-iframe"), {
        provider: "gusto",
        company: "Globex Europe GmbH",
      });
      await page.getByText("Globex Europe GmbH is connected").waitFor();
      const order = await cardOrder(page);
      assert.deepEqual(order, [
        "Globex Europe GmbH · Gusto",
        "Globex Corporation · Rippling",
      ]);
      // The older one again (a refresh): it keeps its place.
      await page.getByRole("button", { name: "Connect another system" })
        .click();
      await fillConnect(page.frameLocator("#finch-connect-iframe"), {
        provider: "rippling",
        company: "Globex Corporation",
        username: "other.admin@globex.example",
      });
      await page.getByText("refreshed it instead of adding a second one")
        .waitFor();
      assert.deepEqual(await cardOrder(page), order);
      // A reconnect of the older one, in Connect: it keeps its place too.
      const older = (await listConnections(served.kv, "globex")).values
        .find((v) => v.provider_id === "rippling")!;
      await setStatus(served, older.connection_id, "reauth");
      await page.reload();
      await page.locator("[data-island][data-hydrated]").waitFor({
        state: "attached",
      });
      await page.getByRole("button", { name: "Reconnect" }).click();
      await fillConnect(page.frameLocator("#finch-connect-iframe"), {
        company: "Globex Corporation",
      });
      await page.getByText("reconnected and working again").waitFor();
      assert.deepEqual(await cardOrder(page), order);

      // Twelve minutes on, Gusto waiting for approval: the page as an admin finds it.
      const { values } = await listConnections(served.kv, "globex");
      const gusto = values.find((v) => v.provider_id === "gusto")!;
      clock.ms += 12 * 60_000;
      await setStatus(served, gusto.connection_id, "pending");
      // The people list's counts as a finished job leaves them (tests/people/ build
      // them for real): the line above the cards and a count on each card.
      await served.kv.set(peopleSummaryKey("globex"), {
        as_of: new Date(clock.ms).toISOString(),
        state: "fresh",
        people: 212,
        systems: 2,
        shared: 14,
        by_connection: {
          [gusto.connection_id]: 48,
          [older.connection_id]: 178,
        },
      });
      await page.reload();
      await page.locator("[data-island][data-hydrated]").waitFor({
        state: "attached",
      });
      assert.deepEqual(await cardOrder(page), order, "the server agrees");
      const pending = page.locator("li.card", { hasText: "Gusto" });
      await pending.locator(".badge", { hasText: "Submitted" }).waitFor();
      await pending.getByText(
        "Submitted. Gusto usually takes up to a business day to approve access; this page updates when it's live.",
      ).waitFor();
      assert.doesNotMatch(await page.locator("main").innerText(), /set up/i);
      const rippling = page.locator("li.card", { hasText: "Rippling" });
      const text = await rippling.innerText();
      for (
        const words of [
          "Company details, Employee list, Personal details, Jobs and pay",
          "Added",
          "12 minutes ago",
          "Globex East",
          "Globex West",
        ]
      ) {
        // innerText follows CSS: the labels are uppercased.
        assert.ok(
          text.toLowerCase().includes(words.toLowerCase()),
          `${words} in: ${text}`,
        );
      }
      const synced = rippling.locator("time");
      assert.match((await synced.getAttribute("title"))!, / UTC$/);
      assert.ok(Date.parse((await synced.getAttribute("datetime"))!) > 0);
      await page.getByText(
        "212 people across 2 systems; 14 are in more than one.",
      ).waitFor();
      assert.match(text, /people\s*178/i);
      await assertOneLineChrome(page);
      await assertAccessible(page);
      await shot(page, "06-cards");

      // One company alone: the dialog, Cancel returns focus, then confirm.
      const east = rippling.getByRole("link", {
        name: "Disconnect Globex East",
      });
      await east.click();
      const dialog = page.getByRole("dialog");
      await dialog.getByRole("heading", { name: "Disconnect Globex East?" })
        .waitFor();
      await dialog.getByText("The rest of Globex Corporation stays connected")
        .waitFor();
      await assertAccessible(page);
      await shot(page, "07-company-dialog");
      await dialog.getByRole("button", { name: "Cancel" }).click();
      await page.locator("dialog").waitFor({ state: "detached" });
      assert.equal(
        await page.evaluate(() => document.activeElement?.getAttribute("href")),
        await east.getAttribute("href"),
      );
      await east.click();
      await dialog.getByRole("button", { name: "Disconnect" }).click();
      await page.getByText(
        /^Globex East is disconnected from Rippling: its data sharing has stopped .*Still connected: Globex West\.$/,
      ).waitFor();
      const after = await rippling.innerText();
      assert.ok(!after.includes("Globex East"), after);
      assert.ok(after.includes("Globex West"), after);
      await assertAccessible(page);
      await shot(page, "08-company-receipt");

      // The whole connection: a secondary action, the same dialog, a plain receipt.
      await rippling.getByRole("link", { name: "Disconnect", exact: true })
        .click();
      await dialog.getByRole("heading", { name: "Disconnect Rippling?" })
        .waitFor();
      await assertAccessible(page);
      await shot(page, "09-disconnect-dialog");
      await dialog.getByRole("button", { name: "Disconnect" }).click();
      const receipt = page.getByText(
        "Rippling for Globex Corporation is disconnected",
      );
      await receipt.waitFor();
      assert.doesNotMatch(await receipt.innerText(), /token/i);
      assert.equal(await page.locator("li.card").count(), 1);
      await assertAccessible(page);
      await shot(page, "10-after-disconnect");

      // An error page: plain words, a way on, support; the code a small detail.
      await page.goto(`${served.url}/connections/nope/disconnect`);
      await page.getByRole("heading", { name: "Connection not found" })
        .waitFor();
      await page.getByRole("main").getByRole("link", {
        name: "Contact support",
      })
        .waitFor();
      await page.getByText("Error code 404").waitFor();
      await assertAccessible(page);
      await shot(page, "11-error");
      assert.deepEqual(errors, []);
    },
  );

  pageTest(
    `[browser] page at ${w} without JavaScript: picker, Connect, a company disconnected alone through its confirmation page`,
    { viewport: size, isMobile: w < 600, javaScriptEnabled: false },
    async (served, page) => {
      const shot = (n: string) => screenshot(page, `page-${w}-nojs-${n}`);
      await page.goto(await served.link("acme", "Acme Inc."));
      await assertOneLineChrome(page);
      await page.getByText("Or pick your system from the list").click();
      assert.equal(
        await page.getByLabel("Find your system").count(),
        0,
        "no filter that could not work",
      );
      await assertAccessible(page, { scriptsOff: true });
      await shot("01-picker");
      await pickProvider(page, "Gusto");
      assert.match(page.url(), /\/sim\/authorize\?session=/);
      await page.getByText("Northwind Benefits", { exact: true }).first()
        .waitFor();
      await fillConnect(page, {
        company: "Acme, Inc.",
        entities: "Acme East, Acme West",
      });
      await page.waitForURL(/\/connections$/);
      await page.getByText("Acme, Inc. is connected").waitFor();
      await assertAccessible(page, { scriptsOff: true });
      await shot("02-card");

      await page.getByRole("link", { name: "Disconnect Acme West" }).click();
      await page.getByRole("heading", { name: "Disconnect Acme West?" })
        .waitFor();
      assert.equal(await page.locator("script").count(), 0);
      await assertAccessible(page, { scriptsOff: true });
      await shot("03-company-confirm");
      await page.getByRole("button", { name: "Disconnect" }).click();
      await page.waitForURL(/\/connections$/);
      await page.getByText(/^Acme West is disconnected from Gusto/).waitFor();
      const card = await page.locator("li.card").innerText();
      assert.ok(
        card.includes("Acme East") && !card.includes("Acme West"),
        card,
      );
      await assertAccessible(page, { scriptsOff: true });
      await shot("04-company-receipt");

      await page.goto(`${served.url}/nowhere`);
      await page.getByRole("heading", { name: "Page not found" }).waitFor();
      await assertAccessible(page, { scriptsOff: true });
      await shot("05-error");
    },
  );
}
