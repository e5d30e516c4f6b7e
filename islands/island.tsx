/**
 * Islands, the small way: the only client code the portal ships.
 *
 * On the server, `<Island name props>` renders the component in place, wrapped in
 * `<div data-island>` right after a JSON data block holding its props, and records on
 * the current render that the page needs the client script. In the browser,
 * `islands/client.ts` finds each marker, looks the name up in its registry and hydrates
 * it. Pages that render no island therefore ship no `<script>` at all.
 *
 * Props cross as JSON in a `<script type="application/json">` block: a data block,
 * which browsers never run (so CSP needs no nonce for it), and a third fewer bytes than
 * the same JSON escaped into an attribute. `<`, `>` and `&` are written `\u003c`,
 * `\u003e` and `\u0026`, so nothing in the data can close the block. Props must be
 * plain data and never hold a secret.
 */
import type { ComponentChildren, FunctionComponent, VNode } from "preact";
import { renderToString } from "preact-render-to-string";
import { type IslandName, islands } from "./registry.ts";

// preact-render-to-string renders synchronously and in document order, so one
// module-level collector per render is safe (no other render can interleave with it),
// and a component placed after every island reads what they recorded.
let current: { hydrate: boolean } | null = null;

/**
 * Renders a whole document (one pass, no second copy of the body) and reports whether it
 * held an island. Put {@linkcode IslandScript} after the content: by then it knows.
 */
export function renderWithIslands(
  tree: VNode,
): { html: string; hydrate: boolean } {
  const previous = current;
  current = { hydrate: false };
  try {
    const html = renderToString(tree);
    return { html, hydrate: current.hydrate };
  } finally {
    current = previous;
  }
}

/** The island bundle's script tag, rendered only when the page rendered an island. */
export function IslandScript(
  { src, nonce }: { src: string; nonce: string },
): VNode | null {
  return current?.hydrate
    ? <script type="module" src={src} nonce={nonce} />
    : null;
}

type PropsOf<N extends IslandName> = Parameters<(typeof islands)[N]>[0];

/** Renders island `name` on the server and marks it for hydration in the browser. */
export function Island<N extends IslandName>(
  { name, props }: { name: N; props: PropsOf<N>; children?: ComponentChildren },
): VNode {
  if (current) current.hydrate = true;
  // deno-lint-ignore no-explicit-any
  const Component = islands[name] as FunctionComponent<any>;
  const json = JSON.stringify(props).replaceAll("<", "\\u003c")
    .replaceAll(">", "\\u003e").replaceAll("&", "\\u0026");
  return (
    <>
      <script
        type="application/json"
        data-island-props={name}
        dangerouslySetInnerHTML={{ __html: json }}
      />
      <div data-island={name} class="island">
        <Component {...props} />
      </div>
    </>
  );
}
