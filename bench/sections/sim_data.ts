/**
 * The simulator's data plane (issue 14), in-process: the simulator's `app.fetch` is the
 * official SDK's `fetch`, rate limits off.
 *
 * - Read: a 10,000-person company through the SDK, the way a sync job reads it: the
 *   directory in pages of 100, then individuals and employments in batches of 1,000.
 *   Baseline: the very same SDK calls answered from memory (the bodies recorded from the
 *   first read), i.e. what the SDK, the transport and JSON cost without the simulator.
 *   The bar is 2 s.
 * - Memory: the heap of 100 companies of 10,000 people each after one directory page of
 *   each, above an empty simulator, against what storing one such company's people as
 *   JSON would take (people are generated from a seed, never stored, so all 100 should
 *   cost less than one stored company). Run in a child process started with `--expose-gc` (this file, as a
 *   script), so that both heaps are read after a full collection.
 *
 * @module
 */
import Finch from "@tryfinch/finch-api";
import { createSimulator, type Simulator } from "../../sim/app.ts";
import type { BenchConfig } from "../lib/config.ts";
import { baseEnv, ROOT_DIR } from "../lib/process.ts";
import { fmt, kb, ms, type SectionResult } from "../lib/report.ts";

const CMD = "BENCH_ONLY=sim_data deno task bench";
const CLIENT_ID = "5b0c8f2e-7d41-4c3a-9e55-0a1b2c3d4e5f";
const SECRET = "bench-secret";
const BASE = "http://sim.bench";
const PEOPLE = 10_000;
const COMPANIES = 100;
const PRODUCTS = ["company", "directory", "individual", "employment"] as const;

function simulator(companySize: number): Simulator {
  return createSimulator({
    clientId: CLIENT_ID,
    clientSecret: SECRET,
    webhookSecret: "c2ltdWxhdG9yLXdlYmhvb2stc2VjcmV0",
    publicUrl: BASE,
    initialSyncDelayMs: null,
    companySize,
  });
}

function client(fetch: typeof globalThis.fetch): Finch {
  return new Finch({
    clientID: CLIENT_ID,
    clientSecret: SECRET,
    baseURL: BASE,
    fetch,
    maxRetries: 0,
    logLevel: "off",
  });
}

/** A company with a token, through the Connect page as an employer would. */
async function company(sim: Simulator, sdk: Finch, name: string) {
  const session = await sdk.connect.sessions.new({
    customer_id: name,
    customer_name: name,
    products: [...PRODUCTS],
    redirect_uri: "http://portal.bench/callback",
  });
  const form = new URLSearchParams({
    session: session.session_id,
    action: "connect",
    provider_id: "gusto",
    company_name: name,
  });
  const res = await sim.app.request(`${BASE}/authorize`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: form.toString(),
  });
  const code = new URL(res.headers.get("location")!).searchParams.get("code")!;
  return await sdk.accessTokens.create({ code });
}

/** What a sync job reads; returns how many people it saw. */
async function read(sdk: Finch): Promise<number> {
  const ids: string[] = [];
  for await (const p of sdk.hris.directory.list({ limit: 100 })) ids.push(p.id);
  for (let i = 0; i < ids.length; i += 1_000) {
    const requests = ids.slice(i, i + 1_000).map((individual_id) => ({
      individual_id,
    }));
    await sdk.hris.individuals.retrieveMany({ requests });
    await sdk.hris.employments.retrieveMany({ requests });
  }
  return ids.length;
}

/** The read timed against the simulator, then against its own recorded answers. */
async function readTimes() {
  const sim = simulator(PEOPLE);
  try {
    const setup = client((input, init) =>
      Promise.resolve(sim.app.request(input, init))
    );
    const token = await company(sim, setup, "Bench Read, Inc.");
    const bodies: string[] = [];
    let bytes = 0;
    const recording: typeof fetch = async (input, init) => {
      const res = await sim.app.request(input, init);
      const text = await res.text();
      bodies.push(text);
      bytes += text.length;
      return new Response(text, { status: res.status, headers: res.headers });
    };
    // A warm-up read, recorded: it JIT-compiles the simulator and gives the replay bodies.
    await read(client(recording).withAccessToken(token.access_token));
    const sdk = client((input, init) =>
      Promise.resolve(sim.app.request(input, init))
    ).withAccessToken(token.access_token);
    const runs: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      const n = await read(sdk);
      runs.push(performance.now() - t0);
      if (n !== PEOPLE) throw new Error(`read ${n} people, not ${PEOPLE}`);
    }
    const replays: number[] = [];
    for (let i = 0; i < 3; i++) {
      let k = 0;
      const replay: typeof fetch = () =>
        Promise.resolve(
          new Response(bodies[k++ % bodies.length], {
            headers: { "content-type": "application/json" },
          }),
        );
      const t0 = performance.now();
      await read(client(replay).withAccessToken(token.access_token));
      replays.push(performance.now() - t0);
    }
    return {
      sim: Math.min(...runs),
      replay: Math.min(...replays),
      runs,
      requests: bodies.length,
      bytes,
    };
  } finally {
    await sim.close();
  }
}

/**
 * Child mode: heap after a full GC for an empty simulator, then with 100 companies of
 * 10,000 people each read one page; and the JSON size of one company's people.
 */
async function memoryChild() {
  const gc = (globalThis as { gc?: () => void }).gc!;
  const heap = () => {
    gc();
    gc();
    return Deno.memoryUsage().heapUsed;
  };
  const sim = simulator(PEOPLE);
  const setup = client((input, init) =>
    Promise.resolve(sim.app.request(input, init))
  );
  // Warm every code path first, so that the empty figure includes the compiled code.
  const warm = await company(sim, setup, "Warm-up Co");
  await setup.withAccessToken(warm.access_token).hris.directory.list({
    limit: 100,
  });
  const empty = heap();
  for (let i = 0; i < COMPANIES; i++) {
    const token = await company(sim, setup, `Company ${i}`);
    await setup.withAccessToken(token.access_token).hris.directory.list({
      limit: 100,
    });
  }
  const full = heap();
  // What one company's people would take if stored: their individual and employment JSON.
  const sdk = setup.withAccessToken(warm.access_token);
  const ids = (await sdk.hris.directory.list({ limit: PEOPLE })).individuals
    .map((p) => ({
      individual_id: p.id,
    }));
  const stored =
    JSON.stringify(await sdk.hris.individuals.retrieveMany({ requests: ids }))
      .length +
    JSON.stringify(await sdk.hris.employments.retrieveMany({ requests: ids }))
      .length;
  await sim.close();
  console.log(JSON.stringify({ empty, full, stored }));
}

async function memory() {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--v8-flags=--expose-gc", "bench/sections/sim_data.ts"],
    cwd: ROOT_DIR,
    clearEnv: true,
    env: baseEnv(),
    stdout: "piped",
    stderr: "inherit",
  }).output();
  if (!out.success) throw new Error("sim_data: the memory child failed");
  return JSON.parse(
    new TextDecoder().decode(out.stdout).trim().split("\n").at(-1)!,
  ) as {
    empty: number;
    full: number;
    stored: number;
  };
}

const mb = (bytes: number) => `${fmt(bytes / 1_048_576, 1)} MB`;

/** Runs the simulator data section. */
export async function simData(_config: BenchConfig): Promise<SectionResult> {
  const t = await readTimes();
  const m = await memory();
  const perCompany = (m.full - m.empty) / COMPANIES;
  return {
    rows: [
      {
        figure:
          "Simulator: read a 10,000-person company through the SDK in-process (directory by 100, individuals and employments by 1,000)",
        value: ms(t.sim),
        baseline: `${ms(t.replay)}: the same SDK calls answered from memory`,
        ratio: t.sim / t.replay,
        bar: "≤ 2 s",
        pass: t.sim <= 2_000,
        command: CMD,
      },
      {
        figure:
          "Simulator: heap of 100 companies × 10,000 people after one directory page each, above an empty simulator",
        value: `${mb(m.full - m.empty)} (${kb(perCompany)} a company)`,
        baseline: `${mb(m.stored)}: one company's people stored as JSON`,
        ratio: (m.full - m.empty) / m.stored,
        bar: "< 1: all 100 cost less than storing one",
        pass: m.full - m.empty < m.stored,
        command: CMD,
      },
    ],
    details: [
      "### Simulator data plane (in-process, rate limits off)",
      [
        `- read: ${t.requests} requests, ${mb(t.bytes)} of JSON; runs ${
          t.runs.map((n) => fmt(n, 0)).join(", ")
        } ms (best counts), replay ${fmt(t.replay, 0)} ms`,
        `- heap after GC: empty simulator ${
          mb(m.empty)
        }, with ${COMPANIES} companies ${mb(m.full)} (${
          mb(m.full - m.empty)
        } more, ${kb(perCompany)} each)`,
      ].join("\n"),
    ],
    facts: {
      simReadMs: t.sim,
      simReadRatio: t.sim / t.replay,
      simHeapPerCompanyMb: perCompany / 1_048_576,
    },
  };
}

if (import.meta.main) await memoryChild();
