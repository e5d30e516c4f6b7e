/**
 * Journeys 1 to 4 through the real app: the first connection, another provider or
 * company, the same company again, reauthentication; and what `connection_already_exists`
 * does to the attempt slots.
 */
import assert from "node:assert/strict";
import { applyStatus } from "../../lib/db/connection_status.ts";
import { listAttemptLog } from "../../lib/db/attempts.ts";
import {
  cardCount,
  cardOf,
  clock,
  convertInSim,
  errorPage,
  flashOf,
  latestSimToken,
  sessionOf,
  simSession,
  startRedirect,
  stored,
  storedToken,
  withPortal,
} from "./_helpers.ts";

Deno.test("[connect] journey 1: the first connection shows a full card", async () => {
  const clk = clock();
  await withPortal({ now: clk.now }, async (t) => {
    const client = await t.signedIn("acme", "Acme Inc.");
    const empty = await client.page();
    assert.equal(cardCount(empty.html), 0);
    assert.match(empty.html, /Share your payroll data with/);

    const connectUrl = await startRedirect(client);
    const { session } = sessionOf(connectUrl);
    const s = simSession(t, session);
    assert.equal(s.customer_id, "acme");
    assert.equal(s.customer_name, "Acme Inc.");
    assert.equal(s.customer_email, "hr@acme.example");
    assert.equal(s.redirect_uri, "http://portal.test/callback");

    const callback = await client.authorize(connectUrl, {
      provider_id: "gusto",
      company_name: "Acme Holdings, Inc.",
    });
    const done = await client.get(callback);
    assert.equal(done.status, 303, await done.text());
    assert.equal(done.headers.get("location"), "/connections");

    const flash = await flashOf(client);
    assert.equal(flash?.kind, "success");
    assert.match(
      flash!.message,
      /Gusto connection for Acme Holdings, Inc\. is connected/,
    );
    assert.equal(cardCount(flash!.html), 1);

    const [record] = await stored(t);
    assert.equal(record.provider_id, "gusto");
    assert.equal(record.company_name, "Acme Holdings, Inc.");
    assert.equal(record.status, "connected");
    assert.equal(record.finch_customer_id, "acme");
    assert.deepEqual([...record.products].sort(), [
      "company",
      "directory",
      "employment",
      "individual",
    ]);
    assert.equal(record.entities.length, 1);
    assert.equal(record.entities[0].name, "Acme Holdings, Inc.");
    assert.equal(record.created_at, new Date(clk.ms).toISOString());

    const card = cardOf(flash!.html, record.connection_id);
    assert.match(card, /<h2[^>]*>Acme Holdings, Inc\.<\/h2>/);
    assert.match(card, /<p>Gusto<\/p>/);
    assert.match(card, /badge-ok">Connected</);
    // Products in plain words; one entity is the company itself, so no entity list.
    assert.match(
      card,
      /<dd>Company details, Employee list, Personal details, Jobs and pay<\/dd>/,
    );
    assert.doesNotMatch(card, /<dt>Companies<\/dt>/);
    assert.match(card, /<dt>Added<\/dt><dd>Mar 4, 2026<\/dd>/);

    // The stored token is the one Finch issued, and it works.
    const token = await storedToken(t, record.connection_id);
    assert.equal(token, latestSimToken(t, record.connection_id));
    const details = await t.portal.deps.finch.introspect(token!);
    assert.equal(details.connectionId, record.connection_id);
  });
});

Deno.test("[connect] journey 2: another provider or company adds a card, each attempt on its own stable Finch customer id", async () => {
  await withPortal({}, async (t) => {
    const client = await t.signedIn("acme");
    const first = await client.connect({
      provider_id: "gusto",
      company_name: "Acme, Inc.",
    });
    assert.equal(first.status, 303);

    // The next attempt: started twice and dropped once, it keeps one Finch session.
    const a = await startRedirect(client);
    const b = await startRedirect(client);
    assert.equal(sessionOf(a).session, sessionOf(b).session);
    assert.notEqual(sessionOf(a).state, sessionOf(b).state);
    assert.equal(simSession(t, sessionOf(a).session).customer_id, "acme~2");
    const cancelled = await client.get(
      await client.authorize(b, { company_name: "x" }, "cancel"),
    );
    assert.equal(cancelled.status, 303);
    const c = await startRedirect(client);
    assert.equal(sessionOf(c).session, sessionOf(a).session);

    // A second provider for the same company.
    const second = await client.get(
      await client.authorize(c, {
        provider_id: "adp_run",
        company_name: "Acme, Inc.",
      }),
    );
    assert.equal(second.status, 303);
    assert.equal((await stored(t)).length, 2);

    // A second company (two entities) on the first provider: only now a new suffix.
    const d = await startRedirect(client);
    assert.equal(simSession(t, sessionOf(d).session).customer_id, "acme~3");
    const third = await client.get(
      await client.authorize(d, {
        provider_id: "gusto",
        company_name: "Acme West Holdings",
        entities: "West Payroll One, West Payroll Two",
      }),
    );
    assert.equal(third.status, 303);

    const records = await stored(t);
    assert.equal(records.length, 3);
    assert.deepEqual(
      records.map((r) => r.finch_customer_id).sort(),
      ["acme", "acme~2", "acme~3"],
    );
    assert.equal(new Set(records.map((r) => r.connection_id)).size, 3);
    const { html } = await client.page();
    assert.equal(cardCount(html), 3);
    const west = records.find((r) => r.entities.length === 2)!;
    const card = cardOf(html, west.connection_id);
    assert.match(card, /<dt>Companies<\/dt>/);
    assert.match(card, /West Payroll One/);
    assert.match(card, /West Payroll Two/);
    assert.ok(records.some((r) => r.provider_id === "adp_run"));

    const log = await listAttemptLog(t.kv, "acme");
    assert.deepEqual(log.map((e) => [e.slot, e.outcome]), [
      [1, "converted"],
      [2, "converted"],
      [3, "converted"],
    ]);
  });
});

Deno.test("[connect] journey 3: the same company on the same provider again keeps one card with the newest token", async () => {
  const clk = clock();
  await withPortal({ now: clk.now }, async (t) => {
    const client = await t.signedIn("acme");
    await client.connect({
      provider_id: "gusto",
      company_name: "Acme, Inc.",
      username: "payroll-admin@acme.example",
    });
    const [before] = await stored(t);
    const firstToken = await storedToken(t, before.connection_id);

    clk.ms += 60_000;
    const again = await client.connect({
      provider_id: "gusto",
      company_name: "Acme, Inc.",
      username: "ceo@acme.example",
    });
    assert.equal(again.status, 303);
    const flash = await flashOf(client);
    assert.equal(flash?.kind, "success");
    assert.match(flash!.message, /already here, so we refreshed it/);
    assert.equal(cardCount(flash!.html), 1);

    const records = await stored(t);
    assert.equal(records.length, 1);
    const after = records[0];
    assert.equal(after.connection_id, before.connection_id);
    assert.equal(after.created_at, before.created_at);
    assert.equal(after.token_updated_at, new Date(clk.ms).toISOString());
    const token = await storedToken(t, after.connection_id);
    assert.notEqual(token, firstToken);
    assert.equal(token, latestSimToken(t, after.connection_id));
    assert.equal(t.sim.store.tokensOf(after.connection_id).length, 2);
    // Finch keeps both tokens alive: nothing was disconnected.
    assert.deepEqual(t.sim.revoked().tokens, []);
  });
});

Deno.test("[connect] journey 4: reconnecting keeps the connection id, stores a new token and shows connected", async () => {
  const clk = clock();
  await withPortal({ now: clk.now }, async (t) => {
    const client = await t.signedIn("acme");
    await client.connect({ provider_id: "gusto", company_name: "Acme, Inc." });
    const [record] = await stored(t);
    const id = record.connection_id;
    const oldToken = await storedToken(t, id);

    clk.ms += 60_000;
    t.sim.setConnectionStatus(id, "reauth");
    await t.sim.settled();
    await applyStatus(t.kv, id, { status: "reauth", at: new Date(clk.ms) });
    const page = await client.page();
    const card = cardOf(page.html, id);
    assert.match(card, /Reconnect needed/);
    assert.match(card, new RegExp(`action="/connections/${id}/reauth"`));

    clk.ms += 60_000;
    const res = await client.postForm(`/connections/${id}/reauth`, {
      _csrf: page.csrf,
    });
    assert.equal(res.status, 303, await res.text());
    const connectUrl = res.headers.get("location")!;
    const session = simSession(t, sessionOf(connectUrl).session);
    assert.equal(session.kind, "reauth");
    assert.equal(session.connection_id, id);
    assert.equal(session.redirect_uri, "http://portal.test/callback");

    const done = await client.get(
      await client.authorize(connectUrl, { company_name: "ignored" }),
    );
    assert.equal(done.status, 303);
    const flash = await flashOf(client);
    assert.match(flash!.message, /is reconnected and working again/);

    const records = await stored(t);
    assert.equal(records.length, 1);
    assert.equal(records[0].connection_id, id);
    assert.equal(records[0].status, "connected");
    const token = await storedToken(t, id);
    assert.notEqual(token, oldToken);
    assert.equal(token, latestSimToken(t, id));
    assert.match(cardOf(flash!.html, id), /badge-ok">Connected</);
  });
});

Deno.test("[connect] reconnect answers 404 for another customer's or an unknown connection, and 409 for one Finch no longer has", async () => {
  await withPortal({}, async (t) => {
    const acme = await t.signedIn("acme");
    await acme.connect({ provider_id: "gusto", company_name: "Acme, Inc." });
    const [record] = await stored(t);
    const globex = await t.signedIn("globex", "Globex");
    const { csrf } = await globex.page();

    const theirs = await errorPage(
      await globex.postForm(`/connections/${record.connection_id}/reauth`, {
        _csrf: csrf,
      }),
    );
    const unknown = await errorPage(
      await globex.postForm(`/connections/${crypto.randomUUID()}/reauth`, {
        _csrf: csrf,
      }),
    );
    assert.equal(theirs.status, 404);
    assert.deepEqual(
      [theirs.title, theirs.message],
      [unknown.title, unknown.message],
    );
    // Nothing reached Finch for either.
    assert.ok(
      !Object.values(t.sim.store.data.sessions).some((s) =>
        s.kind === "reauth"
      ),
    );

    // Disconnected at the provider: Finch refuses a reauthenticate session.
    t.sim.store.disconnect(t.sim.store.data.connections[record.connection_id]);
    await applyStatus(t.kv, record.connection_id, {
      status: "disconnected",
      at: new Date(),
    });
    const page = await acme.page();
    const gone = await errorPage(
      await acme.postForm(`/connections/${record.connection_id}/reauth`, {
        _csrf: page.csrf,
      }),
    );
    assert.equal(gone.status, 409);
    assert.match(gone.message, /Disconnect it here, then connect/);
    assert.equal(gone.action?.href, "/connections");
    assert.equal((await stored(t)).length, 1);
  });
});

Deno.test("[connect] connection_already_exists for a connection we do not hold moves the attempt to the next slot", async () => {
  await withPortal({}, async (t) => {
    const client = await t.signedIn("acme");
    // Slot `acme` converted at Finch, but the callback never reached us.
    const stray = convertInSim(t, "acme", "Stray Company");

    const connectUrl = await startRedirect(client);
    assert.equal(
      simSession(t, sessionOf(connectUrl).session).customer_id,
      "acme~2",
    );
    const log = await listAttemptLog(t.kv, "acme");
    assert.equal(log.length, 1);
    assert.equal(log[0].slot, 1);
    assert.equal(log[0].outcome, "skipped");
    assert.equal(log[0].connection_id, stray);
    assert.match(log[0].detail ?? "", /do not hold/);
    assert.ok(t.logs.some((l) => l.includes('"event":"connect_slot_skipped"')));

    const done = await client.get(
      await client.authorize(connectUrl, { company_name: "Acme, Inc." }),
    );
    assert.equal(done.status, 303);
    const records = await stored(t);
    assert.equal(records.length, 1);
    assert.equal(records[0].finch_customer_id, "acme~2");
    assert.notEqual(records[0].connection_id, stray);
  });
});

Deno.test("[connect] connection_already_exists for the customer's own connection starts a reauthenticate session", async () => {
  await withPortal({}, async (t) => {
    const client = await t.signedIn("acme");
    await client.connect({ provider_id: "gusto", company_name: "Acme, Inc." });
    const [record] = await stored(t);
    // Slot `acme~2` converted at Finch into the very same connection (a lost callback).
    assert.equal(convertInSim(t, "acme~2", "Acme, Inc."), record.connection_id);

    const connectUrl = await startRedirect(client);
    const session = simSession(t, sessionOf(connectUrl).session);
    assert.equal(session.kind, "reauth");
    assert.equal(session.connection_id, record.connection_id);
    const note = await flashOf(client);
    assert.equal(note?.kind, "info");
    assert.match(note!.message, /already connected; you can sign in again/);
    const log = await listAttemptLog(t.kv, "acme");
    assert.deepEqual(log.map((e) => [e.slot, e.outcome]), [
      [1, "converted"],
      [2, "skipped"],
    ]);
    assert.match(log[1].detail ?? "", /of this customer/);

    const done = await client.get(
      await client.authorize(connectUrl, { company_name: "Acme, Inc." }),
    );
    assert.equal(done.status, 303);
    assert.match((await flashOf(client))!.message, /reconnected/);
    const records = await stored(t);
    assert.equal(records.length, 1);
    assert.equal(
      await storedToken(t, record.connection_id),
      latestSimToken(t, record.connection_id),
    );
  });
});
