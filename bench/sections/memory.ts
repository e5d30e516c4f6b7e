/**
 * Memory: the resident size (VmRSS) of a fresh portal process serving the connections
 * page (10 connections) for `BENCH_MEMORY_REQUESTS` (100,000) requests, sampled after
 * every second of load, against a bare `Deno.serve` hello world serving as many.
 *
 * Every request reads KV and renders, the path that allocates most and where a leak
 * would hide.
 *
 * "Keeps growing" is read from the second half of the run: once warm, a server that
 * leaks grows with every request, one that does not levels off (V8 grows its heap in
 * steps, so a single sample can jump; the figure compares the last sample with the
 * largest one seen by the half-way point).
 *
 * @module
 */
import type { BenchConfig } from "../lib/config.ts";
import { checkPage, servedStore } from "../lib/portal.ts";
import { rssMb, type Server, spawnServer } from "../lib/process.ts";
import { fmt, type Row, type SectionResult } from "../lib/report.ts";
import { runWrk } from "../lib/wrk.ts";

const CMD = "BENCH_ONLY=memory deno task bench";

/** RSS after each one-second wrk run, until `requests` were served. */
interface Curve {
  idle: number;
  samples: { requests: number; rss: number }[];
}

async function curve(
  server: Server,
  path: string,
  config: BenchConfig,
  headers?: Record<string, string>,
): Promise<Curve> {
  const first = await fetch(`${server.url}${path}`, { headers });
  await first.body?.cancel();
  const idle = rssMb(server.pid);
  const samples: Curve["samples"] = [];
  let requests = 1;
  // Bounded: at most 120 one-second runs, whatever the machine does.
  for (let i = 0; i < 120 && requests < config.memoryRequests; i++) {
    const wrk = await runWrk({
      url: `${server.url}${path}`,
      seconds: 1,
      connections: config.connections,
      headers,
    });
    if (wrk.non2xx || wrk.socketErrors) {
      throw new Error(`${path}: ${wrk.non2xx} non-2xx answers under load`);
    }
    requests += wrk.requests;
    samples.push({ requests, rss: rssMb(server.pid) });
  }
  return { idle, samples };
}

/**
 * Growth over the second half: the highest sample of the second half against the
 * highest of the first. V8 lets garbage pile up between collections, so RSS saws up and
 * down by tens of MB; a leak shows as peaks that keep climbing.
 */
function growth(c: Curve): { mb: number; pct: number; half: number } {
  const total = c.samples.at(-1)!.requests;
  const first = c.samples.filter((s) => s.requests <= total / 2);
  const second = c.samples.filter((s) => s.requests > total / 2);
  const peak = (xs: Curve["samples"]) => Math.max(...xs.map((s) => s.rss));
  const half = peak(first.length ? first : c.samples.slice(0, 1));
  const mb = peak(second.length ? second : c.samples.slice(-1)) - half;
  return { mb, pct: (mb / half) * 100, half };
}

/** Lowest and highest RSS once warm (after the first tenth of the requests). */
function range(c: Curve): [number, number] {
  const total = c.samples.at(-1)!.requests;
  const warm = c.samples.filter((s) => s.requests > total / 10);
  const xs = (warm.length ? warm : c.samples).map((s) => s.rss);
  return [Math.min(...xs), Math.max(...xs)];
}

function describe(name: string, c: Curve): string {
  return `- ${name}: idle ${fmt(c.idle, 1)} MB; ${
    c.samples.map((s) => `${fmt(s.requests / 1000, 0)}k: ${fmt(s.rss, 1)}`)
      .join(", ")
  } (requests: MB)`;
}

/** Runs the memory section. */
export async function memory(config: BenchConfig): Promise<SectionResult> {
  const hello = await spawnServer("bench/servers/hello.ts");
  let bare: Curve;
  try {
    bare = await curve(hello, "/", config);
  } finally {
    await hello.stop();
  }
  const store = await servedStore({
    label: "memory",
    others: 10,
    targets: [{ id: "acme", connections: 10 }],
  });
  let page: Curve;
  try {
    const cookie = store.seeded.cookies.acme;
    await checkPage(store.server.url, cookie, 10);
    // A process that served nothing but this run (checkPage's request aside).
    await store.server.stop();
    const fresh = await store.respawn();
    page = await curve(fresh, "/connections", config, { cookie });
  } finally {
    await store.close();
  }
  const last = page.samples.at(-1)!;
  const bareLast = bare.samples.at(-1)!;
  const g = growth(page);
  const bareGrowth = growth(bare);
  const rows: Row[] = [
    {
      figure: `Resident memory after ${
        fmt(last.requests, 0)
      } connections page requests`,
      value: `${fmt(last.rss, 1)} MB (${fmt(range(page)[0], 0)}-${
        fmt(range(page)[1], 0)
      } MB once warm; idle ${fmt(page.idle, 1)} MB)`,
      baseline: `${fmt(bareLast.rss, 1)} MB bare Deno.serve after ${
        fmt(bareLast.requests, 0)
      }`,
      ratio: last.rss / bareLast.rss,
      bar: "",
      pass: null,
      command: CMD,
    },
    {
      figure: "Memory growth: highest RSS of the second half vs the first",
      value: `${g.mb >= 0 ? "+" : ""}${fmt(g.mb, 1)} MB (${fmt(g.pct, 1)} %)`,
      baseline: `${bareGrowth.mb >= 0 ? "+" : ""}${
        fmt(bareGrowth.mb, 1)
      } MB bare Deno.serve`,
      ratio: null,
      bar: "≤ 10 % (levels off)",
      pass: g.pct <= 10,
      command: CMD,
    },
  ];
  return {
    rows,
    details: [
      `### Memory (VmRSS after each 1 s of wrk, ${config.connections} connections)`,
      [describe("connections page", page), describe("bare Deno.serve", bare)]
        .join("\n"),
    ],
  };
}
