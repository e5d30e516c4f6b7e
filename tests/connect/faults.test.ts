/**
 * Invariant 8 at every Finch step of the Connect flows: a 500, a 429 with Retry-After, a
 * timeout and a refused connection on `/connect/sessions`, `/connect/sessions/reauthenticate`,
 * `/auth/token`, `/introspect` + `/employer/company` and `/disconnect`. The person gets a
 * clear page (never a stack trace, never slow), the data stay consistent, a token already
 * obtained is kept, and trying again works once Finch is back.
 */
import assert from "node:assert/strict";
import { applyStatus } from "../../lib/db/connection_status.ts";
import { createFinchGateway } from "../../lib/finch/gateway.ts";
import {
  cardOf,
  type ConnectTest,
  errorPage,
  flashOf,
  latestSimToken,
  startRedirect,
  stored,
  storedToken,
  withPortal,
} from "./_helpers.ts";

type Kind = "500" | "429" | "timeout" | "refused";
const KINDS: Kind[] = ["500", "429", "timeout", "refused"];

/** The Retry-After the 429 fault sends, and what the page must pass on. */
const RETRY_AFTER_429 = 45;
/** What the page says when Finch gave no Retry-After. */
const DEFAULT_RETRY_AFTER = "30";
/** No failure may hold a person longer than this. */
const MAX_WAIT_MS = 8_000;

interface Rig {
  t: ConnectTest;
  arm(...paths: string[]): void;
  clear(): void;
}

/** A portal whose Finch fails in the way `kind` says on the armed paths. */
function withFaults(kind: Kind, fn: (rig: Rig) => Promise<void>) {
  const refused = new Set<string>();
  return withPortal({
    finch: (opts) =>
      createFinchGateway({
        ...opts,
        timeoutMs: kind === "timeout" ? 500 : undefined,
        fetch: (input, init) => {
          const url = new URL(input instanceof Request ? input.url : input);
          if (refused.has(url.pathname.replace(/^\/sim/, ""))) {
            return Promise.reject(
              new TypeError(
                "error sending request: Connection refused (os error 111)",
              ),
            );
          }
          return opts.fetch!(input, init);
        },
      }),
  }, async (t) => {
    await fn({
      t,
      arm(...paths) {
        for (const path of paths) {
          if (kind === "refused") refused.add(path);
          else if (kind === "timeout") {
            t.sim.addFault({ path, delay_ms: 2_000, count: 50 });
          } else if (kind === "429") {
            t.sim.addFault({
              path,
              status: 429,
              retry_after: RETRY_AFTER_429,
              count: 50,
            });
          } else t.sim.addFault({ path, status: 500, count: 50 });
        }
      },
      clear() {
        t.sim.clearFaults();
        refused.clear();
      },
    });
  });
}

/** Times a request; fails if it kept the person waiting too long. */
async function quick(request: Promise<Response>): Promise<Response> {
  const started = performance.now();
  const res = await request;
  const took = performance.now() - started;
  assert.ok(took < MAX_WAIT_MS, `the answer took ${Math.round(took)} ms`);
  return res;
}

/** The "Finch is down" page, as every pre-token failure must show it. */
async function assertFinchDownPage(kind: Kind, res: Response, what: RegExp) {
  const page = await errorPage(res);
  assert.equal(page.status, 503);
  assert.equal(page.title, "Please try again in a minute");
  assert.match(page.message, what);
  assert.match(page.message, /try again/);
  assert.equal(page.action?.href, "/connections");
  assert.equal(
    page.retryAfter,
    kind === "429" ? String(RETRY_AFTER_429) : DEFAULT_RETRY_AFTER,
  );
}

async function stateCount(t: ConnectTest): Promise<number> {
  let n = 0;
  for await (const _ of t.kv.list({ prefix: ["connect_states"] })) n++;
  return n;
}

for (const kind of KINDS) {
  Deno.test(`[connect] fault ${kind} at /connect/sessions: a clear 503 page, no state, then it works`, async () => {
    await withFaults(kind, async ({ t, arm, clear }) => {
      const client = await t.signedIn("acme");
      const { csrf } = await client.page();
      arm("/connect/sessions");
      const res = await quick(
        client.postForm("/connections/new", { _csrf: csrf }),
      );
      await assertFinchDownPage(kind, res, /reach Finch to start connecting/);
      assert.equal(await stateCount(t), 0);

      clear();
      const done = await client.connect({ company_name: "Acme, Inc." });
      assert.equal(done.status, 303);
      assert.equal((await stored(t)).length, 1);
    });
  });

  Deno.test(`[connect] fault ${kind} at /connect/sessions/reauthenticate: a clear 503 page, record untouched, then it works`, async () => {
    await withFaults(kind, async ({ t, arm, clear }) => {
      const client = await t.signedIn("acme");
      await client.connect({ company_name: "Acme, Inc." });
      const [record] = await stored(t);
      const id = record.connection_id;
      await applyStatus(t.kv, id, { status: "reauth", at: new Date() });
      const [before] = await stored(t);
      const token = await storedToken(t, id);

      const { csrf } = await client.page();
      arm("/connect/sessions/reauthenticate");
      const res = await quick(
        client.postForm(`/connections/${id}/reauth`, { _csrf: csrf }),
      );
      await assertFinchDownPage(kind, res, /reach Finch to start reconnecting/);
      assert.deepEqual(await stored(t), [before]);
      assert.equal(await storedToken(t, id), token);

      clear();
      const done = await client.connect({ company_name: "x" }, {
        path: `/connections/${id}/reauth`,
      });
      assert.equal(done.status, 303);
      const [after] = await stored(t);
      assert.equal(after.connection_id, id);
      assert.equal(after.status, "connected");
      assert.equal(await storedToken(t, id), latestSimToken(t, id));
    });
  });

  Deno.test(`[connect] fault ${kind} at /auth/token: a clear 503 page, nothing stored, then the same callback works once Finch is back`, async () => {
    await withFaults(kind, async ({ t, arm, clear }) => {
      const client = await t.signedIn("acme");
      const callback = await client.authorize(await startRedirect(client), {
        company_name: "Acme, Inc.",
      });
      arm("/auth/token");
      const res = await quick(client.get(callback));
      await assertFinchDownPage(kind, res, /reach Finch to finish connecting/);
      assert.equal((await stored(t)).length, 0);

      clear();
      // Reloading the same callback once Finch is back: nothing was spent, so it works,
      // unless Finch did take the code before the answer was lost (a timeout), which
      // says so instead of claiming the run completed.
      const again = await client.get(callback);
      if (kind === "timeout") {
        const page = await errorPage(again);
        assert.equal(page.status, 400);
        assert.equal(page.title, "Sign-in expired");
        assert.equal((await stored(t)).length, 0);
      } else {
        assert.equal(again.status, 303, await again.text());
        assert.equal((await stored(t)).length, 1);
        assert.match(
          (await flashOf(client))?.message ?? "",
          /connection for Acme, Inc\./,
        );
        const third = await errorPage(await client.get(callback));
        assert.equal(third.status, 400);
        assert.equal(third.title, "Already completed");
      }
      const done = await client.connect({ company_name: "Acme, Inc." });
      assert.equal(done.status, 303);
      const records = await stored(t);
      assert.equal(records.length, 1);
      assert.equal(
        await storedToken(t, records[0].connection_id),
        latestSimToken(t, records[0].connection_id),
      );
    });
  });

  Deno.test(`[connect] fault ${kind} at /introspect and /employer/company: the token is kept and the card shows`, async () => {
    await withFaults(kind, async ({ t, arm, clear }) => {
      const client = await t.signedIn("acme");
      const callback = await client.authorize(await startRedirect(client), {
        company_name: "Acme, Inc.",
      });
      arm("/introspect", "/employer/company");
      const res = await quick(client.get(callback));
      assert.equal(res.status, 303, await res.text());
      const [record] = await stored(t);
      assert.ok(record, "the connection was stored before the details failed");
      const id = record.connection_id;
      assert.equal(await storedToken(t, id), latestSimToken(t, id));
      assert.equal(record.company_name, null);
      assert.equal(record.status, "connected");
      assert.ok(t.logs.some((l) => l.includes('"event":"enrich_failed"')));

      clear();
      const flash = await flashOf(client);
      assert.equal(flash?.kind, "success");
      assert.match(
        flash!.message,
        /Gusto connection for your company is connected/,
      );
      assert.match(cardOf(flash!.html, id), /Company name pending/);

      // Trying again fills in what was missing, still one record.
      const again = await client.connect({ company_name: "Acme, Inc." });
      assert.equal(again.status, 303);
      const records = await stored(t);
      assert.equal(records.length, 1);
      assert.equal(records[0].company_name, "Acme, Inc.");
      assert.equal(await storedToken(t, id), latestSimToken(t, id));
    });
  });

  Deno.test(`[connect] fault ${kind} at /disconnect: a clear 503 page, the connection and its token kept, then it works`, async () => {
    await withFaults(kind, async ({ t, arm, clear }) => {
      const client = await t.signedIn("acme");
      await client.connect({ company_name: "Acme, Inc." });
      const [record] = await stored(t);
      const id = record.connection_id;
      const token = await storedToken(t, id);
      const { csrf } = await client.page();

      arm("/disconnect");
      const res = await quick(
        client.postForm(`/connections/${id}/disconnect`, { _csrf: csrf }),
      );
      await assertFinchDownPage(kind, res, /reach Finch to disconnect/);
      assert.deepEqual(await stored(t), [record]);
      assert.equal(await storedToken(t, id), token);
      // A timed-out call may still land at Finch later; any other failure never did.
      if (kind !== "timeout") assert.deepEqual(t.sim.revoked().tokens, []);

      clear();
      const done = await client.postForm(`/connections/${id}/disconnect`, {
        _csrf: csrf,
      });
      assert.equal(done.status, 303);
      assert.deepEqual(await stored(t), []);
      assert.equal(await storedToken(t, id), null);
      assert.deepEqual(t.sim.revoked().connection_ids, [id]);
    });
  });
}

Deno.test("[connect] introspect alone failing keeps the legal name; company alone failing keeps the status", async () => {
  await withFaults("500", async ({ t, arm, clear }) => {
    const client = await t.signedIn("acme");
    arm("/introspect");
    await client.connect({ company_name: "Acme, Inc." });
    clear();
    arm("/employer/company");
    await client.connect({
      provider_id: "adp_run",
      company_name: "Acme, Inc.",
    });
    clear();
    const records = await stored(t);
    const gusto = records.find((r) => r.provider_id === "gusto")!;
    const adp = records.find((r) => r.provider_id === "adp_run")!;
    assert.equal(gusto.company_name, "Acme, Inc.");
    assert.equal(gusto.authentication_methods, null);
    assert.equal(adp.company_name, null);
    assert.ok(adp.authentication_methods?.length);
  });
});

Deno.test("[connect] a replaced connection whose old one cannot be retired still keeps the new token", async () => {
  await withFaults("500", async ({ t, arm }) => {
    const client = await t.signedIn("acme");
    await client.connect({ company_name: "Acme, Inc." });
    const [old] = await stored(t);
    // Finch ended the old connection; connecting the company again makes a new one.
    t.sim.store.disconnect(t.sim.store.data.connections[old.connection_id]);
    arm("/disconnect");

    const res = await client.connect({ company_name: "Acme, Inc." });
    assert.equal(res.status, 303);
    const flash = await flashOf(client);
    assert.match(flash!.message, /was renewed: the old one had ended/);
    const records = await stored(t);
    assert.equal(records.length, 1);
    const fresh = records[0];
    assert.notEqual(fresh.connection_id, old.connection_id);
    assert.equal(
      await storedToken(t, fresh.connection_id),
      latestSimToken(t, fresh.connection_id),
    );
    assert.equal(await storedToken(t, old.connection_id), null);
    assert.ok(
      t.logs.some((l) =>
        l.includes('"event":"retire_failed"') && l.includes("FinchUnavailable")
      ),
    );
    // The new connection was never touched.
    assert.ok(!t.sim.revoked().connection_ids.includes(fresh.connection_id));
  });
});
