/**
 * Signatures made with `APP_SECRET`: portal links, flash cookies and anything else the
 * portal hands out and must later recognise as its own.
 *
 * One secret serves several purposes, so each purpose gets its own HMAC-SHA256 key
 * derived with HKDF: a signature made for one purpose (say a form token) can never pass
 * as another (say a portal link). Verification compares MACs in constant time
 * (`timingSafeEqual`).
 */
import { hkdfSha256, hmacSha256, sameBytes } from "./hash.ts";
import { secretList } from "./config.ts";

/** What a signature is for; each purpose has its own derived key. */
export type Purpose = "portal-link" | "flash";

/** Signs and verifies short strings for one app secret. */
export interface Signer {
  sign(purpose: Purpose, data: string): Promise<string>;
  verify(purpose: Purpose, data: string, signature: string): Promise<boolean>;
}

const encoder = new TextEncoder();

/** base64url without padding. */
export function toBase64Url(bytes: Uint8Array): string {
  return bytes.toBase64({ alphabet: "base64url", omitPadding: true });
}

/**
 * Decodes canonical, unpadded base64url; null for anything else. The platform decoder
 * is lenient (padding, ASCII whitespace, non-zero spare bits in the last character), so
 * one signature would have several spellings; here each value has exactly one, the one
 * {@linkcode toBase64Url} writes.
 *
 * @example
 * ```ts
 * fromBase64Url("AQID"); // Uint8Array [1, 2, 3]
 * fromBase64Url("AQID="); // null
 * ```
 */
export function fromBase64Url(text: string): Uint8Array | null {
  if (typeof text !== "string" || !/^[A-Za-z0-9_-]*$/.test(text)) return null;
  try {
    const bytes = Uint8Array.fromBase64(text, { alphabet: "base64url" });
    return toBase64Url(bytes) === text ? bytes : null;
  } catch {
    return null;
  }
}

/**
 * Creates a signer for `appSecret` (32 or more characters). During a rotation
 * `appSecret` lists the new secret and the old one, comma-separated (`new,old`): the
 * first signs, every one verifies, so links and flash cookies issued under
 * the old secret keep working until it is dropped.
 *
 * @example
 * ```ts
 * const signer = await createSigner(config.appSecret);
 * const sig = await signer.sign("portal-link", payload);
 * await signer.verify("portal-link", payload, sig); // true
 * ```
 */
export function createSigner(appSecret: string): Promise<Signer> {
  // A synchronous HMAC (lib/hash.ts) is far cheaper than WebCrypto's promise round trip.
  const secrets = secretList(appSecret).map((secret) => encoder.encode(secret));
  const keys = new Map<string, Uint8Array>();
  const keyFor = (purpose: Purpose, index: number) => {
    let key = keys.get(`${index}:${purpose}`);
    if (!key) {
      key = hkdfSha256(secrets[index], `finch-portal:${purpose}`, 32);
      keys.set(`${index}:${purpose}`, key);
    }
    return key;
  };
  const mac = (purpose: Purpose, index: number, data: string) =>
    hmacSha256(keyFor(purpose, index), data);
  return Promise.resolve({
    sign(purpose, data) {
      return Promise.resolve(toBase64Url(mac(purpose, 0, data)));
    },
    verify(purpose, data, signature) {
      const given = fromBase64Url(signature);
      if (!given || given.length !== 32) return Promise.resolve(false);
      // Every secret is tried, in constant time each, so timing tells nothing either.
      let ok = false;
      for (let i = 0; i < secrets.length; i++) {
        ok = sameBytes(mac(purpose, i, data), given) || ok;
      }
      return Promise.resolve(ok);
    },
  });
}
