/**
 * The production server as one bundle: `dist/main.js` and its lazily loaded chunks (the
 * Finch SDK, demo mode), made by `deno bundle` from main.ts.
 *
 * Why: a start loads one file instead of a hundred-odd modules, each resolved and read
 * on its own, and on Deno Deploy an employer's rare visit usually meets a cold isolate
 * (bench/README.md, "cold"). `deno run main.ts` still works; the bundle is the same code.
 * The bundle sits one folder below the repository root, as lib/ does, so the paths its
 * code reads relative to itself (`../static/...`) resolve alike.
 *
 * @module
 */

/** The bundle's entry, relative to the repository root. */
export const SERVER_BUNDLE = "dist/main.js";

const ROOT = new URL("../", import.meta.url);

/** Bundles main.ts into dist/; throws with deno's output when bundling fails. */
export async function bundleServer(): Promise<void> {
  await Deno.remove(new URL("dist/", ROOT), { recursive: true }).catch(
    () => {},
  );
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "bundle",
      "--platform=deno",
      "--code-splitting",
      // Browser-only and demo-only imports, never loaded by a production start:
      // Finch's Connect SDK imports react (the island aliases it), esbuild builds
      // the island in demo mode.
      "--external",
      "react",
      "--external",
      "esbuild",
      "--outdir",
      "dist",
      "main.ts",
    ],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(
      `deno bundle failed:\n${new TextDecoder().decode(out.stderr)}`,
    );
  }
}
