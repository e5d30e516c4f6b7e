/**
 * Speed: the connections page of a customer with 10 connections under wrk (50
 * connections), against a bare `Deno.serve` hello world in the same run. Both are
 * separate processes; wrk shares the machine with them, as in toolchain.md's baseline.
 *
 * The page is measured as deployed (the page cache on, so most answers are served
 * again) and rendered on every request (`PAGE_CACHE_MS=0`). Also measured, as reference
 * points for reading the ratios: the hello world with one KV read per request (the
 * least any page behind a KV-stored session can do without a cache), bare `Deno.serve`
 * sending the page's own bytes and headers from memory (the most any server of this
 * page can do), and each server's CPU time per request (less sensitive to other load on
 * the machine).
 *
 * @module
 */
import type { BenchConfig } from "../lib/config.ts";
import { exportRevision } from "../lib/compare.ts";
import { checkPage, fetchPage, refreshes, servedStore } from "../lib/portal.ts";
import { cpuMs, type Server, spawnServer, tempDir } from "../lib/process.ts";
import { fmt, ms, type Row, type SectionResult } from "../lib/report.ts";
import { runWrk, type WrkResult } from "../lib/wrk.ts";

const CMD = "BENCH_ONLY=speed deno task bench";

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

  const dir = await tempDir("kvread");
  let kvRead: Measured;
  try {
    const server = await spawnServer("bench/servers/kv_read.ts", {
      env: { KV_PATH: `${dir.path}/kv.db` },
    });
    try {
      kvRead = await measure(server, "/", config);
    } finally {
      await server.stop();
    }
  } finally {
    await dir.remove();
  }

  const store = await servedStore({
    label: "speed",
    others: 10,
    targets: [{ id: "acme", connections: 10 }],
  });
  let page: Measured;
  let rendered: Measured;
  let refreshed: number;
  let html: string;
  let headers: [string, string][];
  let before: { rev: string; m: Measured } | null = null;
  try {
    const cookie = store.seeded.cookies.acme;
    ({ html, headers } = await fetchPage(store.server.url, cookie, 10));
    page = await measure(store.server, "/connections", config, { cookie });
    refreshed = refreshes(store.server.events);
    // The same store and page, rendered for every request.
    await store.server.stop();
    const uncached = await store.respawn(undefined, { PAGE_CACHE_MS: "0" });
    try {
      await checkPage(uncached.url, cookie, 10);
      rendered = await measure(uncached, "/connections", config, { cookie });
      refreshed += refreshes(uncached.events);
    } finally {
      await uncached.stop();
    }
    if (config.compareRev) {
      // The same store, served by the other revision's code.
      const tree = await exportRevision(config.compareRev);
      try {
        const server = await store.respawn(tree.path);
        try {
          await checkPage(server.url, cookie, 10);
          const m = await measure(server, "/connections", config, { cookie });
          before = { rev: tree.rev, m };
        } finally {
          await server.stop();
        }
      } finally {
        await tree.remove();
      }
    }
  } finally {
    await store.close();
  }

  // The page's headers as the portal sent them, minus those the server adds itself.
  const own = headers.filter(([name]) =>
    !["content-length", "date"].includes(name)
  );
  const htmlDir = await tempDir("html");
  let staticHtml: Measured;
  let staticGzip: Measured;
  try {
    await Deno.writeTextFile(`${htmlDir.path}/page.html`, html);
    const serveStatic = async (gzip: boolean) => {
      const server = await spawnServer("bench/servers/static_html.ts", {
        env: {
          HTML_PATH: `${htmlDir.path}/page.html`,
          HEADERS_JSON: JSON.stringify(own),
          GZIP: gzip ? "1" : "0",
        },
      });
      try {
        return await measure(
          server,
          "/",
          config,
          gzip ? { "accept-encoding": "gzip" } : undefined,
        );
      } finally {
        await server.stop();
      }
    };
    staticHtml = await serveStatic(false);
    staticGzip = await serveStatic(true);
  } finally {
    await htmlDir.remove();
  }

  const ratio = page.wrk.requestsPerSecond / bare.wrk.requestsPerSecond;
  const wrkArgs = `wrk -c${config.connections} -d${config.seconds}s`;
  const rows: Row[] = [
    {
      figure: `Connections page throughput, 10 connections (${wrkArgs})`,
      value: `${fmt(page.wrk.requestsPerSecond, 0)} req/s`,
      baseline: `${fmt(bare.wrk.requestsPerSecond, 0)} req/s bare Deno.serve`,
      ratio,
      bar: "≥ 0.5",
      pass: ratio >= 0.5,
      command: CMD,
    },
    {
      figure: "Connections page p99 latency (same run)",
      value: ms(page.wrk.p99),
      baseline: `${ms(bare.wrk.p99)} bare Deno.serve`,
      ratio: page.wrk.p99 / bare.wrk.p99,
      bar: "",
      pass: null,
      command: CMD,
    },
    {
      figure: "Server CPU per page request (all threads)",
      value: `${fmt(page.cpuUs, 0)} µs`,
      baseline: `${fmt(bare.cpuUs, 0)} µs bare Deno.serve`,
      ratio: page.cpuUs / bare.cpuUs,
      bar: "",
      pass: null,
      command: CMD,
    },
    {
      figure:
        "The same page rendered on every request (`PAGE_CACHE_MS=0`, same run)",
      value: `${fmt(rendered.wrk.requestsPerSecond, 0)} req/s, p99 ${
        ms(rendered.wrk.p99)
      }, ${fmt(rendered.cpuUs, 0)} µs CPU/request`,
      baseline: `${fmt(bare.wrk.requestsPerSecond, 0)} req/s bare Deno.serve`,
      ratio: rendered.wrk.requestsPerSecond / bare.wrk.requestsPerSecond,
      bar: "",
      pass: null,
      command: CMD,
    },
    {
      figure: "Reference: bare Deno.serve + one KV read per request",
      value: `${fmt(kvRead.wrk.requestsPerSecond, 0)} req/s`,
      baseline: `${fmt(bare.wrk.requestsPerSecond, 0)} req/s bare Deno.serve`,
      ratio: kvRead.wrk.requestsPerSecond / bare.wrk.requestsPerSecond,
      bar: "",
      pass: null,
      command: CMD,
    },
    ...(before
      ? [{
        figure: `The same page served by revision ${before.rev}`,
        value: `${fmt(before.m.wrk.requestsPerSecond, 0)} req/s, ${
          fmt(before.m.cpuUs, 0)
        } µs CPU/request`,
        baseline: `${fmt(page.wrk.requestsPerSecond, 0)} req/s, ${
          fmt(page.cpuUs, 0)
        } µs CPU/request now`,
        ratio: page.wrk.requestsPerSecond / before.m.wrk.requestsPerSecond,
        bar: "",
        pass: null,
        command:
          `BENCH_ONLY=speed BENCH_COMPARE_REV=${before.rev} deno task bench`,
      }]
      : []),
    {
      figure:
        "Reference: bare Deno.serve sending the same page's HTML and headers from memory",
      value: `${fmt(staticHtml.wrk.requestsPerSecond, 0)} req/s`,
      baseline: `${fmt(bare.wrk.requestsPerSecond, 0)} req/s bare Deno.serve`,
      ratio: staticHtml.wrk.requestsPerSecond / bare.wrk.requestsPerSecond,
      bar: "",
      pass: null,
      command: CMD,
    },
    {
      figure:
        "Connections page against that reference: the portal's own share of the cost",
      value: `${fmt(page.wrk.requestsPerSecond, 0)} req/s`,
      baseline: `${
        fmt(staticHtml.wrk.requestsPerSecond, 0)
      } req/s sending the page from memory`,
      ratio: page.wrk.requestsPerSecond / staticHtml.wrk.requestsPerSecond,
      bar: "",
      pass: null,
      command: CMD,
    },
    {
      figure:
        "Reference: the same, gzip-compressed once at start, to a client that asks for it",
      value: `${fmt(staticGzip.wrk.requestsPerSecond, 0)} req/s`,
      baseline: `${fmt(bare.wrk.requestsPerSecond, 0)} req/s bare Deno.serve`,
      ratio: staticGzip.wrk.requestsPerSecond / bare.wrk.requestsPerSecond,
      bar: "",
      pass: null,
      command: CMD,
    },
  ];
  return {
    rows,
    facts: {
      pageRatio: ratio,
      renderedRatio: rendered.wrk.requestsPerSecond /
        bare.wrk.requestsPerSecond,
      renderedCpuUs: rendered.cpuUs,
      pageCpuUs: page.cpuUs,
      staticCpuUs: staticHtml.cpuUs,
      gzipRatio: staticGzip.wrk.requestsPerSecond / bare.wrk.requestsPerSecond,
      pageVsStatic: page.wrk.requestsPerSecond /
        staticHtml.wrk.requestsPerSecond,
      bareCpuUs: bare.cpuUs,
      kvReadRatio: kvRead.wrk.requestsPerSecond / bare.wrk.requestsPerSecond,
      staticRatio: staticHtml.wrk.requestsPerSecond /
        bare.wrk.requestsPerSecond,
      htmlBytes: new TextEncoder().encode(html).byteLength,
      ...(before
        ? {
          speedup: page.wrk.requestsPerSecond / before.m.wrk.requestsPerSecond,
        }
        : {}),
    },
    details: [
      `### Speed (wrk, ${config.connections} connections, ${config.seconds} s each, after a 1 s warm-up)`,
      [
        line("bare Deno.serve hello world", bare),
        line("bare Deno.serve + one KV read", kvRead),
        line(
          `bare Deno.serve sending the page's ${
            fmt(new TextEncoder().encode(html).byteLength, 0)
          } bytes of HTML and its ${own.length} headers`,
          staticHtml,
        ),
        line(
          "bare Deno.serve sending the same page gzip-compressed (compressed once)",
          staticGzip,
        ),
        line("connections page, 10 connections (page cache on)", page),
        line(
          "connections page, rendered on every request (PAGE_CACHE_MS=0)",
          rendered,
        ),
        ...(before
          ? [line(`connections page at revision ${before.rev}`, before.m)]
          : []),
        `- statuses refreshed from Finch during the page run: ${refreshed} (statuses were seeded fresh, so the refresh-on-view stays idle)`,
      ].join("\n"),
    ],
  };
}
