/**
 * The prebuilt island bundle that a production start requires (`deno task build`), made
 * once when a test or benchmark starts production processes and none exists yet.
 * `deno task test` builds first anyway; this keeps a single test file runnable alone.
 *
 * @module
 */
import { buildFile } from "../lib/assets.ts";
import { writeBuild } from "../islands/build.ts";

let once: Promise<void> | null = null;

/** Resolves once static/build/ holds a bundle. */
export function ensureIslandBuild(): Promise<void> {
  once ??= Deno.stat(buildFile("manifest.json")).then(
    () => {},
    async () => {
      await writeBuild();
    },
  );
  return once;
}
