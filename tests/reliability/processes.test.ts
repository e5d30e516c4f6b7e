/**
 * Invariants 1, 3, 5, 7 and 8 across processes: two portal processes in production mode
 * (`main.ts`) on one KV file, pointed at one standalone simulator, complete many
 * concurrent callbacks for the same (customer, provider, company). Each Connect run is
 * started by one browser session through either process and its callback lands on
 * either process (they share KV and APP_SECRET, as replicas behind a load balancer do).
 *
 * Also across processes: one callback URL fired at both processes is exchanged once, and
 * the rate limits are one budget for all processes.
 */
import assert from "node:assert/strict";
import { assertNoInternals, startRedirect } from "../connect/_helpers.ts";
import { createSealer, parseTokenKeys } from "../../lib/sealing.ts";
import { checkStore, scanKvFiles } from "./_invariants.ts";
import {
  api,
  type Cluster,
  mintLink,
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

/** Portal processes on the one KV file: two in CI, four in the soak. */
const PROCESSES = SCALE > 1 ? 4 : 2;
/** Callbacks per process. */
const PER_PROCESS = scaled(25);

/** Fails unless every answer is a redirect or a 4xx page: no 5xx, no dropped request. */
function assertPages(cluster: Cluster, shots: Shot[]) {
  for (const [i, shot] of shots.entries()) {
    assert.ok(shot.ok, `request ${i} failed: ${!shot.ok && shot.error}`);
    assert.ok(
      shot.status === 303 || (shot.status >= 400 && shot.status < 500),
      `request ${i} answered ${shot.status}: ${
        shot.text.match(/<title>([^<]*)/)?.[1] ?? shot.text.slice(0, 200)
      }\n${serverErrors(cluster)}`,
    );
    assertNoInternals(shot.text);
  }
}

/** No token Finch issued appears in an answer (but `/token`'s) or a process's log. */
async function assertNoTokenLeak(cluster: Cluster, answers: string[]) {
  const tokens = [...(await simTokens(cluster)).keys()];
  assert.ok(tokens.length > 0);
  const lines = cluster.portalLines();
  for (const token of tokens) {
    for (const a of answers) assert.ok(!a.includes(token), "token in answer");
    for (const l of lines) assert.ok(!l.includes(token), `token in log: ${l}`);
  }
}

async function storeIsSound(cluster: Cluster) {
  const tokens = [...(await simTokens(cluster)).keys()];
  const kv = await Deno.openKv(cluster.kvPath);
  try {
    const sealer = await createSealer(
      parseTokenKeys(cluster.secrets.TOKEN_KEYS),
    );
    const report = await checkStore(kv, sealer, tokens);
    const files = await scanKvFiles(cluster.kvPath, tokens);
    await record("invariant_scans", 1);
    await record("violations", report.violations.length + files.length);
    assert.deepEqual([...report.violations, ...files], []);
    return report;
  } finally {
    kv.close();
  }
}

Deno.test("[reliability] portal processes on one KV file: concurrent callbacks for one company leave one record", async (t) => {
  const cluster = await startCluster(PROCESSES);
  try {
    const [A, B] = cluster.portals;
    const home = await signIn(cluster, A, "acme");
    const on = (p: Proc) => sameBrowserOn(cluster, home, p);
    const answers: string[] = [];

    await t.step(
      `${
        PROCESSES * PER_PROCESS
      } callbacks, spread over ${PROCESSES} processes, at once`,
      async () => {
        const all = cluster.portals;
        const runs = PROCESSES * PER_PROCESS;
        const callbacks: string[] = [];
        for (let i = 0; i < runs; i++) {
          // Started on one process; completed on another for most runs.
          const client = on(all[i % PROCESSES]);
          callbacks.push(
            await client.authorize(await startRedirect(client), {
              provider_id: "gusto",
              company_name: "Acme, Inc.",
            }),
          );
        }
        const shots = await Promise.all(
          callbacks.map((url, i) =>
            shoot(on(all[Math.floor(i / 2) % PROCESSES]).get(url))
          ),
        );
        await record("callbacks_raced", runs);
        await record("processes", PROCESSES);
        assertPages(cluster, shots);
        answers.push(...shots.map((s) => s.ok ? s.text : ""));
        assert.ok(shots.some((s) => s.ok && s.status === 303));

        const list = await api(
          cluster,
          B,
          "GET",
          "/api/customers/acme/connections",
        );
        const connections =
          (list.json as { connections: { connection_id: string }[] })
            .connections;
        assert.equal(connections.length, 1, list.text);
        const id = connections[0].connection_id;

        const issued = [...(await simTokens(cluster))]
          .filter(([, t]) => t.connection_id === id).map(([token]) => token);
        assert.equal(issued.length, runs, "every code was exchanged once");
        const token = await api(
          cluster,
          A,
          "GET",
          `/api/connections/${id}/token`,
        );
        assert.equal(token.status, 200, token.text);
        assert.ok(
          issued.includes(
            (token.json as { access_token: string }).access_token,
          ),
          "the stored token is one Finch issued for this connection",
        );
        const report = await storeIsSound(cluster);
        assert.equal(report.connections, 1);
      },
    );

    await t.step(
      "one callback URL fired at both processes at once is exchanged once",
      async () => {
        const client = on(A);
        const url = await client.authorize(await startRedirect(client), {
          provider_id: "adp_run",
          company_name: "Acme, Inc.",
        });
        const shots = await Promise.all(
          Array.from(
            { length: 10 },
            (_, i) => shoot(on(i % 2 ? A : B).get(url)),
          ),
        );
        await record("callbacks_raced", shots.length);
        assertPages(cluster, shots);
        answers.push(...shots.map((s) => s.ok ? s.text : ""));
        const statuses = shots.map((s) => s.ok ? s.status : 0);
        assert.equal(
          statuses.filter((s) => s === 303).length,
          1,
          `${statuses}`,
        );
        assert.equal(
          statuses.filter((s) => s === 400).length,
          9,
          `${statuses}`,
        );
        // The duplicates say the run was stored, on either process.
        for (const shot of shots) {
          if (shot.ok && shot.status === 400) {
            assert.match(shot.text, /<title>Already completed/);
          }
        }
        const list = await api(
          cluster,
          B,
          "GET",
          "/api/customers/acme/connections",
        );
        const adp = (list.json as {
          connections: { connection_id: string; provider_id: string }[];
        }).connections.filter((c) => c.provider_id === "adp_run");
        assert.equal(adp.length, 1, list.text);
        const tokens = [...(await simTokens(cluster)).values()];
        assert.equal(
          tokens.filter((x) => x.connection_id === adp[0].connection_id).length,
          1,
          "the code was exchanged once",
        );
        await storeIsSound(cluster);
      },
    );

    await t.step(
      "replacing a connection Finch ended, raced on both processes, keeps one record",
      async () => {
        const list = await api(
          cluster,
          A,
          "GET",
          "/api/customers/acme/connections",
        );
        const old = (list.json as {
          connections: { connection_id: string; provider_id: string }[];
        }).connections.find((c) => c.provider_id === "gusto")!;
        const oldToken = await api(
          cluster,
          A,
          "GET",
          `/api/connections/${old.connection_id}/token`,
        );
        // Finch ends the connection (as a disconnect from another app would).
        const ended = await fetch(`${cluster.sim.origin}/disconnect`, {
          method: "POST",
          headers: {
            authorization: `Bearer ${
              (oldToken.json as { access_token: string }).access_token
            }`,
          },
        });
        assert.equal(ended.status, 200, await ended.text());

        const runs = Math.max(10, PER_PROCESS);
        const callbacks: string[] = [];
        for (let i = 0; i < runs; i++) {
          const client = on(i % 2 ? A : B);
          callbacks.push(
            await client.authorize(await startRedirect(client), {
              provider_id: "gusto",
              company_name: "Acme, Inc.",
            }),
          );
        }
        const shots = await Promise.all(
          callbacks.map((url, i) => shoot(on(i % 2 ? B : A).get(url))),
        );
        await record("callbacks_raced", runs);
        assertPages(cluster, shots);
        answers.push(...shots.map((s) => s.ok ? s.text : ""));
        const after = await api(
          cluster,
          B,
          "GET",
          "/api/customers/acme/connections",
        );
        const gusto = (after.json as {
          connections: { connection_id: string; provider_id: string }[];
        }).connections.filter((c) => c.provider_id === "gusto");
        assert.equal(gusto.length, 1, after.text);
        assert.notEqual(gusto[0].connection_id, old.connection_id);
        await storeIsSound(cluster);
      },
    );

    await t.step(
      "two customers racing for one company on both processes: one owner",
      async () => {
        const beta = await signIn(cluster, B, "beta");
        const onBeta = (p: Proc) => sameBrowserOn(cluster, beta, p);
        const runs = Math.max(6, Math.round(PER_PROCESS / 2));
        const callbacks: [string, string][] = [];
        for (let i = 0; i < runs; i++) {
          for (const [who, make] of [["acme", on], ["beta", onBeta]] as const) {
            const client = make(i % 2 ? A : B);
            callbacks.push([
              who,
              await client.authorize(await startRedirect(client), {
                provider_id: "paychex_flex",
                company_name: "Contested Co",
              }),
            ]);
          }
        }
        const shots = await Promise.all(
          callbacks.map(([who, url], i) =>
            shoot((who === "acme" ? on : onBeta)(i % 2 ? B : A).get(url))
          ),
        );
        await record("callbacks_raced", callbacks.length);
        assertPages(cluster, shots);
        answers.push(...shots.map((s) => s.ok ? s.text : ""));
        const owned = [];
        for (const who of ["acme", "beta"]) {
          const list = await api(
            cluster,
            A,
            "GET",
            `/api/customers/${who}/connections`,
          );
          owned.push(
            ...(list.json as {
              connections: { provider_id: string; connection_id: string }[];
            })
              .connections.filter((c) => c.provider_id === "paychex_flex"),
          );
        }
        assert.equal(owned.length, 1, JSON.stringify(owned));
        const statuses = shots.map((s) => s.ok ? s.status : 0);
        assert.ok(statuses.every((s) => s === 303 || s === 409), `${statuses}`);
        // The owner's token was never revoked by the loser's refusal (invariant 2).
        const revoked =
          await (await fetch(`${cluster.sim.origin}/_sim/revoked`))
            .json();
        const winner = owned[0] as { connection_id: string };
        assert.ok(!revoked.connection_ids.includes(winner.connection_id));
        await storeIsSound(cluster);
      },
    );

    await assertNoTokenLeak(cluster, answers);
  } finally {
    await cluster.stop();
  }
});

Deno.test("[reliability] rate limits are one budget across processes", async () => {
  const cluster = await startCluster(2, {
    // A day-long window: the test never straddles a window boundary.
    RATE_LIMIT_CONNECT_PER_CUSTOMER: "5/86400",
    RATE_LIMIT_LINK_PER_ADDRESS: "6/86400",
  });
  try {
    const [A, B] = cluster.portals;
    // One redemption from 127.0.0.1: 5 of the address's 6 remain.
    const home = await signIn(cluster, A, "acme");
    const on = (p: Proc) => sameBrowserOn(cluster, home, p);
    const { csrf } = await on(A).page();

    const starts = await Promise.all(
      Array.from(
        { length: 12 },
        (_, i) =>
          shoot(
            on(i % 2 ? A : B).postForm("/connections/new", { _csrf: csrf }),
          ),
      ),
    );
    assertPages(cluster, starts);
    const started = starts.filter((s) => s.ok && s.status === 303);
    const refused = starts.filter((s) => s.ok && s.status === 429);
    assert.equal(started.length, 5, starts.map((s) => s.ok && s.status).join());
    assert.equal(refused.length, 7);
    for (const s of refused) {
      assert.ok(s.ok && /retry-after: \d+/.test(s.text), "Retry-After");
      assert.match(s.ok ? s.text : "", /Too many attempts/);
    }

    // The address is the socket's (127.0.0.1), seen by both processes alike.
    const link = await mintLink(cluster, "acme");
    const redeemed = await Promise.all(
      Array.from(
        { length: 10 },
        (_, i) =>
          shoot(
            fetch(
              link.replace(/^http:\/\/portal\.test/, [A, B][i % 2].origin),
              {
                redirect: "manual",
              },
            ),
          ),
      ),
    );
    assertPages(cluster, redeemed);
    const codes = redeemed.map((s) => s.ok ? s.status : 0);
    assert.equal(codes.filter((c) => c === 303).length, 5, `${codes}`);
    assert.equal(codes.filter((c) => c === 429).length, 5, `${codes}`);
    await record("rate_limit_checks", starts.length + redeemed.length);
  } finally {
    await cluster.stop();
  }
});
