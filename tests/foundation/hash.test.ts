/**
 * lib/hash.ts against published test vectors, and against node:crypto for the values
 * the portal signs (a change of output would break every link and cookie in the field).
 */
import assert from "node:assert/strict";
import { createHash, createHmac, hkdfSync } from "node:crypto";
import {
  hkdfSha256,
  hmacSha256,
  sameBytes,
  sha256Bytes,
  toHex,
} from "../../lib/hash.ts";

const hex = (s: string) => Uint8Array.fromHex(s);

Deno.test("[hash] SHA-256, HMAC (RFC 4231 case 2) and HKDF (RFC 5869 case 3) vectors", () => {
  assert.equal(
    toHex(sha256Bytes("abc")),
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  );
  assert.equal(
    toHex(
      hmacSha256(
        new TextEncoder().encode("Jefe"),
        "what do ya want for nothing?",
      ),
    ),
    "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
  );
  // Case 3: empty salt and info, as the portal derives its purpose keys (salt empty).
  assert.equal(
    toHex(hkdfSha256(hex("0b".repeat(22)), "", 42)),
    "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d" +
      "9d201395faa4b61a96c8",
  );
});

Deno.test("[hash] the same bytes as node:crypto for what the portal signs and hashes", () => {
  for (const secret of ["a".repeat(32), "ünïcode secret 🔑 0123456789abcdef"]) {
    const ikm = new TextEncoder().encode(secret);
    for (const purpose of ["portal-link", "flash"]) {
      const ours = hkdfSha256(ikm, `finch-portal:${purpose}`, 32);
      const node = new Uint8Array(
        hkdfSync(
          "sha256",
          ikm,
          new Uint8Array(),
          `finch-portal:${purpose}`,
          32,
        ),
      );
      assert.deepEqual(ours, node);
      const data = "eyJjIjoiYWNtZSJ9.payload";
      assert.deepEqual(
        hmacSha256(ours, data),
        new Uint8Array(createHmac("sha256", ours).update(data).digest()),
      );
    }
  }
  const cookie = "J2Ifwo2s1WciobAAAAAAAAAAAAAAAAAAAAAAAAAAAAA.acme";
  assert.deepEqual(
    sha256Bytes(cookie),
    new Uint8Array(createHash("sha256").update(cookie, "utf8").digest()),
  );
});

Deno.test("[hash] sameBytes compares contents and lengths", () => {
  assert.ok(sameBytes(hex("00ff"), hex("00ff")));
  assert.ok(!sameBytes(hex("00ff"), hex("00fe")));
  assert.ok(!sameBytes(hex("00ff"), hex("00ff00")));
  assert.ok(sameBytes(new Uint8Array(), new Uint8Array()));
});
