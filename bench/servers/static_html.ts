/**
 * A reference point, not the portal: bare `Deno.serve` answering every request with the
 * HTML in the file `HTML_PATH` (the connections page as the portal rendered it) and the
 * headers in `HEADERS_JSON` (the page's own: security headers, CSP...), both read once
 * at start. It shows what sending the page alone costs, with no work behind it.
 *
 * @module
 */
const html = await Deno.readTextFile(Deno.env.get("HTML_PATH")!);
const headers: [string, string][] = JSON.parse(
  Deno.env.get("HEADERS_JSON") ??
    '[["content-type", "text/html; charset=utf-8"]]',
);
const port = Number(Deno.env.get("PORT") ?? 8000);
Deno.serve(
  { hostname: "127.0.0.1", port, onListen: () => {} },
  () => new Response(html, { headers }),
);
