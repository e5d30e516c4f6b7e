/**
 * Invariant 8 under the worst failure a process can have: `kill -9` in the middle of a
 * burst of callbacks and disconnects. Two production-mode portals share one KV file;
 * Finch (the standalone simulator) answers a little slowly so that requests are in
 * flight, some waiting on Finch and some writing to KV, when one process dies. Then,
 * over the raw KV contents and file bytes: no index without its record, no record
 * without its indexes and token, no plaintext token, no connection owned twice, every
 * sealed token opens. The dead process starts again on the same store, and finishing
 * what was cut short works: disconnecting again, connecting again.
 *
 * CI runs one cycle; `deno task soak` runs many, killing either process at random points.
 */
import assert from "node:assert/strict";
import { assertNoInternals, startRedirect } from "../connect/_helpers.ts";
import { createSealer, parseTokenKeys } from "../../lib/sealing.ts";
import { checkStore, scanKvFiles } from "./_invariants.ts";
import {
  addSimFault,
  api,
  type Client,
  type Cluster,
  type Proc,
  sameBrowserOn,
  serverErrors,
  shoot,
  type Shot,
  signIn,
  simTokens,
  startCluster,
} from "./_procs.ts";
import { record, SCALE, scaled } from "./_stats.ts";

/** Crash cycles: one in CI, more in the soak. */
const CYCLES = Math.max(1, Math.round(SCALE));
/** Per cycle: connections disconnected and callbacks completed during the burst. */
const DISCONNECTS = scaled(6);
const SAME_COMPANY = scaled(8);
const DISTINCT = scaled(4);
const CONTESTED = scaled(3);

interface ConnectionRow {
  connection_id: string;
  customer_id: string;
  provider_id: string;
  company_name: string | null;
}

async function connectionsOf(
  cluster: Cluster,
  proc: Proc,
  customer: string,
): Promise<ConnectionRow[]> {
  const rows: ConnectionRow[] = [];
  let cursor: string | null = null;
  do {
    const q: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : "";
    const res = await api(
      cluster,
      proc,
      "GET",
      `/api/customers/${customer}/connections?limit=100${q}`,
    );
    assert.equal(res.status, 200, res.text);
    const body = res.json as {
      connections: ConnectionRow[];
      next_cursor: string | null;
    };
    rows.push(...body.connections);
    cursor = body.next_cursor;
  } while (cursor);
  return rows;
}

/** Scans the raw store and file; fails with every violation found. */
async function assertStoreSound(cluster: Cluster, when: string) {
  const tokens = [...(await simTokens(cluster)).keys()];
  const kv = await Deno.openKv(cluster.kvPath);
  try {
    const sealer = await createSealer(
      parseTokenKeys(cluster.secrets.TOKEN_KEYS),
    );
    const report = await checkStore(kv, sealer, tokens);
    const files = await scanKvFiles(cluster.kvPath, tokens);
    const violations = [...report.violations, ...files];
    await record("invariant_scans", 1);
    await record("violations", violations.length);
    assert.deepEqual(violations, [], `${when}: the store is inconsistent`);
  } finally {
    kv.close();
  }
}

/** Connects one company through the redirect flow; returns the callback's answer. */
async function connect(client: Client, company: string, provider = "gusto") {
  const url = await client.authorize(await startRedirect(client), {
    provider_id: provider,
    company_name: company,
  });
  return await client.get(url);
}

Deno.test("[reliability] kill -9 during a burst of callbacks and disconnects, then restart: every invariant holds", async () => {
  const cluster = await startCluster(2);
  try {
    const home = await signIn(cluster, cluster.portals[0], "acme");
    const rival = await signIn(cluster, cluster.portals[0], "beta");
    const on = (c: Client, p: Proc) => sameBrowserOn(cluster, c, p);
    let lost = 0;

    for (let cycle = 0; cycle < CYCLES; cycle++) {
      // Alternate which process dies; the other one keeps serving throughout.
      const victimIndex = cycle % 2 === 0 ? 1 : 0;
      const victim = cluster.portals[victimIndex];
      const survivor = cluster.portals[1 - victimIndex];

      // Connections that the burst disconnects.
      for (let i = 0; i < DISCONNECTS; i++) {
        const res = await connect(on(home, survivor), `Gone ${cycle}-${i}`);
        assert.equal(res.status, 303);
        await res.body?.cancel();
      }
      const toDisconnect = (await connectionsOf(cluster, survivor, "acme"))
        .filter((c) => c.company_name?.startsWith(`Gone ${cycle}-`));
      assert.equal(toDisconnect.length, DISCONNECTS);

      // Callbacks the burst completes: one company many times, distinct companies, and
      // a company two customers race for.
      const callbacks: { who: Client; url: string }[] = [];
      const prepare = async (
        who: Client,
        company: string,
        provider: string,
      ) => {
        const client = on(who, survivor);
        callbacks.push({
          who,
          url: await client.authorize(await startRedirect(client), {
            provider_id: provider,
            company_name: company,
          }),
        });
      };
      for (let i = 0; i < SAME_COMPANY; i++) {
        await prepare(home, `Burst ${cycle}`, "gusto");
      }
      for (let i = 0; i < DISTINCT; i++) {
        await prepare(home, `Distinct ${cycle}-${i}`, "rippling");
      }
      for (let i = 0; i < CONTESTED; i++) {
        await prepare(home, `Contested ${cycle}`, "justworks");
        await prepare(rival, `Contested ${cycle}`, "justworks");
      }

      // Finch slows down a little: requests are in flight when the process dies.
      for (const path of ["/auth/token", "/disconnect", "/introspect"]) {
        await addSimFault(cluster, { path, delay_ms: 40, count: 10_000 });
      }
      const { csrf } = await on(home, survivor).page();
      const requests: { proc: Proc; shot: Promise<Shot> }[] = [];
      let victimAnswered = 0;
      const fire = (proc: Proc, send: () => Promise<Response>) => {
        const shot = shoot(send());
        if (proc === victim) {
          shot.then((s) => {
            if (s.ok) victimAnswered++;
          });
        }
        requests.push({ proc, shot });
      };
      const spread = Math.max(callbacks.length, toDisconnect.length);
      for (let i = 0; i < spread; i++) {
        const proc = i % 2 ? victim : survivor;
        const cb = callbacks[i];
        if (cb) fire(proc, () => on(cb.who, proc).get(cb.url));
        const d = toDisconnect[i];
        if (d) {
          fire(
            i % 2 ? survivor : victim,
            () =>
              on(home, i % 2 ? survivor : victim).postForm(
                `/connections/${d.connection_id}/disconnect`,
                { _csrf: csrf },
              ),
          );
        }
      }
      // The kill lands in the middle of the burst: once a third of the dying process's
      // requests were answered (CI), or after a random share of them (the soak), so
      // the rest are cut off at whatever step they were: waiting on Finch, or writing.
      const share = requests.filter((r) => r.proc === victim).length;
      const fraction = CYCLES > 1 ? Math.random() * 0.8 : 1 / 3;
      const target = Math.floor(share * fraction);
      const deadline = Date.now() + 20_000;
      while (victimAnswered < target && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 2));
      }
      await victim.crash();
      const shots = await Promise.all(requests.map((r) => r.shot));
      await record("callbacks_raced", callbacks.length);
      await record("crash_cycles", 1);

      for (const [i, shot] of shots.entries()) {
        if (!shot.ok) {
          // Only the dead process may drop a request.
          assert.equal(requests[i].proc, victim, shot.error);
          lost++;
          continue;
        }
        assert.ok(
          shot.status === 303 || (shot.status >= 400 && shot.status < 500),
          `answered ${shot.status}: ${
            shot.text.match(/<title>([^<]*)/)?.[1] ?? shot.text.slice(0, 200)
          }\n${serverErrors(cluster)}`,
        );
        assertNoInternals(shot.text);
      }

      // The store as the crash left it, while the survivor still serves.
      await assertStoreSound(cluster, `after crash ${cycle}`);

      // Start it again on the same store, and finish what the crash cut short.
      await fetch(`${cluster.sim.origin}/_sim/faults`, { method: "DELETE" })
        .then((r) => r.body?.cancel());
      const restarted = await cluster.restart(victimIndex);
      const after = await on(home, restarted).page();
      assert.equal(after.status, 200);
      for (const d of toDisconnect) {
        const still = (await connectionsOf(cluster, restarted, "acme"))
          .some((c) => c.connection_id === d.connection_id);
        if (!still) continue;
        // Finch may already have revoked it (the process died after /disconnect and
        // before the local delete): disconnecting again still removes it.
        const res = await on(home, restarted).postForm(
          `/connections/${d.connection_id}/disconnect`,
          { _csrf: after.csrf },
        );
        assert.equal(res.status, 303, await res.text());
      }
      const rows = await connectionsOf(cluster, restarted, "acme");
      assert.ok(
        !rows.some((c) => c.company_name?.startsWith(`Gone ${cycle}-`)),
      );
      // Connecting again works, and leaves one record for the company.
      const again = await connect(on(home, restarted), `Burst ${cycle}`);
      assert.equal(again.status, 303, await again.text());
      const burst = (await connectionsOf(cluster, restarted, "acme"))
        .filter((c) => c.company_name === `Burst ${cycle}`);
      assert.equal(burst.length, 1);

      // Every stored token is one Finch issued for that connection, and still works.
      const issued = await simTokens(cluster);
      for (const who of ["acme", "beta"]) {
        for (const c of await connectionsOf(cluster, restarted, who)) {
          const res = await api(
            cluster,
            restarted,
            "GET",
            `/api/connections/${c.connection_id}/token`,
          );
          assert.equal(res.status, 200, res.text);
          const token = (res.json as { access_token: string }).access_token;
          assert.equal(issued.get(token)?.connection_id, c.connection_id);
        }
      }
      const contested = [
        ...await connectionsOf(cluster, restarted, "acme"),
        ...await connectionsOf(cluster, restarted, "beta"),
      ].filter((c) => c.company_name === `Contested ${cycle}`);
      assert.ok(contested.length <= 1, "a connection owned twice");
      await assertStoreSound(cluster, `after restart ${cycle}`);
    }
    await record("requests_lost_to_crashes", lost);

    // No token in any process's output, the crashed ones included.
    const tokens = [...(await simTokens(cluster)).keys()];
    for (const line of cluster.portalLines()) {
      for (const token of tokens) assert.ok(!line.includes(token), line);
    }
  } finally {
    await cluster.stop();
  }
});
