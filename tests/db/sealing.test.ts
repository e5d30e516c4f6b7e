import assert from "node:assert/strict";
import fc from "fast-check";
import {
  createSealer,
  generateTokenKey,
  parseTokenKeys,
  sealedKid,
  SealError,
} from "../../lib/sealing.ts";

const KEY_A = generateTokenKey("a");
const KEY_B = generateTokenKey("b");

Deno.test("[db] sealing: round trip, format carries version and key id", async () => {
  const sealer = await createSealer(parseTokenKeys(KEY_A));
  const sealed = await sealer.seal("secret-token", "conn-1");
  assert.match(sealed, /^v1\.a\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+$/);
  assert.ok(!sealed.includes("secret-token"));
  assert.equal(sealedKid(sealed), "a");
  assert.equal(await sealer.open(sealed, "conn-1"), "secret-token");
  // A fresh IV each time: sealing twice never gives the same value.
  assert.notEqual(await sealer.seal("secret-token", "conn-1"), sealed);
});

Deno.test("[db] sealing: tampering and wrong AAD fail to open", async (t) => {
  const sealer = await createSealer(parseTokenKeys(KEY_A));
  const sealed = await sealer.seal("secret-token", "conn-1");
  const [v, kid, iv, ct] = sealed.split(".");
  const flip = (s: string) =>
    s.slice(0, 3) + (s[3] === "A" ? "B" : "A") + s.slice(4);

  await t.step("ciphertext flipped", async () => {
    await assert.rejects(
      sealer.open([v, kid, iv, flip(ct)].join("."), "conn-1"),
      {
        name: "SealError",
        code: "open_failed",
      },
    );
  });
  await t.step("iv flipped", async () => {
    await assert.rejects(
      sealer.open([v, kid, flip(iv), ct].join("."), "conn-1"),
      SealError,
    );
  });
  await t.step("copied onto another connection", async () => {
    await assert.rejects(sealer.open(sealed, "conn-2"), {
      code: "open_failed",
    });
  });
  await t.step("relabelled with another listed key id", async () => {
    const both = await createSealer(parseTokenKeys(`${KEY_A},${KEY_B}`));
    await assert.rejects(both.open([v, "b", iv, ct].join("."), "conn-1"), {
      code: "open_failed",
    });
  });
  await t.step("malformed and unknown key", async () => {
    await assert.rejects(sealer.open("nonsense", "conn-1"), {
      code: "malformed",
    });
    await assert.rejects(sealer.open([v, "zz", iv, ct].join("."), "conn-1"), {
      code: "unknown_key",
    });
  });
  await t.step("errors carry no plaintext or key material", async () => {
    const err = await sealer.open([v, kid, iv, flip(ct)].join("."), "conn-1")
      .catch((e) => e);
    assert.ok(!String(err.message).includes("secret-token"));
    assert.ok(!String(err.message).includes(KEY_A.split(":")[1]));
  });
});

Deno.test("[db] sealing: rotation: the first key seals, every listed key opens", async () => {
  const old = await createSealer(parseTokenKeys(KEY_A));
  const rotated = await createSealer(parseTokenKeys(`${KEY_B},${KEY_A}`));
  const sealedOld = await old.seal("t1", "c");
  assert.equal(rotated.currentKid, "b");
  assert.equal(await rotated.open(sealedOld, "c"), "t1");
  assert.equal(rotated.needsRekey(sealedOld), true);
  const sealedNew = await rotated.seal("t2", "c");
  assert.equal(sealedKid(sealedNew), "b");
  assert.equal(rotated.needsRekey(sealedNew), false);
  // Once the old key is dropped, only values under the new key open.
  const onlyNew = await createSealer(parseTokenKeys(KEY_B));
  assert.equal(await onlyNew.open(sealedNew, "c"), "t2");
  await assert.rejects(onlyNew.open(sealedOld, "c"), { code: "unknown_key" });
});

Deno.test("[db] sealing: TOKEN_KEYS parsing names the variable, never the key", () => {
  const material = KEY_A.split(":")[1];
  const short = btoa("0123456789");
  for (
    const bad of [
      "",
      "nokid",
      `:${material}`,
      `a b:${material}`,
      `a:${short}`,
      `a:!!notbase64`,
      `${KEY_A},${KEY_A}`,
    ]
  ) {
    assert.throws(() => parseTokenKeys(bad), (e: unknown) => {
      assert.ok(e instanceof SealError);
      assert.equal(e.code, "invalid_token_keys");
      assert.match(e.message, /TOKEN_KEYS/);
      assert.ok(!e.message.includes(material) && !e.message.includes(short));
      return true;
    }, bad);
  }
  // Standard and url-safe base64, padded or not, spaces around entries.
  const bytes = new Uint8Array(32).fill(251);
  const std = bytes.toBase64();
  const url = bytes.toBase64({ alphabet: "base64url", omitPadding: true });
  const keys = parseTokenKeys(` x:${std} , y:${url} `);
  assert.deepEqual(keys.map((k) => k.kid), ["x", "y"]);
  assert.deepEqual(keys[0].key, bytes);
  assert.deepEqual(keys[1].key, bytes);
});

Deno.test("[db] sealing: property: open(seal(x, aad), aad) === x", async () => {
  const sealer = await createSealer(parseTokenKeys(`${KEY_A},${KEY_B}`));
  await fc.assert(
    fc.asyncProperty(
      fc.string({ unit: "grapheme", maxLength: 300 }),
      fc.string({ maxLength: 60 }),
      async (x, aad) => {
        const sealed = await sealer.seal(x, aad);
        assert.equal(await sealer.open(sealed, aad), x);
        await assert.rejects(sealer.open(sealed, aad + "!"));
      },
    ),
    { numRuns: 200 },
  );
});
