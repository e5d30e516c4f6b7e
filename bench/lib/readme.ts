/**
 * The README's "## Benchmarks" section: how to run, the machine, the table of the latest
 * full run, and what was changed where a figure missed its bar. `deno task bench
 * --readme` rewrites it; the prose lives here so the section can always be regenerated.
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
  const c = input.config;
  const f = input.facts;
  const r = (n: number | undefined) =>
    n === undefined ? "n/a" : n.toFixed(n < 0.1 ? 3 : 2);
  const us = (n: number | undefined) =>
    n === undefined ? "n/a" : `${Math.round(n)} µs`;
  const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
  return `## Benchmarks

\`deno task bench\` (\`bench/run.ts\`) measures speed, weight and scale, each against a
baseline measured in the same run, prints the table below and writes it with the raw
numbers (wrk percentiles, memory samples) to \`bench/results/latest.md\`;
\`deno task bench --readme\` also rewrites this section. Servers run as their own
processes on 127.0.0.1 (\`bench/servers/\`: the portal as \`main.ts\` serves it, on a
seeded KV file in a temp folder with a session cookie minted beforehand; a bare
\`Deno.serve\` hello world as the baseline). \`wrk\` is installed from Debian when
missing (its figures are skipped, with a message, when it cannot be). A full run takes
about ${
    Math.max(1, Math.round(input.seconds / 60))
  } minutes and stops itself after
\`BENCH_TIMEOUT_S\` (900). Knobs: \`BENCH_SECONDS\` (${c.seconds}), \`BENCH_CONNECTIONS\`
(${c.connections}), \`BENCH_LATENCY_SECONDS\` (${c.latencySeconds}),
\`BENCH_OTHER_CUSTOMERS\` (${c.otherCustomers}), \`BENCH_SEED_BUDGET_S\`
(${c.seedBudgetS}), \`BENCH_MEMORY_REQUESTS\` (${c.memoryRequests}),
\`BENCH_COLD_RUNS\` (${c.coldRuns}), \`BENCH_BROWSERS\` (${c.browsers}), \`BENCH_ONLY\`
(sections), \`BENCH_COMPARE_REV\` (also measure the page at another git revision),
\`BENCH_PROFILE=1\` (CPU profiles of the servers into \`bench/results/profiles/\`).

Machine of the run below: ${input.about}; load average at end ${input.endLoad}. The
machine is shared and wrk runs on the same two cores as the server, so absolute numbers
move from run to run: read the ratios, which compare with a baseline measured in the same
run, minutes apart at most. KB are 1,024 bytes.

${input.tableText}

How to read it:

- Scale: latency is measured with one connection (no queueing), the two stores' servers
  side by side in alternating rounds, every request rendered (\`PAGE_CACHE_MS=0\`: a
  cached page would measure the cache, not the store). The store with ${
    c.otherCustomers.toLocaleString("en-US")
  }
  other customers holds, for each, the customer record, a connection record, both
  indexes and a sealed token, seeded with batched atomic ops. Every key the page reads
  starts with the customer's id (\`["connections", customer_id, ...]\`), and the page
  lists at most 21 records (20 and a peek for the next-page cursor), so its cost follows
  the customer's own first page, not the store and not the customer's total.
- Connect: the five requests of a round trip go to the portal's handler in-process with
  the demo-mode simulator; the simulator's share is timed apart (its Connect page, and
  every call through the Finch gateway's \`fetch\`), and the rest is the portal's own time.
- Memory: the run renders every request (\`PAGE_CACHE_MS=0\`), the path that allocates
  most; the page cache's own memory has a bound (32 MB) that a test holds it to. V8 lets
  garbage pile up between collections, so the resident size of a busy page server saws
  up and down by tens of MB; it keeps growing only if its peaks climb, which the growth
  row compares (second half of the run against the first).
- Statuses are seeded fresh, so the page's refresh-on-view (\`lib/flows/status.ts\`) stays
  idle during the page runs (\`latest.md\` counts refreshes: 0). A page whose statuses are
  stale pays, once per connection and lease period, a KV lease and an introspect call,
  within its 1.5 s budget.

What changed, where figures missed their bars:

- The connections page spent about half of its server time formatting dates:
  \`toLocaleDateString\` with options builds a new \`Intl.DateTimeFormat\` on every call
  (about 45 µs, two per card). \`components/status.ts\` spells the one format it needs by
  hand.
- The form token's HMAC went through WebCrypto's promise round trip; \`lib/signing.ts\`
  uses \`node:crypto\` (synchronous, constant-time compare), about ten times cheaper.
- The session cookie was hashed with WebCrypto's \`digest\` (25-40 µs per call);
  \`lib/db/secrets.ts\` uses \`node:crypto\`'s \`createHash\` (about 2 µs), same output.
- One KV read fewer per page: \`requireSession\` read the customer again right after
  \`getPortalSession\` had read it to check revocation; the session now carries it.
- The page weighed 28.3 KB for 10 connections: the island's props were JSON escaped
  into an attribute (every quote six bytes), carried fields no card shows, and each card
  held its own disconnect dialog, dead weight without JavaScript. The props are now a
  JSON data block with only a card's fields, and the dialog exists only while it is
  open: ${f.htmlBytes ? kb(f.htmlBytes) : "n/a"} (the weight rows).
- A page cache (\`lib/http/page_cache.ts\`, \`PAGE_CACHE_MS\`, 1 s): a page is served
  again to the session it was rendered for, with a fresh CSP nonce, until anything of its
  customer changes in this process or the second is over. The page went from a render
  per request (${r(f.renderedRatio)} of the hello world, ${
    us(f.renderedCpuUs)
  } of CPU each: the row "rendered
  on every request") to ${r(f.pageRatio)} (${
    us(f.pageCpuUs)
  } each). What keeps it correct is in the
  README's "How it works" and in SECURITY.md. Its first version answered from a Hono
  middleware and keyed entries by the cookie's SHA-256: 0.18. Profiled with \`perf\`, a
  hit spent about 10 µs in routing and 10 µs hashing (\`node:crypto\` costs more per call
  inside a busy server than alone); the cache now answers before routing, keyed by the
  cookie as sent (the route's own session check still hashes it before anything is
  kept), and hands the headers over as a plain record. When a copy's second is up, one
  request renders while the others keep the copy: before, all fifty of wrk's
  connections rendered at once every second, which set the p99.${
    f.speedup
      ? ` Against the revision compared in this run: ${
        f.speedup.toFixed(1)
      } times its throughput.`
      : ""
  }
- The island bundle was 11.8 KB gzip, over its 10 KB bar: Finch's Connect SDK imports
  \`useRef\` and \`useEffect\` from \`react\`, and \`react\` was aliased to \`preact/compat\`
  (2 KB gzip). It is aliased to \`preact/hooks\`, already in the bundle (\`lib/assets.ts\`).
- Already in place: the provider list is cached by the gateway (one call an hour, not one
  per page); the callback asks Finch for introspect and the company in parallel; the page
  is paginated with a KV cursor.

The throughput bar (0.5 of a bare \`Deno.serve\`) is still missed (${
    r(f.pageRatio)
  }), and this page cannot meet it in this setup: a bare \`Deno.serve\` doing nothing but
send this page's ${
    f.htmlBytes ? kb(f.htmlBytes) : "n/a"
  } of HTML with its headers from memory reaches ${
    r(f.staticRatio)
  } of the hello world (the reference row). Most of that gap is the kernel copying the bytes
over loopback to wrk on the same two cores, and the security headers (a dozen, about
0.7 µs each to hand to the HTTP layer). The cached page (${
    us(f.pageCpuUs)
  } of CPU per request) is
within a few microseconds of that floor (${
    us(f.staticCpuUs)
  }): a cookie lookup, a map read, and
a copy of the page joined with a fresh nonce. Without the cache the floor is one KV read
away: a bare \`Deno.serve\` doing only that reaches ${
    r(f.kvReadRatio)
  }, and the page reads the session
and lists the connections before it renders. Compression does not open the way either:
the same page gzip-compressed once at start, sent to a client that asks for it, reaches ${
    r(f.gzipRatio)
  }
(the last reference row; Deno sends a byte body at a higher cost per byte than a string,
which eats most of what the smaller body saves), and a cached page with a fresh nonce in
every answer would have to be compressed around that nonce. The way left is a bar stated
against the page's own bytes, or a lighter page. Eventual reads change nothing on a local
KV file (they matter on Deno Deploy's replicated store, and a session read must see a
revocation anyway). Against a bare \`Deno.serve\` sending the same page from memory,
measured in the same run, the portal reaches ${
    r(f.pageVsStatic)
  } (the row "the portal's own share"):
that is the figure a bar for this page could be stated against.
`;
}
