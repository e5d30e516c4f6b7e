/**
 * Portal links and sessions across processes: two portal processes in production mode on
 * one KV file, rate limits off so that nothing but the store paces the requests (the
 * widest race windows).
 *
 * - Revocation holds: links issued before a revocation open no session that outlives it,
 *   however the redemptions in flight interleave with it on either process.
 * - A single-use link opens one session, however many redemptions race for it.
 */
import assert from "node:assert/strict";
import {
  api,
  BASE,
  browser,
  type Cluster,
  mintLink,
  serverErrors,
  startCluster,
} from "./_procs.ts";
import { scaled } from "./_stats.ts";

const RATE_LIMITS_OFF = {
  RATE_LIMIT_CONNECT_PER_CUSTOMER: "off",
  RATE_LIMIT_CONNECT_PER_ADDRESS: "off",
  RATE_LIMIT_LINK_PER_ADDRESS: "off",
  RATE_LIMIT_LINK_PER_CUSTOMER: "off",
};

/** Revocation trials, and redemptions kept in flight on each process meanwhile. */
const TRIALS = scaled(5);
const WORKERS_PER_PROCESS = 6;

/** The session cookie a redemption set, or null. */
async function redeem(
  cluster: Cluster,
  proc: number,
  link: string,
): Promise<{ status: number; cookie: string | null }> {
  const client = browser(cluster, () => cluster.portals[proc]);
  const res = await client.get(new URL(link).pathname);
  await res.body?.cancel();
  return {
    status: res.status,
    cookie: client.cookies.get("portal_session") ?? null,
  };
}

/** Whether a session cookie still opens the page, asked of every process. */
async function stillOpen(cluster: Cluster, cookie: string): Promise<number[]> {
  const open: number[] = [];
  for (const [i, proc] of cluster.portals.entries()) {
    const res = await fetch(`${proc.origin}/connections`, {
      headers: { cookie: `portal_session=${cookie}` },
    });
    await res.body?.cancel();
    if (res.status === 200) open.push(i);
    else assert.equal(res.status, 401);
  }
  return open;
}

Deno.test("[reliability] revocation during redemptions on two processes: no session from an earlier link survives it", async () => {
  const cluster = await startCluster(2, RATE_LIMITS_OFF);
  try {
    const put = await api(
      cluster,
      cluster.portals[0],
      "PUT",
      "/api/customers/acme",
      {
        name: "Acme Inc.",
      },
    );
    assert.ok(put.status < 300, put.text);
    let survivors = 0, redeemed = 0, refused = 0;
    for (let trial = 0; trial < TRIALS; trial++) {
      // Every link of the trial is issued before its revocation.
      const links: string[] = [];
      for (let i = 0; i < 400; i++) links.push(await mintLink(cluster, "acme"));
      await new Promise((r) => setTimeout(r, 2));
      let revoked = false, next = 0;
      const cookies: string[] = [];
      const worker = async (proc: number) => {
        // Keep redeeming until the revocation is done, and a little after.
        let after = 0;
        while (next < links.length && after < 5) {
          if (revoked) after++;
          const { status, cookie } = await redeem(cluster, proc, links[next++]);
          assert.ok(
            status === 303 || status === 410,
            `redemption answered ${status}\n${serverErrors(cluster)}`,
          );
          if (cookie) cookies.push(cookie);
          if (status === 410) refused++;
        }
      };
      const workers = cluster.portals.flatMap((_, proc) =>
        Array.from({ length: WORKERS_PER_PROCESS }, () => worker(proc))
      );
      await new Promise((r) => setTimeout(r, 50 + trial * 10));
      const revoke = await api(
        cluster,
        cluster.portals[trial % 2],
        "DELETE",
        "/api/customers/acme/links",
      );
      assert.equal(revoke.status, 200, revoke.text);
      revoked = true;
      await Promise.all(workers);
      redeemed += cookies.length;
      for (const cookie of cookies) {
        if ((await stillOpen(cluster, cookie)).length) survivors++;
      }
    }
    assert.ok(
      redeemed > 0 && refused > 0,
      `${redeemed} redeemed, ${refused} refused`,
    );
    assert.equal(
      survivors,
      0,
      `${survivors} of ${redeemed} sessions from links issued before a revocation survived it`,
    );

    // A link issued after the revocations opens the portal.
    const fresh = await api(
      cluster,
      cluster.portals[1],
      "POST",
      "/api/customers/acme/links",
      {},
    );
    const url = (fresh.json as { url: string }).url;
    assert.ok(url.startsWith(`${BASE}/portal/`));
    const { status, cookie } = await redeem(cluster, 0, url);
    assert.equal(status, 303);
    assert.deepEqual(await stillOpen(cluster, cookie!), [0, 1]);
  } finally {
    await cluster.stop();
  }
});

Deno.test("[reliability] a single-use link redeemed at once on two processes opens exactly one session", async () => {
  const cluster = await startCluster(2, RATE_LIMITS_OFF);
  try {
    const [A, B] = cluster.portals;
    const put = await api(cluster, A, "PUT", "/api/customers/acme", {
      name: "Acme Inc.",
    });
    assert.ok(put.status < 300, put.text);
    for (let round = 0; round < scaled(3); round++) {
      const minted = await api(
        cluster,
        round % 2 ? A : B,
        "POST",
        "/api/customers/acme/links",
        { single_use: true },
      );
      assert.equal(minted.status, 201, minted.text);
      const url = (minted.json as { url: string }).url;
      const shots = await Promise.all(
        Array.from({ length: 20 }, (_, i) => redeem(cluster, i % 2, url)),
      );
      const statuses = shots.map((s) => s.status).sort();
      assert.deepEqual(
        statuses,
        [303, ...Array(19).fill(410)],
        `${statuses}\n${serverErrors(cluster)}`,
      );
      const [winner] = shots.filter((s) => s.cookie);
      assert.deepEqual(await stillOpen(cluster, winner.cookie!), [0, 1]);
      // Later, on either process, still used.
      assert.equal((await redeem(cluster, round % 2, url)).status, 410);
    }
  } finally {
    await cluster.stop();
  }
});
