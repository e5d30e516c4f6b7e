/**
 * The portal as main.ts serves it (same `bootPortal`, same `Deno.serve`, a KV file at
 * `KV_PATH`), bound to 127.0.0.1 only. The harness seeds the KV file and mints session
 * cookies before it starts this, so nothing here runs while it is measured.
 *
 * Log lines go to stderr as JSON, as main.ts's do; the harness counts them by event (for
 * example to see whether the status refresh-on-view ran during a measurement).
 *
 * Copied into another revision's tree to measure that revision (bench/lib/compare.ts),
 * so it finds the composition root where that revision keeps it.
 *
 * @module
 */
type Boot = typeof import("../../boot.ts");
const { bootPortal }: Boot = await import("../../boot.ts").catch(() =>
  // Before release 2 the composition root lived in lib/.
  import(new URL("../../lib/boot.ts", import.meta.url).href)
);

const portal = await bootPortal({
  env: Deno.env.toObject(),
  // The benchmarks run against the built-in simulator.
  demo: true,
  log: (level, event, fields = {}) =>
    console.error(JSON.stringify({ level, event, ...fields })),
});
const server = Deno.serve({
  hostname: "127.0.0.1",
  port: portal.config.port,
  onListen: () => {},
}, portal.fetch);

Deno.addSignalListener("SIGTERM", async () => {
  await server.shutdown();
  await portal.close();
  Deno.exit(0);
});
