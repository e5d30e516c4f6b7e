/**
 * Access token reads across processes: two portal processes in production mode on one
 * KV file with `TOKEN_API_KEY` set. The per-key rate limit is one budget for both, exact
 * under a concurrent burst, and every admitted read (and every refused admin read) is in
 * the one audit log either process lists.
 */
import assert from "node:assert/strict";
import { startRedirect } from "../connect/_helpers.ts";
import { api, serverErrors, signIn, startCluster } from "./_procs.ts";
import { record } from "./_stats.ts";

const TOKEN_API_KEY = "token-key-for-the-cluster-0123";
const LIMIT = 5;

Deno.test("[reliability] token reads on two processes: one rate budget per key, exact; one audit log", async () => {
  const cluster = await startCluster(2, {
    TOKEN_API_KEY,
    RATE_LIMIT_TOKEN_READS_PER_KEY: `${LIMIT}/3600`,
  });
  try {
    const [A, B] = cluster.portals;
    const client = await signIn(cluster, A, "acme");
    const callback = await client.authorize(await startRedirect(client), {
      company_name: "Acme, Inc.",
    });
    const done = await client.get(callback);
    await done.body?.cancel();
    assert.equal(done.status, 303, serverErrors(cluster));
    const list = await api(
      cluster,
      B,
      "GET",
      "/api/customers/acme/connections",
    );
    const [{ connection_id: id }] =
      (list.json as { connections: { connection_id: string }[] }).connections;

    const read = (i: number, key: string) =>
      fetch(`${cluster.portals[i % 2].origin}/api/connections/${id}/token`, {
        headers: { authorization: `Bearer ${key}` },
      }).then(async (res) => ({ status: res.status, text: await res.text() }));
    const shots = await Promise.all([
      ...Array.from({ length: 30 }, (_, i) => read(i, TOKEN_API_KEY)),
      ...Array.from(
        { length: 4 },
        (_, i) => read(i, cluster.secrets.ADMIN_API_KEY),
      ),
    ]);
    await record("rate_limit_checks", shots.length);
    const statuses = shots.map((s) => s.status);
    assert.equal(
      statuses.slice(0, 30).filter((s) => s === 200).length,
      LIMIT,
      `${statuses}\n${serverErrors(cluster)}`,
    );
    assert.equal(
      statuses.slice(0, 30).filter((s) => s === 429).length,
      30 - LIMIT,
    );
    assert.deepEqual(statuses.slice(30), [403, 403, 403, 403]);

    for (const proc of [A, B]) {
      const log = await api(cluster, proc, "GET", "/api/audit?limit=500");
      assert.equal(log.status, 200, log.text);
      const entries = (log.json as {
        entries: { outcome: string; key: string; connection_id: string }[];
      }).entries;
      assert.equal(entries.filter((e) => e.outcome === "served").length, LIMIT);
      assert.equal(
        entries.filter((e) => e.outcome === "forbidden" && e.key === "admin")
          .length,
        4,
      );
      assert.ok(entries.every((e) => e.connection_id === id));
      assert.ok(!log.text.includes(TOKEN_API_KEY));
    }
  } finally {
    await cluster.stop();
  }
});
