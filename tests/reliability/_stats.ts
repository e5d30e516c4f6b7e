/**
 * Sizes and figures of the reliability and security suites.
 *
 * `SOAK_SCALE` (default 1) multiplies the sizes: the CI suite runs at 1 and
 * `deno task soak` runs the same tests larger. With `RELIABILITY_STATS` set to a file,
 * each test appends what it did (callbacks raced, faults injected, fuzz cases, crash
 * cycles, invariant violations) as JSON lines, which scripts/soak.ts adds up and prints.
 */

/** How much larger than the CI suite to run (`SOAK_SCALE`). */
export const SCALE = Math.max(
  1,
  Number(Deno.env.get("SOAK_SCALE") ?? "1") || 1,
);

/** `n` at the CI size, times {@linkcode SCALE}. */
export const scaled = (n: number): number => Math.round(n * SCALE);

/** The figures scripts/soak.ts reports. */
export type Figure =
  | "callbacks_raced"
  | "processes"
  | "faults_injected"
  | "fuzz_cases"
  | "crash_cycles"
  | "requests_lost_to_crashes"
  | "rate_limit_checks"
  | "invariant_scans"
  | "violations";

/** Records that a test did `n` of something (no-op unless `RELIABILITY_STATS` is set). */
export async function record(figure: Figure, n: number): Promise<void> {
  const file = Deno.env.get("RELIABILITY_STATS");
  if (!file || n === 0) return;
  await Deno.writeTextFile(file, JSON.stringify({ figure, n }) + "\n", {
    append: true,
  });
}
