/**
 * `deno task bench`: speed, weight and scale of the portal, each against a baseline
 * measured in the same run (issue 9). Prints a markdown table, writes it with the raw
 * numbers to bench/results/latest.md, and with `--readme` puts it in README.md's
 * "## Benchmarks" section.
 *
 * Servers run as their own processes on 127.0.0.1 and only 127.0.0.1 is targeted. wrk is
 * installed from Debian when missing. Every section is bounded in time and the whole run
 * stops itself after `BENCH_TIMEOUT_S` (default 900 s), killing what it started.
 * Knobs: see bench/lib/config.ts.
 *
 * @module
 */
import {
  type BenchConfig,
  loadBenchConfig,
  type Section,
  SECTIONS,
} from "./lib/config.ts";
import { killAll, ROOT_DIR } from "./lib/process.ts";
import {
  fmtMarkdown,
  replaceSection,
  type Row,
  type SectionResult,
  table,
} from "./lib/report.ts";
import { readmeSection } from "./lib/readme.ts";
import { ensureWrk } from "./lib/wrk.ts";
import { speed } from "./sections/speed.ts";
import { connect } from "./sections/connect.ts";
import { scale } from "./sections/scale.ts";
import { weight } from "./sections/weight.ts";
import { coldStart } from "./sections/cold.ts";
import { memory } from "./sections/memory.ts";
import { roundTrips } from "./sections/round_trips.ts";
import { simData } from "./sections/sim_data.ts";
import { events } from "./sections/events.ts";
import { people } from "./sections/people.ts";

const RUNNERS: Record<
  Section,
  { run: (c: BenchConfig) => Promise<SectionResult>; wrk: boolean }
> = {
  speed: { run: speed, wrk: true },
  connect: { run: connect, wrk: false },
  scale: { run: scale, wrk: true },
  weight: { run: weight, wrk: false },
  cold: { run: coldStart, wrk: false },
  memory: { run: memory, wrk: true },
  round_trips: { run: roundTrips, wrk: false },
  sim_data: { run: simData, wrk: false },
  events: { run: events, wrk: true },
  people: { run: people, wrk: false },
};

/** A short description of the machine, for the report. */
async function machine(): Promise<string> {
  const cpus = navigator.hardwareConcurrency;
  let model = "unknown CPU";
  try {
    model = (await Deno.readTextFile("/proc/cpuinfo"))
      .match(/^model name\s*:\s*(.+)$/m)?.[1]?.trim() ?? model;
  } catch { /* not Linux */ }
  const load = Deno.loadavg().map((n) => n.toFixed(2)).join(", ");
  return `${cpus} cores (${model}), load average at start ${load}; Deno ${Deno.version.deno}`;
}

async function main() {
  const config = loadBenchConfig(Deno.env.toObject());
  const writeReadme = Deno.args.includes("--readme") ||
    Deno.env.get("BENCH_README") === "1";
  if (writeReadme && config.only.length < SECTIONS.length) {
    // The README's table is one full run; a partial one would drop the other rows.
    console.error("bench: --readme needs a full run (unset BENCH_ONLY).");
    Deno.exit(2);
  }
  const timeoutS = Number(Deno.env.get("BENCH_TIMEOUT_S") ?? 900);
  const watchdog = setTimeout(() => {
    console.error(`bench: still running after ${timeoutS} s; stopping.`);
    killAll();
    Deno.exit(2);
  }, timeoutS * 1000);
  Deno.addSignalListener("SIGINT", () => {
    killAll();
    Deno.exit(130);
  });

  const started = performance.now();
  const about = await machine();
  console.error(`bench: ${about}`);
  const needWrk = config.only.some((s) => RUNNERS[s].wrk);
  const wrk = needWrk ? await ensureWrk() : false;

  const rows: Row[] = [];
  const details: string[] = [];
  const facts: Record<string, number> = {};
  let failed = false;
  for (const name of config.only) {
    const runner = RUNNERS[name];
    if (runner.wrk && !wrk) {
      details.push(`### ${name}\n\nSkipped: wrk is not available.`);
      continue;
    }
    const t0 = performance.now();
    console.error(`bench: ${name}...`);
    try {
      const result = await runner.run(config);
      rows.push(...result.rows);
      details.push(...result.details);
      Object.assign(facts, result.facts);
      console.error(
        `bench: ${name} done in ${
          ((performance.now() - t0) / 1000).toFixed(1)
        } s`,
      );
    } catch (err) {
      failed = true;
      const message = err instanceof Error ? err.message : String(err);
      console.error(`bench: ${name} failed: ${message}`);
      details.push(`### ${name}\n\nFailed: ${message}`);
    } finally {
      killAll();
    }
  }

  const seconds = (performance.now() - started) / 1000;
  const endLoad = Deno.loadavg().map((n) => n.toFixed(2)).join(", ");
  const tableText = table(rows);
  const report = await fmtMarkdown([
    "# Benchmark results",
    "",
    `${new Date().toISOString()}, ${about}; load average at end ${endLoad}; ${
      seconds.toFixed(0)
    } s in all.`,
    "",
    tableText,
    "",
    "## Details",
    "",
    details.join("\n\n"),
    "",
  ].join("\n"));
  console.log(report);
  await Deno.mkdir(`${ROOT_DIR}bench/results`, { recursive: true });
  await Deno.writeTextFile(`${ROOT_DIR}bench/results/latest.md`, report);

  if (writeReadme) {
    const readme = `${ROOT_DIR}README.md`;
    let target = readme;
    let text: string;
    try {
      text = await Deno.readTextFile(readme);
    } catch {
      // No README yet: the section goes to bench/README.md, to be merged.
      target = `${ROOT_DIR}bench/README.md`;
      text = await Deno.readTextFile(target).catch(() => "");
    }
    const section = await fmtMarkdown(
      readmeSection({
        tableText: table(rows, { commands: false }),
        about,
        endLoad,
        seconds,
        config,
        facts,
      }),
    );
    await Deno.writeTextFile(target, replaceSection(text, section));
    console.error(`bench: wrote the Benchmarks section to ${target}`);
  }
  clearTimeout(watchdog);
  if (failed) Deno.exit(1);
}

if (import.meta.main) await main();
