/**
 * The callback's `state` (invariant 5) and Finch's codes (invariant 7): forged, replayed,
 * expired, other-session, other-customer and missing states, a cancel, used and expired
 * codes. Each refusal must store nothing and, where the state was not ours to spend,
 * exchange nothing.
 */
import assert from "node:assert/strict";
import {
  clock,
  codeOf,
  type ConnectTest,
  errorPage,
  flashOf,
  sessionOf,
  simSession,
  startRedirect,
  stored,
  withPortal,
} from "./_helpers.ts";
import type { Client } from "../../testing/portal.ts";
import { createFinchGateway } from "../../lib/finch/gateway.ts";

/** Starts and authorizes a run; returns the callback URL (not yet visited). */
async function authorized(
  client: Client,
  company = "Acme, Inc.",
): Promise<string> {
  const connectUrl = await startRedirect(client);
  return await client.authorize(connectUrl, {
    provider_id: "gusto",
    company_name: company,
  });
}

/** Whether the simulator saw the code exchanged. */
function exchanged(t: ConnectTest, callbackUrl: string): boolean {
  return t.sim.store.data.codes[codeOf(callbackUrl)].used_at !== null;
}

function withState(callbackUrl: string, state: string | null): string {
  const url = new URL(callbackUrl);
  if (state === null) url.searchParams.delete("state");
  else url.searchParams.set("state", state);
  return url.pathname + url.search;
}

const randomState = () =>
  btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))))
    .replaceAll("+", "-").replaceAll("/", "_").replaceAll("=", "");

Deno.test("[connect] a forged state is refused, exchanges nothing, and leaves the real run working", async () => {
  await withPortal({}, async (t) => {
    const client = await t.signedIn("acme");
    const callback = await authorized(client);

    for (const forged of [randomState(), "short", "../../etc/passwd"]) {
      const page = await errorPage(
        await client.get(withState(callback, forged)),
      );
      assert.equal(page.status, 400);
      assert.equal(page.title, "Please connect again");
      assert.match(page.message, /could not match this sign-in/);
      assert.equal(page.action?.href, "/connections");
    }
    assert.equal(exchanged(t, callback), false);
    assert.equal((await stored(t)).length, 0);

    const done = await client.get(callback);
    assert.equal(done.status, 303);
    assert.equal((await stored(t)).length, 1);
  });
});

Deno.test("[connect] a replayed callback says it was already completed and stores nothing new", async () => {
  await withPortal({}, async (t) => {
    const client = await t.signedIn("acme");
    const callback = await authorized(client);
    assert.equal((await client.get(callback)).status, 303);
    const [first] = await stored(t);

    const replay = await errorPage(await client.get(callback));
    assert.equal(replay.status, 400);
    assert.equal(replay.title, "Already completed");
    assert.match(replay.message, /already completed/);
    assert.equal(replay.action?.href, "/connections");

    const records = await stored(t);
    assert.deepEqual(records, [first]);
    // The code went to Finch once: one token.
    assert.equal(t.sim.store.tokensOf(first.connection_id).length, 1);
  });
});

Deno.test("[connect] a state older than two hours has expired; just under two hours still works", async () => {
  const clk = clock();
  await withPortal({ now: clk.now }, async (t) => {
    const client = await t.signedIn("acme");
    const late = await authorized(client);
    clk.ms += 2 * 3600_000 + 1000;
    const page = await errorPage(await client.get(late));
    assert.equal(page.status, 400);
    assert.match(page.message, /took too long and has expired/);
    assert.equal(page.action?.href, "/connections");
    assert.equal(exchanged(t, late), false);
    assert.equal((await stored(t)).length, 0);

    // The Finch session of this attempt is reused, and a run finished in time works.
    const connectUrl = await startRedirect(client);
    clk.ms += 2 * 3600_000 - 60_000;
    const callback = await client.authorize(connectUrl, {
      company_name: "Acme, Inc.",
    });
    assert.equal((await client.get(callback)).status, 303);
    assert.equal((await stored(t)).length, 1);
  });
});

Deno.test("[connect] a callback in another session of the same customer is refused without spending the state", async () => {
  await withPortal({}, async (t) => {
    const a = await t.signedIn("acme");
    const b = await t.signedIn("acme");
    const callback = await authorized(a);

    const page = await errorPage(await b.get(callback));
    assert.equal(page.status, 400);
    assert.equal(page.title, "Connection not saved");
    assert.match(page.message, /different browser session/);
    assert.equal(exchanged(t, callback), false);
    assert.equal((await stored(t)).length, 0);

    // The browser that started the run can still finish it.
    assert.equal((await a.get(callback)).status, 303);
    assert.equal((await stored(t)).length, 1);
  });
});

Deno.test("[connect] a callback in another customer's session is refused and stores nothing for either", async () => {
  await withPortal({}, async (t) => {
    const acme = await t.signedIn("acme");
    const globex = await t.signedIn("globex", "Globex");
    const callback = await authorized(acme);

    const page = await errorPage(await globex.get(callback));
    assert.equal(page.status, 400);
    assert.match(page.message, /different browser session/);
    assert.equal(exchanged(t, callback), false);
    assert.equal((await stored(t, "acme")).length, 0);
    assert.equal((await stored(t, "globex")).length, 0);

    // Without any session, the callback asks for the portal link.
    const anonymous = await errorPage(await t.client().get(callback));
    assert.equal(anonymous.status, 401);
    assert.equal(exchanged(t, callback), false);

    assert.equal((await acme.get(callback)).status, 303);
    assert.equal((await stored(t, "acme")).length, 1);
    assert.equal((await stored(t, "globex")).length, 0);
  });
});

Deno.test("[connect] a callback without state, or a malformed one, is a 400 page and exchanges nothing", async () => {
  await withPortal({}, async (t) => {
    const client = await t.signedIn("acme");
    const callback = await authorized(client);

    const missing = await errorPage(
      await client.get(withState(callback, null)),
    );
    assert.equal(missing.status, 400);
    assert.match(missing.message, /missing its state/);
    assert.equal(missing.action?.href, "/connections");

    const empty = await errorPage(await client.get(withState(callback, "")));
    assert.equal(empty.status, 400);

    const huge = await errorPage(
      await client.get(withState(callback, "x".repeat(600))),
    );
    assert.equal(huge.status, 400);
    assert.equal(exchanged(t, callback), false);

    // No code and no error: Finch did not finish; nothing stored, a message says so.
    const noCode = await client.get("/callback?state=" + randomState());
    assert.equal(noCode.status, 303);
    const flash = await flashOf(client);
    assert.equal(flash?.kind, "error");
    assert.match(
      flash!.message,
      /Signing in to your payroll system did not finish/,
    );
    assert.equal((await stored(t)).length, 0);
  });
});

Deno.test("[connect] cancelling in Connect says so plainly, stores nothing, and the attempt is kept", async () => {
  await withPortal({}, async (t) => {
    const client = await t.signedIn("acme");
    const connectUrl = await startRedirect(client);
    const cancel = await client.authorize(
      connectUrl,
      { company_name: "Acme, Inc." },
      "cancel",
    );
    assert.equal(new URL(cancel).searchParams.get("error"), "access_denied");
    const res = await client.get(cancel);
    assert.equal(res.status, 303);
    assert.equal(res.headers.get("location"), "/connections");
    const flash = await flashOf(client);
    assert.equal(flash?.kind, "info");
    assert.match(
      flash!.message,
      /You cancelled connecting\. Nothing was changed/,
    );
    assert.equal((await stored(t)).length, 0);

    // Going back to Connect from the same run and finishing still works.
    const done = await client.get(
      await client.authorize(connectUrl, { company_name: "Acme, Inc." }),
    );
    assert.equal(done.status, 303);
    assert.equal((await stored(t)).length, 1);
  });
});

Deno.test("[connect] a code already used gets a clear message, and connecting again works", async () => {
  await withPortal({}, async (t) => {
    const client = await t.signedIn("acme");
    const callback = await authorized(client);
    // Someone (a double submit, a leaked URL) spent the code first.
    t.sim.store.exchange(codeOf(callback), "http://portal.test/callback");

    const page = await errorPage(await client.get(callback));
    assert.equal(page.status, 400);
    assert.equal(page.title, "Sign-in expired");
    assert.match(page.message, /expired or was already used/);
    assert.match(page.message, /connect again/);
    assert.equal(page.action?.href, "/connections");
    assert.equal((await stored(t)).length, 0);

    // Trying again: a fresh run (the spent slot is skipped) connects.
    const again = await startRedirect(client);
    assert.equal(simSession(t, sessionOf(again).session).customer_id, "acme~2");
    const done = await client.get(
      await client.authorize(again, { company_name: "Acme, Inc." }),
    );
    assert.equal(done.status, 303);
    assert.equal((await stored(t)).length, 1);
  });
});

Deno.test("[connect] a code older than ten minutes gets a clear message and nothing is stored", async () => {
  const clk = clock();
  await withPortal({ now: clk.now }, async (t) => {
    const client = await t.signedIn("acme");
    const callback = await authorized(client);
    clk.ms += 10 * 60_000 + 1000;

    const page = await errorPage(await client.get(callback));
    assert.equal(page.status, 400);
    assert.match(page.message, /expired or was already used/);
    assert.equal(page.action?.href, "/connections");
    assert.equal((await stored(t)).length, 0);
    assert.equal(
      Object.values(t.sim.store.data.tokens).length,
      0,
      "no token was issued",
    );

    const again = await client.connect({ company_name: "Acme, Inc." });
    assert.equal(again.status, 303);
    assert.equal((await stored(t)).length, 1);
  });
});

Deno.test("[connect] a code from another run of the same session is refused, stores nothing and revokes nothing", async () => {
  await withPortal({}, async (t) => {
    const client = await t.signedIn("acme");
    await client.connect({ company_name: "Acme, Inc." });
    const [existing] = await stored(t);
    const id = existing.connection_id;
    const tokenBefore = t.sim.store.tokensOf(id).at(-1)!.access_token;

    // Run R reconnects the stored connection; run N connects another company.
    const reauthUrl = await startRedirect(
      client,
      {},
      `/connections/${id}/reauth`,
    );
    const reauthCallback = await client.authorize(reauthUrl, {
      company_name: "Acme, Inc.",
    });
    const newCallback = await authorized(client, "Beta LLC");

    // N's code with R's state: the grant is another connection than R's.
    const swapped = await errorPage(
      await client.get(withState(newCallback, sessionOf(reauthUrl).state)),
    );
    assert.equal(swapped.status, 400);
    assert.equal(swapped.title, "Connection not saved");
    assert.deepEqual((await stored(t)).map((c) => c.connection_id), [id]);

    // R's code with N's state: the grant is not under N's Finch customer id.
    const newState = new URL(newCallback).searchParams.get("state")!;
    const reversed = await errorPage(
      await client.get(withState(reauthCallback, newState)),
    );
    assert.equal(reversed.status, 400);
    assert.equal(reversed.title, "Connection not saved");
    const [after] = await stored(t);
    assert.deepEqual(after, existing, "the stored record is untouched");
    assert.deepEqual(t.sim.revoked().tokens, [], "nothing was revoked");
    assert.ok(
      t.sim.store.tokensOf(id).some((tk) => tk.access_token === tokenBefore),
    );
    // The runs' own states were not spent: starting over works.
    const done = await client.connect({ company_name: "Beta LLC" });
    assert.equal(done.status, 303);
    assert.equal((await stored(t)).length, 2);
  });
});

Deno.test("[connect] a new run's grant that names no Finch customer id is refused: nothing ties it to the run", async () => {
  let anonymous = true;
  await withPortal({
    finch: (opts) => {
      const gateway = createFinchGateway(opts);
      return {
        ...gateway,
        // As Finch answers for a code that no Connect session with a customer id made.
        exchangeCode: async (code, input) => {
          const grant = await gateway.exchangeCode(code, input);
          return anonymous ? { ...grant, finchCustomerId: null } : grant;
        },
      };
    },
  }, async (t) => {
    const client = await t.signedIn("acme");
    const page = await errorPage(await client.get(await authorized(client)));
    assert.equal(page.status, 400);
    assert.equal(page.title, "Connection not saved");
    assert.deepEqual(await stored(t), []);
    assert.deepEqual(t.sim.revoked().tokens, []);
    assert.ok(t.logs.some((l) => l.includes('"connect_grant_mismatch"')));
    // A grant that names the run's customer id goes through.
    anonymous = false;
    assert.equal(
      (await client.connect({ company_name: "Acme, Inc." })).status,
      303,
    );
    assert.equal((await stored(t)).length, 1);
  });
});
