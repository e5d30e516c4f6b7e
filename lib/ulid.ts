/**
 * ULIDs (https://github.com/ulid/spec): 26 characters of Crockford base32, 48 bits of
 * milliseconds then 80 random bits, so ids sort by time as strings and as KV keys.
 *
 * Our own rather than npm `ulid`, whose Node build imports `node:crypto`: loading Deno's
 * Node compatibility layer for it cost a production start more than the rest of the
 * portal's imports together (bench/README.md). `crypto.getRandomValues` is WebCrypto.
 *
 * @module
 */

const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const MAX_TIME = 2 ** 48 - 1;

function encodeTime(ms: number): string {
  if (!Number.isInteger(ms) || ms < 0 || ms > MAX_TIME) {
    throw new RangeError(`ulid: time out of range: ${ms}`);
  }
  let out = "";
  for (let i = 0; i < 10; i++) {
    out = ALPHABET[ms % 32] + out;
    ms = Math.floor(ms / 32);
  }
  return out;
}

/** 16 random base32 digits: the low 5 bits of a random byte are uniform. */
function randomPart(): string {
  let out = "";
  for (const b of crypto.getRandomValues(new Uint8Array(16))) {
    out += ALPHABET[b & 31];
  }
  return out;
}

/** The random part plus one, in base32 (the spec's monotonic rule). */
function increment(part: string): string {
  const digits = part.split("");
  for (let i = digits.length - 1; i >= 0; i--) {
    const v = ALPHABET.indexOf(digits[i]);
    if (v < 31) {
      digits[i] = ALPHABET[v + 1];
      return digits.join("");
    }
    digits[i] = "0";
  }
  throw new RangeError("ulid: random part overflow within one millisecond");
}

/** A new ULID for the time `now` (ms). */
export function ulid(now: number = Date.now()): string {
  return encodeTime(now) + randomPart();
}

/**
 * A ULID generator whose ids always increase, within one millisecond and when the clock
 * steps back (then it keeps the last time and counts up), as the spec's monotonic
 * factory does.
 */
export function monotonicFactory(): (now?: number) => string {
  let lastTime = -1;
  let lastRandom = "";
  return (now = Date.now()) => {
    if (now <= lastTime) {
      lastRandom = increment(lastRandom);
      return encodeTime(lastTime) + lastRandom;
    }
    lastTime = now;
    lastRandom = randomPart();
    return encodeTime(now) + lastRandom;
  };
}

/** The milliseconds a ULID carries. */
export function ulidTime(id: string): number {
  if (!/^[0-9A-HJKMNP-TV-Z]{26}$/.test(id)) {
    throw new TypeError("ulid: malformed");
  }
  let ms = 0;
  for (const c of id.slice(0, 10)) ms = ms * 32 + ALPHABET.indexOf(c);
  return ms;
}
