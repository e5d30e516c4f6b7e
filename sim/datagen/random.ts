/**
 * Fast, deterministic randomness for generated data, and ids that can be read back.
 *
 * Generated data is never stored: person `i` of a company is recomputed from a seed each
 * time it is asked for. That only works if deriving a generator is cheap (a few integer
 * multiplications, no SHA-256 per person) and if an id can be turned back into the index
 * that made it (no id -> person map to keep). {@link IdCodec} does the second: a keyed
 * Feistel permutation hides the index in the last 32 bits of a UUID, the other bits are a
 * keyed hash of it, so ids look random, never collide within a kind, and a foreign or
 * mistyped id fails the check.
 *
 * @module
 */

/** murmur3's finalizer: a fast 32-bit avalanche. */
export function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A 32-bit hash of a string (FNV-1a, then avalanche), salted. */
export function hashString(s: string, salt = 0): number {
  let h = (0x811c9dc5 ^ salt) >>> 0;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return fmix(h);
}

/** Combines a seed with integers into a new 32-bit seed. */
export function mix(seed: number, ...ints: number[]): number {
  let h = seed >>> 0;
  for (const n of ints) {
    h = fmix((h ^ Math.imul(n >>> 0, 0x9e3779b1)) + 0x7f4a7c15);
  }
  return h;
}

/** A small PRNG (sfc32) with the helpers generated data needs. */
export class Rand {
  #a: number;
  #b: number;
  #c: number;
  #d: number;

  /** Seeds from one 32-bit number (expanded so that near seeds diverge at once). */
  constructor(seed: number) {
    this.#a = fmix(seed ^ 0x9e3779b9);
    this.#b = fmix(seed + 0x6a09e667);
    this.#c = fmix(seed ^ 0xbb67ae85);
    this.#d = 1;
    for (let i = 0; i < 4; i++) this.next();
  }

  /** A float in [0, 1). */
  next(): number {
    const t = (((this.#a + this.#b) | 0) + this.#d) | 0;
    this.#d = (this.#d + 1) | 0;
    this.#a = this.#b ^ (this.#b >>> 9);
    this.#b = (this.#c + (this.#c << 3)) | 0;
    this.#c = (this.#c << 21) | (this.#c >>> 11);
    this.#c = (this.#c + t) | 0;
    return (t >>> 0) / 4294967296;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** An integer in [min, max]. */
  range(min: number, max: number): number {
    return min + this.int(max - min + 1);
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** One element. */
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }

  /** One element of `[value, weight]` pairs, by weight. */
  weighted<T>(items: readonly (readonly [T, number])[]): T {
    let total = 0;
    for (const [, w] of items) total += w;
    let r = this.next() * total;
    for (const [v, w] of items) {
      r -= w;
      if (r < 0) return v;
    }
    return items[items.length - 1][0];
  }

  /** A string of n decimal digits. */
  digits(n: number): string {
    let s = "";
    for (let i = 0; i < n; i++) s += this.int(10);
    return s;
  }
}

/** A generator for `(seed, ...ints)`: the way every generated record gets its own stream. */
export function rand(seed: number, ...ints: number[]): Rand {
  return new Rand(mix(seed, ...ints));
}

const BYTE_HEX = Array.from(
  { length: 256 },
  (_, i) => i.toString(16).padStart(2, "0"),
);
/** Eight hex digits of a 32-bit number (a table: ids are made for every person shown). */
const hex8 = (n: number) =>
  BYTE_HEX[(n >>> 24) & 255] + BYTE_HEX[(n >>> 16) & 255] +
  BYTE_HEX[(n >>> 8) & 255] + BYTE_HEX[n & 255];

/**
 * UUID-shaped ids for the indices of one kind of thing in one dataset (people of a
 * company on a provider, its payments...), reversible without a lookup table.
 *
 * @example
 * ```ts
 * const people = new IdCodec("company-id", "gusto", "individual");
 * people.decode(people.encode(41)) === 41;
 * ```
 */
export class IdCodec {
  #keys: number[];

  constructor(...parts: string[]) {
    const base = parts.join("\u0000");
    this.#keys = Array.from({ length: 7 }, (_, i) => hashString(base, i + 1));
  }

  #round(x: number, k: number): number {
    return fmix((x ^ k) >>> 0) & 0xffff;
  }

  #permute(n: number): number {
    let l = n >>> 16, r = n & 0xffff;
    for (let i = 0; i < 4; i++) {
      [l, r] = [r, l ^ this.#round(r, this.#keys[i])];
    }
    return ((l << 16) | r) >>> 0;
  }

  #unpermute(p: number): number {
    let l = p >>> 16, r = p & 0xffff;
    for (let i = 3; i >= 0; i--) {
      [l, r] = [r ^ this.#round(l, this.#keys[i]), l];
    }
    return ((l << 16) | r) >>> 0;
  }

  /** The id of index `n` (0 <= n < 2^32). */
  encode(n: number): string {
    const p = this.#permute(n);
    const k = this.#keys;
    const a = hex8(fmix(p ^ k[4]));
    const b = hex8(fmix(p ^ k[5]));
    const c = hex8(fmix(p ^ k[6]));
    const variant = "89ab"[parseInt(c[0], 16) & 3];
    return `${a}-${b.slice(0, 4)}-4${b.slice(5)}-${variant}${c.slice(1, 4)}-${
      c.slice(4)
    }${hex8(p)}`;
  }

  /** The index behind an id of this codec, or null for any other string. */
  decode(id: string): number | null {
    if (typeof id !== "string" || id.length !== 36) return null;
    const tail = id.slice(28).toLowerCase();
    if (!/^[0-9a-f]{8}$/.test(tail)) return null;
    const n = this.#unpermute(parseInt(tail, 16));
    return this.encode(n) === id.toLowerCase() ? n : null;
  }
}
