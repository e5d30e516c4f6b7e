/**
 * Invariants 3, 6 and 9 under hostile input, property-based (fast-check): every employer
 * route's path parameters, query, form fields, JSON bodies and headers (cookie,
 * content-type, origin, form token) get generated hostile values. Never a 5xx, never a
 * value reflected unescaped, never a script without the page's nonce, and (through
 * `withPortal`) never an access token in any answer or log line.
 *
 * The integrator API's own id and body fuzzing is in tests/api/input.test.ts; here are its
 * headers and query. Webhooks are in fuzz_webhooks.test.ts.
 */
import fc from "fast-check";
import assert from "node:assert/strict";
import { type Client, startRedirect, withPortal } from "../connect/_helpers.ts";
import { BASE } from "../../testing/portal.ts";
import { record } from "../reliability/_stats.ts";
import {
  assertEscaped,
  assertSafe,
  enc,
  hostile,
  hostileHeader,
  RUNS,
} from "./_hostile.ts";

const CONTENT_TYPES = [
  "application/x-www-form-urlencoded",
  "application/json",
  "application/json; charset=utf-8",
  "multipart/form-data; boundary=fz",
  "multipart/form-data",
  "text/plain",
  "application/xml",
  "",
];

/** Counts the cases a property ran, for the figures. */
function counted<T extends unknown[]>(
  counter: { n: number },
  fn: (...args: T) => Promise<void>,
) {
  return async (...args: T) => {
    counter.n++;
    await fn(...args);
  };
}

/** A form body from fields (any strings), url-encoded. */
function formBody(fields: Record<string, string>): string {
  return new URLSearchParams(
    Object.entries(fields).map((
      [k, v],
    ) => [k.toWellFormed(), v.toWellFormed()]),
  ).toString();
}

Deno.test("[security] fuzz: employer routes answer hostile input with a 4xx or a page, escaped, never a 5xx", async (t) => {
  const cases = { n: 0 };
  await withPortal({}, async (p) => {
    const client = await p.signedIn("acme", "Acme Inc.");
    const { csrf } = await client.page();
    const connect = await client.connect({ company_name: "Acme, Inc." });
    assert.equal(connect.status, 303);
    const csrfOrJunk = fc.oneof(fc.constant(csrf), hostileHeader);

    await t.step("GET /portal/:link", async () => {
      await fc.assert(
        fc.asyncProperty(
          hostile,
          fc.boolean(),
          counted(cases, async (link, raw) => {
            // Raw: the string as typed (percent signs and all), else encoded.
            const path = raw
              ? `/portal/${link.toWellFormed().replace(/[\s#?/]/g, "_")}`
              : `/portal/${enc(link)}`;
            await assertSafe(await p.fetch(path), path);
          }),
        ),
        { numRuns: RUNS },
      );
    });

    await t.step(
      "GET /connections and /callback with a hostile query",
      async () => {
        await fc.assert(
          fc.asyncProperty(
            fc.dictionary(
              fc.constantFrom(
                "cursor",
                "code",
                "state",
                "error",
                "error_description",
                "x",
              ),
              hostile,
              { maxKeys: 4 },
            ),
            fc.constantFrom("/connections", "/callback", "/connections/"),
            fc.boolean(),
            counted(cases, async (query, path, repeat) => {
              const q = Object.entries(query).map(([k, v]) =>
                `${k}=${enc(v)}${repeat ? `&${k}=${enc(v.slice(1))}` : ""}`
              ).join("&");
              await assertSafe(
                await client.get(`${path}?${q}`),
                `${path}?${q}`,
              );
            }),
          ),
          { numRuns: RUNS },
        );
      },
    );

    await t.step("connection id routes with hostile ids", async () => {
      await fc.assert(
        fc.asyncProperty(
          hostile,
          fc.constantFrom("reauth", "disconnect", "disconnect-get"),
          counted(cases, async (id, action) => {
            const path = `/connections/${enc(id)}/${
              action.replace("-get", "")
            }`;
            const res = action === "disconnect-get"
              ? await client.get(path)
              : await client.postForm(path, { _csrf: csrf });
            await assertSafe(res, path);
            // No such connection: 404. (An empty id matches no route at all; the
            // unmatched request is dispatched a second time after its body was read,
            // so it fails the form-token check instead: a 403, still nothing done.)
            if (res.status !== 303) {
              assert.ok(
                res.status === 404 || (id === "" && res.status === 403),
                `${path}: ${res.status}`,
              );
            }
          }),
        ),
        { numRuns: RUNS },
      );
    });

    await t.step(
      "POST /connections/new: hostile fields, content types, origins and tokens",
      async () => {
        const statuses = new Map<number, number>();
        await fc.assert(
          fc.asyncProperty(
            fc.record({
              provider_id: fc.oneof(
                hostile,
                fc.constantFrom("gusto", "", "no_such"),
              ),
              extra: hostile,
            }),
            fc.constantFrom("form", "json", "raw"),
            // Half the time a request the page itself would send, so the hostile fields
            // reach the handler; otherwise any token, content type and origin.
            fc.oneof(
              fc.constant(null),
              fc.record({
                token: csrfOrJunk,
                type: fc.constantFrom(...CONTENT_TYPES),
                origin: fc.oneof(fc.constant(BASE), hostileHeader),
              }),
            ),
            counted(cases, async (fields, shape, envelope) => {
              const token = envelope?.token ?? csrf;
              const headers: Record<string, string> = {
                "x-csrf-token": token,
                origin: envelope?.origin ?? BASE,
                "content-type": envelope?.type ??
                  (shape === "json"
                    ? "application/json"
                    : "application/x-www-form-urlencoded"),
              };
              const body = shape === "form"
                ? formBody({ _csrf: token, ...fields })
                : shape === "json"
                ? JSON.stringify({ _csrf: token, ...fields })
                : fields.extra.toWellFormed();
              const res = await client.request("/connections/new", {
                method: "POST",
                headers,
                body,
              });
              statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
              await assertSafe(res, "POST /connections/new");
              if (res.status === 303) {
                assert.match(
                  res.headers.get("location") ?? "",
                  /\/authorize\?/,
                );
              }
            }),
          ),
          { numRuns: RUNS },
        );
        // The fuzz reached the handler, not only the guards in front of it (a form start
        // answers 303, a JSON one 200, a bad provider 400).
        const reached = (statuses.get(303) ?? 0) + (statuses.get(200) ?? 0) +
          (statuses.get(400) ?? 0);
        assert.ok(reached > RUNS / 5, JSON.stringify([...statuses]));
      },
    );

    await t.step(
      "POST /connections/complete: hostile JSON bodies and raw bodies",
      async () => {
        await fc.assert(
          fc.asyncProperty(
            fc.oneof(
              fc.record({ code: hostile, state: hostile }),
              fc.jsonValue(),
              hostile,
            ),
            csrfOrJunk,
            counted(cases, async (body, token) => {
              const res = await client.request("/connections/complete", {
                method: "POST",
                headers: {
                  origin: BASE,
                  "content-type": "application/json",
                  "x-csrf-token": token,
                },
                body: typeof body === "string"
                  ? body.toWellFormed()
                  : JSON.stringify(body),
              });
              await assertSafe(res, "POST /connections/complete");
              assert.ok(res.status >= 400, "nothing completes without a state");
            }),
          ),
          { numRuns: RUNS },
        );
      },
    );

    await t.step(
      "GET /callback with a real state and a hostile code",
      async () => {
        await fc.assert(
          fc.asyncProperty(
            hostile,
            counted(cases, async (code) => {
              const url = new URL(await startRedirect(client));
              const state = url.searchParams.get("state")!;
              const res = await client.get(
                `/callback?code=${enc(code)}&state=${enc(state)}`,
              );
              await assertSafe(res, "GET /callback");
              // An empty code is a malformed callback, any other is not Finch's: 400.
              assert.equal(res.status, 400);
            }),
          ),
          { numRuns: Math.ceil(RUNS / 5) },
        );
      },
    );

    await t.step("hostile cookies and headers on every page", async () => {
      await fc.assert(
        fc.asyncProperty(
          hostileHeader,
          hostileHeader,
          fc.constantFrom(
            "portal_session",
            "portal_flash",
            "__Host-portal_session",
            "x",
          ),
          fc.constantFrom(
            ["GET", "/connections"],
            ["GET", "/callback?code=a&state=b"],
            ["GET", "/connections/x/disconnect"],
            ["POST", "/connections/new"],
            ["POST", "/connections/complete"],
          ),
          counted(cases, async (value, other, name, [method, path]) => {
            const res = await p.fetch(path, {
              method,
              headers: {
                cookie: `${name}=${value}; ${other}`,
                origin: BASE,
                "content-type": "application/json",
                accept: other,
                "sec-fetch-site": value,
              },
              body: method === "POST" ? "{}" : undefined,
            });
            await assertSafe(res, `${method} ${path}`);
            assert.equal(res.status, 401, "no session without a real cookie");
          }),
        ),
        { numRuns: RUNS },
      );
    });

    await t.step("a forged flash cookie is never shown", async () => {
      await fc.assert(
        fc.asyncProperty(
          hostile,
          counted(cases, async (message) => {
            const payload = new TextEncoder().encode(
              JSON.stringify({ kind: "error", message }),
            ).toBase64({ alphabet: "base64url", omitPadding: true });
            const forged = new Map(client.cookies);
            forged.set("portal_flash", `${payload}.${"A".repeat(43)}`);
            const res = await p.fetch("/connections", {
              headers: {
                cookie: [...forged].map(([k, v]) => `${k}=${v}`).join("; "),
              },
            });
            const html = await assertSafe(res, "forged flash");
            assert.doesNotMatch(html, /class="flash/);
          }),
        ),
        { numRuns: Math.ceil(RUNS / 3) },
      );
    });
  });
  await record("fuzz_cases", cases.n);
});

Deno.test("[security] fuzz: hostile names from the integrator and from Finch are shown escaped everywhere", async () => {
  const cases = { n: 0 };
  await withPortal({}, async (p) => {
    const key = p.portal.config.adminApiKey;
    let i = 0;
    await fc.assert(
      fc.asyncProperty(
        hostile.filter((s) => s.trim().length > 0),
        hostile.filter((s) => s.trim().length > 0),
        counted(cases, async (customerName, companyName) => {
          const id = `cust-${i++}`;
          // The integrator names the customer: shown in the page header.
          const put = await p.fetch(`/api/customers/${id}`, {
            method: "PUT",
            headers: {
              authorization: `Bearer ${key}`,
              "content-type": "application/json",
            },
            body: JSON.stringify({ name: customerName.slice(0, 200) }),
          });
          await assertSafe(put, "PUT customer");
          if (put.status >= 400) return; // a name the API refuses is never shown
          const link = await p.fetch(`/api/customers/${id}/links`, {
            method: "POST",
            headers: { authorization: `Bearer ${key}` },
          });
          const client: Client = p.client();
          const opened = await client.get((await link.json()).url);
          assert.equal(opened.status, 303);

          // Finch names the company and its entities: shown on the card, in the flash,
          // in the island's props and on the disconnect page.
          let callback;
          try {
            callback = await client.authorize(await startRedirect(client), {
              company_name: companyName.slice(0, 200),
              entities: `${companyName.slice(0, 50)},Other`,
            });
          } catch {
            return; // the simulator's Connect page refused the name: nothing to show
          }
          const done = await client.get(callback);
          await assertSafe(done, "callback");
          const page = await client.page();
          assertEscaped(page.html, "connections page");
          const cid = page.html.match(/data-connection-id="([^"]+)"/)?.[1];
          if (!cid) return; // the simulator refused the name
          const confirm = await client.get(`/connections/${cid}/disconnect`);
          await assertSafe(confirm, "disconnect page");
          const bye = await client.postForm(`/connections/${cid}/disconnect`, {
            _csrf: page.csrf,
          });
          assert.equal(bye.status, 303);
          assertEscaped((await client.page()).html, "after disconnect");
        }),
      ),
      { numRuns: Math.ceil(RUNS / 5) },
    );
  });
  await record("fuzz_cases", cases.n);
});

Deno.test("[security] fuzz: integrator API headers and list query", async () => {
  const cases = { n: 0 };
  await withPortal({}, async (p) => {
    const key = p.portal.config.adminApiKey;
    const client = await p.signedIn("acme");
    await client.connect({ company_name: "Acme, Inc." });
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.constant(`Bearer ${key}`),
          hostileHeader,
          hostileHeader.map((s) => `Bearer ${s}`),
        ),
        fc.constantFrom(...CONTENT_TYPES),
        fc.record({ limit: hostile, cursor: hostile }, { requiredKeys: [] }),
        fc.constantFrom(
          ["GET", "/api/customers/acme/connections"],
          ["GET", "/api/customers/acme"],
          ["PUT", "/api/customers/acme"],
          ["POST", "/api/customers/acme/links"],
          ["DELETE", "/api/connections/none"],
          ["GET", "/api/connections/none/token"],
        ),
        hostile,
        counted(cases, async (auth, type, query, [method, path], body) => {
          const q = new URLSearchParams(
            Object.entries(query).map(([k, v]) => [k, v.toWellFormed()]),
          );
          const res = await p.fetch(`${path}?${q}`, {
            method,
            headers: { authorization: auth, "content-type": type },
            body: method === "GET" || method === "DELETE"
              ? undefined
              : body.toWellFormed(),
          });
          await assertSafe(res, `${method} ${path}`);
          assert.match(
            res.headers.get("content-type") ?? "",
            /^application\/json/,
          );
          if (auth !== `Bearer ${key}`) assert.equal(res.status, 401);
        }),
      ),
      { numRuns: RUNS },
    );
  });
  await record("fuzz_cases", cases.n);
});
