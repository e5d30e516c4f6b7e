/**
 * Scale: the connections page's latency must follow the customer's own data, not the
 * size of the store. Two stores, each a KV file served by its own portal process:
 * "small" with 10 other customers and "big" with `BENCH_OTHER_CUSTOMERS` (100,000) other
 * customers, each other customer with a connection (record, two indexes, sealed token).
 * In each store one customer has 10 connections and one has 1,000 (the page shows 20).
 *
 * Latency is measured with one wrk connection (no queueing), the two stores' servers
 * running side by side and measured in alternating rounds, so that a burst of load from
 * elsewhere on the machine hits both alike. The figure is the median of the rounds'
 * medians.
 *
 * @module
 */
import type { BenchConfig } from "../lib/config.ts";
import {
  checkPage,
  refreshes,
  type ServedStore,
  servedStore,
} from "../lib/portal.ts";
import { type Server, spawnServer } from "../lib/process.ts";
import { fmt, ms, type Row, type SectionResult } from "../lib/report.ts";
import { runWrk, type WrkResult } from "../lib/wrk.ts";

const CMD = "BENCH_ONLY=scale deno task bench";
const ROUNDS = 3;

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s.length % 2
    ? s[(s.length - 1) / 2]
    : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

interface Probe {
  name: string;
  server: Server;
  path: string;
  cookie?: string;
  runs: WrkResult[];
}

/** Runs the scale section. */
export async function scale(config: BenchConfig): Promise<SectionResult> {
  const targets = [
    { id: "ten", connections: 10 },
    { id: "thousand", connections: 1000 },
  ];
  const stores: ServedStore[] = [];
  let hello: Server | null = null;
  try {
    const small = await servedStore({
      label: "small",
      others: 10,
      targets,
    });
    stores.push(small);
    const seedStarted = performance.now();
    const big = await servedStore({
      label: "big",
      others: config.otherCustomers,
      targets,
      seedBudgetS: config.seedBudgetS,
    });
    stores.push(big);
    const bigSeconds = (performance.now() - seedStarted) / 1000;
    const bigBytes = (await Deno.stat(big.kvPath)).size;
    hello = await spawnServer("bench/servers/hello.ts");

    for (const store of [small, big]) {
      await checkPage(store.server.url, store.seeded.cookies.ten, 10);
      const html = await checkPage(
        store.server.url,
        store.seeded.cookies.thousand,
        20,
      );
      if (!html.includes("/connections?cursor=")) {
        throw new Error(
          "the 1,000-connection page has no link to the next page",
        );
      }
    }

    const probes: Probe[] = [
      { name: "bare", server: hello, path: "/", runs: [] },
    ];
    for (const [label, store] of [["small", small], ["big", big]] as const) {
      for (const t of targets) {
        probes.push({
          name: `${label}/${t.id}`,
          server: store.server,
          path: "/connections",
          cookie: store.seeded.cookies[t.id],
          runs: [],
        });
      }
    }
    // Warm-up: the first requests of a process compile the code paths.
    for (const p of probes) {
      await runWrk({
        url: `${p.server.url}${p.path}`,
        seconds: 1,
        connections: 1,
        threads: 1,
        headers: p.cookie ? { cookie: p.cookie } : undefined,
      });
    }
    const seconds = Math.max(1, Math.round(config.latencySeconds / ROUNDS));
    for (let round = 0; round < ROUNDS; round++) {
      for (const p of probes) {
        const wrk = await runWrk({
          url: `${p.server.url}${p.path}`,
          seconds,
          connections: 1,
          threads: 1,
          headers: p.cookie ? { cookie: p.cookie } : undefined,
        });
        if (wrk.non2xx || wrk.socketErrors) {
          throw new Error(`${p.name}: ${wrk.non2xx} non-2xx answers`);
        }
        p.runs.push(wrk);
      }
    }
    const p50 = (name: string) =>
      median(probes.find((p) => p.name === name)!.runs.map((r) => r.p50));
    const p99 = (name: string) =>
      median(probes.find((p) => p.name === name)!.runs.map((r) => r.p99));
    const v = (name: string) => `${ms(p50(name))} (p99 ${ms(p99(name))})`;
    const others = (n: number) => `${fmt(n, 0)} other customers`;
    const bigOthers = big.seeded.others;
    const refreshed = [small, big].reduce(
      (n, s) => n + refreshes(s.server.events),
      0,
    );

    const rows: Row[] = [
      {
        figure: `Page latency (median, 1 connection), 10 connections, ${
          others(10)
        }`,
        value: v("small/ten"),
        baseline: `${ms(p50("bare"))} bare Deno.serve`,
        ratio: p50("small/ten") / p50("bare"),
        bar: "",
        pass: null,
        command: CMD,
      },
      {
        figure: `Page latency, 1,000 connections (first page of 20), ${
          others(10)
        }`,
        value: v("small/thousand"),
        baseline: `${ms(p50("small/ten"))} with 10 connections`,
        ratio: p50("small/thousand") / p50("small/ten"),
        // 20 cards instead of 10: up to twice the rendering, never 100 times.
        bar: "≤ 2 (page of 20 vs 10 cards)",
        pass: p50("small/thousand") / p50("small/ten") <= 2,
        command: CMD,
      },
      {
        figure: `Page latency, 10 connections, ${others(bigOthers)}`,
        value: v("big/ten"),
        baseline: `${ms(p50("small/ten"))} with ${others(10)}`,
        ratio: p50("big/ten") / p50("small/ten"),
        bar: "≤ 1.25",
        pass: p50("big/ten") / p50("small/ten") <= 1.25,
        command: CMD,
      },
      {
        figure: `Page latency, 1,000 connections, ${others(bigOthers)}`,
        value: v("big/thousand"),
        baseline: `${ms(p50("small/thousand"))} with ${others(10)}`,
        ratio: p50("big/thousand") / p50("small/thousand"),
        bar: "≤ 1.25",
        pass: p50("big/thousand") / p50("small/thousand") <= 1.25,
        command: CMD,
      },
      {
        figure: `Seeding ${
          others(bigOthers)
        } (5 keys each, batched atomic ops)`,
        value: `${fmt(big.seeded.othersSeconds, 1)} s`,
        baseline: `budget ${fmt(config.seedBudgetS, 0)} s`,
        ratio: big.seeded.othersSeconds / config.seedBudgetS,
        bar: `all ${fmt(config.otherCustomers, 0)} within the budget`,
        pass: bigOthers >= config.otherCustomers,
        command: CMD,
      },
    ];
    const lines = probes.map((p) =>
      `- ${p.name}: p50 per round ${
        p.runs.map((r) => ms(r.p50)).join(", ")
      }; p99 ${p.runs.map((r) => ms(r.p99)).join(", ")}; ${
        fmt(median(p.runs.map((r) => r.requestsPerSecond)), 0)
      } req/s`
    );
    return {
      rows,
      details: [
        `### Scale (wrk, 1 connection, ${ROUNDS} alternating rounds of ${seconds} s)`,
        [
          `- big store: ${fmt(bigOthers, 0)} other customers seeded in ${
            fmt(big.seeded.othersSeconds, 1)
          } s (${fmt(bigSeconds, 1)} s with the measured customers), KV file ${
            fmt(bigBytes / 1024 / 1024, 0)
          } MB`,
          ...lines,
          `- statuses refreshed from Finch during the runs: ${refreshed}`,
        ].join("\n"),
      ],
    };
  } finally {
    await hello?.stop();
    await Promise.all(stores.map((s) => s.close()));
  }
}
