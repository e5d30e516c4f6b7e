/**
 * The benchmark's knobs, all from the environment so `deno task bench` needs no
 * arguments. Defaults give the figures the issue asks for in a few minutes; smaller
 * values give a quick look while developing (`BENCH_SECONDS=2 BENCH_OTHER_CUSTOMERS=1000`).
 *
 * @module
 */

/** The sections, in the order they run. */
export const SECTIONS = [
  "speed",
  "connect",
  "scale",
  "weight",
  "cold",
  "memory",
  "round_trips",
  "sim_data",
  "events",
  "people",
] as const;
export type Section = typeof SECTIONS[number];

/** Every knob, resolved. */
export interface BenchConfig {
  /** Seconds of each throughput run (wrk) and of the connect loop. */
  seconds: number;
  /** wrk connections of the throughput and memory runs. */
  connections: number;
  /** Seconds of each single-connection latency run (scale). */
  latencySeconds: number;
  /** Other customers in the big store of the scale section. */
  otherCustomers: number;
  /** Time allowed for seeding them; seeding stops there and says how far it got. */
  seedBudgetS: number;
  /** Requests served before the memory figure is read. */
  memoryRequests: number;
  /** Samples of each cold start (after one discarded warm-up). */
  coldRuns: number;
  /** Browsers running connect round trips at once in the parallel figure. */
  browsers: number;
  /** Sections to run. */
  only: Section[];
  /** A git revision whose connections page the speed section measures too. */
  compareRev: string | null;
}

function num(
  env: Record<string, string | undefined>,
  name: string,
  def: number,
) {
  const raw = env[name]?.trim();
  if (!raw) return def;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) {
    throw new Error(`${name} must be a non-negative number, not "${raw}"`);
  }
  return n;
}

/**
 * Reads the knobs from `env`.
 *
 * | variable | default | what |
 * | --- | --- | --- |
 * | `BENCH_SECONDS` | 10 | each throughput run and the connect loop |
 * | `BENCH_CONNECTIONS` | 50 | wrk connections |
 * | `BENCH_LATENCY_SECONDS` | 6 | each single-connection latency run (scale) |
 * | `BENCH_OTHER_CUSTOMERS` | 100000 | other customers in the big store |
 * | `BENCH_SEED_BUDGET_S` | 120 | seeding time limit |
 * | `BENCH_MEMORY_REQUESTS` | 100000 | requests before the memory figure |
 * | `BENCH_COLD_RUNS` | 5 | cold-start samples |
 * | `BENCH_BROWSERS` | 4 | parallel browsers in the connect figure |
 * | `BENCH_ONLY` | all | comma-separated sections: speed,connect,scale,weight,cold,memory,round_trips,sim_data,events |
 * | `BENCH_COMPARE_REV` | none | a git revision whose page the speed section also measures |
 */
export function loadBenchConfig(
  env: Record<string, string | undefined>,
): BenchConfig {
  const only = (env.BENCH_ONLY ?? "").split(",").map((s) => s.trim())
    .filter(Boolean);
  for (const name of only) {
    if (!(SECTIONS as readonly string[]).includes(name)) {
      throw new Error(
        `BENCH_ONLY: unknown section "${name}" (known: ${SECTIONS.join(", ")})`,
      );
    }
  }
  return {
    seconds: Math.max(1, num(env, "BENCH_SECONDS", 10)),
    connections: Math.max(1, num(env, "BENCH_CONNECTIONS", 50)),
    latencySeconds: Math.max(1, num(env, "BENCH_LATENCY_SECONDS", 6)),
    otherCustomers: Math.round(num(env, "BENCH_OTHER_CUSTOMERS", 100_000)),
    seedBudgetS: num(env, "BENCH_SEED_BUDGET_S", 120),
    memoryRequests: Math.round(num(env, "BENCH_MEMORY_REQUESTS", 100_000)),
    coldRuns: Math.max(1, Math.round(num(env, "BENCH_COLD_RUNS", 5))),
    browsers: Math.max(1, Math.round(num(env, "BENCH_BROWSERS", 4))),
    only: only.length ? only as Section[] : [...SECTIONS],
    compareRev: env.BENCH_COMPARE_REV?.trim() || null,
  };
}
