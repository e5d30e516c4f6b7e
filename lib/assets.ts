/**
 * Static assets: the stylesheet and the island bundle, held in memory to serve.
 *
 * The island bundle is served under a build-id path derived from its content, so it can
 * be cached `immutable`. In production it must come prebuilt from `deno task build`
 * (static/build/): a production start writes no files, spawns nothing and never loads
 * esbuild, as Deno Deploy requires. Demo mode and development hand in a `build` function
 * (islands/build.ts) that bundles in memory instead.
 *
 * The stylesheet is served with an ETag so browsers revalidate it cheaply.
 *
 * @module
 */
import { ConfigError } from "./config.ts";
import { sha256Bytes } from "./hash.ts";

/** One asset held in memory, ready to serve. */
export interface Asset {
  body: Uint8Array;
  contentType: string;
  etag: string;
  immutable: boolean;
}

/** The assets a page links to, and their bytes. */
export interface Assets {
  /** URL of the island bundle, e.g. `/static/build/3f2a…/islands.js`. */
  islandsUrl: string;
  stylesUrl: string;
  /** Path → asset, for the static route. */
  files: Map<string, Asset>;
}

/** Where the island bundle is built to (`deno task build`) and read from. */
const BUILD_DIR = new URL("../static/build/", import.meta.url);

/** A file of the island build: `manifest.json`, or `<id>/islands.js`. */
export function buildFile(name: string): URL {
  return new URL(name, BUILD_DIR);
}
const STYLES = new URL("../static/styles.css", import.meta.url);

/** One file of the island build (islands/build.ts): the entry, or a lazy chunk. */
export interface BuildFile {
  name: string;
  contents: Uint8Array;
}

/** The content id of a build: the first 16 hex digits of a SHA-256 over its files. */
export function buildId(files: BuildFile[]): string {
  const parts = files.flatMap((f) => [
    new TextEncoder().encode(`${f.name}\0${f.contents.length}\0`),
    f.contents,
  ]);
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) all.set(p, (at += p.length) - p.length);
  return sha256Hex(all).slice(0, 16);
}

function sha256Hex(bytes: Uint8Array): string {
  return sha256Bytes(bytes).toHex();
}

async function readPrebuilt(): Promise<BuildFile[] | null> {
  try {
    const { id, files } = JSON.parse(
      await Deno.readTextFile(buildFile("manifest.json")),
    );
    // A manifest from before chunks existed lists no files: its entry alone.
    const names: string[] = files ?? ["islands.js"];
    return await Promise.all(names.map(async (name) => ({
      name,
      contents: await Deno.readFile(buildFile(`${id}/${name}`)),
    })));
  } catch {
    return null;
  }
}

/** How the island bundle is obtained. */
export interface BundleOptions {
  /** Use the prebuilt bundle of static/build/ when there is one. */
  prebuilt: boolean;
  /** Bundles in memory; absent in production, where a missing build stops the start. */
  build?: () => Promise<BuildFile[]>;
  /** The brand (lib/brand.ts): its variables close the stylesheet; its icon is the favicon. */
  brand?: { css: string; icon: string };
}

/** Where the favicon is served (and `/favicon.ico`, which browsers ask for unprompted). */
export const ICON_PATH = "/favicon.svg";

/**
 * Loads the stylesheet and the island bundle. Throws a `ConfigError` naming
 * `deno task build` when no bundle can be had.
 *
 * @example
 * ```ts
 * const assets = await loadAssets({ prebuilt: true }); // production
 * ```
 */
export async function loadAssets(options: BundleOptions): Promise<Assets> {
  const code = (options.prebuilt ? await readPrebuilt() : null) ??
    await options.build?.();
  if (!code?.length) {
    throw new ConfigError(
      "the island bundle is missing: run `deno task build` before starting in production",
    );
  }
  const enc = new TextEncoder();
  const css = new Uint8Array([
    ...await Deno.readFile(STYLES),
    ...enc.encode(options.brand?.css ?? ""),
  ]);
  const cssHash = sha256Hex(css);
  const dir = `/static/build/${buildId(code)}/`;
  const islandsUrl = `${dir}${code[0].name}`;
  const stylesUrl = "/static/styles.css";
  const files = new Map<string, Asset>(code.map((f) => [`${dir}${f.name}`, {
    body: f.contents,
    contentType: "text/javascript; charset=utf-8",
    etag: `"${sha256Hex(f.contents).slice(0, 32)}"`,
    immutable: true,
  }]));
  files.set(stylesUrl, {
    body: css,
    contentType: "text/css; charset=utf-8",
    etag: `"${cssHash.slice(0, 32)}"`,
    immutable: false,
  });
  if (options.brand) {
    const icon = enc.encode(options.brand.icon);
    files.set(ICON_PATH, {
      body: icon,
      contentType: "image/svg+xml",
      etag: `"${sha256Hex(icon).slice(0, 32)}"`,
      immutable: false,
    });
  }
  return { islandsUrl, stylesUrl, files };
}
