/**
 * `deno task build`: what a production start needs, made once (Deno Deploy runs it as
 * its build step). The islands into static/build/<build-id>/islands.js with a manifest:
 * a production start serves them and never runs esbuild; demo mode and `deno task dev`
 * build them in memory. And the server itself as one bundle, dist/main.js
 * (scripts/server_bundle.ts), which `deno task serve` runs.
 */
import { writeBuild } from "../islands/build.ts";
import { bundleServer, SERVER_BUNDLE } from "./server_bundle.ts";

const id = await writeBuild();
console.log(`Built the island bundle: static/build/${id}/islands.js`);
await bundleServer();
console.log(`Built the server bundle: ${SERVER_BUNDLE}`);
