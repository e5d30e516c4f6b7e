/** The repository's own source files, for the tests that read the code itself. */
import { join, normalize } from "node:path";
import { fileURLToPath as toPath } from "node:url";

const ROOT = toPath(new URL("../../", import.meta.url));
const SKIP = new Set([
  "node_modules",
  ".git",
  "data",
  "static",
  "screenshots",
  "results",
]);

/** Source files (`.ts`, `.tsx`), as paths relative to the repository root. */
export async function* sourceFiles(dir = ""): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(join(ROOT, dir))) {
    if (SKIP.has(entry.name) || entry.name.startsWith(".")) continue;
    const path = dir ? `${dir}/${entry.name}` : entry.name;
    if (entry.isDirectory) yield* sourceFiles(path);
    else if (/\.tsx?$/.test(entry.name)) yield path;
  }
}

/** The absolute path of a repository-relative one. */
export function fromFileUrl(path: string): string {
  return join(ROOT, path);
}

/** Where a relative import of `from` points, relative to the repository root. */
export function relativeTo(from: string, spec: string): string {
  const dir = from.includes("/") ? from.slice(0, from.lastIndexOf("/")) : ".";
  return normalize(join(dir, spec)).replace(/^\.\//, "");
}
