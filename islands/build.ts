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
import { type BuildFile, buildFile, buildId } from "../lib/assets.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));

/**
 * Bundles islands/client.ts for the browser; returns the minified ESM files, the entry
 * (`islands.js`) first. Finch's Connect SDK is imported dynamically by the island, so it
 * lands in a chunk of its own that the browser fetches only when Connect opens.
 */
export async function bundleIslands(): Promise<BuildFile[]> {
  const esbuild = await import("esbuild");
  try {
    const result = await esbuild.build({
      entryPoints: [`${ROOT}islands/client.ts`],
      bundle: true,
      write: false,
      splitting: true,
      outdir: `${ROOT}static/build/out`,
      entryNames: "islands",
      chunkNames: "[name]-[hash]",
      format: "esm",
      platform: "browser",
      target: "es2020",
      minify: true,
      jsx: "automatic",
      jsxImportSource: "preact",
      // Finch's Connect SDK imports React at its top, for `useRef` and `useEffect` only
      // (its hook, which the island does not use). islands/react_stub.ts stands in:
      // preact/compat added 2 KB gzip, and even preact/hooks would be shared code the
      // page would have to load as a second script. A future import of any other React
      // name fails the build loudly ("No matching export"), never silently.
      alias: { react: `${ROOT}islands/react_stub.ts` },
      nodePaths: [`${ROOT}node_modules`],
      logLevel: "silent",
    });
    const files = result.outputFiles.map((f) => ({
      name: f.path.slice(f.path.lastIndexOf("/") + 1),
      contents: f.contents,
    }));
    return files.sort((a, b) =>
      Number(b.name === "islands.js") - Number(a.name === "islands.js")
    );
  } finally {
    await esbuild.stop();
  }
}

let inMemory: Promise<BuildFile[]> | null = null;

/**
 * The bundle built in memory once per process (demo mode, development, tests): every
 * portal a process builds serves the same code.
 */
export function bundleOnce(): Promise<BuildFile[]> {
  inMemory ??= bundleIslands().catch((err) => {
    inMemory = null;
    throw err;
  });
  return inMemory;
}

/** Writes the bundle and its manifest under static/build/ (`deno task build`). */
export async function writeBuild(): Promise<string> {
  const files = await bundleIslands();
  const id = buildId(files);
  await Deno.mkdir(buildFile(`${id}/`), { recursive: true });
  // Written aside and renamed into place, the manifest last: a server starting
  // meanwhile reads the old build or the new one, never half of one.
  for (const f of files) {
    await writeAtomically(buildFile(`${id}/${f.name}`), f.contents);
  }
  await writeAtomically(
    buildFile("manifest.json"),
    new TextEncoder().encode(
      JSON.stringify({ id, files: files.map((f) => f.name) }) + "\n",
    ),
  );
  return id;
}

async function writeAtomically(path: URL, bytes: Uint8Array) {
  const temp = new URL(`${path.href}.${crypto.randomUUID()}.tmp`);
  await Deno.writeFile(temp, bytes);
  await Deno.rename(temp, path);
}
