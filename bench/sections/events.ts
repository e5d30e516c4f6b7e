/**
 * Integrator events: the three speed bars of their issue, each against a baseline
 * measured in the same run. (Over 400 lines: three figures, each with its own setup of
 * stores, receivers and servers; apart, they would share most of this file's helpers.)
 *
 * 1. Callback to receiver: from the Connect callback's answer to the receiver's 200 for
 *    its `connection.created`, p99 at most 1 s on loopback with a healthy receiver. The
 *    portal runs in-process with the simulator (as the connect section does) on a KV
 *    file, the receiver is a `Deno.serve` on 127.0.0.1 in the same process; baseline:
 *    the callback's own time.
 * 2. Drain: 1,000 events queued in a KV file (recorded as the app records them) before a
 *    portal process starts on it; from its first delivery to the 1,000th, at 100 per
 *    second or more. Baseline: the same receiver sent 1,000 signed POSTs straight from a
 *    loop, 100 at a time.
 * 3. A receiver that never answers: page and API latency (wrk, one connection, the two
 *    servers measured in alternating rounds) of a portal whose worker holds 1,000 events
 *    it cannot deliver (each attempt waits out its 10 s timeout), against the same store
 *    served with no receiver configured; within 10 %.
 *
 * @module
 */
import { addEvents, type EventDraft } from "../../lib/db/events.ts";
import { signatureHeader } from "../../lib/events/sign.ts";
import { testPortal } from "../../testing/portal.ts";
import type { BenchConfig } from "../lib/config.ts";
import { type Server, spawnServer, tempDir } from "../lib/process.ts";
import { benchSecrets, type Seeded, seedStore } from "../lib/seed.ts";
import { fmt, ms, type Row, type SectionResult } from "../lib/report.ts";
import { runWrk, type WrkResult } from "../lib/wrk.ts";

const CMD = "BENCH_ONLY=events deno task bench";
const DRAIN = 1_000;
/** Alternating rounds of the latency runs: the machine is shared, so many short ones. */
const ROUNDS = 6;

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ??
    NaN;
}

function median(values: number[]): number {
  return quantile(values, 0.5);
}

function secret(): string {
  return `whsec_${crypto.getRandomValues(new Uint8Array(32)).toBase64()}`;
}

/** A receiver on 127.0.0.1 that notes when each delivery arrived. */
function receiver(options: { hang?: boolean } = {}) {
  const arrivals: { at: number; type: string; customer: string }[] = [];
  let wake: (() => void) | null = null;
  const hanging: (() => void)[] = [];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (req) => {
      const body = await req.text();
      if (options.hang) {
        await new Promise<void>((r) => hanging.push(r));
        return new Response(null, { status: 503 });
      }
      const { type, data } = JSON.parse(body);
      arrivals.push({
        at: performance.now(),
        type,
        customer: data.customer_id,
      });
      wake?.();
      return new Response("ok");
    },
  );
  const url = `http://127.0.0.1:${
    (server.addr as Deno.NetAddr).port
  }/hooks/portal`;
  return {
    url,
    arrivals,
    /** Resolves at the next arrival (or after `ms`). */
    next(ms = 5_000) {
      return new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, ms);
        wake = () => {
          clearTimeout(timer);
          wake = null;
          resolve();
        };
      });
    },
    /** Deliveries held open right now (a receiver that never answers). */
    hangingCount: () => hanging.length,
    async close() {
      for (const r of hanging.splice(0)) r();
      await server.shutdown();
    },
  };
}

/** Bar 1: from the callback's answer to the receiver's 200. */
async function callbackToReceiver(config: BenchConfig, maxTrips: number) {
  const dir = await tempDir("events");
  const kv = await Deno.openKv(`${dir.path}/portal.db`);
  const hooks = receiver();
  const tp = await testPortal({
    kv,
    env: {
      EVENTS_WEBHOOK_URL: hooks.url,
      EVENTS_WEBHOOK_SECRET: secret(),
    },
  });
  const latencies: number[] = [];
  const callbacks: number[] = [];
  try {
    const deadline = performance.now() + config.seconds * 1000;
    for (let i = 0; i < maxTrips && performance.now() < deadline; i++) {
      const customer = `events-${i}`;
      const client = await tp.signedIn(customer, `Events ${i}`);
      const { csrf } = await client.page();
      const started = await client.postForm("/connections/new", {
        _csrf: csrf,
      });
      const callbackUrl = await client.authorize(
        started.headers.get("location")!,
        { company_name: `Events Company ${i}` },
      );
      const t0 = performance.now();
      const res = await client.get(
        new URL(callbackUrl).pathname + new URL(callbackUrl).search,
      );
      await res.body?.cancel();
      const t1 = performance.now();
      if (res.status !== 303) {
        throw new Error(`the callback answered ${res.status}`);
      }
      const mine = () =>
        hooks.arrivals.find((a) =>
          a.customer === customer && a.type === "connection.created"
        );
      const stop = t1 + 10_000;
      while (!mine() && performance.now() < stop) await hooks.next();
      const got = mine();
      if (!got) throw new Error("an event did not reach the receiver in 10 s");
      // The event may arrive before the callback answers (it is queued by the store's
      // write, before the details are fetched): that counts as no wait at all.
      latencies.push(Math.max(0, got.at - t1));
      if (i > 0) callbacks.push(t1 - t0);
      else latencies.pop(); // the first trip compiles the code paths
    }
  } finally {
    await tp.close();
    kv.close();
    await hooks.close();
    await dir.remove();
  }
  return { latencies, callbacks };
}

/** `n` events as the app records them, with their delivery jobs, in a KV file. */
async function queueEvents(kvPath: string, n: number, deliver: boolean) {
  const kv = await Deno.openKv(kvPath);
  try {
    for (let i = 0; i < n; i += 50) {
      const op = kv.atomic();
      const drafts: EventDraft[] = [];
      for (let j = i; j < Math.min(n, i + 50); j++) {
        drafts.push({
          type: "finch.directory.updated",
          data: {
            customer_id: "ten",
            connection_id: `ten-conn-${j}`,
            provider_id: "gusto",
            company_id: `co-${j}`,
            status: "connected",
            occurred_at: new Date().toISOString(),
            finch: { event_type: "directory.updated", data: { n: j } },
          },
        });
      }
      addEvents(op, drafts, { now: Date.now(), deliver });
      const res = await op.commit();
      if (!res.ok) throw new Error("queueing events failed");
    }
  } finally {
    kv.close();
  }
}

/** Bar 2: 1,000 queued events drained by a portal process. */
async function drain() {
  const hooks = receiver();
  const dir = await tempDir("events-drain");
  const kvPath = `${dir.path}/portal.db`;
  try {
    await queueEvents(kvPath, DRAIN, true);
    const server = await spawnServer("bench/servers/portal.ts", {
      env: {
        KV_PATH: kvPath,
        EVENTS_WEBHOOK_URL: hooks.url,
        EVENTS_WEBHOOK_SECRET: secret(),
      },
      readyPath: "/healthz",
    });
    try {
      const stop = performance.now() + 120_000;
      while (hooks.arrivals.length < DRAIN && performance.now() < stop) {
        await hooks.next(1_000);
      }
    } finally {
      await server.stop();
    }
    const times = hooks.arrivals.map((a) => a.at);
    if (times.length < DRAIN) {
      throw new Error(`only ${times.length} of ${DRAIN} events drained`);
    }
    const portal = (DRAIN - 1) / ((times[DRAIN - 1] - times[0]) / 1000);

    // The baseline: the same POSTs straight from a loop, 100 in flight.
    const direct = receiver();
    const key = [secret()];
    const t0 = performance.now();
    for (let i = 0; i < DRAIN; i += 100) {
      await Promise.all(
        Array.from({ length: Math.min(100, DRAIN - i) }, async (_, j) => {
          const id = `evt_${i + j}`;
          const ts = Math.floor(Date.now() / 1000);
          const body = JSON.stringify({
            type: "finch.directory.updated",
            timestamp: new Date().toISOString(),
            data: { customer_id: "ten", n: i + j },
          });
          const res = await fetch(direct.url, {
            method: "POST",
            headers: {
              "content-type": "application/json",
              "webhook-id": id,
              "webhook-timestamp": String(ts),
              "webhook-signature": signatureHeader(key, id, ts, body),
            },
            body,
          });
          await res.body?.cancel();
        }),
      );
    }
    const directRate = DRAIN / ((performance.now() - t0) / 1000);
    await direct.close();
    return { portal, directRate };
  } finally {
    await hooks.close();
    await dir.remove();
  }
}

/** A seeded store with `DRAIN` events in it, served by a portal process. */
interface Served {
  server: Server;
  seeded: Seeded;
  adminApiKey: string;
  close(): Promise<void>;
}

async function served(
  label: string,
  options: { deliver: boolean; env?: Record<string, string> },
): Promise<Served> {
  const dir = await tempDir(label);
  const kvPath = `${dir.path}/portal.db`;
  const secrets = benchSecrets();
  try {
    const seeded = await seedStore({
      kvPath,
      tokenKeys: secrets.TOKEN_KEYS,
      others: 10,
      targets: [{ id: "ten", connections: 10 }],
      budgetMs: 60_000,
    });
    // Queued before the server starts: its worker begins with the whole backlog.
    await queueEvents(kvPath, DRAIN, options.deliver);
    const server = await spawnServer("bench/servers/portal.ts", {
      env: { ...secrets, KV_PATH: kvPath, ...options.env },
      readyPath: "/healthz",
    });
    return {
      server,
      seeded,
      adminApiKey: secrets.ADMIN_API_KEY,
      async close() {
        await server.stop();
        await dir.remove();
      },
    };
  } catch (err) {
    await dir.remove();
    throw err;
  }
}

interface Probe {
  name: string;
  server: Server;
  path: string;
  headers: Record<string, string>;
  runs: WrkResult[];
}

/** Bar 3: page and API latency with a receiver that never answers, and with none. */
async function deadReceiver(config: BenchConfig) {
  const hooks = receiver({ hang: true });
  const stores: Served[] = [];
  try {
    // The same events in both stores; only the dead receiver's server delivers them.
    const none = await served("events-none", { deliver: false });
    stores.push(none);
    const dead = await served("events-dead", {
      deliver: true,
      env: { EVENTS_WEBHOOK_URL: hooks.url, EVENTS_WEBHOOK_SECRET: secret() },
    });
    stores.push(dead);
    const probes: Probe[] = [];
    for (const [label, store] of [["none", none], ["dead", dead]] as const) {
      probes.push({
        name: `${label}/page`,
        server: store.server,
        path: "/connections",
        headers: { cookie: store.seeded.cookies.ten },
        runs: [],
      }, {
        name: `${label}/api`,
        server: store.server,
        path: "/api/customers/ten/connections",
        headers: { authorization: `Bearer ${store.adminApiKey}` },
        runs: [],
      });
    }
    const run = (p: Probe, seconds: number) =>
      runWrk({
        url: `${p.server.url}${p.path}`,
        seconds,
        connections: 1,
        threads: 1,
        headers: p.headers,
      });
    for (const p of probes) await run(p, 1); // warm-up
    const seconds = Math.max(1, Math.round(config.latencySeconds / ROUNDS));
    for (let round = 0; round < ROUNDS; round++) {
      for (const p of probes) {
        const wrk = await run(p, seconds);
        if (wrk.non2xx || wrk.socketErrors) {
          throw new Error(`${p.name}: ${wrk.non2xx} non-2xx answers`);
        }
        p.runs.push(wrk);
      }
    }
    return { probes, hanging: hooks.hangingCount() };
  } finally {
    await Promise.all(stores.map((s) => s.close()));
    await hooks.close();
  }
}

/** Runs the events section; `maxTrips` keeps the smoke test short. */
export async function events(
  config: BenchConfig,
  options: { maxTrips?: number; skipWrk?: boolean } = {},
): Promise<SectionResult> {
  const one = await callbackToReceiver(config, options.maxTrips ?? 200);
  if (one.latencies.length === 0) throw new Error("no trip finished in time");
  const p99 = quantile(one.latencies, 0.99);
  const callbackP99 = quantile(one.callbacks, 0.99);
  const rows: Row[] = [{
    figure:
      "Events: from the callback's answer to the receiver's 200 (p99, loopback)",
    value: `${ms(p99)} (median ${ms(median(one.latencies))}, ${
      fmt(one.latencies.length, 0)
    } callbacks)`,
    baseline: `${ms(callbackP99)} the callback itself (p99)`,
    ratio: p99 / callbackP99,
    bar: "≤ 1 s",
    pass: p99 <= 1000,
    command: CMD,
  }];
  const details = [
    "### Events",
    `- callback to receiver: ${
      one.latencies.map((l) => l.toFixed(1)).slice(0, 40).join(", ")
    }${one.latencies.length > 40 ? ", ..." : ""} ms`,
  ];
  if (options.skipWrk) return { rows, details };

  const d = await drain();
  rows.push({
    figure: `Events: ${
      fmt(DRAIN, 0)
    } queued events drained by a portal process`,
    value: `${fmt(d.portal, 0)} events/s`,
    baseline: `${fmt(d.directRate, 0)}/s the same POSTs sent from a loop`,
    ratio: d.portal / d.directRate,
    bar: "≥ 100/s",
    pass: d.portal >= 100,
    command: CMD,
  });

  const dead = await deadReceiver(config);
  const p50 = (name: string) =>
    median(dead.probes.find((p) => p.name === name)!.runs.map((r) => r.p50));
  const p99of = (name: string) =>
    median(dead.probes.find((p) => p.name === name)!.runs.map((r) => r.p99));
  for (const what of ["page", "api"] as const) {
    const ratio = p50(`dead/${what}`) / p50(`none/${what}`);
    rows.push({
      figure: `Events: ${
        what === "page" ? "connections page" : "API list"
      } latency with a receiver that never answers (${
        fmt(DRAIN, 0)
      } events waiting)`,
      value: `${ms(p50(`dead/${what}`))} (p99 ${ms(p99of(`dead/${what}`))})`,
      baseline: `${ms(p50(`none/${what}`))} (p99 ${
        ms(p99of(`none/${what}`))
      }) no receiver configured`,
      ratio,
      bar: "≤ 1.10",
      pass: ratio <= 1.1,
      command: CMD,
    });
  }
  details.push(
    `- dead receiver: ${dead.hanging} deliveries held open at the end of the runs`,
    `- drain: ${fmt(d.portal, 0)} events/s from the first delivery to the ${
      fmt(DRAIN, 0)
    }th; direct loop ${fmt(d.directRate, 0)}/s`,
    ...dead.probes.map((p) =>
      `- ${p.name}: p50 per round ${
        p.runs.map((r) => ms(r.p50)).join(", ")
      }; p99 ${p.runs.map((r) => ms(r.p99)).join(", ")}`
    ),
  );
  return { rows, details: [details.join("\n")] };
}
