/**
 * Token sealing: AES-256-GCM through WebCrypto with key ids and rotation.
 *
 * Sealed format: `v1.<kid>.<iv>.<ciphertext>` (iv and ciphertext base64url).
 * The additional authenticated data is the caller's context (the connection
 * id) together with the `v1.<kid>` header, so a sealed value copied onto
 * another record, or relabelled with another key id, fails to open.
 *
 * `TOKEN_KEYS` is `kid:base64key,kid2:base64key`: every listed key opens, the
 * first seals. Rotation = put a new key first, run `deno task rekey`, then drop
 * the old one. Errors never include plaintext, sealed bytes or key material.
 *
 * @module
 */

const VERSION = "v1";
const KID_RE = /^[A-Za-z0-9_-]{1,64}$/;
const IV_BYTES = 12;
const enc = new TextEncoder();
const dec = new TextDecoder();

/** Why sealing failed; stable for callers and logs. */
export type SealErrorCode =
  | "invalid_token_keys"
  | "malformed"
  | "unknown_key"
  | "open_failed";

/**
 * Sealing error. The message says what went wrong, never with what.
 *
 * @example
 * ```ts
 * try { await sealer.open(s, id); } catch (e) { if (e instanceof SealError) console.log(e.code); }
 * ```
 */
export class SealError extends Error {
  /** Stable error code. */
  readonly code: SealErrorCode;
  constructor(code: SealErrorCode, message: string) {
    super(message);
    this.name = "SealError";
    this.code = code;
  }
}

/** A raw key with its id, as parsed from `TOKEN_KEYS`. */
export interface TokenKey {
  /** Key id written into every sealed value. */
  kid: string;
  /** 32 bytes of AES-256 key material. */
  key: Uint8Array;
}

/** Seals and opens tokens; see the module doc. */
export interface Sealer {
  /** Id of the key that seals (the first listed). */
  readonly currentKid: string;
  /** Seals `plaintext` bound to `aad` (for tokens: the connection id). */
  seal(plaintext: string, aad: string): Promise<string>;
  /** Opens a sealed value bound to the same `aad`; throws {@linkcode SealError}. */
  open(sealed: string, aad: string): Promise<string>;
  /** Whether `sealed` is under a key other than the current one. */
  needsRekey(sealed: string): boolean;
}

function b64url(bytes: Uint8Array): string {
  return bytes.toBase64({ alphabet: "base64url", omitPadding: true });
}

/** Decodes canonical unpadded base64url only, so each sealed value has one spelling. */
function fromB64url(text: string): Uint8Array {
  const bytes = Uint8Array.fromBase64(text, { alphabet: "base64url" });
  if (b64url(bytes) !== text) throw new SyntaxError("not canonical base64url");
  return bytes;
}

/**
 * Parses `TOKEN_KEYS` (`kid:base64key,...`; standard or url-safe base64 of 32
 * bytes). Errors name `TOKEN_KEYS` and the entry position, never the key.
 *
 * @example
 * ```ts
 * const keys = parseTokenKeys(Deno.env.get("TOKEN_KEYS") ?? "");
 * ```
 */
export function parseTokenKeys(text: string): TokenKey[] {
  const fail = (why: string): never => {
    throw new SealError("invalid_token_keys", `TOKEN_KEYS: ${why}`);
  };
  const entries = text.split(",").map((s) => s.trim()).filter(Boolean);
  if (entries.length === 0) fail("no keys; expected kid:base64key,...");
  const seen = new Set<string>();
  return entries.map((entry, i) => {
    const at = entry.indexOf(":");
    const kid = at < 0 ? "" : entry.slice(0, at);
    if (!KID_RE.test(kid)) {
      fail(`entry ${i + 1}: expected kid:base64key, kid of 1-64 [A-Za-z0-9_-]`);
    }
    if (seen.has(kid)) fail(`entry ${i + 1}: duplicate key id "${kid}"`);
    seen.add(kid);
    const material = entry.slice(at + 1).replaceAll("+", "-").replaceAll(
      "/",
      "_",
    ).replace(/=+$/, "");
    let key: Uint8Array | undefined;
    try {
      key = Uint8Array.fromBase64(material, { alphabet: "base64url" });
    } catch {
      fail(`key "${kid}" is not valid base64`);
    }
    if (key!.length !== 32) {
      fail(`key "${kid}" must be 32 bytes, got ${key!.length}`);
    }
    return { kid, key: key! };
  });
}

/**
 * A fresh random 32-byte key in `TOKEN_KEYS` syntax, for demo mode.
 *
 * @example
 * ```ts
 * const TOKEN_KEYS = generateTokenKey("k1"); // "k1:3q2+7w..."
 * ```
 */
export function generateTokenKey(kid = "k1"): string {
  if (!KID_RE.test(kid)) throw new SealError("invalid_token_keys", "bad kid");
  const key = crypto.getRandomValues(new Uint8Array(32));
  return `${kid}:${key.toBase64()}`;
}

/** The key id of a sealed value, or null when it is not a v1 sealed value. */
export function sealedKid(sealed: string): string | null {
  const parts = sealed.split(".");
  return parts.length === 4 && parts[0] === VERSION && KID_RE.test(parts[1])
    ? parts[1]
    : null;
}

/**
 * Builds a {@linkcode Sealer} from parsed keys (the first seals, all open).
 *
 * @example
 * ```ts
 * const sealer = await createSealer(parseTokenKeys("k2:...,k1:..."));
 * const sealed = await sealer.seal("tok", "conn_1");
 * await sealer.open(sealed, "conn_1"); // "tok"
 * ```
 */
export async function createSealer(keys: TokenKey[]): Promise<Sealer> {
  if (keys.length === 0) {
    throw new SealError("invalid_token_keys", "TOKEN_KEYS: no keys");
  }
  const byKid = new Map<string, CryptoKey>();
  for (const { kid, key } of keys) {
    if (key.length !== 32) {
      throw new SealError(
        "invalid_token_keys",
        `key "${kid}" must be 32 bytes`,
      );
    }
    byKid.set(
      kid,
      await crypto.subtle.importKey(
        "raw",
        key.slice(),
        { name: "AES-GCM" },
        false,
        ["encrypt", "decrypt"],
      ),
    );
  }
  const currentKid = keys[0].kid;
  const aadFor = (kid: string, aad: string) =>
    enc.encode(`${VERSION}.${kid}\u0000${aad}`);

  return {
    currentKid,
    async seal(plaintext, aad) {
      const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
      const ct = await crypto.subtle.encrypt(
        { name: "AES-GCM", iv, additionalData: aadFor(currentKid, aad) },
        byKid.get(currentKid)!,
        enc.encode(plaintext),
      );
      return `${VERSION}.${currentKid}.${b64url(iv)}.${
        b64url(new Uint8Array(ct))
      }`;
    },
    async open(sealed, aad) {
      const kid = sealedKid(sealed);
      if (kid === null) throw new SealError("malformed", "not a sealed value");
      const key = byKid.get(kid);
      if (!key) {
        throw new SealError(
          "unknown_key",
          `sealed under key "${kid}", which TOKEN_KEYS does not list`,
        );
      }
      const [, , ivText, ctText] = sealed.split(".");
      let iv: Uint8Array, ct: Uint8Array;
      try {
        iv = fromB64url(ivText);
        ct = fromB64url(ctText);
      } catch {
        throw new SealError("malformed", "sealed value is not base64url");
      }
      if (iv.length !== IV_BYTES) throw new SealError("malformed", "bad iv");
      try {
        const pt = await crypto.subtle.decrypt(
          { name: "AES-GCM", iv: iv.slice(), additionalData: aadFor(kid, aad) },
          key,
          ct.slice(),
        );
        return dec.decode(pt);
      } catch {
        throw new SealError(
          "open_failed",
          "sealed value failed authentication (tampered, or bound to another record)",
        );
      }
    },
    needsRekey(sealed) {
      return sealedKid(sealed) !== currentKid;
    },
  };
}
