/**
 * KV round trips per request: a page view, the Connect callback and the integrator's
 * token read, counted by a wrapper around the KV handle (testing/kv_counter.ts) in each
 * tree's own code (bench/servers/round_trips.ts). On Deno Deploy every KV read is a
 * network round trip to the managed store, so their number, not local SQLite speed, sets
 * the latency there. With `BENCH_COMPARE_REV`, the same counts for that revision.
 *
 * @module
 */
import type { BenchConfig } from "../lib/config.ts";
import { exportRevision } from "../lib/compare.ts";
import { ROOT_DIR } from "../lib/process.ts";
import type { Row, SectionResult } from "../lib/report.ts";

const CMD = "BENCH_ONLY=round_trips deno task bench";

interface Counts {
  sequential: number;
  total: number;
  ops: string[];
}
type Report = Record<"page" | "callback" | "token", Counts>;

async function countIn(tree: string): Promise<Report> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "bench/servers/round_trips.ts"],
    cwd: tree,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(
      `round trips in ${tree}: ${
        new TextDecoder().decode(out.stderr).slice(-800)
      }`,
    );
  }
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

/** Runs the round-trip section. */
export async function roundTrips(config: BenchConfig): Promise<SectionResult> {
  const now = await countIn(ROOT_DIR);
  let before: { rev: string; counts: Report } | null = null;
  if (config.compareRev) {
    const tree = await exportRevision(config.compareRev);
    try {
      before = { rev: tree.rev, counts: await countIn(tree.path) };
    } finally {
      await tree.remove();
    }
  }
  const figures = [
    ["page", "a connections page view", 2],
    ["callback", "the Connect callback, besides its calls to Finch", 4],
    ["token", "the integrator's token read", 2],
  ] as const;
  const rows: Row[] = figures.map(([key, figure, bar]) => ({
    figure: `KV round trips waited for: ${figure}`,
    value: String(now[key].sequential),
    baseline: before
      ? `${before.counts[key].sequential} at ${before.rev}`
      : "none (set BENCH_COMPARE_REV)",
    ratio: before ? now[key].sequential / before.counts[key].sequential : null,
    bar: `≤ ${bar}`,
    pass: now[key].sequential <= bar,
    command: before
      ? `BENCH_ONLY=round_trips BENCH_COMPARE_REV=${before.rev} deno task bench`
      : CMD,
  }));
  const list = (r: Report) =>
    figures.map(([key, figure]) =>
      `- ${figure}: ${r[key].sequential} waited for (${r[key].total} in all): ${
        r[key].ops.join(", ")
      }`
    ).join("\n");
  return {
    rows,
    details: [
      "### KV round trips (counted by a wrapper around the KV handle)",
      `Now:\n\n${list(now)}`,
      ...(before ? [`At ${before.rev}:\n\n${list(before.counts)}`] : []),
    ],
    facts: {
      pageRoundTrips: now.page.sequential,
      callbackRoundTrips: now.callback.sequential,
      tokenRoundTrips: now.token.sequential,
    },
  };
}
