/**
 * wrk, the load generator: installing it from Debian when it is missing, running it
 * against a loopback URL, and reading its report.
 *
 * @module
 */

/** What one wrk run reported. */
export interface WrkResult {
  requestsPerSecond: number;
  requests: number;
  seconds: number;
  /** Latency percentiles in ms (`--latency`). */
  p50: number;
  p90: number;
  p99: number;
  /** Responses with a status outside 2xx/3xx: a run with any is not a valid figure. */
  non2xx: number;
  socketErrors: number;
}

/** Options of one wrk run. */
export interface WrkOptions {
  url: string;
  seconds: number;
  connections: number;
  threads?: number;
  headers?: Record<string, string>;
}

let available: boolean | null = null;

async function exists(): Promise<boolean> {
  try {
    const out = await new Deno.Command("wrk", {
      args: ["--version"],
      stdout: "null",
      stderr: "null",
    }).output();
    // `wrk --version` exits 1 after printing its banner; reaching here means it ran.
    return out.code === 0 || out.code === 1;
  } catch {
    return false;
  }
}

/**
 * Makes sure `wrk` is on PATH, installing Debian's package when it is not. Returns false
 * (after saying why) when it cannot be had, so the caller skips the wrk figures.
 */
export async function ensureWrk(
  log: (line: string) => void = console.error,
): Promise<boolean> {
  if (available !== null) return available;
  if (await exists()) return available = true;
  log("wrk is missing: installing it with apt-get (Debian package `wrk`)...");
  try {
    for (
      const args of [["update", "-qq"], ["install", "-y", "-qq", "wrk"]]
    ) {
      const out = await new Deno.Command("apt-get", {
        args,
        stdout: "null",
        stderr: "piped",
        env: { DEBIAN_FRONTEND: "noninteractive" },
      }).output();
      if (out.code !== 0) {
        const why = new TextDecoder().decode(out.stderr).trim().split("\n")
          .at(-1);
        throw new Error(`apt-get ${args[0]} failed: ${why}`);
      }
    }
  } catch (err) {
    log(
      `Could not install wrk (${
        err instanceof Error ? err.message : err
      }); the load-test figures are skipped. Install it with \`apt-get install -y wrk\` and run again.`,
    );
    return available = false;
  }
  available = await exists();
  if (!available) log("wrk was installed but does not run; skipping it.");
  return available;
}

/** Runs wrk and parses its report. Only loopback URLs are accepted. */
export async function runWrk(options: WrkOptions): Promise<WrkResult> {
  const url = new URL(options.url);
  if (url.hostname !== "127.0.0.1") {
    throw new Error(`benchmarks only target 127.0.0.1, not ${url.hostname}`);
  }
  const threads = Math.min(options.threads ?? 2, options.connections);
  const args = [
    `-t${threads}`,
    `-c${options.connections}`,
    `-d${Math.max(1, Math.round(options.seconds))}s`,
    // A stuck server must not hang the run: wrk counts slow answers as timeouts.
    "--timeout",
    "5s",
    "--latency",
  ];
  for (const [name, value] of Object.entries(options.headers ?? {})) {
    args.push("-H", `${name}: ${value}`);
  }
  args.push(url.href);
  const out = await new Deno.Command("wrk", {
    args,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  if (out.code !== 0) {
    throw new Error(
      `wrk failed (${out.code}): ${new TextDecoder().decode(out.stderr)}`,
    );
  }
  return parseWrk(text);
}

/** A wrk duration (`512.00us`, `1.20ms`, `2.00s`) in milliseconds. */
function durationMs(value: string): number {
  const m = value.match(/^([\d.]+)(us|ms|s|m)$/);
  if (!m) return NaN;
  const n = Number(m[1]);
  return m[2] === "us"
    ? n / 1000
    : m[2] === "ms"
    ? n
    : m[2] === "s"
    ? n * 1000
    : n * 60_000;
}

/**
 * Parses wrk's text report (run with `--latency`).
 *
 * @example
 * ```ts
 * const { requestsPerSecond, p99 } = parseWrk(stdout);
 * ```
 */
export function parseWrk(text: string): WrkResult {
  const number = (re: RegExp) => {
    const m = text.match(re);
    return m ? Number(m[1]) : NaN;
  };
  const pct = (p: number) => {
    const m = text.match(new RegExp(`^\\s+${p}%\\s+(\\S+)`, "m"));
    return m ? durationMs(m[1]) : NaN;
  };
  const total = text.match(/(\d+) requests in ([\d.]+)(us|ms|s|m)/);
  const socket = text.match(
    /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/,
  );
  const result: WrkResult = {
    requestsPerSecond: number(/Requests\/sec:\s+([\d.]+)/),
    requests: total ? Number(total[1]) : NaN,
    seconds: total ? durationMs(`${total[2]}${total[3]}`) / 1000 : NaN,
    p50: pct(50),
    p90: pct(90),
    p99: pct(99),
    non2xx: number(/Non-2xx or 3xx responses:\s+(\d+)/) || 0,
    socketErrors: socket
      ? socket.slice(1).reduce((sum, n) => sum + Number(n), 0)
      : 0,
  };
  if (
    !Number.isFinite(result.requestsPerSecond) || !Number.isFinite(result.p99)
  ) {
    throw new Error(`could not read wrk's report:\n${text}`);
  }
  return result;
}
