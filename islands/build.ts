/**
 * Building the island bundle: islands/client.ts and everything it hydrates, bundled for
 * the browser with esbuild. `deno task build` writes it to static/build/ (Deno Deploy's
 * build step, and any production start); demo mode and `deno task dev` build it in
 * memory at start instead. Production never loads this module, so never loads esbuild.
 *
 * Automatic JSX for Preact: Deno's precompile transform must not be used for browser
 * code (it hydrates, then ignores every click).
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { buildFile, contentId } from "../lib/assets.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));

/** Bundles islands/client.ts for the browser; returns the minified ESM code. */
export async function bundleIslands(): Promise<Uint8Array> {
  const esbuild = await import("esbuild");
  try {
    const result = await esbuild.build({
      entryPoints: [`${ROOT}islands/client.ts`],
      bundle: true,
      write: false,
      format: "esm",
      platform: "browser",
      target: "es2020",
      minify: true,
      jsx: "automatic",
      jsxImportSource: "preact",
      // Finch's Connect SDK imports React at its top, for `useRef` and `useEffect` only
      // (its hook, which the island does not use; it calls `FinchConnect.initialize`).
      // preact/hooks has both and is in the bundle anyway; preact/compat added 2 KB
      // gzip and put the bundle over its 10 KB budget (bench/). A future import of any
      // other React name fails the build loudly ("No matching export"), never silently.
      alias: { react: "preact/hooks" },
      nodePaths: [`${ROOT}node_modules`],
      logLevel: "silent",
    });
    return result.outputFiles[0].contents;
  } finally {
    await esbuild.stop();
  }
}

let inMemory: Promise<Uint8Array> | null = null;

/**
 * The bundle built in memory once per process (demo mode, development, tests): every
 * portal a process builds serves the same code.
 */
export function bundleOnce(): Promise<Uint8Array> {
  inMemory ??= bundleIslands().catch((err) => {
    inMemory = null;
    throw err;
  });
  return inMemory;
}

/** Writes the bundle and its manifest under static/build/ (`deno task build`). */
export async function writeBuild(): Promise<string> {
  const code = await bundleIslands();
  const id = contentId(code);
  await Deno.mkdir(buildFile(`${id}/`), { recursive: true });
  // Written aside and renamed into place: a server starting meanwhile reads the old
  // build or the new one, never half of one.
  await writeAtomically(buildFile(`${id}/islands.js`), code);
  await writeAtomically(
    buildFile("manifest.json"),
    new TextEncoder().encode(JSON.stringify({ id }) + "\n"),
  );
  return id;
}

async function writeAtomically(path: URL, bytes: Uint8Array) {
  const temp = new URL(`${path.href}.${crypto.randomUUID()}.tmp`);
  await Deno.writeFile(temp, bytes);
  await Deno.rename(temp, path);
}
