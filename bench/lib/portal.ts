/**
 * A seeded store with the portal serving it from its own process: what the speed, scale,
 * weight and memory sections measure.
 *
 * @module
 */
import { type Server, spawnServer, tempDir } from "./process.ts";
import { benchSecrets, type Seeded, seedStore, type Target } from "./seed.ts";

/** A portal process over a seeded KV file. */
export interface ServedStore {
  server: Server;
  seeded: Seeded;
  kvPath: string;
  /**
   * Starts another portal process on the same store (e.g. a fresh one for memory), from
   * this repository or from another tree (`cwd`, see bench/lib/compare.ts), with `env`
   * added to its environment.
   */
  respawn(cwd?: string, env?: Record<string, string>): Promise<Server>;
  close(): Promise<void>;
}

/** Seeds a KV file in a temp folder and serves it with bench/servers/portal.ts. */
export async function servedStore(options: {
  label: string;
  others: number;
  targets: Target[];
  seedBudgetS?: number;
  /** Added to the portal process's environment. */
  env?: Record<string, string>;
  /**
   * Another revision's tree (bench/lib/compare.ts): the store is seeded by that
   * revision's code, in its own layout, and served by it.
   */
  tree?: string;
}): Promise<ServedStore> {
  const dir = await tempDir(options.label);
  const kvPath = `${dir.path}/portal.db`;
  const secrets = benchSecrets();
  const servers: Server[] = [];
  try {
    const seedOptions = {
      kvPath,
      tokenKeys: secrets.TOKEN_KEYS,
      others: options.others,
      targets: options.targets,
      budgetMs: (options.seedBudgetS ?? 120) * 1000,
    };
    const seeded = options.tree
      ? await seedIn(options.tree, seedOptions)
      : await seedStore(seedOptions);
    const spawn = async (cwd?: string, env: Record<string, string> = {}) => {
      const server = await spawnServer("bench/servers/portal.ts", {
        env: { ...secrets, KV_PATH: kvPath, ...env },
        readyPath: "/healthz",
        cwd,
      });
      servers.push(server);
      return server;
    };
    const server = await spawn(options.tree, options.env);
    return {
      server,
      seeded,
      kvPath,
      respawn: spawn,
      async close() {
        await Promise.all(servers.map((s) => s.stop()));
        await dir.remove();
      },
    };
  } catch (err) {
    await Promise.all(servers.map((s) => s.stop()));
    await dir.remove();
    throw err;
  }
}

/** Seeds with the code of another tree (bench/servers/seed.ts run there). */
async function seedIn(
  tree: string,
  options: Parameters<typeof seedStore>[0],
): Promise<Seeded> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "bench/servers/seed.ts", JSON.stringify(options)],
    cwd: tree,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(
      `seeding in ${tree} failed: ${
        new TextDecoder().decode(out.stderr).slice(-800)
      }`,
    );
  }
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

/** Fetches the connections page as `cookie` and checks it is the page, with `cards` cards. */
export async function checkPage(
  url: string,
  cookie: string,
  cards: number,
): Promise<string> {
  return (await fetchPage(url, cookie, cards)).html;
}

/** {@linkcode checkPage}, with the answer's headers. */
export async function fetchPage(
  url: string,
  cookie: string,
  cards: number,
): Promise<{ html: string; headers: [string, string][] }> {
  const res = await fetch(`${url}/connections`, { headers: { cookie } });
  const html = await res.text();
  const found = html.match(/<li class="card"/g)?.length ?? 0;
  if (res.status !== 200 || found !== cards) {
    throw new Error(
      `the connections page answered ${res.status} with ${found} cards (expected 200 with ${cards}): the figures would not measure the page`,
    );
  }
  return { html, headers: [...res.headers] };
}

/**
 * Status refreshes (done or failed) a server logged: the page's refresh-on-view calls
 * Finch for stale statuses, which a steady-state page measurement must not include.
 */
export function refreshes(events: Map<string, number>): number {
  let n = 0;
  for (const [event, count] of events) {
    if (event.startsWith("status_refresh")) n += count;
  }
  return n;
}
