/**
 * SHA-256, HMAC-SHA256, HKDF and a constant-time compare, synchronous and cheap per call.
 *
 * From `@noble/hashes` (audited, dependency-free JavaScript) rather than `node:crypto`:
 * importing `node:crypto` loads Deno's Node compatibility layer, which took a large share
 * of a production start (bench/README.md); WebCrypto's `digest` is asynchronous and
 * cost more per call than a whole hash here, on a path every page view takes.
 *
 * @module
 */
import { hkdf } from "@noble/hashes/hkdf.js";
import { hmac } from "@noble/hashes/hmac.js";
import { sha256 } from "@noble/hashes/sha2.js";

const encoder = new TextEncoder();
const bytes = (v: string | Uint8Array) =>
  typeof v === "string" ? encoder.encode(v) : v;

/** SHA-256 of a string (UTF-8) or bytes. */
export function sha256Bytes(value: string | Uint8Array): Uint8Array {
  return sha256(bytes(value));
}

/** HMAC-SHA256 of `data` under `key`. */
export function hmacSha256(
  key: Uint8Array,
  data: string | Uint8Array,
): Uint8Array {
  return hmac(sha256, key, bytes(data));
}

/** HKDF-SHA256 (RFC 5869) with an empty salt: `length` bytes for `info`. */
export function hkdfSha256(
  secret: Uint8Array,
  info: string,
  length: number,
): Uint8Array {
  return hkdf(sha256, secret, new Uint8Array(), bytes(info), length);
}

/**
 * Whether two byte strings are equal, in time that depends only on their lengths.
 *
 * @example
 * ```ts
 * sameBytes(hmacSha256(key, data), given);
 * ```
 */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

/** Hex of bytes. */
export function toHex(value: Uint8Array): string {
  return value.toHex();
}

/**
 * An incremental SHA-256, for a digest of something too large to build as one string
 * (the people list: lib/people/build.ts).
 *
 * @example
 * ```ts
 * const h = sha256Stream();
 * h.update("a").update("b");
 * h.hex(); // same as toHex(sha256Bytes("ab"))
 * ```
 */
export function sha256Stream(): {
  update(value: string): ReturnType<typeof sha256Stream>;
  hex(): string;
} {
  const h = sha256.create();
  const self = {
    update(value: string) {
      h.update(encoder.encode(value));
      return self;
    },
    hex: () => toHex(h.digest()),
  };
  return self;
}
