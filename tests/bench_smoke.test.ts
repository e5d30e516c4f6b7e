/**
 * The benchmark harness's code paths in a minimal mode: no wrk, no timing assertions
 * (benchmarks are not tests), a tiny store and two connect round trips. It keeps
 * `deno task bench` from rotting between the runs that fill the README.
 */
import assert from "node:assert/strict";
import { listConnections } from "../lib/db/connections.ts";
import { getPortalSession } from "../lib/db/portal_sessions.ts";
import { loadBenchConfig } from "../bench/lib/config.ts";
import { replaceSection, type Row, table } from "../bench/lib/report.ts";
import { benchSecrets, seedStore } from "../bench/lib/seed.ts";
import { parseWrk } from "../bench/lib/wrk.ts";
import { connect } from "../bench/sections/connect.ts";
import { events } from "../bench/sections/events.ts";
import {
  dataBlockBytes,
  gzipSize,
  scriptTags,
  subresources,
} from "../bench/sections/weight.ts";

const WRK_REPORT = `Running 10s test @ http://127.0.0.1:8000/connections
  2 threads and 50 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    30.12ms    8.01ms  120.00ms   80.00%
    Req/Sec   800.00    100.00     1.00k    70.00%
  Latency Distribution
     50%   29.70ms
     75%   33.00ms
     90%   44.00ms
     99%  570.00us
  15960 requests in 10.00s, 430.00MB read
  Non-2xx or 3xx responses: 3
Requests/sec:   1595.91
Transfer/sec:     43.00MB
`;

Deno.test("bench: wrk's report is read", () => {
  const r = parseWrk(WRK_REPORT);
  assert.equal(r.requestsPerSecond, 1595.91);
  assert.equal(r.requests, 15960);
  assert.equal(r.seconds, 10);
  assert.equal(r.p50, 29.7);
  assert.equal(r.p99, 0.57);
  assert.equal(r.non2xx, 3);
  assert.throws(() => parseWrk("nothing"));
});

Deno.test("bench: the README section is replaced, appended, never anything else", () => {
  const section = "## Benchmarks\n\nnew\n";
  assert.equal(
    replaceSection("# T\n\n## A\n\na\n", section),
    "# T\n\n## A\n\na\n\n## Benchmarks\n\nnew\n",
  );
  const text =
    "# T\n\n## Benchmarks\n\nold\n\n```sh\n## not a heading\n```\n\n## B\n\nb\n";
  assert.equal(
    replaceSection(text, section),
    "# T\n\n## Benchmarks\n\nnew\n\n## B\n\nb\n",
  );
  const rows: Row[] = [{
    figure: "a | b",
    value: "1",
    baseline: "2",
    ratio: 0.5,
    bar: "≥ 0.5",
    pass: true,
    command: "deno task bench",
  }];
  assert.match(
    table(rows),
    /\| a \\\| b \| 1 \| 2 \| 0\.50 \| ≥ 0\.5 \| pass \|/,
  );
});

Deno.test("bench: knobs are read and checked", () => {
  const c = loadBenchConfig({ BENCH_SECONDS: "2", BENCH_ONLY: "weight,cold" });
  assert.equal(c.seconds, 2);
  assert.deepEqual(c.only, ["weight", "cold"]);
  assert.equal(c.otherCustomers, 100_000);
  assert.throws(() => loadBenchConfig({ BENCH_ONLY: "nope" }));
  assert.throws(() => loadBenchConfig({ BENCH_SECONDS: "-1" }));
});

Deno.test("bench: weight finds subresources and scripts", async () => {
  const html =
    `<link rel="stylesheet" href="/s.css"><script nonce="x" src="/a.js?x=1&amp;y=2"></script>
    <img src="/l.svg"><script type="application/json">{}</script><link rel="canonical" href="/c">`;
  assert.deepEqual(subresources(html), [
    { url: "/s.css", kind: "stylesheet" },
    { url: "/a.js?x=1&y=2", kind: "script" },
    { url: "/l.svg", kind: "image" },
  ]);
  // The JSON data block is island props, not a script that runs.
  assert.equal(scriptTags(html), 1);
  assert.equal(scriptTags(`${html}<script>run()</script>`), 2);
  assert.equal(dataBlockBytes(html), 2);
  assert.ok(await gzipSize(new Uint8Array(10_000)) < 100);
});

Deno.test("bench: seeding writes what the page reads, with a working session", async () => {
  const dir = await Deno.makeTempDir({ prefix: "bench-smoke-" });
  try {
    const secrets = benchSecrets();
    const kvPath = `${dir}/portal.db`;
    const seeded = await seedStore({
      kvPath,
      tokenKeys: secrets.TOKEN_KEYS,
      others: 150,
      targets: [{ id: "target", connections: 3 }],
      budgetMs: 30_000,
    });
    assert.equal(seeded.others, 150);
    const kv = await Deno.openKv(kvPath);
    try {
      const page = await listConnections(kv, "target");
      assert.equal(page.values.length, 3);
      assert.ok(
        page.values.some((c) =>
          c.connection_id === seeded.firstConnection.target
        ),
      );
      const token = seeded.cookies.target.replace("portal_session=", "");
      assert.equal(
        (await getPortalSession(kv, token))?.customer_id,
        "target",
      );
      let customers = 0;
      for await (const _ of kv.list({ prefix: ["customers"] })) customers++;
      assert.equal(customers, 151);
    } finally {
      kv.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("bench: connect round trips run end to end", async () => {
  const result = await connect(
    loadBenchConfig({ BENCH_SECONDS: "1", BENCH_BROWSERS: "2" }),
    { maxTrips: 1 },
  );
  assert.equal(result.rows.length, 3);
  for (const row of result.rows) assert.ok(row.value && row.command);
});

Deno.test("bench: events from a callback reach the receiver (events section, first figure)", async () => {
  const result = await events(loadBenchConfig({ BENCH_SECONDS: "1" }), {
    maxTrips: 3,
    skipWrk: true,
  });
  assert.equal(result.rows.length, 1);
  assert.match(result.rows[0].value, /callbacks/);
});
