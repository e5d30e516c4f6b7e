/** Our ULIDs (lib/ulid.ts): the spec's encoding, sortable by time, monotonic. */
import assert from "node:assert/strict";
import fc from "fast-check";
import { monotonicFactory, ulid, ulidTime } from "../../lib/ulid.ts";

Deno.test("[ulid] the spec's time encoding, 26 Crockford base32 characters", () => {
  // The spec's own example: 1469918176385 ms is "01ARYZ6S41".
  const id = ulid(1469918176385);
  assert.match(id, /^01ARYZ6S41[0-9A-HJKMNP-TV-Z]{16}$/);
  assert.equal(ulidTime(id), 1469918176385);
  assert.equal(ulid(0).slice(0, 10), "0000000000");
  assert.equal(ulid(2 ** 48 - 1).slice(0, 10), "7ZZZZZZZZZ");
  assert.throws(() => ulid(2 ** 48), RangeError);
  assert.throws(() => ulid(-1), RangeError);
  assert.notEqual(ulid(5), ulid(5), "the random part differs");
});

Deno.test("[ulid] property: ids sort as their times do", () => {
  fc.assert(fc.property(
    fc.integer({ min: 0, max: 2 ** 48 - 1 }),
    fc.integer({ min: 0, max: 2 ** 48 - 1 }),
    (a, b) => {
      fc.pre(a !== b);
      assert.equal(ulid(a) < ulid(b), a < b);
      assert.equal(ulidTime(ulid(a)), a);
    },
  ));
});

Deno.test("[ulid] monotonic: always increasing, within a millisecond and when the clock steps back", () => {
  const next = monotonicFactory();
  const times = [10, 10, 10, 11, 9, 9, 12, 12];
  const ids = times.map((t) => next(t));
  assert.deepEqual([...ids].sort(), ids);
  assert.equal(new Set(ids).size, ids.length);
  // A step back keeps the last time.
  assert.equal(ulidTime(ids[4]), 11);
  // Many in one millisecond: still unique and ordered.
  const burst = Array.from({ length: 5000 }, () => next(1000));
  assert.deepEqual([...burst].sort(), burst);
});
