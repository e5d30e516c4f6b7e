/**
 * The portal as main.ts serves it (same `bootPortal`, same `Deno.serve`, a KV file at
 * `KV_PATH`), bound to 127.0.0.1 only. The harness seeds the KV file and mints session
 * cookies before it starts this, so nothing here runs while it is measured.
 *
 * Log lines go to stderr as JSON, as main.ts's do; the harness counts them by event (for
 * example to see whether the status refresh-on-view ran during a measurement).
 *
 * @module
 */
import { bootPortal } from "../../boot.ts";

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
