/**
 * Threats of SECURITY.md not covered elsewhere: session fixation, portal-link leakage
 * (logs, referrers, tampering), oversized bodies, and server-side request forgery (the
 * portal only ever calls Finch, at the configured base URL).
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { upsertCustomer } from "../../lib/db/customers.ts";
import { createPortalLink } from "../../lib/links.ts";
import { fromBase64Url, toBase64Url } from "../../lib/signing.ts";
import { BASE, testPortal } from "../../testing/portal.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

Deno.test("[security] session fixation: a cookie the attacker chose is never a session, and a link always mints a new one", async () => {
  const t = await testPortal({ env: { PUBLIC_URL: "https://portal.test" } });
  try {
    await upsertCustomer(t.kv, { id: "acme", name: "Acme" });
    const link = (await createPortalLink(t.portal.deps, "acme")).url;
    const path = new URL(link).pathname;
    const planted = "attacker-chosen-session-value";
    const victim = t.client();
    victim.cookies.set("__Host-portal_session", planted);

    // The planted value opens nothing.
    const before = await victim.get("/connections");
    assert.equal(before.status, 401);
    await before.body?.cancel();

    // Redeeming the link replaces it with a fresh random token, with safe attributes.
    const res = await victim.get(path);
    assert.equal(res.status, 303);
    const cookie = res.headers.getSetCookie().find((c) =>
      c.startsWith("__Host-portal_session=")
    );
    assert.ok(cookie, "a session cookie");
    assert.match(cookie, /; HttpOnly/i);
    assert.match(cookie, /; Secure/i);
    assert.match(cookie, /; SameSite=Lax/i);
    assert.match(cookie, /; Path=\//i);
    assert.doesNotMatch(cookie, /Domain=/i);
    const token = victim.cookies.get("__Host-portal_session")!;
    assert.notEqual(token, planted);
    assert.match(token, /^[A-Za-z0-9_-]{43}\.acme$/);

    // The attacker's value still opens nothing; a second redemption is another session.
    const attacker = t.client();
    attacker.cookies.set("__Host-portal_session", planted);
    const still = await attacker.get("/connections");
    assert.equal(still.status, 401);
    await still.body?.cancel();
    const again = t.client();
    await (await again.get(path)).body?.cancel();
    assert.notEqual(again.cookies.get("__Host-portal_session"), token);

    // Only a hash of the session token is stored.
    for await (const entry of t.kv.list({ prefix: [] })) {
      const text = JSON.stringify(entry.key) + JSON.stringify(entry.value);
      assert.ok(!text.includes(token), `session token in ${entry.key}`);
    }
  } finally {
    await t.close();
  }
});

Deno.test("[security] link leakage: no referrer, no link in any log line (a failure included), no tampering", async () => {
  const t = await testPortal();
  try {
    await upsertCustomer(t.kv, { id: "acme", name: "Acme" });
    await upsertCustomer(t.kv, { id: "globex", name: "Globex" });
    const link = (await createPortalLink(t.portal.deps, "acme")).url;
    const token = new URL(link).pathname.split("/")[2];

    const ok = await t.client().get(link);
    assert.equal(ok.status, 303);
    assert.equal(ok.headers.get("location"), "/connections");
    assert.equal(ok.headers.get("referrer-policy"), "no-referrer");

    // A store failure while redeeming: a 500 page, and the link stays out of the log.
    const kv = t.portal.deps.kv;
    const atomic = kv.atomic;
    kv.atomic = () => {
      throw new Error("the disk is full");
    };
    try {
      const failed = await t.client().get(link);
      assert.equal(failed.status, 500);
      await failed.body?.cancel();
    } finally {
      kv.atomic = atomic;
    }
    assert.ok(t.logs.some((l) => l.includes('"path":"/portal/:link"')));
    for (const line of t.logs) assert.ok(!line.includes(token), line);

    // The signature binds the customer: another customer's id in the payload is refused.
    const [payload, signature] = token.split(".");
    const forged = new TextEncoder().encode(
      new TextDecoder().decode(Uint8Array.fromBase64(payload, {
        alphabet: "base64url",
      })).replace('"acme"', '"globex"'),
    ).toBase64({ alphabet: "base64url", omitPadding: true });
    const tampered = await t.client().get(`/portal/${forged}.${signature}`);
    assert.equal(tampered.status, 404);
    await tampered.body?.cancel();
  } finally {
    await t.close();
  }
});

Deno.test("[security] signatures decode strictly: a padded, non-canonical or spaced signature opens nothing", async () => {
  const t = await testPortal();
  try {
    await upsertCustomer(t.kv, { id: "acme", name: "Acme" });
    const link = (await createPortalLink(t.portal.deps, "acme")).url;
    const [payload, signature] = new URL(link).pathname.split("/")[2].split(
      ".",
    );
    // 32 bytes in 43 characters leave two spare bits in the last one: flipping one
    // spells the same bytes another way.
    const alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const last = alphabet[alphabet.indexOf(signature.at(-1)!) ^ 1];
    const variants = {
      "trailing =": `${signature}=`,
      "non-canonical last character": `${signature.slice(0, -1)}${last}`,
      "a space inside": `${signature.slice(0, 20)}%20${signature.slice(20)}`,
      "a newline inside": `${signature.slice(0, 20)}%0A${signature.slice(20)}`,
    };
    for (const [what, variant] of Object.entries(variants)) {
      const client = t.client();
      const res = await client.get(`/portal/${payload}.${variant}`);
      assert.equal(res.status, 404, what);
      assert.match(await res.text(), /Link not valid/, what);
      assert.equal(client.cookies.size, 0, `no session: ${what}`);
    }
    // The link as minted still opens.
    assert.equal((await t.client().get(link)).status, 303);

    // The decoder itself: only canonical, unpadded base64url.
    const bytes = new Uint8Array(32).fill(7);
    const text = toBase64Url(bytes);
    assert.deepEqual(fromBase64Url(text), bytes);
    assert.deepEqual(fromBase64Url(""), new Uint8Array());
    for (
      const bad of [
        `${text}=`,
        `${text.slice(0, -1)}d`,
        ` ${text}`,
        `${text.slice(0, 5)}\t${text.slice(5)}`,
        text.replace("B", "+"),
        text.replace("B", "/"),
        `${text}A=`,
      ]
    ) assert.equal(fromBase64Url(bad), null, JSON.stringify(bad));
  } finally {
    await t.close();
  }
});

Deno.test("[security] a body larger than any form is refused with 413 before it is read", async () => {
  const t = await testPortal();
  try {
    const client = await t.signedIn("acme");
    const { csrf } = await client.page();
    const res = await client.postForm("/connections/new", {
      _csrf: csrf,
      padding: "A".repeat(100_000),
    });
    assert.equal(res.status, 413);
    assert.match(await res.text(), /Request too large/);
    // Without a Content-Length (chunked) too.
    const stream = new ReadableStream({
      start(controller) {
        for (let i = 0; i < 20; i++) {
          controller.enqueue(new TextEncoder().encode("A".repeat(10_000)));
        }
        controller.close();
      },
    });
    const chunked = await client.request("/connections/new", {
      method: "POST",
      headers: {
        origin: BASE,
        "content-type": "application/x-www-form-urlencoded",
      },
      body: stream,
    });
    assert.equal(chunked.status, 413);
    await chunked.body?.cancel();
  } finally {
    await t.close();
  }
});

Deno.test("[security] SSRF: only the Finch gateway and the events sender make outbound requests, to configured URLs", async () => {
  // Server code (not islands/, which runs in the browser and calls our own routes).
  const offenders: string[] = [];
  for (const dir of ["lib", "routes", "components"]) {
    for await (const file of walk(`${ROOT}${dir}`)) {
      const text = await Deno.readTextFile(file);
      const rel = file.slice(ROOT.length);
      const calls = /\bfetch\(|Deno\.connect|new WebSocket|Deno\.Command/.test(
        text.replace(/^\s*(\/\/|\*).*$/gm, ""),
      );
      if (
        calls &&
        !["lib/finch/gateway.ts", "lib/finch/fetch.ts", "lib/events/send.ts"]
          .includes(rel)
      ) {
        offenders.push(rel);
      }
    }
  }
  assert.deepEqual(offenders, []);
  // Demo mode only dispatches in-process (the simulator, demo.ts); the gateway's base
  // URL is FINCH_BASE_URL, never anything from a request.
  const demo = await Deno.readTextFile(`${ROOT}demo.ts`);
  assert.match(demo, /serve\(new Request\(input, init\)\)/);
  const finch = await Deno.readTextFile(`${ROOT}lib/finch/gateway.ts`);
  assert.match(finch, /baseURL: options\.baseUrl/);
  // Events go only to EVENTS_WEBHOOK_URL, read from the config by the worker.
  const worker = await Deno.readTextFile(`${ROOT}lib/events/worker.ts`);
  assert.match(worker, /const url = config\.events\.url;/);
  assert.match(worker, /sendEvent\(url, config\.events\.secrets/);
  const sender = await Deno.readTextFile(`${ROOT}lib/events/send.ts`);
  assert.match(sender, /redirect: "manual"/);
});

Deno.test("[security] XSS: the only raw HTML written is the island props JSON", async () => {
  const raw: string[] = [];
  for (const dir of ["lib", "routes", "components", "islands"]) {
    for await (const file of walk(`${ROOT}${dir}`)) {
      const text = await Deno.readTextFile(file);
      for (const m of text.matchAll(/dangerouslySetInnerHTML=\{\{[^}]*\}\}/g)) {
        raw.push(`${file.slice(ROOT.length)}: ${m[0]}`);
      }
    }
  }
  // The page is rendered in one pass: no rendered HTML is ever written back in raw.
  assert.deepEqual(raw.sort(), [
    // JSON.stringify with every `<` escaped (tests/foundation/app_shell.test.ts).
    "islands/island.tsx: dangerouslySetInnerHTML={{ __html: json }}",
  ]);
});

async function* walk(dir: string): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(dir)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) yield* walk(path);
    else if (/\.tsx?$/.test(entry.name)) yield path;
  }
}
