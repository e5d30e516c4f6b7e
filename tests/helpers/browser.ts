/**
 * Real-browser harness: the portal served on a loopback port (demo mode, simulator
 * in-process) and Debian's Chromium driven by playwright-core.
 */
import {
  type Browser,
  type BrowserContextOptions,
  chromium,
  type Page,
} from "playwright-core";
import AxeBuilder from "@axe-core/playwright";
import assert from "node:assert/strict";
import type { Portal } from "../../boot.ts";
import { testPortal } from "../../testing/portal.ts";
import { upsertCustomer } from "../../lib/db/customers.ts";
import { createPortalLink } from "../../lib/links.ts";

export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

const CHROMIUM_PATH = Deno.env.get("CHROMIUM_PATH") ?? "/usr/bin/chromium";

/** Launches Debian's Chromium. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: CHROMIUM_ARGS,
  });
}

/**
 * Whether the browser tests can run. On a developer's machine without Chromium they are
 * reported as ignored (with a hint) rather than failed, so `deno task test` works with
 * only Node and npm; under CI (`CI` set, as `.ci/run` does after installing Chromium)
 * they always run, so a missing browser fails loudly there.
 */
function browserAvailable(): boolean {
  try {
    Deno.statSync(CHROMIUM_PATH);
    return true;
  } catch {
    if (Deno.env.get("CI")) return true;
    console.warn(
      `Browser tests ignored: no Chromium at ${CHROMIUM_PATH}. ` +
        "Install it with `apt-get install -y chromium` (or run `bash .ci/run`).",
    );
    return false;
  }
}

const BROWSER = browserAvailable();

/**
 * A browser journey: serves a demo-mode portal, opens one page in Chromium with
 * `context` options (JavaScript off, a phone viewport...), runs `fn`, and closes it all.
 */
export function portalBrowserTest(
  name: string,
  context: BrowserContextOptions,
  fn: (served: ServedPortal, page: Page) => Promise<void>,
): void {
  browserTest(name, async () => {
    const served = await servePortal();
    const browser = await launchBrowser();
    try {
      const page = await (await browser.newContext(context)).newPage();
      await fn(served, page);
    } finally {
      await browser.close();
      await served.close();
    }
  });
}

/** A test that drives Chromium; ignored, with a hint, where there is none. */
export function browserTest(
  name: string,
  fn: (t: Deno.TestContext) => Promise<void>,
): void {
  Deno.test({ name, ignore: !BROWSER, fn });
}

export interface ServedPortal {
  url: string;
  portal: Portal;
  kv: Deno.Kv;
  logs: string[];
  /** Creates a customer and returns a fresh portal link for it. */
  link(customerId?: string, name?: string): Promise<string>;
  close(): Promise<void>;
}

/** Serves a demo-mode portal on 127.0.0.1 with a free port. */
export async function servePortal(
  options: Parameters<typeof testPortal>[0] = {},
): Promise<ServedPortal> {
  let handler: (req: Request) => Promise<Response> = () =>
    Promise.resolve(new Response("starting", { status: 503 }));
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    (req) => handler(req),
  );
  const url = `http://127.0.0.1:${server.addr.port}`;
  // The same harness as the in-process tests, so the same no-token-leaves check applies.
  const t = await testPortal({
    ...options,
    env: { PUBLIC_URL: url, ...options.env },
  });
  handler = (req) => t.fetch(req);
  return {
    url,
    portal: t.portal,
    kv: t.kv,
    logs: t.logs,
    async link(customerId = "acme", name = "Acme Inc.") {
      await upsertCustomer(t.kv, {
        id: customerId,
        name,
        email: `hr@${customerId}.example`,
      });
      return (await createPortalLink(t.portal.deps, customerId)).url;
    },
    async close() {
      await server.shutdown();
      await t.close();
    },
  };
}

const SHOTS = new URL("../screenshots/", import.meta.url);

/** Saves a full-page screenshot under tests/screenshots/ (gitignored) for a human look. */
export async function screenshot(page: Page, name: string): Promise<void> {
  await Deno.mkdir(SHOTS, { recursive: true });
  await page.screenshot({
    path: new URL(`${name}.png`, SHOTS).pathname,
    fullPage: true,
  });
}

/**
 * Runs axe on the page and fails with the violations' ids and targets. axe runs as a
 * script in the page, so for a page opened with JavaScript off the same URL is loaded
 * again, with the same cookies, in a scratch context where scripts may run.
 */
export async function assertAccessible(
  page: Page,
  options: { scriptsOff?: boolean } = {},
): Promise<void> {
  if (options.scriptsOff) {
    const browser = page.context().browser()!;
    const scratch = await browser.newContext();
    try {
      await scratch.addCookies(await page.context().cookies());
      const copy = await scratch.newPage();
      await copy.goto(page.url());
      await assertAccessible(copy);
    } finally {
      await scratch.close();
    }
    return;
  }
  const results = await new AxeBuilder({ page }).analyze();
  const found = results.violations.map((v) =>
    `${v.id} (${v.impact}): ${
      v.nodes.map((n) => n.target.join(" ")).join(", ")
    }`
  );
  assert.deepEqual(found, [], `axe found:\n${found.join("\n")}`);
}

/** Fills and submits the simulator's Connect form in `frame` (a page or an iframe). */
export async function fillConnect(
  frame: Pick<Page, "locator" | "getByLabel" | "getByRole">,
  form: {
    provider?: string;
    company: string;
    entities?: string;
    username?: string;
  },
): Promise<void> {
  // The form may still be loading (an iframe, under load): `count()` does not wait.
  await frame.locator("input[name=username]").waitFor();
  if (form.provider) {
    const select = frame.locator("select[name=provider_id]");
    if (await select.count()) await select.selectOption(form.provider);
    else {
      const radio = frame.locator(
        `input[name=provider_id][value="${form.provider}"]`,
      );
      if (await radio.count()) await radio.check({ force: true });
    }
  }
  const company = frame.locator("input[name=company_name]");
  // Reauthentication sessions fix the company in a hidden field.
  if ((await company.getAttribute("type")) !== "hidden") {
    await company.fill(form.company);
  }
  if (form.entities) {
    await frame.locator("input[name=entities]").fill(form.entities);
  }
  await frame.locator("input[name=username]").fill(
    form.username ?? "admin@example.com",
  );
  const password = frame.locator("input[name=password]");
  if (await password.count()) {
    await password.fill("correct horse battery staple");
  }
  await frame.locator("button[name=action][value=connect]").click();
}

/**
 * Starts Connect for one provider through the page's own picker: opens the list (a
 * `<details>`, so it works without JavaScript) and presses the provider's button.
 */
export async function pickProvider(page: Page, name: string): Promise<void> {
  const picker = page.locator("details.picker");
  if (!(await picker.getAttribute("open") !== null)) {
    await picker.locator("summary").click();
  }
  await picker.getByRole("button", { name, exact: true }).click();
}
