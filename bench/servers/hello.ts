/**
 * The baseline server: a bare `Deno.serve` hello world on 127.0.0.1:$PORT. Every portal
 * figure that depends on the machine is reported as a ratio to this, measured in the
 * same run.
 *
 * @module
 */
const port = Number(Deno.env.get("PORT") ?? 8000);
Deno.serve(
  { hostname: "127.0.0.1", port, onListen: () => {} },
  () => new Response("Hello, world!"),
);
