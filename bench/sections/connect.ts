/**
 * The full connect round trip, in one process with the simulator, as demo mode runs it:
 * start a Connect session (`POST /connections/new`), the simulator's Connect page (GET
 * and POST `/sim/authorize`), the callback, and the connections page it lands on.
 *
 * The simulator's time is taken out by timing it separately: the two Connect-page hops
 * are the browser at Finch, and every call the portal makes to Finch goes through the
 * gateway's `fetch`, which is wrapped to add up the time during which a call to the
 * simulator is outstanding (overlapping calls, like introspect and company in parallel,
 * count once). What remains is the portal's own time: routing, KV, sealing, the SDK,
 * rendering.
 *
 * Requests go to the portal's handler directly (no sockets), so this measures the
 * portal's work per round trip, not HTTP.
 *
 * @module
 */
import { createFinchGateway } from "../../lib/finch/gateway.ts";
import { type Client, testPortal } from "../../testing/portal.ts";
import type { BenchConfig } from "../lib/config.ts";
import { tempDir } from "../lib/process.ts";
import { fmt, ms, type Row, type SectionResult } from "../lib/report.ts";

const CMD = "BENCH_ONLY=connect deno task bench";

/** Adds up the time during which at least one simulator call is outstanding. */
class SimClock {
  total = 0;
  #inFlight = 0;
  #since = 0;

  wrap(base: typeof fetch): typeof fetch {
    return async (input, init) => {
      this.enter();
      try {
        const res = await base(input, init);
        // The simulator's answers are already in memory; reading them is its time too.
        const body = await res.arrayBuffer();
        return new Response(body, res);
      } finally {
        this.leave();
      }
    };
  }

  enter() {
    if (this.#inFlight++ === 0) this.#since = performance.now();
  }

  leave() {
    if (--this.#inFlight === 0) this.total += performance.now() - this.#since;
  }
}

/** Round trips per customer: under the portal's limit on starting Connect (20/10 min). */
const TRIPS_PER_CUSTOMER = 10;

/** One round trip's timings, in ms. */
interface Trip {
  total: number;
  sim: number;
  callback: number;
  callbackSim: number;
}

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ??
    NaN;
}

async function roundTrip(
  client: Client,
  clock: SimClock,
  csrf: string,
  n: number,
): Promise<{ trip: Trip; csrf: string }> {
  const t0 = performance.now();
  const sim0 = clock.total;
  const started = await client.postForm("/connections/new", {
    _csrf: csrf,
    provider_id: "",
  });
  await started.body?.cancel();
  if (started.status !== 303) {
    throw new Error(`starting Connect answered ${started.status}`);
  }
  // The browser at Finch Connect: the simulator's time, all of it.
  clock.enter();
  let callbackUrl: string;
  try {
    callbackUrl = await client.authorize(started.headers.get("location")!, {
      provider_id: ["gusto", "adp_run", "bamboo_hr", "rippling"][n % 4],
      company_name: `Bench Company ${n}`,
    });
  } finally {
    clock.leave();
  }
  const t1 = performance.now();
  const sim1 = clock.total;
  const callback = await client.get(
    new URL(callbackUrl).pathname + new URL(callbackUrl).search,
  );
  await callback.body?.cancel();
  const t2 = performance.now();
  const sim2 = clock.total;
  if (
    callback.status !== 303 ||
    callback.headers.get("location") !== "/connections"
  ) {
    throw new Error(`the callback answered ${callback.status}`);
  }
  const page = await client.page();
  if (page.status !== 200 || !page.html.includes(`Bench Company ${n}`)) {
    throw new Error(`the page after the callback answered ${page.status}`);
  }
  return {
    trip: {
      total: performance.now() - t0,
      sim: clock.total - sim0,
      callback: t2 - t1,
      callbackSim: sim2 - sim1,
    },
    csrf: page.csrf,
  };
}

/** Runs round trips with `browsers` clients until `seconds` pass (or `maxTrips`). */
async function loop(
  seconds: number,
  browsers: number,
  maxTrips = Infinity,
): Promise<{ trips: Trip[]; seconds: number }> {
  const dir = await tempDir("connect");
  const clock = new SimClock();
  const kv = await Deno.openKv(`${dir.path}/portal.db`);
  const tp = await testPortal({
    kv,
    finch: (defaults) =>
      createFinchGateway({ ...defaults, fetch: clock.wrap(defaults.fetch!) }),
  });
  try {
    const trips: Trip[] = [];
    let n = 0;
    const started = performance.now();
    const deadline = started + seconds * 1000;
    await Promise.all(
      Array.from({ length: browsers }, async (_, b) => {
        let client: Client | null = null;
        let csrf = "";
        for (let i = 0;; i++) {
          if (i % TRIPS_PER_CUSTOMER === 0) {
            // A new employer (signing in is not timed): the portal limits how often one
            // customer may start Connect, and the limiter stays on, as in production.
            client = await tp.signedIn(`bench-${b}-${i}`, `Bench ${b} ${i}`);
            ({ csrf } = await client.page());
          }
          const r = await roundTrip(client!, clock, csrf, n++);
          csrf = r.csrf;
          // The first trip compiles the code paths: not counted.
          if (i > 0) trips.push(r.trip);
          if (performance.now() >= deadline || trips.length >= maxTrips) break;
        }
      }),
    );
    return { trips, seconds: (performance.now() - started) / 1000 };
  } finally {
    await tp.close();
    kv.close();
    await dir.remove();
  }
}

/** Runs the connect section; `maxTrips` keeps the smoke test short. */
export async function connect(
  config: BenchConfig,
  options: { maxTrips?: number } = {},
): Promise<SectionResult> {
  // Alone first, so that the split between portal and simulator is not blurred by
  // other browsers' requests interleaving on the one thread.
  const one = await loop(config.seconds, 1, options.maxTrips);
  const many = await loop(config.seconds, config.browsers, options.maxTrips);
  if (one.trips.length === 0 || many.trips.length === 0) {
    throw new Error("no round trip finished in time");
  }
  const ownCallback = one.trips.map((t) => t.callback - t.callbackSim);
  const simCallback = one.trips.map((t) => t.callbackSim);
  const total = one.trips.map((t) => t.total);
  const sim = one.trips.map((t) => t.sim);
  const perSecond = one.trips.length / one.seconds;
  const perSecondMany = many.trips.length / many.seconds;
  const own = quantile(ownCallback, 0.5);
  const rows: Row[] = [
    {
      figure:
        "Connect round trips per second, 1 browser (start, authorize, callback, page)",
      value: `${fmt(perSecond, 0)}/s (${ms(quantile(total, 0.5))} each)`,
      baseline: `${ms(quantile(sim, 0.5))} of each in the simulator`,
      ratio: quantile(sim, 0.5) / quantile(total, 0.5),
      bar: "",
      pass: null,
      command: CMD,
    },
    {
      figure:
        `Connect round trips per second, ${config.browsers} browsers at once`,
      value: `${fmt(perSecondMany, 0)}/s`,
      baseline: `${fmt(perSecond, 0)}/s with 1 browser`,
      ratio: perSecondMany / perSecond,
      bar: "",
      pass: null,
      command: CMD,
    },
    {
      figure:
        "Portal's own time per callback (simulator's time taken out), median",
      value: `${ms(own)} (p90 ${ms(quantile(ownCallback, 0.9))})`,
      baseline: `${
        ms(quantile(simCallback, 0.5))
      } in the simulator per callback`,
      ratio: own / quantile(simCallback, 0.5),
      bar: "≤ 5 ms",
      pass: own <= 5,
      command: CMD,
    },
  ];
  return {
    rows,
    details: [
      "### Connect round trip (in-process simulator, file KV)",
      [
        `- 1 browser: ${one.trips.length} round trips in ${
          fmt(one.seconds, 1)
        } s; per trip median ${ms(quantile(total, 0.5))}, p90 ${
          ms(quantile(total, 0.9))
        }; simulator median ${ms(quantile(sim, 0.5))}`,
        `- callback: median ${
          ms(quantile(one.trips.map((t) => t.callback), 0.5))
        } in all, of which ${
          ms(quantile(simCallback, 0.5))
        } in the simulator (token exchange, then introspect and company in parallel); the portal's own: median ${
          ms(own)
        }, p90 ${ms(quantile(ownCallback, 0.9))}`,
        `- ${config.browsers} browsers: ${many.trips.length} round trips in ${
          fmt(many.seconds, 1)
        } s`,
      ].join("\n"),
    ],
  };
}
