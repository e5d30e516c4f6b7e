/**
 * Signatures made with `APP_SECRET`: portal links, form tokens and anything else the
 * portal hands out and must later recognise as its own.
 *
 * One secret serves several purposes, so each purpose gets its own HMAC-SHA256 key
 * derived with HKDF: a signature made for one purpose (say a form token) can never pass
 * as another (say a portal link). Verification goes through `crypto.subtle.verify`,
 * which compares in constant time.
 */
import { secretList } from "./config.ts";

/** What a signature is for; each purpose has its own derived key. */
export type Purpose = "portal-link" | "csrf" | "flash";

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

/** Decodes base64url; null when the text is not valid base64url. */
export function fromBase64Url(text: string): Uint8Array | null {
  try {
    return Uint8Array.fromBase64(text, { alphabet: "base64url" });
  } catch {
    return null;
  }
}

/**
 * Creates a signer for `appSecret` (32 or more characters). During a rotation
 * `appSecret` lists the new secret and the old one, comma-separated (`new,old`): the
 * first signs, every one verifies, so links, form tokens and flash cookies issued under
 * the old secret keep working until it is dropped.
 *
 * @example
 * ```ts
 * const signer = await createSigner(config.appSecret);
 * const sig = await signer.sign("portal-link", payload);
 * await signer.verify("portal-link", payload, sig); // true
 * ```
 */
export async function createSigner(appSecret: string): Promise<Signer> {
  const secrets = await Promise.all(
    secretList(appSecret).map((secret) =>
      crypto.subtle.importKey(
        "raw",
        encoder.encode(secret),
        "HKDF",
        false,
        ["deriveKey"],
      )
    ),
  );
  const keys = new Map<string, Promise<CryptoKey>>();
  const keyFor = (purpose: Purpose, index: number) => {
    let key = keys.get(`${index}:${purpose}`);
    if (!key) {
      key = crypto.subtle.deriveKey(
        {
          name: "HKDF",
          hash: "SHA-256",
          salt: new Uint8Array(),
          info: encoder.encode(`finch-portal:${purpose}`),
        },
        secrets[index],
        { name: "HMAC", hash: "SHA-256", length: 256 },
        false,
        ["sign", "verify"],
      );
      keys.set(`${index}:${purpose}`, key);
    }
    return key;
  };
  return {
    async sign(purpose, data) {
      const mac = await crypto.subtle.sign(
        "HMAC",
        await keyFor(purpose, 0),
        encoder.encode(data),
      );
      return toBase64Url(new Uint8Array(mac));
    },
    async verify(purpose, data, signature) {
      const mac = fromBase64Url(signature);
      if (!mac || mac.length !== 32) return false;
      for (let i = 0; i < secrets.length; i++) {
        const ok = await crypto.subtle.verify(
          "HMAC",
          await keyFor(purpose, i),
          mac as Uint8Array<ArrayBuffer>,
          encoder.encode(data),
        );
        if (ok) return true;
      }
      return false;
    },
  };
}
