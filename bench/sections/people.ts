/**
 * The people list (issue 16), in-process: the portal built by `bootPortal` in demo mode
 * on a KV file, its people jobs on the real KV queue, the simulator in-process through
 * the real SDK. One customer connects three systems (gusto, adp_run, bamboo_hr) of one
 * company, so about 70% of its people are shared.
 *
 * - Speed: a refresh of 3 × 10,000 people (fetch every page, reconcile, store the list),
 *   rate limits off, timed from `POST .../people/refresh` to the new list. Baseline: the
 *   same refresh of 3 × 1,000 people (the ratio shows how time grows with the roster).
 *   The bar is 15 s.
 * - Memory: peak heap growth during that refresh above the heap before it (after a full
 *   collection), at 3 × 10,000 and 3 × 1,000. Fetching holds one page per step; the
 *   reconcile step holds the customer's records (matching needs them all), so the growth
 *   follows the roster there, not the pages.
 * - Finch's rate limits (`SIM_RATE_LIMITS=finch`, 20 requests a minute per endpoint):
 *   the same two lists (the first one, then a refresh) of 3 × 5,000 people: 30 requests
 *   per endpoint, so the 429s come; counted, and every connection must end `ok`.
 *   (3 × 10,000 took 138 s on two busy cores, 62 429s waited out: minutes of waiting on
 *   the limits alone, too long for every bench run.)
 *
 * Each run is a child process (this file, as a script, with `--expose-gc`).
 *
 * @module
 */
import type { BenchConfig } from "../lib/config.ts";
import { baseEnv, ROOT_DIR } from "../lib/process.ts";
import { fmt, type SectionResult } from "../lib/report.ts";

const CMD = "BENCH_ONLY=people deno task bench";
const PROVIDERS = ["gusto", "adp_run", "bamboo_hr"];

interface RunResult {
  size: number;
  limits: string;
  ms: number;
  /** From the first connection to the first list. */
  firstMs: number;
  peakHeapDelta: number;
  people: number;
  shared: number;
  states: string[];
  rateLimited: number;
}

/** Child mode: one run, printed as JSON on the last line. */
async function child(size: number, limits: "off" | "finch") {
  const { testPortal } = await import("../../testing/portal.ts");
  const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
  const dir = await Deno.makeTempDir({ prefix: "bench-people-" });
  const kv = await Deno.openKv(`${dir}/portal.db`);
  const t = await testPortal({
    kv,
    people: { enabled: true },
    sim: { companySize: size, rateLimits: limits, jobDelayMs: 5 },
  });
  const log = t.logs;
  try {
    const client = await t.signedIn("acme");
    const api = async (method: string, path: string) => {
      const res = await t.fetch(path, {
        method,
        headers: { authorization: `Bearer ${t.portal.config.adminApiKey}` },
      });
      return await res.json();
    };
    // Polled in the store, not through the API: the harness keeps every answer it
    // gives (to scan for tokens), which would count in the heap figure.
    const built = async (since: string | null) => {
      for (;;) {
        const [job, result, requested] = await Promise.all([
          kv.get<{ status: string; started_at: string }>([
            "people_jobs",
            "acme",
          ]),
          kv.get<{ as_of: string; connections: { state: string }[] }>([
            "people_results",
            "acme",
          ]),
          kv.get<bigint | Deno.KvU64>(["people_requests", "acme"]),
        ]);
        const v = requested.value ?? 0n;
        const asked = Number(typeof v === "bigint" ? v : v.value);
        if (
          job.value?.status === "done" && result.value &&
          result.value.as_of !== since &&
          asked <= Date.parse(job.value.started_at)
        ) return result.value;
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    const t0 = performance.now();
    for (const provider of PROVIDERS) {
      const res = await client.connect({
        company_name: "Bench People, Inc.",
        provider_id: provider,
      });
      await res.body?.cancel();
    }
    await api("POST", "/api/customers/acme/people/refresh");
    let list = await built(null);
    const firstMs = performance.now() - t0;
    // Warm: the first list (its jobs compiled every path); then the timed refresh.
    gc();
    gc();
    const base = Deno.memoryUsage().heapUsed;
    let peak = base;
    const sampler = setInterval(() => {
      peak = Math.max(peak, Deno.memoryUsage().heapUsed);
    }, 20);
    const t1 = performance.now();
    await api("POST", "/api/customers/acme/people/refresh");
    list = await built(list.as_of);
    const elapsed = performance.now() - t1;
    clearInterval(sampler);
    peak = Math.max(peak, Deno.memoryUsage().heapUsed);
    const summary = (await kv.get<{ people: number; shared: number }>([
      "people_summary",
      "acme",
    ])).value!;
    const result: RunResult = {
      size,
      limits,
      ms: elapsed,
      firstMs,
      peakHeapDelta: peak - base,
      people: summary.people,
      shared: summary.shared,
      states: list.connections.map((c: { state: string }) => c.state),
      rateLimited: log.filter((l) => l.includes('"rate_limited"')).length,
    };
    console.log(JSON.stringify(result));
  } finally {
    await t.close();
    kv.close();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

async function run(size: number, limits: "off" | "finch"): Promise<RunResult> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--v8-flags=--expose-gc",
      "bench/sections/people.ts",
      String(size),
      limits,
    ],
    cwd: ROOT_DIR,
    clearEnv: true,
    env: baseEnv(),
    stdout: "piped",
    stderr: "inherit",
  }).output();
  if (!out.success) throw new Error(`people: the ${size} ${limits} run failed`);
  return JSON.parse(
    new TextDecoder().decode(out.stdout).trim().split("\n").at(-1)!,
  ) as RunResult;
}

const mb = (bytes: number) => `${fmt(bytes / 1_048_576, 1)} MB`;

/** Runs the people section. */
export async function people(_config: BenchConfig): Promise<SectionResult> {
  const small = await run(1_000, "off");
  const big = await run(10_000, "off");
  const limited = await run(5_000, "finch");
  const ok = (r: RunResult) => r.states.every((s) => s === "ok");
  return {
    rows: [
      {
        figure:
          "People: refresh 3 connections × 10,000 people (fetch, reconcile, store), in-process, rate limits off",
        value: `${
          fmt(big.ms / 1000, 1)
        } s (${big.people} people, ${big.shared} shared)`,
        baseline: `${fmt(small.ms / 1000, 2)} s: 3 × 1,000 people`,
        ratio: big.ms / small.ms,
        bar: "≤ 15 s",
        pass: big.ms <= 15_000 && ok(big),
        command: CMD,
      },
      {
        figure: "People: peak heap growth during that refresh",
        value: mb(big.peakHeapDelta),
        baseline: `${mb(small.peakHeapDelta)}: 3 × 1,000 people`,
        ratio: big.peakHeapDelta / Math.max(1, small.peakHeapDelta),
        bar: "",
        pass: null,
        command: CMD,
      },
      {
        figure:
          "People: 3 × 5,000 people with Finch's rate limits (SIM_RATE_LIMITS=finch): first list, then a refresh",
        value: `${fmt(limited.firstMs / 1000, 1)} s + ${
          fmt(limited.ms / 1000, 1)
        } s, ${limited.rateLimited} 429s waited out`,
        baseline: "every connection ok",
        ratio: null,
        bar: "completes, no connection failed",
        pass: ok(limited) && limited.people > 0,
        command: CMD,
      },
    ],
    details: [
      "### People list (in-process, KV file)",
      [big, small, limited].map((r) =>
        `- ${r.size} × 3, limits ${r.limits}: first list ${
          fmt(r.firstMs, 0)
        } ms, refresh ${fmt(r.ms, 0)} ms, peak heap +${
          mb(r.peakHeapDelta)
        }, ${r.people} people (${r.shared} shared), connections ${
          r.states.join("/")
        }, ${r.rateLimited} 429s`
      ).join("\n"),
    ],
    facts: {
      peopleRefreshMs: big.ms,
      peopleHeapMb: big.peakHeapDelta / 1_048_576,
    },
  };
}

if (import.meta.main) {
  await child(Number(Deno.args[0]), Deno.args[1] === "finch" ? "finch" : "off");
}
