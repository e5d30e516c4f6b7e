/**
 * Seeds a KV file with the code of the tree it runs in (bench/lib/seed.ts), so that
 * another revision's store is written in that revision's own layout
 * (bench/lib/compare.ts). Prints what `seedStore` returns, as JSON.
 *
 * `deno run -A bench/servers/seed.ts '{"kvPath": ..., "tokenKeys": ..., "others": 10,
 * "targets": [{"id": "acme", "connections": 10}], "budgetMs": 120000}'`
 *
 * @module
 */
import { seedStore } from "../lib/seed.ts";

console.log(JSON.stringify(await seedStore(JSON.parse(Deno.args[0]))));
