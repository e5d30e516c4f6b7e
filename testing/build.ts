/**
 * What a production start requires from `deno task build`, the prebuilt island bundle
 * and the server bundle, made once when a test or benchmark starts production processes
 * and none exists yet.
 * `deno task test` builds first anyway; this keeps a single test file runnable alone.
 *
 * @module
 */
import { buildFile } from "../lib/assets.ts";
import { writeBuild } from "../islands/build.ts";
import { bundleServer, SERVER_BUNDLE } from "../scripts/server_bundle.ts";

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

let bundled: Promise<void> | null = null;

/**
 * Resolves once dist/ holds the server bundle (scripts/server_bundle.ts), made now when
 * none exists. Tests that run it should run after `deno task build` in any case.
 */
export function ensureServerBundle(): Promise<void> {
  bundled ??= Deno.stat(new URL(`../${SERVER_BUNDLE}`, import.meta.url)).then(
    () => {},
    () => bundleServer(),
  );
  return bundled;
}
