/**
 * The floor plan, read from the imports themselves: every arrow points down.
 *
 *   main.ts, dev.ts, boot.ts, demo.ts     the composition root: knows every room
 *   app.tsx                                the app: headers, routes, the one error handler
 *   routes/                                one sub-app per area
 *   islands/, components/                  what pages render (islands may use components)
 *   lib/                                   config, data, Finch, flows, crypto, HTTP helpers
 *
 * Apart: `sim/` is Finch's stand-in and imports nothing of the portal; only demo.ts (and
 * tools: tests, testing/, bench/, scripts/) may import it. `bench/` and `testing/` never
 * import `tests/`.
 */
import assert from "node:assert/strict";
import { fromFileUrl, relativeTo, sourceFiles } from "./_files.ts";

/** The floor of a portal file; higher floors may import lower ones only. */
function floorOf(path: string): number | "sim" | "tool" {
  if (["main.ts", "dev.ts", "boot.ts", "demo.ts"].includes(path)) return 4;
  if (path === "app.tsx") return 3;
  if (path.startsWith("routes/")) return 2;
  if (path.startsWith("islands/") || path.startsWith("components/")) return 1;
  if (path.startsWith("lib/")) return 0;
  if (path.startsWith("sim/")) return "sim";
  return "tool";
}

/** Every relative import of a module (static, dynamic, re-export, type-only). */
export function importsOf(text: string): string[] {
  const found: string[] = [];
  const patterns = [
    /(?:^|[\s;])(?:import|export)\s[^'"`]*?\sfrom\s*["'](\.{1,2}\/[^"']+)["']/gm,
    /(?:^|[\s;])import\s*["'](\.{1,2}\/[^"']+)["']/gm,
    /\bimport\(\s*["'](\.{1,2}\/[^"']+)["']\s*\)/g,
  ];
  for (const pattern of patterns) {
    for (const m of text.matchAll(pattern)) found.push(m[1]);
  }
  return found;
}

/** The arrows that break the floor plan, as `from -> to: why`. */
export function violations(
  modules: { path: string; text: string }[],
): string[] {
  const out: string[] = [];
  for (const { path, text } of modules) {
    for (const spec of importsOf(text)) {
      const target = relativeTo(path, spec);
      const from = floorOf(path), to = floorOf(target);
      const arrow = `${path} -> ${target}`;
      if (target.startsWith("tests/") && !path.startsWith("tests/")) {
        out.push(`${arrow}: only tests import tests/`);
      } else if (from === "sim" && to !== "sim") {
        out.push(`${arrow}: the simulator imports nothing of the portal`);
      } else if (to === "sim" && from !== "sim" && from !== "tool") {
        if (path !== "demo.ts") {
          out.push(`${arrow}: only demo.ts brings in the simulator`);
        }
      } else if (typeof from === "number" && typeof to === "number") {
        if (to > from) out.push(`${arrow}: points up`);
        if (
          from === 1 && to === 1 && path.startsWith("components/") &&
          target.startsWith("islands/")
        ) {
          out.push(`${arrow}: components are below islands`);
        }
      } else if (typeof from === "number" && to === "tool") {
        out.push(`${arrow}: the portal does not import tools`);
      }
    }
  }
  return out;
}

Deno.test("[floor plan] every import arrow points down", async () => {
  const modules = [];
  for await (const path of sourceFiles()) {
    modules.push({ path, text: await Deno.readTextFile(fromFileUrl(path)) });
  }
  assert.ok(modules.length > 50, "the source files were found");
  assert.deepEqual(violations(modules), []);
});

Deno.test("[floor plan] the check sees an arrow that points up, in every form", () => {
  const bad = [
    { path: "lib/x.ts", text: 'import { createApp } from "../app.tsx";' },
    { path: "lib/y.ts", text: 'export * from "../routes/api.ts";' },
    { path: "lib/z.ts", text: 'const m = await import("../sim/app.ts");' },
    {
      path: "lib/w.ts",
      text: 'import type { X } from "../components/Layout.tsx";',
    },
    {
      path: "components/A.tsx",
      text: 'import I from "../islands/island.tsx";',
    },
    { path: "routes/r.ts", text: 'import { bootPortal } from "../boot.ts";' },
    { path: "sim/s.ts", text: 'import { z } from "../lib/config.ts";' },
    { path: "bench/b.ts", text: 'import { x } from "../tests/helpers/x.ts";' },
    {
      path: "lib/t.ts",
      text: 'import { testPortal } from "../testing/portal.ts";',
    },
  ];
  assert.equal(violations(bad).length, bad.length, violations(bad).join("\n"));
  const good = [
    { path: "boot.ts", text: 'import { createApp } from "./app.tsx";' },
    {
      path: "demo.ts",
      text: 'import { createSimulator } from "./sim/app.ts";',
    },
    {
      path: "routes/a.ts",
      text: 'import { Island } from "../islands/island.tsx";',
    },
    {
      path: "islands/B.tsx",
      text: 'import { Card } from "../components/Card.tsx";',
    },
    { path: "testing/p.ts", text: 'import { bootPortal } from "../boot.ts";' },
  ];
  assert.deepEqual(violations(good), []);
});

Deno.test("[floor plan] no source file over 400 lines without its reason at the top", async () => {
  const long: string[] = [];
  for await (const path of sourceFiles()) {
    if (path.startsWith("tests/")) continue;
    const text = await Deno.readTextFile(fromFileUrl(path));
    const lines = text.split("\n").length;
    const head = text.split("\n").slice(0, 40).join("\n");
    if (lines > 400 && !/over 400 lines/i.test(head)) {
      long.push(`${path} (${lines} lines)`);
    }
  }
  assert.deepEqual(long, []);
});
