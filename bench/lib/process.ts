/**
 * Server processes for the benchmarks: a free loopback port, spawning a Deno script,
 * waiting for its first 200, reading its resident size, and stopping it.
 *
 * Servers run in their own process so that they serve exactly as `main.ts` does, and so
 * that the harness's own work (parsing, seeding leftovers, GC) is not billed to them.
 *
 * @module
 */

const ROOT = new URL("../../", import.meta.url);

/** The repository root as a path, for `cwd` and script paths. */
export const ROOT_DIR: string = decodeURIComponent(ROOT.pathname);

/** A port that was free a moment ago on 127.0.0.1. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/**
 * Extra `deno run` flags for servers: `BENCH_PROFILE=1` writes a V8 CPU profile of each
 * server to bench/results/profiles/ when it stops (open it in Chrome's DevTools).
 */
function serverFlags(): string[] {
  if (Deno.env.get("BENCH_PROFILE") !== "1") return [];
  return ["--cpu-prof", `--cpu-prof-dir=${ROOT_DIR}bench/results/profiles`];
}

/**
 * The environment a spawned process starts from: only what Deno needs to find its
 * caches, so that a `FINCH_CLIENT_ID` or `KV_PATH` in the caller's shell can never point
 * a benchmark at a real Finch or a real store.
 */
export function baseEnv(): Record<string, string> {
  const env: Record<string, string> = { NO_COLOR: "1" };
  for (
    const name of ["PATH", "HOME", "DENO_DIR", "XDG_CACHE_HOME", "TMPDIR"]
  ) {
    const value = Deno.env.get(name);
    if (value !== undefined) env[name] = value;
  }
  return env;
}

/** Every server process still running, so a stopped run leaves none behind. */
const live = new Set<Deno.ChildProcess>();

/** Kills every server this run started and has not stopped yet. */
export function killAll(): void {
  for (const child of live) {
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
  }
}

/** A spawned server. */
export interface Server {
  pid: number;
  url: string;
  /** Log lines seen on stderr, by `event` (JSON lines) or `other`. */
  events: Map<string, number>;
  /** The last few stderr lines, for error messages. */
  tail: string[];
  stop(): Promise<void>;
}

/**
 * Polls `url` until it answers 200 and returns the time that took, in ms since `since`.
 * Throws after `timeoutMs` or when `child` exits first.
 */
export async function waitFor200(
  url: string,
  options: {
    since: number;
    timeoutMs?: number;
    child?: Deno.ChildProcess;
    headers?: HeadersInit;
  },
): Promise<number> {
  let exited = false;
  options.child?.status.then(() => exited = true);
  const deadline = options.since + (options.timeoutMs ?? 60_000);
  while (performance.now() < deadline) {
    if (exited) throw new Error(`the server exited before answering ${url}`);
    try {
      const res = await fetch(url, { headers: options.headers });
      await res.body?.cancel();
      if (res.status === 200) return performance.now() - options.since;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 2));
  }
  throw new Error(
    `no 200 from ${url} within ${options.timeoutMs ?? 60_000} ms`,
  );
}

/**
 * Spawns `deno run -A <script>` with `env` (PORT is set to a free port) and waits until
 * `readyPath` answers 200.
 */
export async function spawnServer(
  script: string,
  options: {
    env?: Record<string, string>;
    readyPath?: string;
    /** The tree to run it in (default: this repository). */
    cwd?: string;
    timeoutMs?: number;
  } = {},
): Promise<Server> {
  const port = freePort();
  const url = `http://127.0.0.1:${port}`;
  const since = performance.now();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", ...serverFlags(), script],
    cwd: options.cwd ?? ROOT_DIR,
    clearEnv: true,
    env: { ...baseEnv(), PORT: String(port), ...options.env },
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  live.add(child);
  child.status.finally(() => live.delete(child));
  const events = new Map<string, number>();
  const tail: string[] = [];
  // Drained continuously: a full pipe would block the server's logging.
  const drained = (async () => {
    const lines = child.stderr.pipeThrough(new TextDecoderStream());
    let rest = "";
    for await (const chunk of lines) {
      const parts = (rest + chunk).split("\n");
      rest = parts.pop() ?? "";
      for (const line of parts) {
        let event = "other";
        try {
          event = JSON.parse(line).event ?? "other";
        } catch { /* not a JSON log line */ }
        events.set(event, (events.get(event) ?? 0) + 1);
        tail.push(line);
        if (tail.length > 20) tail.shift();
      }
    }
  })();
  const stop = async () => {
    try {
      child.kill("SIGTERM");
    } catch { /* already gone */ }
    const timer = setTimeout(() => {
      try {
        child.kill("SIGKILL");
      } catch { /* already gone */ }
    }, 5_000);
    await child.status;
    clearTimeout(timer);
    await drained.catch(() => {});
  };
  try {
    await waitFor200(`${url}${options.readyPath ?? "/"}`, {
      since,
      child,
      timeoutMs: options.timeoutMs,
    });
  } catch (err) {
    await stop();
    throw new Error(
      `${script} did not start: ${err instanceof Error ? err.message : err}\n${
        tail.join("\n")
      }`,
    );
  }
  return { pid: child.pid, url, events, tail, stop };
}

/** Resident set size of a process in MB (VmRSS from /proc), or NaN when unreadable. */
export function rssMb(pid: number): number {
  try {
    const status = Deno.readTextFileSync(`/proc/${pid}/status`);
    const kb = status.match(/^VmRSS:\s+(\d+)\s+kB/m);
    return kb ? Number(kb[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** A fresh temporary folder, removed by the returned function. */
export async function tempDir(
  prefix: string,
): Promise<{ path: string; remove(): Promise<void> }> {
  const path = await Deno.makeTempDir({ prefix: `portal-bench-${prefix}-` });
  return {
    path,
    remove: () => Deno.remove(path, { recursive: true }).catch(() => {}),
  };
}

/**
 * CPU time (user + system, all threads) a process has used, in ms, from /proc; NaN when
 * unreadable. Clock ticks are taken as 100 per second, Linux's usual `USER_HZ`.
 */
export function cpuMs(pid: number): number {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    // Fields after the command name, which is in parentheses and may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return NaN;
  }
}
