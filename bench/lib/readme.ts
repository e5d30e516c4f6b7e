/**
 * The README's "## Benchmarks" section: a short table of the latest full run and the
 * command that reproduces it. `deno task bench --readme` rewrites it; the method and the
 * discussion live in bench/README.md.
 *
 * @module
 */
import type { BenchConfig } from "./config.ts";

/** The section's markdown. */
export function readmeSection(input: {
  tableText: string;
  about: string;
  endLoad: string;
  seconds: number;
  config: BenchConfig;
  facts: Record<string, number>;
}): string {
  const compare = input.config.compareRev
    ? `BENCH_COMPARE_REV=${input.config.compareRev} `
    : "";
  return `## Benchmarks

Every figure is measured against a baseline taken in the same run (a bare \`Deno.serve\`,
or the revision before release 2's work), because absolute times on a shared machine are
noise. How each is measured, and what the figures mean, is in
[bench/README.md](bench/README.md). The latest full run (${input.about}; load average at
end ${input.endLoad}; ${Math.max(1, Math.round(input.seconds / 60))} minutes):

${input.tableText}

Reproduce with \`${compare}deno task bench\` (about ${
    Math.max(1, Math.round(input.seconds / 60))
  } minutes; \`BENCH_ONLY=<section>\` runs one; \`--readme\` rewrites this section).
`;
}
