/**
 * Invariant 2: a callback that resolves to a connection owned by another customer is
 * refused with a clear page, nothing is stored, and `/disconnect` is never called: the
 * other customer's token must keep working.
 */
import assert from "node:assert/strict";
import {
  embeddedMessage,
  errorPage,
  latestSimToken,
  sessionOf,
  simSession,
  startRedirect,
  stored,
  storedToken,
  withPortal,
} from "./_helpers.ts";

Deno.test("[connect] a connection owned by another customer is refused with 409, nothing stored, nothing disconnected", async () => {
  await withPortal({}, async (t) => {
    const acme = await t.signedIn("acme");
    await acme.connect({ provider_id: "gusto", company_name: "Shared Co" });
    const [mine] = await stored(t, "acme");
    const acmeToken = await storedToken(t, mine.connection_id);

    const globex = await t.signedIn("globex", "Globex");
    const res = await globex.connect({
      provider_id: "gusto",
      company_name: "Shared Co",
    });
    const page = await errorPage(res);
    assert.equal(page.status, 409);
    assert.equal(page.title, "Already connected elsewhere");
    assert.match(page.message, /already connected to another account/);
    assert.match(page.message, /nothing was saved/);
    assert.equal(page.action?.href, "/connections");
    // Finch did issue globex a token for the same connection: it is simply not kept.
    assert.equal(t.sim.store.tokensOf(mine.connection_id).length, 2);

    assert.deepEqual(await stored(t, "globex"), []);
    assert.deepEqual(await stored(t, "acme"), [mine]);
    assert.equal(await storedToken(t, mine.connection_id), acmeToken);
    assert.deepEqual(t.sim.revoked(), { tokens: [], connection_ids: [] });
    const details = await t.portal.deps.finch.introspect(acmeToken!);
    assert.equal(details.connectionId, mine.connection_id);
    assert.equal(details.status, "connected");
    assert.ok(
      t.logs.some((l) => l.includes('"event":"connection_owned_elsewhere"')),
    );

    // Globex is not stuck: its next attempt moves past the spent slot and connects.
    const next = await startRedirect(globex);
    assert.equal(
      simSession(t, sessionOf(next).session).customer_id,
      "globex~2",
    );
    const ok = await globex.get(
      await globex.authorize(next, { company_name: "Globex LLC" }),
    );
    assert.equal(ok.status, 303);
    assert.equal((await stored(t, "globex")).length, 1);
    assert.deepEqual(t.sim.revoked().tokens, []);
  });
});

Deno.test("[connect] the embedded flow refuses another customer's connection with a JSON 409", async () => {
  await withPortal({}, async (t) => {
    const acme = await t.signedIn("acme");
    await acme.connect({ provider_id: "gusto", company_name: "Shared Co" });
    const [mine] = await stored(t, "acme");
    const acmeToken = latestSimToken(t, mine.connection_id);

    const globex = await t.signedIn("globex", "Globex");
    const { csrf } = await globex.page();
    const started = await globex.postJson("/connections/new", {}, {
      "x-csrf-token": csrf,
    });
    const launch = await started.json();
    const page = await globex.postForm("/sim/authorize", {
      session: launch.session_id,
      state: launch.state,
      app_type: "spa",
      sdk_host_url: "http://portal.test",
      provider_id: "gusto",
      company_name: "Shared Co",
      username: "",
      entities: "",
      action: "connect",
    });
    const message = embeddedMessage(await page.text());
    const res = await globex.postJson("/connections/complete", {
      code: message.code,
      state: message.state,
    }, { "x-csrf-token": csrf });
    assert.equal(res.status, 409);
    const body = await res.json();
    assert.equal(body.error.code, "connection_owned_elsewhere");
    assert.deepEqual(await stored(t, "globex"), []);
    assert.equal(await storedToken(t, mine.connection_id), acmeToken);
    assert.deepEqual(t.sim.revoked(), { tokens: [], connection_ids: [] });
  });
});

Deno.test("[connect] concurrent callbacks of two customers for one company: one owner, the other refused, nothing disconnected", async () => {
  await withPortal({}, async (t) => {
    const acme = await t.signedIn("acme");
    const globex = await t.signedIn("globex", "Globex");
    const callbacks: [typeof acme, string][] = [];
    for (const client of [acme, globex]) {
      for (let i = 0; i < 5; i++) {
        const url = await startRedirect(client);
        callbacks.push([
          client,
          await client.authorize(url, { company_name: "Contested Co" }),
        ]);
      }
    }
    const responses = await Promise.all(
      callbacks.map(([client, url]) => client.get(url)),
    );
    const statuses = responses.map((r) => r.status);
    await Promise.all(responses.map((r) => r.body?.cancel()));
    assert.ok(statuses.every((s) => s === 303 || s === 409), String(statuses));

    const owners = [
      ...(await stored(t, "acme")),
      ...(await stored(t, "globex")),
    ];
    assert.equal(owners.length, 1);
    const winner = owners[0].customer_id === "acme" ? 0 : 5;
    assert.deepEqual(
      statuses,
      statuses.map((_, i) => i >= winner && i < winner + 5 ? 303 : 409),
    );
    assert.deepEqual(t.sim.revoked(), { tokens: [], connection_ids: [] });
    const token = await storedToken(t, owners[0].connection_id);
    assert.ok(
      t.sim.store.tokensOf(owners[0].connection_id).some((x) =>
        x.access_token === token
      ),
    );
  });
});
