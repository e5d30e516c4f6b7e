/**
 * A reference point, not the portal: bare `Deno.serve` that reads one small record from
 * Deno KV (at `KV_PATH`) per request, like a session lookup. No page that checks a
 * session stored in KV can be faster than this, so its ratio to the hello world says
 * what the throughput bar leaves for everything else.
 *
 * @module
 */
const kv = await Deno.openKv(Deno.env.get("KV_PATH") ?? ":memory:");
const key = ["bench", "session"];
await kv.set(key, {
  customer_id: "acme",
  created_at: new Date().toISOString(),
  expires_at: new Date(Date.now() + 3600_000).toISOString(),
});
const port = Number(Deno.env.get("PORT") ?? 8000);
Deno.serve({ hostname: "127.0.0.1", port, onListen: () => {} }, async () => {
  const entry = await kv.get<{ customer_id: string }>(key);
  return new Response(`Hello, ${entry.value?.customer_id}!`);
});
