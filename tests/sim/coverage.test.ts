/**
 * Coverage: every operation of Finch's `openapi.json` (55 of them, listed here from the
 * spec) is served by the simulator (no `route_not_found`), and every one answers JSON
 * below 500, even to an empty body. What each answers is checked in the other tests.
 */

import assert from "node:assert/strict";
import fc from "fast-check";
import {
  BASE,
  CLIENT_ID,
  CLIENT_SECRET,
  connect,
  DATA_PRODUCTS,
  fixture,
} from "./helpers.ts";

/** The spec's operations, in its order. */
const OPERATIONS: [string, string][] = [
  ["GET", "/employer/company"],
  ["GET", "/employer/directory"],
  ["POST", "/employer/individual"],
  ["POST", "/employer/employment"],
  ["GET", "/employer/payment"],
  ["POST", "/employer/pay-statement"],
  ["GET", "/employer/pay-statement-item"],
  ["POST", "/employer/pay-statement-item/rule"],
  ["GET", "/employer/pay-statement-item/rule"],
  ["PUT", "/employer/pay-statement-item/rule/{rule_id}"],
  ["DELETE", "/employer/pay-statement-item/rule/{rule_id}"],
  ["GET", "/employer/pay-groups"],
  ["GET", "/employer/pay-groups/{pay_group_id}"],
  ["GET", "/employer/benefits"],
  ["POST", "/employer/benefits"],
  ["POST", "/employer/benefits/register"],
  ["GET", "/employer/documents"],
  ["GET", "/employer/documents/{document_id}"],
  ["GET", "/employer/benefits/meta"],
  ["GET", "/employer/benefits/{benefit_id}"],
  ["POST", "/employer/benefits/{benefit_id}"],
  ["GET", "/employer/benefits/{benefit_id}/enrolled"],
  ["GET", "/employer/benefits/{benefit_id}/individuals"],
  ["POST", "/employer/benefits/{benefit_id}/individuals"],
  ["DELETE", "/employer/benefits/{benefit_id}/individuals"],
  ["POST", "/auth/token"],
  ["GET", "/providers"],
  ["GET", "/introspect"],
  ["POST", "/disconnect"],
  ["POST", "/forward"],
  ["GET", "/jobs/automated"],
  ["POST", "/jobs/automated"],
  ["GET", "/jobs/automated/{job_id}"],
  ["GET", "/jobs/manual/{job_id}"],
  ["POST", "/connect/sessions"],
  ["POST", "/connect/sessions/reauthenticate"],
  ["POST", "/sandbox/connections"],
  ["POST", "/sandbox/connections/accounts"],
  ["PUT", "/sandbox/connections/accounts"],
  ["PUT", "/sandbox/company"],
  ["POST", "/sandbox/directory"],
  ["PUT", "/sandbox/individual/{individual_id}"],
  ["PUT", "/sandbox/employment/{individual_id}"],
  ["POST", "/sandbox/payment"],
  ["POST", "/sandbox/jobs"],
  ["GET", "/sandbox/jobs/configuration"],
  ["PUT", "/sandbox/jobs/configuration"],
  ["POST", "/disconnect-entity"],
  ["POST", "/employer/ledger-items"],
  ["GET", "/employer/plans"],
  ["GET", "/employer/plans/{plan_id}"],
  ["GET", "/employer/plans-enrollments"],
  ["POST", "/employer/plans-enrollments"],
  ["GET", "/employer/plans-dependents"],
  ["POST", "/employer/plans-dependents"],
];

const BASIC = new Set([
  "/connect/sessions",
  "/connect/sessions/reauthenticate",
  "/sandbox/connections",
]);

Deno.test("[sim coverage] every operation of the spec is served", async () => {
  const f = fixture();
  try {
    assert.equal(OPERATIONS.length, 55);
    const token = await connect(f, { products: DATA_PRODUCTS });
    for (const [method, template] of OPERATIONS) {
      // Disconnecting last would revoke the token the others use.
      if (template === "/disconnect") continue;
      const path = template.replace(/\{[a-z_]+\}/, crypto.randomUUID());
      const basic = BASIC.has(path) ||
        (path === "/sandbox/connections/accounts" && method === "POST");
      const res = await f.sim.app.request(`${BASE}${path}`, {
        method,
        headers: {
          "content-type": "application/json",
          authorization: basic
            ? `Basic ${btoa(`${CLIENT_ID}:${CLIENT_SECRET}`)}`
            : `Bearer ${token.access_token}`,
        },
        body: method === "GET" ? undefined : "{}",
      });
      const body = await res.json();
      assert.notEqual(
        body.finch_code,
        "route_not_found",
        `${method} ${template}`,
      );
      assert.ok(res.status < 500, `${method} ${template}: ${res.status}`);
      assert.match(res.headers.get("content-type")!, /application\/json/);
    }
    const res = await f.sim.app.request(`${BASE}/disconnect`, {
      method: "POST",
      headers: { authorization: `Bearer ${token.access_token}` },
    });
    assert.equal(res.status, 200);
  } finally {
    await f.sim.close();
  }
});

Deno.test("[sim coverage] any JSON to any data operation answers below 500", async () => {
  const f = fixture();
  try {
    const token = await connect(f, { products: DATA_PRODUCTS });
    const ids = (await f.as(token.access_token).hris.directory.list())
      .individuals
      .map((p) => p.id);
    const writes = OPERATIONS.filter(([method, path]) =>
      method !== "GET" && !BASIC.has(path) && path !== "/disconnect" &&
      path !== "/sandbox/connections/accounts" && path !== "/auth/token"
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...writes),
        fc.oneof(fc.json(), fc.string(), fc.constant('{"requests":[{}]}')),
        fc.constantFrom(crypto.randomUUID(), ids[0], "x"),
        async ([method, template], body, id) => {
          const res = await f.sim.app.request(
            `${BASE}${template.replace(/\{[a-z_]+\}/, id)}`,
            {
              method,
              headers: {
                "content-type": "application/json",
                authorization: `Bearer ${token.access_token}`,
              },
              body,
            },
          );
          await res.body?.cancel();
          return res.status < 500;
        },
      ),
      { numRuns: 300 },
    );
  } finally {
    await f.sim.close();
  }
});
