/**
 * Cold start: from spawning the portal to its first 200, against the same for a bare
 * `Deno.serve` hello world, alternated. Production mode as `deno task serve` starts it,
 * from the server bundle `deno task build` makes (dist/main.js; Finch credentials and
 * secrets set, the prebuilt island bundle, a fresh KV file), and from source (main.ts):
 * nothing a production request does not need is loaded at start. Also measured, without
 * a bar: the first 200 on the connections page itself (session, KV and render included,
 * what a person's first request waits for), and demo mode (`deno task start`: the
 * simulator, and the bundle built in memory unless prebuilt).
 *
 * One discarded run of each first, so every figure is taken with Deno's module cache and
 * the OS file cache warm: the process's own start, not a first download or compile.
 *
 * @module
 */
import { ensureIslandBuild, ensureServerBundle } from "../../testing/build.ts";
import type { BenchConfig } from "../lib/config.ts";
import {
  baseEnv,
  freePort,
  ROOT_DIR,
  tempDir,
  waitFor200,
} from "../lib/process.ts";
import { fmt, ms, type Row, type SectionResult } from "../lib/report.ts";
import { benchSecrets, seedStore } from "../lib/seed.ts";

const CMD = "BENCH_ONLY=cold deno task bench";

interface Start {
  script: string;
  /** Arguments after the script. */
  args?: string[];
  path: string;
  env: Record<string, string>;
  headers?: HeadersInit;
}

/** One cold start, in ms to the first 200 on `start.path`. */
async function startOnce(start: Start): Promise<number> {
  const port = freePort();
  const since = performance.now();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", start.script, ...(start.args ?? [])],
    cwd: ROOT_DIR,
    clearEnv: true,
    env: { ...baseEnv(), ...start.env, PORT: String(port) },
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  try {
    return await waitFor200(`http://127.0.0.1:${port}${start.path}`, {
      since,
      child,
      timeoutMs: 60_000,
      headers: start.headers,
    });
  } finally {
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
    await child.status;
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
  await ensureIslandBuild();
  await ensureServerBundle();
  const dir = await tempDir("cold");
  try {
    const secrets = benchSecrets();
    const kvPath = `${dir.path}/portal.db`;
    // A store with a customer and a session, so that the first page can be asked for.
    const seeded = await seedStore({
      kvPath,
      tokenKeys: secrets.TOKEN_KEYS,
      others: 0,
      targets: [{ id: "acme", connections: 3 }],
      budgetMs: 60_000,
    });
    const production = {
      ...secrets,
      KV_PATH: kvPath,
      FINCH_CLIENT_ID: "bench-client",
      FINCH_CLIENT_SECRET: "bench-secret",
      // Nothing listens there: a cold start must not need Finch.
      FINCH_BASE_URL: "http://127.0.0.1:9",
    };
    const starts: Record<string, Start> = {
      hello: { script: "bench/servers/hello.ts", path: "/", env: {} },
      production: { script: "dist/main.js", path: "/healthz", env: production },
      source: { script: "main.ts", path: "/healthz", env: production },
      page: {
        script: "dist/main.js",
        path: "/connections",
        env: production,
        headers: { cookie: seeded.cookies.acme },
      },
      demo: {
        script: "main.ts",
        args: ["--demo"],
        path: "/healthz",
        env: { KV_PATH: `${dir.path}/demo.db` },
      },
    };
    const samples: Record<string, number[]> = {};
    for (const [name, start] of Object.entries(starts)) {
      await startOnce(start);
      samples[name] = [];
    }
    // Alternated, so that load from elsewhere on the machine hits all alike.
    for (let i = 0; i < config.coldRuns; i++) {
      for (const [name, start] of Object.entries(starts)) {
        samples[name].push(await startOnce(start));
      }
    }
    const m = Object.fromEntries(
      Object.entries(samples).map(([k, v]) => [k, median(v)]),
    );
    const row = (
      figure: string,
      value: number,
      bar: number | null,
    ): Row => ({
      figure,
      value: ms(value),
      baseline: `${ms(m.hello)} bare Deno.serve`,
      ratio: value / m.hello,
      bar: bar === null ? "" : `≤ ${bar}`,
      pass: bar === null ? null : value / m.hello <= bar,
      command: CMD,
    });
    return {
      rows: [
        row(
          "Cold start, production (`deno task serve`: the server bundle, Finch credentials) to the first 200 on /healthz (median)",
          m.production,
          4,
        ),
        row(
          "Cold start, production from source (`deno run main.ts`) to the first 200 on /healthz",
          m.source,
          null,
        ),
        row(
          "Cold start, production, to the first connections page (3 connections, session and KV included)",
          m.page,
          null,
        ),
        row(
          "Cold start, demo mode (simulator mounted) to the first 200 on /healthz",
          m.demo,
          null,
        ),
      ],
      details: [
        `### Cold start (${config.coldRuns} runs each, alternated, after one discarded warm-up run)`,
        Object.entries(samples).map(([name, v]) =>
          `- ${name}: ${v.map((n) => fmt(n, 0)).join(", ")} ms`
        ).join("\n"),
      ],
      facts: { coldRatio: m.production / m.hello },
    };
  } finally {
    await dir.remove();
  }
}
