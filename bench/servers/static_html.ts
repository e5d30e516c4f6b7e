/**
 * A reference point, not the portal: bare `Deno.serve` answering every request with the
 * HTML in the file `HTML_PATH` (the connections page as the portal rendered it) and the
 * headers in `HEADERS_JSON` (the page's own: security headers, CSP...), both read once
 * at start. It shows what sending the page alone costs, with no work behind it. With
 * `GZIP=1` it sends the page gzip-compressed once at start (`Content-Encoding: gzip`),
 * as a client that asks for it would get it.
 *
 * @module
 */
import { gzipSync } from "node:zlib";

const html = await Deno.readTextFile(Deno.env.get("HTML_PATH")!);
const headers: Record<string, string> = Object.fromEntries(JSON.parse(
  Deno.env.get("HEADERS_JSON") ??
    '[["content-type", "text/html; charset=utf-8"]]',
));
const gzip = Deno.env.get("GZIP") === "1";
const body = gzip ? new Uint8Array(gzipSync(html)) : html;
if (gzip) {
  headers["content-encoding"] = "gzip";
  headers["vary"] = "accept-encoding";
}
const port = Number(Deno.env.get("PORT") ?? 8000);
Deno.serve(
  { hostname: "127.0.0.1", port, onListen: () => {} },
  () => new Response(body, { headers }),
);
