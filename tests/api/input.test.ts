/** The integrator API refuses bad input of every kind with a clear 4xx and the error shape, never a 5xx. */
import assert from "node:assert/strict";
import fc from "fast-check";
import { MAX_LINK_TTL_S } from "../../lib/links.ts";
import { testPortal } from "../../testing/portal.ts";
import { assertError, integrator } from "./_helpers.ts";

Deno.test("[api] bad input of every kind gets a clear 4xx, never a 5xx", async () => {
  const t = await testPortal();
  try {
    const api = integrator(t);
    assert.equal(
      (await api.call("PUT", "/api/customers/acme", { name: "Acme" })).status,
      201,
    );

    const cases: [
      string,
      string,
      unknown,
      number,
      string,
      Record<string, string>?,
    ][] = [
      [
        "PUT",
        "/api/customers/-acme",
        { name: "A" },
        400,
        "invalid_customer_id",
      ],
      [
        "PUT",
        `/api/customers/${"a".repeat(101)}`,
        { name: "A" },
        400,
        "invalid_customer_id",
      ],
      [
        "PUT",
        "/api/customers/a%20b",
        { name: "A" },
        400,
        "invalid_customer_id",
      ],
      ["PUT", "/api/customers/a~2", { name: "A" }, 400, "invalid_customer_id"],
      ["GET", "/api/customers/a%2Fb", undefined, 400, "invalid_customer_id"],
      [
        "PUT",
        "/api/customers/acme",
        "name=Acme",
        415,
        "unsupported_media_type",
        {
          "content-type": "application/x-www-form-urlencoded",
        },
      ],
      ["PUT", "/api/customers/acme", "", 415, "unsupported_media_type"],
      ["PUT", "/api/customers/acme", "{name:", 400, "invalid_json", {
        "content-type": "application/json",
      }],
      ["PUT", "/api/customers/acme", "", 400, "invalid_json", {
        "content-type": "application/json",
      }],
      ["PUT", "/api/customers/acme", [], 400, "invalid_input"],
      ["PUT", "/api/customers/acme", null, 400, "invalid_input"],
      ["PUT", "/api/customers/acme", {}, 400, "invalid_input"],
      ["PUT", "/api/customers/acme", { name: "   " }, 400, "invalid_input"],
      ["PUT", "/api/customers/acme", { name: 42 }, 400, "invalid_input"],
      [
        "PUT",
        "/api/customers/acme",
        { name: "x".repeat(201) },
        400,
        "invalid_input",
      ],
      [
        "PUT",
        "/api/customers/acme",
        { name: "A", email: "not-an-email" },
        400,
        "invalid_input",
      ],
      [
        "PUT",
        "/api/customers/acme",
        { name: "A", nmae: "typo" },
        400,
        "invalid_input",
      ],
      [
        "PUT",
        "/api/customers/acme",
        { name: "x".repeat(20_000) },
        413,
        "payload_too_large",
      ],
      [
        "POST",
        "/api/customers/acme/links",
        { expires_in: 0 },
        400,
        "invalid_input",
      ],
      [
        "POST",
        "/api/customers/acme/links",
        { expires_in: 59 },
        400,
        "invalid_input",
      ],
      [
        "POST",
        "/api/customers/acme/links",
        { expires_in: -3600 },
        400,
        "invalid_input",
      ],
      [
        "POST",
        "/api/customers/acme/links",
        { expires_in: 90.5 },
        400,
        "invalid_input",
      ],
      [
        "POST",
        "/api/customers/acme/links",
        { expires_in: "3600" },
        400,
        "invalid_input",
      ],
      [
        "POST",
        "/api/customers/acme/links",
        { expires_in: MAX_LINK_TTL_S + 1 },
        400,
        "invalid_input",
      ],
      [
        "POST",
        "/api/customers/acme/links",
        "3600",
        415,
        "unsupported_media_type",
        {
          "content-type": "text/plain",
        },
      ],
      ["POST", "/api/customers/nobody/links", {}, 404, "not_found"],
      [
        "GET",
        "/api/customers/acme/connections?limit=0",
        undefined,
        400,
        "invalid_input",
      ],
      [
        "GET",
        "/api/customers/acme/connections?limit=101",
        undefined,
        400,
        "invalid_input",
      ],
      [
        "GET",
        "/api/customers/acme/connections?limit=ten",
        undefined,
        400,
        "invalid_input",
      ],
      [
        "GET",
        "/api/customers/acme/connections?cursor=%21%21",
        undefined,
        400,
        "invalid_input",
      ],
      ["GET", "/api/customers/nobody/connections", undefined, 404, "not_found"],
      ["DELETE", "/api/customers/nobody/links", undefined, 404, "not_found"],
      [
        "GET",
        `/api/connections/${"c".repeat(300)}`,
        undefined,
        404,
        "not_found",
      ],
      ["GET", "/api/connections/%20", undefined, 404, "not_found"],
      ["GET", "/api/connections/nope/token", undefined, 404, "not_found"],
      ["DELETE", "/api/connections/nope", undefined, 404, "not_found"],
    ];
    for (const [method, path, body, status, code, headers] of cases) {
      const res = await api.call(method, path, body, headers);
      assertError(res, status, code);
    }
    // The typo'd field is named, so the integrator can fix it.
    const typo = await api.call("PUT", "/api/customers/acme", {
      name: "A",
      nmae: "x",
    });
    assert.match(typo.body.error.message, /nmae/);
    // None of it changed the customer.
    assert.equal(
      (await api.call("GET", "/api/customers/acme")).body.name,
      "Acme",
    );
  } finally {
    await t.close();
  }
});

Deno.test("[api] fuzz: any id and any JSON body answers below 500 with the error shape", async () => {
  const t = await testPortal();
  try {
    const api = integrator(t);
    const methods = fc.constantFrom(
      ["PUT", ""],
      ["GET", ""],
      ["POST", "/links"],
      ["DELETE", "/links"],
      ["GET", "/connections"],
    );
    await fc.assert(
      fc.asyncProperty(
        fc.string({ minLength: 1, maxLength: 120 }),
        fc.oneof(
          fc.jsonValue(),
          fc.record({ name: fc.string(), email: fc.string() }),
        ),
        methods,
        async (id, body, [method, suffix]) => {
          const res = await api.call(
            method,
            `/api/customers/${encodeURIComponent(id)}${suffix}`,
            method === "PUT" || method === "POST" ? body : undefined,
          );
          assert.ok(
            res.status < 500,
            `${method} ${id}: ${res.status} ${res.text}`,
          );
          if (res.status >= 400) assertError(res, res.status);
        },
      ),
      { numRuns: 150 },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.string({ minLength: 1, maxLength: 250 }),
        async (id) => {
          for (const suffix of ["", "/token"]) {
            const res = await api.call(
              "GET",
              `/api/connections/${encodeURIComponent(id)}${suffix}`,
            );
            assertError(res, 404, "not_found");
          }
        },
      ),
      { numRuns: 50 },
    );
  } finally {
    await t.close();
  }
});
