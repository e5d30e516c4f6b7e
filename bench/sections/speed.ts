/**
 * Speed: the connections page of a customer with 10 connections, rendered on every
 * request, under wrk, with the server's CPU time per request (user + system, all
 * threads, from /proc). Baselines from the same run: a bare `Deno.serve` hello world,
 * and, with `BENCH_COMPARE_REV`, the same page served by that revision's code from a
 * store it seeded itself (its own layout), with its page cache off (`PAGE_CACHE_MS=0`).
 * The two are measured in alternating rounds so that load from elsewhere on the machine
 * hits both alike; each figure is the median of its rounds.
 *
 * @module
 */
import type { BenchConfig } from "../lib/config.ts";
import { exportRevision, type Tree } from "../lib/compare.ts";
import { checkPage, refreshes, servedStore } from "../lib/portal.ts";
import { cpuMs, type Server, spawnServer } from "../lib/process.ts";
import { fmt, ms, type Row, type SectionResult } from "../lib/report.ts";
import { runWrk, type WrkResult } from "../lib/wrk.ts";

const CMD = "BENCH_ONLY=speed deno task bench";
const ROUNDS = 2;

interface Measured {
  wrk: WrkResult;
  /** Server CPU per request, µs. */
  cpuUs: number;
}

async function measure(
  server: Server,
  path: string,
  config: BenchConfig,
  headers?: Record<string, string>,
): Promise<Measured> {
  // A short warm-up so JIT and caches are settled before the measured run.
  await runWrk({
    url: `${server.url}${path}`,
    seconds: 1,
    connections: config.connections,
    headers,
  });
  const cpu0 = cpuMs(server.pid);
  const wrk = await runWrk({
    url: `${server.url}${path}`,
    seconds: config.seconds,
    connections: config.connections,
    headers,
  });
  const cpuUs = (cpuMs(server.pid) - cpu0) * 1000 / wrk.requests;
  if (wrk.non2xx > 0 || wrk.socketErrors > 0) {
    throw new Error(
      `${path}: ${wrk.non2xx} non-2xx answers and ${wrk.socketErrors} socket errors under load`,
    );
  }
  return { wrk, cpuUs };
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s.length % 2
    ? s[(s.length - 1) / 2]
    : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** The median round, by CPU per request. */
function typical(runs: Measured[]): Measured {
  const cpu = median(runs.map((r) => r.cpuUs));
  return {
    cpuUs: cpu,
    wrk: {
      ...runs[0].wrk,
      requestsPerSecond: median(runs.map((r) => r.wrk.requestsPerSecond)),
      p50: median(runs.map((r) => r.wrk.p50)),
      p90: median(runs.map((r) => r.wrk.p90)),
      p99: median(runs.map((r) => r.wrk.p99)),
      requests: runs.reduce((n, r) => n + r.wrk.requests, 0),
    },
  };
}

function line(name: string, m: Measured): string {
  return `- ${name}: ${fmt(m.wrk.requestsPerSecond, 0)} req/s, p50 ${
    ms(m.wrk.p50)
  }, p90 ${ms(m.wrk.p90)}, p99 ${ms(m.wrk.p99)}, ${
    fmt(m.wrk.requests, 0)
  } requests, server CPU ${fmt(m.cpuUs, 0)} µs/request`;
}

/** Runs the speed section. */
export async function speed(config: BenchConfig): Promise<SectionResult> {
  const hello = await spawnServer("bench/servers/hello.ts");
  let bare: Measured;
  try {
    bare = await measure(hello, "/", config);
  } finally {
    await hello.stop();
  }

  const target = [{ id: "acme", connections: 10 }];
  const tree: Tree | null = config.compareRev
    ? await exportRevision(config.compareRev)
    : null;
  const stores = [];
  const now: Measured[] = [], before: Measured[] = [];
  let refreshed = 0;
  let htmlBytes = 0;
  try {
    // Each store is seeded by its own revision's code, just before it is measured,
    // so its statuses are fresh (the page's refresh-on-view stays idle).
    const current = await servedStore({
      label: "speed",
      others: 10,
      targets: target,
    });
    stores.push(current);
    const previous = tree
      ? await servedStore({
        label: "speed-before",
        others: 10,
        targets: target,
        tree: tree.path,
        // Rendered on every request, as the page is now (its cache is withdrawn).
        env: { PAGE_CACHE_MS: "0" },
      })
      : null;
    if (previous) stores.push(previous);
    htmlBytes = new TextEncoder().encode(
      await checkPage(current.server.url, current.seeded.cookies.acme, 10),
    ).byteLength;
    if (previous) {
      await checkPage(previous.server.url, previous.seeded.cookies.acme, 10);
    }
    for (let round = 0; round < ROUNDS; round++) {
      now.push(
        await measure(current.server, "/connections", config, {
          cookie: current.seeded.cookies.acme,
        }),
      );
      if (previous) {
        before.push(
          await measure(previous.server, "/connections", config, {
            cookie: previous.seeded.cookies.acme,
          }),
        );
      }
    }
    refreshed = stores.reduce((n, s) => n + refreshes(s.server.events), 0);
  } finally {
    await Promise.all(stores.map((s) => s.close()));
    await tree?.remove();
  }

  const page = typical(now);
  const old = before.length ? typical(before) : null;
  const wrkArgs = `wrk -c${config.connections} -d${config.seconds}s`;
  const rows: Row[] = [
    ...(old && tree
      ? [{
        figure:
          "Server CPU per rendered connections page (10 connections), against the revision before",
        value: `${fmt(page.cpuUs, 0)} µs`,
        baseline: `${fmt(old.cpuUs, 0)} µs at ${tree.rev}`,
        ratio: page.cpuUs / old.cpuUs,
        bar: "≤ 0.33",
        pass: page.cpuUs / old.cpuUs <= 1 / 3,
        command:
          `BENCH_ONLY=speed BENCH_COMPARE_REV=${tree.rev} deno task bench`,
      }]
      : []),
    {
      figure: "Server CPU per connections page, against a bare Deno.serve",
      value: `${fmt(page.cpuUs, 0)} µs`,
      baseline: `${fmt(bare.cpuUs, 0)} µs bare Deno.serve`,
      ratio: page.cpuUs / bare.cpuUs,
      bar: "",
      pass: null,
      command: CMD,
    },
    {
      figure: `Connections page throughput (${wrkArgs})`,
      value: `${fmt(page.wrk.requestsPerSecond, 0)} req/s, p99 ${
        ms(page.wrk.p99)
      }`,
      baseline: `${fmt(bare.wrk.requestsPerSecond, 0)} req/s, p99 ${
        ms(bare.wrk.p99)
      } bare Deno.serve`,
      ratio: page.wrk.requestsPerSecond / bare.wrk.requestsPerSecond,
      bar: "",
      pass: null,
      command: CMD,
    },
  ];
  return {
    rows,
    facts: {
      pageCpuUs: page.cpuUs,
      bareCpuUs: bare.cpuUs,
      pageRatio: page.wrk.requestsPerSecond / bare.wrk.requestsPerSecond,
      htmlBytes,
      ...(old
        ? { beforeCpuUs: old.cpuUs, cpuVsBefore: page.cpuUs / old.cpuUs }
        : {}),
    },
    details: [
      `### Speed (wrk, ${config.connections} connections, ${config.seconds} s each after a 1 s warm-up; ${ROUNDS} alternating rounds, medians)`,
      [
        line("bare Deno.serve hello world", bare),
        ...now.map((m, i) => line(`connections page, round ${i + 1}`, m)),
        ...before.map((m, i) =>
          line(`connections page at ${tree?.rev}, round ${i + 1}`, m)
        ),
        `- page size: ${fmt(htmlBytes, 0)} bytes of HTML`,
        `- statuses refreshed from Finch during the runs: ${refreshed} (seeded fresh, so the refresh-on-view stays idle)`,
      ].join("\n"),
    ],
  };
}
