/**
 * Whose page it is: the integrator's brand from the environment (name, logo, colour with
 * readable text on it, support, privacy) on the header, the copy, every error page and
 * the footer; demo mode's brand, also named by the simulator's Connect; `/` and the
 * favicon.
 */
import assert from "node:assert/strict";
import { contrast, parseBrand } from "../../lib/brand.ts";
import { ConfigError } from "../../lib/config.ts";
import { testPortal } from "../../testing/portal.ts";

Deno.test("[brand] text on the accent colour reaches WCAG AA, or the start is refused naming BRAND_COLOR", () => {
  const dark = parseBrand({ BRAND_COLOR: "#0f766e" }, false);
  assert.equal(dark.onColor, "#ffffff");
  assert.equal(dark.linkColor, "#0f766e");
  const light = parseBrand({ BRAND_COLOR: "#FACC15" }, false);
  assert.equal(light.color, "#facc15");
  assert.equal(light.onColor, "#111111");
  assert.ok(contrast(light.color, light.onColor) >= 4.5);
  // A yellow link on white would not read: links fall back to the text colour.
  assert.equal(light.linkColor, "#1b2033");
  assert.equal(parseBrand({ BRAND_COLOR: "#abc" }, false).color, "#aabbcc");
  // #777: white about 4.48:1, near-black about 4.2:1: neither reaches AA.
  assert.throws(
    () => parseBrand({ BRAND_COLOR: "#777777" }, false),
    (e) =>
      e instanceof ConfigError &&
      /^BRAND_COLOR is invalid: neither/.test(e.message),
  );
  assert.throws(
    () => parseBrand({ BRAND_COLOR: "teal" }, false),
    /BRAND_COLOR is invalid/,
  );
  assert.throws(
    () => parseBrand({ SUPPORT_EMAIL: "not an email" }, false),
    /SUPPORT_EMAIL is invalid/,
  );
  assert.throws(
    () => parseBrand({ PRIVACY_URL: "javascript:alert(1)" }, false),
    /PRIVACY_URL is invalid/,
  );
  assert.throws(
    () => parseBrand({ BRAND_LOGO_URL: "//evil.example/x.png" }, false),
    /BRAND_LOGO_URL is invalid/,
  );
});

Deno.test("[brand] support: SUPPORT_URL wins over an email, demo mode has a whole brand", () => {
  const both = parseBrand({
    SUPPORT_EMAIL: "help@acme.example",
    SUPPORT_URL: "https://acme.example/help",
  }, false);
  assert.equal(both.supportHref, "https://acme.example/help");
  assert.equal(
    parseBrand({ SUPPORT_EMAIL: "help@acme.example" }, false).supportHref,
    "mailto:help@acme.example",
  );
  const none = parseBrand({}, false);
  assert.equal(none.supportHref, null);
  assert.equal(none.privacyUrl, null);
  const demo = parseBrand({}, true);
  assert.equal(demo.name, "Northwind Benefits");
  assert.ok(demo.supportHref && demo.privacyUrl && demo.logoUrl);
  // Set variables win over the demo brand, in demo mode too.
  const own = parseBrand({
    BRAND_NAME: "Acme Benefits",
    SUPPORT_URL: "https://a.example/",
  }, true);
  assert.equal(own.name, "Acme Benefits");
  assert.equal(own.supportHref, "https://a.example/");
});

Deno.test("[brand] header, copy, footer, error pages, `/` and the favicon use the brand", async () => {
  const t = await testPortal({
    env: {
      BRAND_NAME: "Acme Benefits",
      BRAND_LOGO_URL: "https://cdn.acme.example/logo.png",
      BRAND_COLOR: "#FACC15",
      SUPPORT_EMAIL: "help@acme.example",
      PRIVACY_URL: "https://acme.example/privacy",
    },
  });
  try {
    const client = await t.signedIn("initech", "Initech LLC");
    const { html } = await client.page();
    assert.match(html, /<title>Your connections · Acme Benefits<\/title>/);
    assert.match(
      html,
      /<img class="brand-logo" src="https:\/\/cdn\.acme\.example\/logo\.png"/,
    );
    assert.match(html, /<span class="brand-name">Acme Benefits<\/span>/);
    assert.match(html, /Share your payroll data with Acme Benefits/);
    assert.match(
      html,
      /<a href="mailto:help@acme\.example">Contact support<\/a>/,
    );
    assert.match(
      html,
      /<a href="https:\/\/acme\.example\/privacy">Privacy<\/a>/,
    );
    assert.doesNotMatch(html, /Finch Connect/);
    // The accent and the text on it reach the page through the stylesheet (CSP: no
    // inline styles).
    const css =
      await (await t.fetch(html.match(/href="(\/static\/styles\.css)"/)![1]))
        .text();
    assert.match(css, /--primary:#facc15;--on-primary:#111111;/);

    // An error page: plain words, support, the status code as a small detail.
    const missing = await client.get("/connections/nope/disconnect");
    assert.equal(missing.status, 404);
    const error = await missing.text();
    assert.match(
      error,
      /Still stuck\? <a href="mailto:help@acme\.example">Contact support<\/a>/,
    );
    assert.match(error, /<p class="detail">Error code 404<\/p>/);
    assert.doesNotMatch(error, /<h1[^>]*>[^<]*404/);

    const home = await t.fetch("/");
    assert.equal(home.status, 200);
    const homeHtml = await home.text();
    assert.match(homeHtml, /Connect your payroll to Acme Benefits/);
    // Demo mode (the test portal's): a link straight into the demo employer's page.
    const link = homeHtml.match(/href="([^"]*\/portal\/[^"]+)"/)?.[1];
    assert.ok(link, "the demo employer's link");
    const opened = await t.client().get(new URL(link).pathname);
    assert.equal(opened.status, 303);

    for (const path of ["/favicon.ico", "/favicon.svg"]) {
      const icon = await t.fetch(path);
      assert.equal(icon.status, 200);
      assert.equal(icon.headers.get("content-type"), "image/svg+xml");
      assert.match(icon.headers.get("cache-control")!, /max-age=86400/);
      assert.match(await icon.text(), /fill="#facc15".*>A<\/text>/);
    }
  } finally {
    await t.close();
  }
});

Deno.test("[brand] demo mode: the brand on the page, and the simulator's Connect names it, not the employer", async () => {
  const t = await testPortal();
  try {
    const client = await t.signedIn("initech", "Initech LLC");
    const { html, csrf } = await client.page();
    assert.match(html, /Northwind Benefits/);
    const started = await client.postForm("/connections/new", {
      _csrf: csrf,
      provider_id: "",
    });
    const url = new URL(started.headers.get("location")!);
    const connect = await (await client.get(url.pathname + url.search)).text();
    assert.match(
      connect,
      /<strong>Northwind Benefits<\/strong> wants to access/,
    );
    assert.doesNotMatch(connect, /Initech LLC<\/strong> wants/);
  } finally {
    await t.close();
  }
});
