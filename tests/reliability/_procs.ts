/**
 * Real processes for the reliability tests: one standalone Finch simulator
 * (`sim/main.ts`) and portal processes started exactly as production starts them
 * (`main.ts` with Finch credentials, so production mode), all on loopback ports, the
 * portals sharing one KV file, one APP_SECRET, TOKEN_KEYS and ADMIN_API_KEY.
 *
 * The portals' `PUBLIC_URL` is one public origin for all of them (as behind a load
 * balancer); a browser here is the test harness's `Client`, whose requests to that
 * origin are sent to whichever process the test picks, and whose `/authorize` requests
 * go to the simulator. Every line a child writes is kept, to be scanned for tokens.
 */
import { fileURLToPath } from "node:url";
import { createPortalLink } from "../../lib/links.ts";
import { createSigner } from "../../lib/signing.ts";
import { generateTokenKey } from "../../lib/sealing.ts";
import {
  DEFAULT_CLIENT_ID,
  DEFAULT_CLIENT_SECRET,
  DEFAULT_WEBHOOK_SECRET,
} from "../../sim/defaults.ts";
import { ensureIslandBuild } from "../../testing/build.ts";
import { BASE, Client, GENEROUS_RATE_LIMITS } from "../../testing/portal.ts";

export { BASE, Client };

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** A port nobody listens on right now (the child binds it a moment later). */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** A child process with its output kept. */
export class Proc {
  readonly lines: string[] = [];
  #child: Deno.ChildProcess;
  #done: Promise<unknown>;
  #exited = false;

  constructor(
    readonly name: string,
    readonly origin: string,
    args: string[],
    env: Record<string, string>,
  ) {
    this.#child = new Deno.Command(Deno.execPath(), {
      args,
      cwd: ROOT,
      env: { NO_COLOR: "1", ...env },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const drain = async (stream: ReadableStream<Uint8Array>) => {
      let rest = "";
      const decoder = new TextDecoder();
      for await (const bytes of stream) {
        const chunk = decoder.decode(bytes, { stream: true });
        const parts = (rest + chunk).split("\n");
        rest = parts.pop()!;
        this.lines.push(...parts);
      }
      if (rest) this.lines.push(rest);
    };
    this.#done = Promise.all([
      drain(this.#child.stdout),
      drain(this.#child.stderr),
      this.#child.status.then(() => this.#exited = true),
    ]);
  }

  get pid(): number {
    return this.#child.pid;
  }

  /** Waits until `GET path` answers 200, or fails with the child's output. */
  async ready(path: string, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.#exited) break;
      try {
        const res = await fetch(`${this.origin}${path}`);
        await res.body?.cancel();
        if (res.ok) return;
      } catch { /* not listening yet */ }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(
      `${this.name} did not start:\n${this.lines.slice(-30).join("\n")}`,
    );
  }

  /** `kill -9`: no shutdown handler, no flush, no goodbye. */
  async crash(): Promise<void> {
    if (!this.#exited) this.#child.kill("SIGKILL");
    await this.#done;
  }

  /** Stops the process (SIGTERM, then SIGKILL if it lingers). */
  async stop(): Promise<void> {
    if (!this.#exited) {
      try {
        this.#child.kill("SIGTERM");
      } catch { /* already gone */ }
      const timer = setTimeout(() => {
        try {
          this.#child.kill("SIGKILL");
        } catch { /* already gone */ }
      }, 5_000);
      await this.#done;
      clearTimeout(timer);
    }
    await this.#done;
  }
}

/** The shared secrets of one deployment. */
export interface Secrets {
  ADMIN_API_KEY: string;
  APP_SECRET: string;
  TOKEN_KEYS: string;
}

export function newSecrets(): Secrets {
  const hex = (n: number) =>
    [...crypto.getRandomValues(new Uint8Array(n))]
      .map((b) => b.toString(16).padStart(2, "0")).join("");
  return {
    ADMIN_API_KEY: `key_${hex(16)}`,
    APP_SECRET: hex(32),
    TOKEN_KEYS: generateTokenKey("k1"),
  };
}

/** A standalone simulator and N production-mode portals on one KV file. */
export interface Cluster {
  dir: string;
  kvPath: string;
  simStatePath: string;
  secrets: Secrets;
  sim: Proc;
  portals: Proc[];
  /** Extra environment the portals were started with. */
  env: Record<string, string>;
  /** Starts portal `i` again (after a crash), on its old port. */
  restart(i: number): Promise<Proc>;
  /** Every line any portal process ever wrote. */
  portalLines(): string[];
  stop(): Promise<void>;
}

/**
 * Starts the simulator and `count` portals.
 *
 * @example
 * ```ts
 * const cluster = await startCluster(2);
 * try { ... } finally { await cluster.stop(); }
 * ```
 */
export async function startCluster(
  count: number,
  env: Record<string, string> = {},
): Promise<Cluster> {
  await ensureIslandBuild();
  const dir = await Deno.makeTempDir({ prefix: "portal-reliability-" });
  const kvPath = `${dir}/portal.db`;
  const simStatePath = `${dir}/simulator.json`;
  const secrets = newSecrets();
  const simPort = freePort();
  const simOrigin = `http://127.0.0.1:${simPort}`;
  const sim = new Proc("simulator", simOrigin, ["run", "-A", "sim/main.ts"], {
    SIM_PORT: String(simPort),
    SIM_PUBLIC_URL: simOrigin,
    SIM_STATE_PATH: simStatePath,
    SIM_REDIRECT_URIS: `${BASE}/callback`,
  });
  const portalEnv = (port: number) => ({
    PORT: String(port),
    PUBLIC_URL: BASE,
    KV_PATH: kvPath,
    FINCH_CLIENT_ID: DEFAULT_CLIENT_ID,
    FINCH_CLIENT_SECRET: DEFAULT_CLIENT_SECRET,
    FINCH_BASE_URL: simOrigin,
    FINCH_CONNECT_URL: simOrigin,
    FINCH_WEBHOOK_SECRET: DEFAULT_WEBHOOK_SECRET,
    ...secrets,
    ...GENEROUS_RATE_LIMITS,
    ...env,
  });
  const ports = Array.from({ length: count }, () => freePort());
  const spawn = (i: number) =>
    new Proc(
      `portal ${"ABCDEFGH"[i]}`,
      `http://127.0.0.1:${ports[i]}`,
      ["run", "-A", "main.ts"],
      portalEnv(ports[i]),
    );
  const all: Proc[] = [sim];
  const history: Proc[] = [];
  try {
    await sim.ready("/providers");
    const portals = ports.map((_, i) => spawn(i));
    all.push(...portals);
    history.push(...portals);
    await Promise.all(portals.map((p) => p.ready("/healthz")));
    const cluster: Cluster = {
      dir,
      kvPath,
      simStatePath,
      secrets,
      sim,
      portals,
      env,
      async restart(i) {
        await portals[i].crash();
        const p = spawn(i);
        all.push(p);
        history.push(p);
        portals[i] = p;
        await p.ready("/healthz");
        return p;
      },
      portalLines: () => history.flatMap((p) => p.lines),
      async stop() {
        await Promise.all(all.map((p) => p.stop()));
        await Deno.remove(dir, { recursive: true }).catch(() => {});
      },
    };
    return cluster;
  } catch (err) {
    await Promise.all(all.map((p) => p.stop()));
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    throw err;
  }
}

/**
 * A browser on the cluster: requests to the public origin go to the portal `pick()`
 * returns, `/authorize` (Finch Connect) to the simulator.
 */
export function browser(cluster: Cluster, pick: () => Proc): Client {
  return new Client((path, init) => {
    const url = new URL(path, BASE);
    const target = url.pathname === "/authorize" ? cluster.sim : pick();
    return fetch(`${target.origin}${url.pathname}${url.search}`, init);
  });
}

/** The same browser (cookie jar) sending its requests to another process. */
export function sameBrowserOn(
  cluster: Cluster,
  client: Client,
  proc: Proc,
): Client {
  const other = browser(cluster, () => proc);
  for (const [k, v] of client.cookies) other.cookies.set(k, v);
  return other;
}

/** The integrator API of one portal process. */
export async function api(
  cluster: Cluster,
  proc: Proc,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; text: string; json: unknown }> {
  const res = await fetch(`${proc.origin}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${cluster.secrets.ADMIN_API_KEY}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch { /* the caller asserts */ }
  return { status: res.status, text, json };
}

/**
 * Creates the customer through `proc`'s API and signs a browser in with a fresh link,
 * redeemed on `proc`.
 */
export async function signIn(
  cluster: Cluster,
  proc: Proc,
  customerId: string,
): Promise<Client> {
  const put = await api(cluster, proc, "PUT", `/api/customers/${customerId}`, {
    name: `${customerId} Inc.`,
  });
  if (put.status >= 300) throw new Error(`PUT customer: ${put.text}`);
  const link = await api(
    cluster,
    proc,
    "POST",
    `/api/customers/${customerId}/links`,
    {},
  );
  const url = (link.json as { url?: string } | null)?.url;
  if (!url) throw new Error(`link: ${link.text}`);
  const client = browser(cluster, () => proc);
  const res = await client.get(url);
  await res.body?.cancel();
  if (res.status !== 303) throw new Error(`portal link answered ${res.status}`);
  return client;
}

/** Mints a portal link offline, signed with the cluster's APP_SECRET. */
export async function mintLink(
  cluster: Cluster,
  customerId: string,
): Promise<string> {
  const signer = await createSigner(cluster.secrets.APP_SECRET);
  return (await createPortalLink(
    { signer, now: Date.now, config: { publicUrl: BASE } },
    customerId,
  )).url;
}

/** What the simulator persisted: every token it ever issued, by token. */
export async function simTokens(
  cluster: Cluster,
): Promise<Map<string, { connection_id: string; revoked_at: number | null }>> {
  const data = JSON.parse(await Deno.readTextFile(cluster.simStatePath));
  return new Map(Object.entries(data.tokens ?? {}));
}

/** Arms a fault at the standalone simulator (`POST /_sim/faults`). */
export async function addSimFault(
  cluster: Cluster,
  fault: Record<string, unknown>,
): Promise<void> {
  const res = await fetch(`${cluster.sim.origin}/_sim/faults`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(fault),
  });
  await res.body?.cancel();
  if (res.status !== 201) throw new Error(`fault: ${res.status}`);
}

/** The outcome of one request fired in a burst. */
export type Shot =
  | { ok: true; status: number; text: string; location: string | null }
  | { ok: false; error: string };

/** Sends a request and reads its answer; a dropped connection is an outcome too. */
export async function shoot(request: Promise<Response>): Promise<Shot> {
  try {
    const res = await request;
    const headers = [...res.headers].map(([k, v]) => `${k}: ${v}`);
    return {
      ok: true,
      status: res.status,
      // Headers too: a token must not leave through a Location or a cookie either.
      text: `${await res.text()}\n${headers.join("\n")}`,
      location: res.headers.get("location"),
    };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : "error" };
  }
}

/** What the portal processes logged as errors, for a failure message. */
export function serverErrors(cluster: Cluster): string {
  return cluster.portalLines()
    .filter((l) => /"level":"error"|error:/i.test(l)).slice(-10).join("\n");
}
