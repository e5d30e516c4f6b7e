/**
 * Cold start: from spawning `deno run -A main.ts --demo` (a fresh KV file in a temp
 * folder, a free PORT) to its first 200 on `/healthz`, against the same for a bare
 * `Deno.serve` hello world. One discarded run of each first, so both are measured with
 * Deno's module cache and the OS file cache warm: the figure is the process's own start,
 * not a first download or compile.
 *
 * main.ts builds the island bundle with esbuild at start unless `deno task build` wrote
 * one to static/build/ (this run does not write there: it is the developers' folder).
 *
 * @module
 */
import type { BenchConfig } from "../lib/config.ts";
import {
  baseEnv,
  freePort,
  ROOT_DIR,
  tempDir,
  waitFor200,
} from "../lib/process.ts";
import { fmt, ms, type SectionResult } from "../lib/report.ts";

const CMD = "BENCH_ONLY=cold deno task bench";

/** One cold start of `script` (with `args`), in ms to the first 200 on `path`. */
async function startOnce(
  script: string,
  path: string,
  args: string[] = [],
): Promise<number> {
  const dir = await tempDir("cold");
  const port = freePort();
  const since = performance.now();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", script, ...args],
    cwd: ROOT_DIR,
    clearEnv: true,
    env: {
      ...baseEnv(),
      PORT: String(port),
      KV_PATH: `${dir.path}/portal.db`,
    },
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  try {
    return await waitFor200(`http://127.0.0.1:${port}${path}`, {
      since,
      child,
      timeoutMs: 60_000,
    });
  } finally {
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
    await child.status;
    await dir.remove();
  }
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)];
}

/** Runs the cold-start section. */
export async function coldStart(
  config: BenchConfig,
): Promise<SectionResult> {
  const portal: number[] = [];
  const bare: number[] = [];
  await startOnce("main.ts", "/healthz", ["--demo"]);
  await startOnce("bench/servers/hello.ts", "/");
  // Alternated, so that load from elsewhere on the machine hits both alike.
  for (let i = 0; i < config.coldRuns; i++) {
    portal.push(await startOnce("main.ts", "/healthz", ["--demo"]));
    bare.push(await startOnce("bench/servers/hello.ts", "/"));
  }
  const p = median(portal), b = median(bare);
  return {
    rows: [{
      figure:
        "Cold start: `deno run -A main.ts --demo` to the first 200 on /healthz (median)",
      value: ms(p),
      baseline: `${ms(b)} bare Deno.serve`,
      ratio: p / b,
      bar: "",
      pass: null,
      command: CMD,
    }],
    details: [
      `### Cold start (${config.coldRuns} runs each, after one discarded warm-up run)`,
      [
        `- main.ts (demo mode, fresh KV file, island bundle built at start): ${
          portal.map((n) => fmt(n, 0)).join(", ")
        } ms`,
        `- bare Deno.serve: ${bare.map((n) => fmt(n, 0)).join(", ")} ms`,
      ].join("\n"),
    ],
  };
}
