/**
 * Identifiers and seeded randomness for the simulator.
 *
 * Finch keeps ids stable for the same real-world thing (the same company is always the same
 * `company_id`), so ids that stand for things are derived from a SHA-256 of what identifies
 * them; ids that stand for events (tokens, codes, sessions) are random.
 *
 * @module
 */

import { createHash, timingSafeEqual } from "node:crypto";

/** Formats 16 bytes as a UUID with version 4 and RFC 4122 variant bits, as Finch ids look. */
function formatUuid(bytes: Uint8Array): string {
  const b = Uint8Array.from(bytes.subarray(0, 16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${
    hex.slice(16, 20)
  }-${hex.slice(20)}`;
}

/** SHA-256 of the parts, joined with NUL so that ("ab","c") and ("a","bc") differ. */
function digest(parts: readonly string[]): Uint8Array {
  return createHash("sha256").update(parts.join("\u0000")).digest();
}

/**
 * A UUID-shaped id derived deterministically from its parts.
 *
 * @example
 * ```ts
 * uuidFrom("client", "company", "acme inc") === uuidFrom("client", "company", "acme inc");
 * ```
 */
export function uuidFrom(...parts: string[]): string {
  return formatUuid(digest(parts));
}

/** A random UUID for things that are minted, never derived (tokens, codes, sessions). */
export function randomUuid(): string {
  return crypto.randomUUID();
}

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** A webhook event id in Finch's (Svix's) shape: `msg_` and 27 base62 characters. */
export function eventId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(27));
  return "msg_" + Array.from(bytes, (x) => BASE62[x % 62]).join("");
}

/**
 * Normalizes a company or entity name so that spelling noise does not make a new company:
 * trimmed, inner whitespace collapsed, case-insensitive.
 */
export function normalizeName(name: string): string {
  return name.trim().replace(/\s+/g, " ").toLowerCase();
}

/** Tidies a name for display: trimmed with single spaces, case kept. */
export function tidyName(name: string): string {
  return name.trim().replace(/\s+/g, " ");
}

/**
 * A deterministic pseudo-random generator (mulberry32) seeded from a string, so generated
 * company data is the same on every run and on every machine.
 */
export function seededRandom(...seed: string[]): () => number {
  const d = digest(seed);
  let a = (d[0] | (d[1] << 8) | (d[2] << 16) | (d[3] << 24)) >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Picks one element with a seeded generator. */
export function pick<T>(rand: () => number, items: readonly T[]): T {
  return items[Math.floor(rand() * items.length)];
}

/**
 * Compares two secrets in constant time. Hashing first gives equal lengths, so the length of
 * the expected secret does not leak either.
 */
export function safeEqual(a: string, b: string): boolean {
  const x = createHash("sha256").update(a).digest();
  const y = createHash("sha256").update(b).digest();
  return timingSafeEqual(x, y);
}
