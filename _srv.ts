import { servedStore } from "./bench/lib/portal.ts";
const s = await servedStore({
  label: "st",
  others: 1,
  targets: [{ id: "acme", connections: 10 }],
});
await s.server.stop();
console.log(JSON.stringify({ kv: s.kvPath, cookie: s.seeded.cookies.acme }));
await new Promise((r) => setTimeout(r, 3600000));
