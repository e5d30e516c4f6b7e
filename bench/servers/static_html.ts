/**
 * A reference point, not the portal: bare `Deno.serve` answering every request with the
 * HTML in the file `HTML_PATH` (the connections page as the portal rendered it), read
 * once at start. It shows what sending the page's bytes alone costs.
 *
 * @module
 */
const html = await Deno.readTextFile(Deno.env.get("HTML_PATH")!);
const port = Number(Deno.env.get("PORT") ?? 8000);
Deno.serve(
  { hostname: "127.0.0.1", port, onListen: () => {} },
  () =>
    new Response(html, {
      headers: { "content-type": "text/html; charset=utf-8" },
    }),
);
