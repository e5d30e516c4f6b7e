/**
 * Static assets: the stylesheet and the island bundle.
 *
 * The island bundle is built with esbuild (automatic JSX for Preact; Deno's precompile
 * transform must not be used for browser code: it hydrates, then ignores every click).
 * It is served under a build-id path derived from its content, so it can be cached
 * `immutable`. `deno task build` writes it to `static/build/` for hosts that cannot run
 * esbuild (Deno Deploy); otherwise it is built in memory at start.
 *
 * The stylesheet is served with an ETag so browsers revalidate it cheaply.
 */
import { fileURLToPath } from "node:url";

/** One asset held in memory, ready to serve. */
export interface Asset {
  body: Uint8Array;
  contentType: string;
  etag: string;
}

/** The assets a page links to, and their bytes. */
export interface Assets {
  /** URL of the island bundle, e.g. `/static/build/3f2a…/islands.js`. */
  islandsUrl: string;
  stylesUrl: string;
  /** Path → asset, for the static route. */
  files: Map<string, Asset & { immutable: boolean }>;
}

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const BUILD_DIR = `${ROOT}static/build`;

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", bytes as BufferSource);
  return Array.from(
    new Uint8Array(digest),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("");
}

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

/** Writes the bundle and its manifest under static/build/ (`deno task build`). */
export async function writeBuild(): Promise<string> {
  const code = await bundleIslands();
  const id = (await sha256Hex(code)).slice(0, 16);
  await Deno.mkdir(`${BUILD_DIR}/${id}`, { recursive: true });
  await Deno.writeFile(`${BUILD_DIR}/${id}/islands.js`, code);
  await Deno.writeTextFile(
    `${BUILD_DIR}/manifest.json`,
    JSON.stringify({ id }) + "\n",
  );
  return id;
}

async function readPrebuilt(): Promise<Uint8Array | null> {
  try {
    const { id } = JSON.parse(
      await Deno.readTextFile(`${BUILD_DIR}/manifest.json`),
    );
    return await Deno.readFile(`${BUILD_DIR}/${id}/islands.js`);
  } catch {
    return null;
  }
}

let cached: Promise<Assets> | null = null;

/**
 * Loads the assets once per process: the prebuilt bundle when `prebuilt` is true and one
 * exists, otherwise a fresh in-memory build.
 */
export function loadAssets(
  options: { prebuilt?: boolean } = {},
): Promise<Assets> {
  cached ??= (async () => {
    const code = (options.prebuilt ? await readPrebuilt() : null) ??
      await bundleIslands();
    const css = await Deno.readFile(`${ROOT}static/styles.css`);
    const [codeHash, cssHash] = await Promise.all([
      sha256Hex(code),
      sha256Hex(css),
    ]);
    const islandsUrl = `/static/build/${codeHash.slice(0, 16)}/islands.js`;
    const stylesUrl = "/static/styles.css";
    const files = new Map<string, Asset & { immutable: boolean }>([
      [islandsUrl, {
        body: code,
        contentType: "text/javascript; charset=utf-8",
        etag: `"${codeHash.slice(0, 32)}"`,
        immutable: true,
      }],
      [stylesUrl, {
        body: css,
        contentType: "text/css; charset=utf-8",
        etag: `"${cssHash.slice(0, 32)}"`,
        immutable: false,
      }],
    ]);
    return { islandsUrl, stylesUrl, files };
  })();
  return cached;
}
