/**
 * `POST /webhooks/finch` under hostile input (fast-check): bodies correctly signed with
 * the configured secret but hostile inside (any JSON, any event type, connection id,
 * entity id, status, authentication method; raw non-JSON), and hostile signature headers.
 * Never a 5xx, always JSON; and the store stays sound afterwards: every record still
 * valid, indexed and sealed, whatever statuses and entities the events tried to write
 * (checked over the raw KV contents). The connections page still renders, escaped.
 */
import fc from "fast-check";
import assert from "node:assert/strict";
import { DEFAULT_WEBHOOK_SECRET } from "../../sim/defaults.ts";
import { stored, withPortal } from "../connect/_helpers.ts";
import { checkStore } from "../reliability/_invariants.ts";
import { record } from "../reliability/_stats.ts";
import {
  assertEscaped,
  assertSafe,
  hostile,
  hostileHeader,
  RUNS,
} from "./_hostile.ts";
import { sign as signEvent } from "../webhooks/_helpers.ts";

/** Finch's signature, made independently of the SDK (tests/webhooks/_helpers.ts). */
const sign = (id: string, timestamp: number, body: string) =>
  signEvent(DEFAULT_WEBHOOK_SECRET, id, timestamp, body);

const STATUSES = [
  "connected",
  "reauth",
  "pending",
  "processing",
  "disconnected",
  "error_no_account_setup",
  "error_permissions",
  "error_reauth",
];
const EVENT_TYPES = [
  "account.updated",
  "job.initial_data_sync_org.succeeded",
  "job.data_sync_all.completed",
  "test",
  "directory.created",
];

Deno.test("[security] fuzz: webhooks answer hostile deliveries below 500 and leave the store sound", async (t) => {
  let cases = 0;
  let n = 0;
  await withPortal({}, async (p) => {
    const client = await p.signedIn("acme");
    const res = await client.connect({
      company_name: "Acme, Inc.",
      entities: "East,West",
    });
    assert.equal(res.status, 303);
    const [connection] = await stored(p);
    const id = connection.connection_id;
    const entityIds = connection.entities.map((e) => e.id);
    const deliver = async (
      body: string,
      headers: Partial<Record<"id" | "ts" | "sig", string>> = {},
    ) => {
      const eventId = headers.id ?? `msg_fuzz_${n++}`;
      const ts = headers.ts ?? String(Math.floor(Date.now() / 1000));
      const sig = headers.sig ?? await sign(eventId, Number(ts), body);
      return await p.fetch("/webhooks/finch", {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "finch-event-id": eventId,
          "finch-timestamp": ts,
          "finch-signature": sig,
        },
        body,
      });
    };
    const outcomes = new Map<number, number>();
    const check = async (res: Response, what: string) => {
      cases++;
      outcomes.set(res.status, (outcomes.get(res.status) ?? 0) + 1);
      await assertSafe(res, what);
      assert.match(res.headers.get("content-type") ?? "", /^application\/json/);
    };

    await t.step("signed events with hostile fields", async () => {
      const anyId = fc.oneof(
        fc.constant(id),
        hostile,
        fc.constant(null),
        fc.constant(undefined),
      );
      await fc.assert(
        fc.asyncProperty(
          fc.record({
            event_type: fc.oneof(fc.constantFrom(...EVENT_TYPES), hostile),
            connection_id: anyId,
            entity_id: fc.oneof(
              fc.constantFrom(...entityIds, null),
              hostile,
            ),
            company_id: hostile,
            data: fc.oneof(
              fc.record({
                status: fc.oneof(fc.constantFrom(...STATUSES), hostile),
                authentication_method: fc.oneof(
                  hostile,
                  fc.record({ type: hostile }),
                  fc.constant(null),
                ),
              }),
              fc.jsonValue(),
            ),
          }, { requiredKeys: ["event_type", "connection_id", "data"] }),
          async (event) => {
            await check(
              await deliver(JSON.stringify(event)),
              JSON.stringify(event).slice(0, 100),
            );
          },
        ),
        { numRuns: RUNS },
      );
    });

    await t.step("signed bodies that are any JSON or not JSON", async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(fc.jsonValue().map((v) => JSON.stringify(v)), hostile),
          async (body) => {
            await check(await deliver(body.toWellFormed()), body.slice(0, 100));
          },
        ),
        { numRuns: RUNS },
      );
    });

    await t.step("hostile signature headers are refused", async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.record({
            id: hostileHeader,
            ts: fc.oneof(
              hostileHeader,
              fc.constant("0"),
              fc.constant("9".repeat(12)),
            ),
            sig: fc.oneof(
              hostileHeader,
              fc.constant("v1,AAAA"),
              fc.constant(""),
            ),
          }, { requiredKeys: [] }),
          async (headers) => {
            const body = JSON.stringify({
              event_type: "account.updated",
              connection_id: id,
              data: { status: "reauth" },
            });
            const res = await deliver(body, headers);
            await check(res, JSON.stringify(headers).slice(0, 100));
            // Unless every header is the real one, nothing is accepted.
            if (headers.sig !== undefined || headers.ts !== undefined) {
              assert.ok(res.status >= 400, `${res.status}`);
            }
          },
        ),
        { numRuns: RUNS },
      );
    });

    // The fuzz reached the handler: some deliveries were accepted, some refused.
    assert.ok(
      (outcomes.get(200) ?? 0) > RUNS / 10,
      JSON.stringify([...outcomes]),
    );
    assert.ok([...outcomes.keys()].some((s) => s >= 400));

    const issued = Object.keys(p.sim.store.data.tokens);
    const report = await checkStore(p.kv, p.portal.deps.sealer, issued);
    assert.deepEqual(report.violations, []);
    assert.equal(report.connections, 1);
    const page = await client.page();
    assert.equal(page.status, 200);
    assertEscaped(page.html);
  });
  await record("fuzz_cases", cases);
});
