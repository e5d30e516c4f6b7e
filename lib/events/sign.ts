/**
 * Signing integrator events per the Standard Webhooks specification: HMAC-SHA256, keyed
 * with the base64-decoded part of each `whsec_` secret, over `${id}.${timestamp}.${body}`;
 * `webhook-signature` carries one `v1,<base64>` per secret, space-separated, so that a
 * receiver holding either the new or the old secret verifies during a rotation.
 *
 * Our own few lines rather than the `standardwebhooks` library's `sign`: keys are decoded
 * once and several secrets sign at once, which the library does not do; the HMAC is the
 * portal's one synchronous implementation (lib/hash.ts). The tests verify every delivery
 * with the library itself, so the two cannot drift apart.
 *
 * @module
 */
import { hmacSha256 } from "../hash.ts";

const keys = new Map<string, Uint8Array>();

function keyOf(secret: string): Uint8Array {
  let key = keys.get(secret);
  if (!key) {
    key = Uint8Array.fromBase64(secret.replace(/^whsec_/, ""));
    keys.set(secret, key);
  }
  return key;
}

/**
 * The `webhook-signature` header of one delivery: a `v1,` signature per secret.
 *
 * @example
 * ```ts
 * signatureHeader(["whsec_..."], "01J...", 1767225600, '{"type":...}'); // "v1,K5o..."
 * ```
 */
export function signatureHeader(
  secrets: readonly string[],
  id: string,
  timestampS: number,
  body: string,
): string {
  const content = `${id}.${timestampS}.${body}`;
  return secrets.map((secret) =>
    `v1,${hmacSha256(keyOf(secret), content).toBase64()}`
  ).join(" ");
}
