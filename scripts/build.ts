/**
 * `deno task build`: bundles the islands into static/build/<build-id>/islands.js with a
 * manifest, for hosts that cannot run esbuild at start (Deno Deploy). main.ts serves the
 * prebuilt bundle when one exists; otherwise it builds in memory.
 */
import { writeBuild } from "../lib/assets.ts";

const id = await writeBuild();
console.log(`Built the island bundle: static/build/${id}/islands.js`);
