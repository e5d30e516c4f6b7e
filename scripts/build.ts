/**
 * `deno task build`: bundles the islands into static/build/<build-id>/islands.js with a
 * manifest. A production start serves this prebuilt bundle and never runs esbuild (Deno
 * Deploy runs it as its build step); demo mode and `deno task dev` build in memory.
 */
import { writeBuild } from "../islands/build.ts";

const id = await writeBuild();
console.log(`Built the island bundle: static/build/${id}/islands.js`);
