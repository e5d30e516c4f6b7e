/**
 * Hostile input for the fuzz tests, and the checks every answer to it must pass.
 *
 * The generated strings mix fast-check's arbitrary strings (ASCII, full Unicode, lone
 * surrogates) with payloads that break out of HTML text, attributes, scripts and URLs,
 * each carrying the marker `fz`: `<fz...>`, `"fzq`, `&fz;`, `</script>`, plus U+2028,
 * U+2029, NUL, bidi overrides, malformed percent-encoding and very long strings. If a
 * marker ever appears in a page unescaped (`<fz`, `"fzq`, `&fz;`), a value was
 * reflected raw.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { scaled } from "../reliability/_stats.ts";

/** Runs per fuzzed route in CI (times `SOAK_SCALE` in the soak). */
export const RUNS = scaled(150);

const PAYLOADS = [
  "<script>fz()</script>",
  '"><fz-a onerror=alert(1)>',
  "'><fz-b>",
  '"fzq',
  "&fz;",
  "</script><fz-c>",
  "<!--<fz-d>-->",
  "javascript:fz()",
  "\u2028\u2029fz",
  "\u0000fz\u0000",
  "\u202efz",
  "%3Cfz%3E",
  "%ZZfz%",
  "%",
  "%E0%A4%A",
  "../../fz/../",
  "${fz}{{fz}}",
  "\r\nSet-Cookie: fz=1",
  "ｆｚ🙂𝕗𝕫",
  "\ud800fz",
];

/** A hostile string: payloads, arbitrary text, or both, sometimes very long. */
export const hostile: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...PAYLOADS) },
  {
    weight: 3,
    arbitrary: fc.tuple(
      fc.string({ maxLength: 20 }),
      fc.constantFrom(...PAYLOADS),
      fc.string({ unit: "grapheme", maxLength: 20 }),
    ).map((parts) => parts.join("")),
  },
  { weight: 2, arbitrary: fc.string({ maxLength: 60 }) },
  { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 60 }) },
  {
    weight: 1,
    arbitrary: fc.tuple(
      fc.constantFrom(...PAYLOADS),
      fc.integer({ min: 1_000, max: 20_000 }),
    ).map(([p, n]) => p + "A".repeat(n)),
  },
);

/** A hostile string that fits in an HTTP header (Latin-1, no CR, LF or NUL). */
export const hostileHeader: fc.Arbitrary<string> = hostile.map((s) =>
  s.replace(/[^\t\x20-\x7e\x80-\xff]/g, "?").slice(0, 8_000)
);

/**
 * Checks one answer: never a 5xx, nothing reflected unescaped, no script without the
 * page's nonce, JSON answers sent as JSON. Returns the body.
 */
export async function assertSafe(res: Response, what: string): Promise<string> {
  const text = await res.text();
  const where = `${what}: ${res.status} ${text.slice(0, 300)}`;
  assert.ok(res.status < 500, where);
  // No open redirect: our own paths, or Finch Connect (the simulator in demo mode).
  const location = res.headers.get("location");
  if (location !== null) {
    assert.ok(
      /^\/(?![/\\])/.test(location) ||
        location.startsWith("http://portal.test/sim/"),
      `${where}: redirect to ${location}`,
    );
  }
  const type = res.headers.get("content-type") ?? "";
  if (type.startsWith("text/html")) assertEscaped(text, where);
  else if (type.startsWith("application/json")) {
    JSON.parse(text); // well-formed
    assert.equal(res.headers.get("x-content-type-options"), "nosniff", where);
  } else {
    // Redirects and empty answers only: anything else must say what it is.
    assert.ok(text.length === 0, `${where}: body with content-type ${type}`);
  }
  return text;
}

/**
 * No marker unescaped, and every script tag is the page's own (with the nonce) or an
 * island's JSON props that nothing can break out of.
 */
export function assertEscaped(html: string, where = "page"): void {
  // Island props first: JSON in a data block is raw text to the browser, so quotes in it
  // are harmless and only `<` could end it. Checked here, then left out of the rest.
  const markup = html.replace(
    /(<script\b[^>]*\stype="application\/json"[^>]*>)([\s\S]*?)(<\/script>)/gi,
    (_, open: string, content: string, close: string) => {
      assert.ok(!/[<>&]/.test(content), `${where}: raw <, > or & in props`);
      JSON.parse(content);
      return open + close;
    },
  );
  assert.ok(!markup.includes("<fz"), `${where}: unescaped <`);
  assert.ok(!markup.includes('"fzq'), `${where}: unescaped "`);
  assert.ok(!markup.includes("&fz;"), `${where}: unescaped &`);
  assert.ok(!markup.includes("<script>fz"), `${where}: script`);
  for (const m of markup.matchAll(/<script\b[^>]*>/gi)) {
    if (/\stype="application\/json"/.test(m[0])) continue;
    assert.match(m[0], /\bnonce="[^"]+"/, `${where}: script without nonce`);
  }
  assert.doesNotMatch(html, /\bat \S+ \(|\.tsx?:\d+|file:\/\//, where);
}

/** `encodeURIComponent` that never throws (lone surrogates become U+FFFD). */
export function enc(s: string): string {
  return encodeURIComponent(s.toWellFormed());
}
