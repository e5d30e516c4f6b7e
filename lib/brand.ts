/**
 * The integrator's identity on every page: name, logo, accent colour, support contact
 * and privacy link, from `BRAND_*`, `SUPPORT_*` and `PRIVACY_URL`.
 *
 * The accent is a background for buttons and the header mark, so the text on it must stay
 * readable whatever colour an integrator picks: white or near-black, whichever reaches
 * WCAG AA (4.5:1). A colour that neither reaches (mid-tones, around #777) is refused at
 * start, because a page with unreadable buttons is worse than one line asking for
 * another colour.
 *
 * @module
 */
import { ConfigError } from "./errors.ts";

/** The integrator's identity, as every page shows it. */
export interface Brand {
  readonly name: string;
  /** An https URL or a path on this origin; null: a monogram stands in. */
  readonly logoUrl: string | null;
  /** `#rrggbb`. */
  readonly color: string;
  /** Text on the accent colour: white or near-black, whichever reaches AA. */
  readonly onColor: string;
  /** Links in the accent colour when it reads on white, else the body text colour. */
  readonly linkColor: string;
  /** `mailto:` or an https URL; null when neither variable is set. */
  readonly supportHref: string | null;
  readonly privacyUrl: string | null;
}

/** What a deploy that sets nothing shows: neutral, and nobody's name. */
const DEFAULT_NAME = "Payroll connections";
const DEFAULT_COLOR = "#3f3cbb";

/** Demo mode's integrator: a made-up benefits vendor, so the demo reads as a product. */
export const DEMO_BRAND = {
  BRAND_NAME: "Northwind Benefits",
  BRAND_LOGO_URL: "/favicon.svg",
  BRAND_COLOR: "#0f766e",
  SUPPORT_EMAIL: "support@northwind.example",
  PRIVACY_URL: "https://northwind.example/privacy",
};

const WHITE = "#ffffff";
/** The page's own text colour: near-black, so a dark button does not look harsh. */
const NEAR_BLACK = "#111111";
const BODY_TEXT = "#1b2033";
const AA = 4.5;

/**
 * Parses the brand variables; in demo mode the unset ones take {@linkcode DEMO_BRAND}.
 * Throws a `ConfigError` naming the variable.
 *
 * @example
 * ```ts
 * parseBrand({ BRAND_NAME: "Acme Benefits", BRAND_COLOR: "#0f766e" }, false).onColor; // "#ffffff"
 * ```
 */
export function parseBrand(
  env: Record<string, string | undefined>,
  demo: boolean,
): Brand {
  const get = (name: keyof typeof DEMO_BRAND | "SUPPORT_URL") => {
    const v = env[name]?.trim();
    if (v) return v;
    // SUPPORT_URL set replaces the demo support email rather than adding to it.
    if (name === "SUPPORT_EMAIL" && env.SUPPORT_URL?.trim()) return undefined;
    return demo && name in DEMO_BRAND
      ? DEMO_BRAND[name as keyof typeof DEMO_BRAND]
      : undefined;
  };
  const name = get("BRAND_NAME") ?? DEFAULT_NAME;
  if (name.length > 60) {
    throw new ConfigError("BRAND_NAME is invalid: 60 characters at most");
  }
  const color = parseColor(get("BRAND_COLOR") ?? DEFAULT_COLOR);
  const white = contrast(color, WHITE), dark = contrast(color, NEAR_BLACK);
  if (white < AA && dark < AA) {
    throw new ConfigError(
      `BRAND_COLOR is invalid: neither white (${white.toFixed(2)}:1) nor ` +
        `near-black text (${dark.toFixed(2)}:1) on it reaches WCAG AA 4.5:1; ` +
        "pick a darker or a lighter colour",
    );
  }
  const email = get("SUPPORT_EMAIL");
  if (email && !/^[^\s@<>"]+@[^\s@<>"]+\.[^\s@<>"]+$/.test(email)) {
    throw new ConfigError("SUPPORT_EMAIL is invalid: not an email address");
  }
  const supportUrl = url("SUPPORT_URL", get("SUPPORT_URL"));
  return Object.freeze({
    name,
    logoUrl: url("BRAND_LOGO_URL", get("BRAND_LOGO_URL"), true),
    color,
    onColor: white >= AA ? WHITE : NEAR_BLACK,
    linkColor: white >= AA ? color : BODY_TEXT,
    supportHref: supportUrl ?? (email ? `mailto:${email}` : null),
    privacyUrl: url("PRIVACY_URL", get("PRIVACY_URL")),
  });
}

/** An http(s) URL, or (where `path` allows) a path on this origin such as `/logo.svg`. */
function url(name: string, value: string | undefined, path = false) {
  if (!value) return null;
  if (path && /^\/[^/\\]/.test(value)) return value;
  try {
    const u = new URL(value);
    if (u.protocol === "https:" || u.protocol === "http:") return u.href;
  } catch { /* reported below */ }
  throw new ConfigError(`${name} is invalid: not an http(s) URL`);
}

/** `#abc` or `#aabbcc`, as `#aabbcc`. */
function parseColor(value: string): string {
  const m = /^#?([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(value);
  if (!m) {
    throw new ConfigError("BRAND_COLOR is invalid: a hex colour like #0f766e");
  }
  const hex = m[1].length === 3 ? [...m[1]].map((d) => d + d).join("") : m[1];
  return `#${hex.toLowerCase()}`;
}

/** WCAG 2 contrast ratio of two `#rrggbb` colours. */
export function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

function luminance(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => {
    const c = parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/**
 * The stylesheet's brand variables, appended to static/styles.css at start: the page's
 * CSP allows styles only from this origin, so no inline style can carry them.
 */
export function brandCss(brand: Brand): string {
  return `\n:root{--primary:${brand.color};--on-primary:${brand.onColor};` +
    `--link:${brand.linkColor};}\n`;
}

/**
 * The favicon, and demo mode's logo: the brand's initial on its colour. Generated, so a
 * deploy needs no image file and the tab matches the page.
 */
export function brandIcon(brand: Brand): string {
  const initial = escapeXml([...brand.name.trim()][0]?.toUpperCase() ?? "?");
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">` +
    `<rect width="32" height="32" rx="8" fill="${brand.color}"/>` +
    `<text x="16" y="22" font-family="system-ui,sans-serif" font-size="18" ` +
    `font-weight="700" text-anchor="middle" fill="${brand.onColor}">${initial}</text></svg>`;
}

function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The employer demo mode prepares, so there is something to click through. */
export const DEMO_CUSTOMER = {
  id: "demo-employer",
  name: "Acme Demo Co.",
  email: "hr@acme.example",
};
