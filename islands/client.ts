/**
 * The browser entry: hydrates every `[data-island]` marker the server rendered, using the
 * shared registry and the props in the JSON block just before the marker (see
 * lib/islands.tsx). Bundled with esbuild (see lib/assets.ts).
 */
import { h, hydrate } from "preact";
import { type IslandName, islands } from "./registry.ts";

for (const el of document.querySelectorAll<HTMLElement>("[data-island]")) {
  const name = el.dataset.island as IslandName;
  const Component = islands[name];
  if (!Component || el.dataset.hydrated) continue;
  const data = el.previousElementSibling;
  const props = data?.matches("script[data-island-props]")
    ? JSON.parse(data.textContent ?? "{}")
    : {};
  // deno-lint-ignore no-explicit-any
  hydrate(h(Component as any, props), el);
  el.dataset.hydrated = "true";
}
