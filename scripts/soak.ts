/**
 * `deno task soak`: the reliability and security suites (tests/reliability,
 * tests/security), run larger than in CI, with their figures added up and printed.
 *
 * `SOAK_SCALE` multiplies every size: more portal processes on one KV file (4 instead of
 * 2), more concurrent callbacks, more fuzz cases per route, and repeated `kill -9` crash
 * cycles at random points of a burst. Each test appends what it did to a stats file;
 * this script sums it:
 *
 * ```
 * deno task soak              # scale 8: a few minutes
 * deno task soak --scale=20   # longer
 * deno task soak --ci         # scale 1: exactly what CI runs, with its figures
 * ```
 *
 * Exits non-zero when a test failed or a scan of the store found a violation.
 *
 * @module
 */

const LABELS: [string, string][] = [
  ["processes", "portal processes sharing one KV file (largest run)"],
  ["callbacks_raced", "callbacks raced (concurrent, across processes)"],
  ["crash_cycles", "kill -9 crash cycles"],
  ["requests_lost_to_crashes", "requests cut off by a crash"],
  ["invariant_scans", "raw-store invariant scans"],
  ["faults_injected", "Finch faults injected (requests failed)"],
  ["fuzz_cases", "fuzz cases run"],
  ["rate_limit_checks", "rate-limited requests checked"],
];

/** Parses `--scale=N` / `--ci`; returns the scale. */
function scaleFrom(args: string[]): number {
  if (args.includes("--ci")) return 1;
  const arg = args.find((a) => a.startsWith("--scale="));
  const scale = Number(arg?.slice(8) ?? Deno.env.get("SOAK_SCALE") ?? 8);
  if (!Number.isFinite(scale) || scale < 1 || scale > 1000) {
    console.error("soak: --scale must be a number from 1 to 1000");
    Deno.exit(2);
  }
  return scale;
}

/** Adds up the JSON lines the tests wrote. */
async function figures(path: string): Promise<Map<string, number>> {
  const sums = new Map<string, number>();
  const text = await Deno.readTextFile(path).catch(() => "");
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    const { figure, n } = JSON.parse(line) as { figure: string; n: number };
    // Process counts are a size, not a tally.
    sums.set(
      figure,
      figure === "processes"
        ? Math.max(sums.get(figure) ?? 0, n)
        : (sums.get(figure) ?? 0) + n,
    );
  }
  return sums;
}

async function main(args: string[]): Promise<number> {
  const scale = scaleFrom(args);
  const stats = await Deno.makeTempFile({ prefix: "soak-", suffix: ".jsonl" });
  const started = performance.now();
  console.log(
    `soak: scale ${scale} (tests/reliability, tests/security)${
      scale === 1 ? ", the CI sizes" : ""
    }`,
  );
  const child = new Deno.Command(Deno.execPath(), {
    args: ["test", "-A", "--parallel", "tests/reliability", "tests/security"],
    env: {
      SOAK_SCALE: String(scale),
      RELIABILITY_STATS: stats,
      NO_COLOR: "1",
    },
    stdout: "piped",
    stderr: "inherit",
  }).spawn();

  // Echo the test output while keeping it for the summary line.
  let output = "";
  const decoder = new TextDecoder();
  for await (const chunk of child.stdout) {
    const text = decoder.decode(chunk, { stream: true });
    output += text;
    await Deno.stdout.write(chunk);
  }
  const status = await child.status;
  const sums = await figures(stats);
  await Deno.remove(stats).catch(() => {});

  const summary = /(\d+) passed.*?\| (\d+) failed/.exec(
    output.split("\n").filter((l) => /^(ok|FAILED) \|/.test(l)).at(-1) ?? "",
  );
  const passed = Number(summary?.[1] ?? 0);
  const failedTests = summary ? Number(summary[2]) : 1;
  const violations = sums.get("violations") ?? 0;
  const failures = failedTests + violations;
  const minutes = (performance.now() - started) / 60_000;

  const width = Math.max(...LABELS.map(([, l]) => l.length));
  const lines = [
    "",
    `soak figures (scale ${scale}, ${minutes.toFixed(1)} min):`,
    ...LABELS.map(([key, label]) =>
      `  ${label.padEnd(width)}  ${sums.get(key) ?? 0}`
    ),
    `  ${"store invariant violations".padEnd(width)}  ${violations}`,
    `  ${"tests".padEnd(width)}  ${passed} passed, ${failedTests} failed`,
    `  ${"failures found".padEnd(width)}  ${failures}`,
  ];
  console.log(lines.join("\n"));
  return failures === 0 && status.success ? 0 : 1;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
