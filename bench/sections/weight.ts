/**
 * Weight: what a browser downloads to show the connections page of a customer with 10
 * connections. The page's HTML is fetched from a portal process, every subresource it
 * references (stylesheets, scripts, images, and `url()`s in the stylesheets) is fetched
 * and counted, and JavaScript is measured raw and gzipped (CompressionStream, default
 * level). Pages that render no island must carry no script at all.
 *
 * Baselines from the same run: the JavaScript of Preact's runtime alone (`h` and
 * `hydrate`, bundled and minified by the same esbuild settings), the floor of any
 * hydrated island; and the HTML of a page with the layout only (the 404 page).
 *
 * @module
 */
import type { BenchConfig } from "../lib/config.ts";
import { checkPage, servedStore } from "../lib/portal.ts";
import { ROOT_DIR } from "../lib/process.ts";
import { fmt, kb, type Row, type SectionResult } from "../lib/report.ts";

const CMD = "BENCH_ONLY=weight deno task bench";

/** gzip size of `bytes`, as a server or CDN would send them. */
export async function gzipSize(bytes: Uint8Array): Promise<number> {
  const stream = new Blob([bytes as BlobPart]).stream().pipeThrough(
    new CompressionStream("gzip"),
  );
  return (await new Response(stream).arrayBuffer()).byteLength;
}

/** One referenced resource. */
interface Resource {
  url: string;
  kind: "script" | "stylesheet" | "image" | "other";
  bytes: number;
  gzip: number;
}

/**
 * The URLs a page references: `<script src>`, `<link href>` (stylesheets, icons,
 * preloads), `<img src>`, `<iframe src>`, `<source src>`. Attribute values are HTML
 * text, so `&amp;` is decoded.
 */
export function subresources(
  html: string,
): { url: string; kind: Resource["kind"] }[] {
  const found: { url: string; kind: Resource["kind"] }[] = [];
  const attr = (tag: string, name: string) =>
    tag.match(new RegExp(`\\s${name}="([^"]*)"`))?.[1]?.replaceAll(
      "&amp;",
      "&",
    );
  for (
    const [tag, name] of html.matchAll(
      /<(script|link|img|iframe|source)\b[^>]*>/g,
    )
  ) {
    if (name === "script") {
      const src = attr(tag, "src");
      if (src) found.push({ url: src, kind: "script" });
    } else if (name === "link") {
      const rel = attr(tag, "rel") ?? "";
      const href = attr(tag, "href");
      if (
        !href || !/stylesheet|icon|preload|modulepreload|manifest/.test(rel)
      ) {
        continue;
      }
      found.push({
        url: href,
        kind: rel.includes("stylesheet")
          ? "stylesheet"
          : rel.includes("modulepreload")
          ? "script"
          : "other",
      });
    } else {
      const src = attr(tag, "src");
      if (src) {
        found.push({ url: src, kind: name === "img" ? "image" : "other" });
      }
    }
  }
  return found;
}

/** `<script` tags in `html` that run, inline ones included (not JSON data blocks). */
export function scriptTags(html: string): number {
  return (html.match(/<script\b[^>]*>/gi) ?? [])
    .filter((tag) => !isDataBlock(tag)).length;
}

/** Bytes of the JSON data blocks (island props) in `html`. */
export function dataBlockBytes(html: string): number {
  let bytes = 0;
  for (const m of html.matchAll(/(<script\b[^>]*>)([\s\S]*?)<\/script>/gi)) {
    if (isDataBlock(m[1])) bytes += new TextEncoder().encode(m[2]).length;
  }
  return bytes;
}

function isDataBlock(tag: string): boolean {
  return /\stype="application\/json"/i.test(tag);
}

/** Preact's runtime alone, bundled like the islands: the floor of any island bundle. */
async function preactFloor(): Promise<Uint8Array> {
  const esbuild = await import("esbuild");
  try {
    const result = await esbuild.build({
      stdin: {
        contents:
          `import { h, hydrate } from "preact"; globalThis.__bench = [h, hydrate];`,
        resolveDir: ROOT_DIR,
        loader: "js",
      },
      bundle: true,
      write: false,
      format: "esm",
      platform: "browser",
      target: "es2020",
      minify: true,
      nodePaths: [`${ROOT_DIR}node_modules`],
      logLevel: "silent",
    });
    return result.outputFiles[0].contents;
  } finally {
    await esbuild.stop();
  }
}

/** Runs the weight section. */
export async function weight(_config: BenchConfig): Promise<SectionResult> {
  const store = await servedStore({
    label: "weight",
    others: 10,
    targets: [{ id: "acme", connections: 10 }],
  });
  try {
    const { url } = store.server;
    const cookie = store.seeded.cookies.acme;
    const html = await checkPage(url, cookie, 10);
    const htmlBytes = new TextEncoder().encode(html);

    // Every subresource, once each (a browser fetches a repeated URL once), and the
    // `url()`s inside stylesheets.
    const queue = subresources(html);
    const seen = new Map<string, Resource>();
    while (queue.length) {
      const ref = queue.shift()!;
      const abs = new URL(ref.url, `${url}/connections`);
      if (seen.has(abs.href)) continue;
      const res = await fetch(abs, { headers: { cookie } });
      const body = new Uint8Array(await res.arrayBuffer());
      if (!res.ok) throw new Error(`${abs.pathname} answered ${res.status}`);
      seen.set(abs.href, {
        url: abs.pathname,
        kind: ref.kind,
        bytes: body.byteLength,
        gzip: await gzipSize(body),
      });
      if (ref.kind === "stylesheet") {
        const css = new TextDecoder().decode(body);
        for (const m of css.matchAll(/url\(\s*['"]?([^'")]+)['"]?\s*\)/g)) {
          if (!m[1].startsWith("data:")) {
            queue.push({ url: new URL(m[1], abs).href, kind: "other" });
          }
        }
      }
    }
    const resources = [...seen.values()];
    const scripts = resources.filter((r) => r.kind === "script");
    const jsBytes = scripts.reduce((n, r) => n + r.bytes, 0);
    const jsGzip = scripts.reduce((n, r) => n + r.gzip, 0);
    const inlineScripts = scriptTags(html) - scripts.length;

    // Pages without an island: no script of any kind.
    const noIsland: { name: string; path: string; cookie?: string }[] = [
      {
        name: "disconnect confirmation",
        path: `/connections/${store.seeded.firstConnection.acme}/disconnect`,
        cookie,
      },
      { name: "404 page", path: "/no-such-page", cookie },
      { name: "session-ended page (no cookie)", path: "/connections" },
    ];
    const plain: {
      name: string;
      status: number;
      scripts: number;
      bytes: number;
      requests: number;
    }[] = [];
    for (const p of noIsland) {
      const res = await fetch(`${url}${p.path}`, {
        headers: p.cookie ? { cookie: p.cookie } : {},
      });
      const text = await res.text();
      plain.push({
        name: p.name,
        status: res.status,
        scripts: scriptTags(text),
        bytes: new TextEncoder().encode(text).byteLength,
        requests: 1 + new Set(subresources(text).map((r) => r.url)).size,
      });
    }
    const scriptless = plain.every((p) => p.scripts === 0);
    const layoutOnly = plain.find((p) => p.name === "404 page")!;
    const confirm = plain.find((p) => p.name === "disconnect confirmation")!;

    const floor = await preactFloor();
    const floorGzip = await gzipSize(floor);
    const requests = 1 + resources.length;
    const rows: Row[] = [
      {
        figure: "JavaScript on the connections page (island bundle)",
        value: `${kb(jsGzip)} gzip (${
          kb(jsBytes)
        } minified), ${scripts.length} file, ${inlineScripts} inline`,
        baseline: `${kb(floorGzip)} gzip Preact runtime alone`,
        ratio: jsGzip / floorGzip,
        bar: "≤ 10 KB gzip",
        pass: jsGzip <= 10 * 1024,
        command: CMD,
      },
      {
        figure: "JavaScript on pages without an island",
        value: plain.map((p) => `${p.name}: ${p.scripts} scripts`).join("; "),
        baseline: "none expected",
        ratio: null,
        bar: "no script",
        pass: scriptless,
        command: CMD,
      },
      {
        figure: "HTML of the connections page, 10 connections",
        value: `${kb(htmlBytes.byteLength)} (${
          kb(await gzipSize(htmlBytes))
        } gzip), of which the island's props ${kb(dataBlockBytes(html))}`,
        baseline: `${kb(layoutOnly.bytes)} layout only (404 page)`,
        ratio: htmlBytes.byteLength / layoutOnly.bytes,
        bar: "",
        pass: null,
        command: CMD,
      },
      {
        figure: "Requests to render the connections page",
        value: `${requests} (HTML, ${
          [
            ["stylesheet", "stylesheet"],
            ["script", "script"],
            ["image", "image"],
            ["other", "other"],
          ].map(([k, w]) => {
            const n = resources.filter((r) => r.kind === k).length;
            return n ? `${n} ${w}${n > 1 ? "s" : ""}` : "";
          }).filter(Boolean).join(", ")
        })`,
        baseline:
          `${confirm.requests} for the disconnect confirmation (no island)`,
        ratio: null,
        bar: "",
        pass: null,
        command: CMD,
      },
    ];
    return {
      rows,
      details: [
        "### Weight (connections page, 10 connections, demo mode)",
        [
          `- HTML ${fmt(htmlBytes.byteLength, 0)} bytes; ${
            scriptTags(html)
          } script tag(s)`,
          ...resources.map((r) =>
            `- ${r.kind} \`${r.url}\`: ${fmt(r.bytes, 0)} bytes, ${
              fmt(r.gzip, 0)
            } gzip`
          ),
          ...plain.map((p) =>
            `- ${p.name}: ${p.status}, ${
              fmt(p.bytes, 0)
            } bytes, ${p.scripts} script tags, ${p.requests} requests`
          ),
          `- Preact runtime alone: ${fmt(floor.byteLength, 0)} bytes, ${
            fmt(floorGzip, 0)
          } gzip`,
          "- provider logos are served by the simulator in demo mode; with Finch they come from Finch's CDN",
        ].join("\n"),
      ],
    };
  } finally {
    await store.close();
  }
}
