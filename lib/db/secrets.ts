/**
 * Unguessable ids and their storage hashes.
 *
 * Bearer values we mint (portal session cookies, callback `state`) are 32
 * random bytes in base64url. KV stores only their SHA-256, so a leaked store
 * or backup gives no usable session or state.
 *
 * @module
 */
import { sha256Bytes } from "../hash.ts";

/**
 * 32 random bytes, base64url without padding (43 chars).
 *
 * @example
 * ```ts
 * const token = randomToken();
 * ```
 */
export function randomToken(): string {
  return crypto.getRandomValues(new Uint8Array(32)).toBase64({
    alphabet: "base64url",
    omitPadding: true,
  });
}

/**
 * SHA-256 of a string, base64url without padding: the KV key part for a
 * bearer value.
 *
 * @example
 * ```ts
 * const hash = sha256("token"); // 43 chars
 * ```
 */
export function sha256(value: string): string {
  // Synchronous and a few µs (lib/hash.ts); WebCrypto's digest took 25-40 µs per call,
  // and every page view hashes its session cookie (bench/).
  return sha256Bytes(value).toBase64({
    alphabet: "base64url",
    omitPadding: true,
  });
}
