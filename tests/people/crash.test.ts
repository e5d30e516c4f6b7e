/**
 * A people job survives `kill -9`: a production-mode portal (main.ts, a KV file, the
 * standalone simulator) is killed while it fetches a large roster page by page, and
 * started again. The same job resumes from the page it had reached (its state and each
 * step are in KV; the unfinished queue message is handed out again) and completes with
 * everyone, without a new trigger.
 *
 * The restart waits a few seconds first: Deno KV hands a dead process's unfinished queue
 * messages out again once their deadline passed, at the next open of the store.
 */
import assert from "node:assert/strict";
import { startRedirect } from "../connect/_helpers.ts";
import { api, signIn, startCluster } from "../reliability/_procs.ts";

const SIZE = 8_000;

Deno.test("[people] kill -9 in the middle of a job, then restart: the same job resumes and completes", async () => {
  const cluster = await startCluster(1);
  const kv = await Deno.openKv(cluster.kvPath);
  try {
    const [a] = cluster.portals;
    const home = await signIn(cluster, a, "acme");
    const url = await home.authorize(await startRedirect(home), {
      company_name: "Acme, Inc.",
    });
    const done = await home.get(url);
    assert.equal(done.status, 303);
    await done.body?.cancel();
    const list = await api(
      cluster,
      a,
      "GET",
      "/api/customers/acme/connections",
    );
    const id = (list.json as { connections: { connection_id: string }[] })
      .connections[0].connection_id;
    // The connection's own job (from its trigger) first runs to its end, so that the
    // job killed below is the only one.
    const settleBy = Date.now() + 60_000;
    for (;;) {
      const job = (await kv.get<{ status: string }>(["people_jobs", "acme"]))
        .value;
      if (job?.status === "done") break;
      if (Date.now() > settleBy) throw new Error("the first job never ended");
      await new Promise((r) => setTimeout(r, 50));
    }
    const size = await fetch(
      `${cluster.sim.origin}/_sim/connections/${id}/size`,
      {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ size: SIZE }),
      },
    );
    assert.equal(size.status, 200, await size.text());

    // A job of SIZE people, killed once it stored a page and before it ended.
    const refresh = await api(
      cluster,
      a,
      "POST",
      "/api/customers/acme/people/refresh",
    );
    assert.equal(refresh.status, 202);
    let jobId = "";
    const deadline = Date.now() + 60_000;
    for (;;) {
      const job = (await kv.get<{ id: string; status: string }>([
        "people_jobs",
        "acme",
      ])).value;
      const step = job && job.status === "fetching"
        ? (await kv.get<{ offset: number }>([
          "people_job_connections",
          "acme",
          job.id,
          id,
        ])).value
        : null;
      if (job && step && step.offset > 0 && step.offset < SIZE) {
        jobId = job.id;
        break;
      }
      if (Date.now() > deadline) throw new Error("never caught mid-job");
      await new Promise((r) => setTimeout(r, 10));
    }
    await a.crash();
    const mid = (await kv.get<{ status: string }>(["people_jobs", "acme"]))
      .value!;
    assert.notEqual(mid.status, "done", "killed before the job ended");

    await new Promise((r) => setTimeout(r, 6_000));
    const restarted = await cluster.restart(0);
    const end = Date.now() + 120_000;
    type Page = {
      state: string;
      connections: { individuals: number; state: string }[];
    };
    let body: Page | null = null;
    while (Date.now() < end) {
      const res = await api(
        cluster,
        restarted,
        "GET",
        "/api/customers/acme/people?limit=1",
      );
      assert.equal(res.status, 200, res.text);
      body = res.json as Page;
      if (body && body.state !== "refreshing" && body.state !== "never") break;
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(body?.state, "fresh");
    assert.equal(body?.connections[0].individuals, SIZE);
    const result = (await kv.get<{ id: string; people: number }>([
      "people_results",
      "acme",
    ])).value!;
    assert.equal(result.id, jobId, "the job killed is the job that finished");
    assert.equal(result.people, SIZE);
    const serverErrors = cluster.portalLines().filter((l) =>
      l.includes('"level":"error"')
    );
    assert.deepEqual(serverErrors, []);
  } finally {
    kv.close();
    await cluster.stop();
  }
});
