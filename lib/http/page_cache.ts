/**
 * A micro-cache of rendered employer pages: process memory, one entry per session and
 * page, alive for about a second.
 *
 * Why: the connections page is read far more often than it changes, and rendering it
 * costs about half a millisecond of CPU (the session, the customer and the connections
 * read from KV, statuses checked, Preact rendering about 16 KB). Serving the same bytes
 * again costs a few microseconds. On a page that a person reloads, or that a whole
 * office opens after an email, that is the difference between a portal that holds up
 * and one that does not (README, Benchmarks).
 *
 * What makes it safe:
 * - Only what a route marks with {@linkcode cachePage}, answered `200` to a `GET`,
 *   without `Set-Cookie`. Keyed by the session (the hash of its cookie) and the route's
 *   variant (the page's cursor): one session's page never reaches another.
 * - Fresh: an entry lives at most `ttlMs` (`PAGE_CACHE_MS`), never past its session's
 *   expiry, and is dropped the moment any of its customer's data changes in this
 *   process (lib/db/changes.ts: connections, the customer, link and session
 *   revocation). A render that raced such a change is not stored. A change made by
 *   another process sharing the store shows within `ttlMs`.
 * - A request carrying a flash message is always rendered: the message shows once, and
 *   after the employer's own action the page is current.
 * - Every answer has its own CSP nonce: the stored page is split where the nonce it was
 *   rendered with appeared (24 random characters), and joined with a fresh one.
 * - Only reads: every form and JSON post runs the full session check in KV, so a
 *   revoked session can at most see its page for `ttlMs` more, never act.
 * - Bounded: at most `maxBytes`, the oldest entries going first.
 *
 * @module
 */
import type { Context, MiddlewareHandler } from "hono";
import { getCookie } from "hono/cookie";
import { sha256 } from "../db/secrets.ts";
import { onCustomerChange } from "../db/changes.ts";
import type { AppEnv } from "./env.ts";
import { FLASH_COOKIE } from "./flash.ts";

/** What a route says about the page it rendered, to make it cacheable. */
export interface CacheMark {
  customerId: string;
  sessionHash: string;
  /** The session's expiry (ms since the epoch): the entry never outlives it. */
  sessionExpiresAt: number;
}

/** Marks the page being rendered as cacheable for the request's session. */
export function cachePage(c: Context<AppEnv>): void {
  const session = c.var.session;
  if (!session) throw new Error("cachePage needs a session");
  c.set("pageCache", {
    customerId: session.customerId,
    sessionHash: session.hash,
    sessionExpiresAt: session.expiresAt,
  });
}

/** The page cache's settings. */
export interface PageCacheOptions {
  /** Longest life of an entry, ms; 0 turns the cache off. */
  ttlMs: number;
  /** Upper bound of the memory held (UTF-16 bytes of the stored pages). */
  maxBytes?: number;
  /** The session cookie's name (lib/http/session.ts). */
  cookieName: string;
  /** The clock, ms. */
  now: () => number;
}

interface Entry {
  customerId: string;
  /** The page split at its nonce. */
  body: string[];
  /** The CSP header split at its nonce. */
  csp: string[];
  /** Every other header of the answer. */
  headers: [string, string][];
  expiresAt: number;
  bytes: number;
}

/** 32 MiB: two thousand connections pages. */
export const DEFAULT_MAX_BYTES = 32 * 1024 * 1024;

/** Generation counters per bucket of customers; see {@linkcode PageCache}. */
const BUCKETS = 256;

/** The page cache of one app. */
export class PageCache {
  readonly ttlMs: number;
  readonly maxBytes: number;
  /** Counters for tests and the benchmark. */
  readonly stats = { hits: 0, renders: 0, stores: 0, invalidations: 0 };
  #cookieName: string;
  #now: () => number;
  #entries = new Map<string, Entry>();
  #byCustomer = new Map<string, Set<string>>();
  #bytes = 0;
  // Bumped on every change to a customer of the bucket: a render that saw its bucket's
  // counter move while it ran may hold data older than the change, so it is not stored.
  #generations = new Uint32Array(BUCKETS);

  constructor(kv: Deno.Kv, options: PageCacheOptions) {
    this.ttlMs = Math.max(0, options.ttlMs);
    this.maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
    this.#cookieName = options.cookieName;
    this.#now = options.now;
    if (this.ttlMs > 0) onCustomerChange(kv, (id) => this.invalidate(id));
  }

  /** Entries held, and the bytes they take. */
  get size(): { entries: number; bytes: number } {
    return { entries: this.#entries.size, bytes: this.#bytes };
  }

  /** Drops every entry of `customerId` and keeps renders in flight from storing. */
  invalidate(customerId: string): void {
    this.stats.invalidations++;
    this.#generations[bucket(customerId)]++;
    for (const key of this.#byCustomer.get(customerId) ?? []) this.#drop(key);
  }

  /**
   * The middleware, for the routes whose pages may be cached; `vary` names the variant
   * of the page a request asks for (only what the route reads: other query parameters
   * must not mint entries).
   */
  middleware(
    vary: (c: Context<AppEnv>) => string,
  ): MiddlewareHandler<AppEnv> {
    return async (c, next) => {
      if (this.ttlMs === 0 || c.req.method !== "GET") return await next();
      const token = getCookie(c, this.#cookieName);
      if (
        !token || token.length > 200 || getCookie(c, FLASH_COOKIE) !== undefined
      ) {
        this.stats.renders++;
        return await next();
      }
      const sessionHash = await sha256(token);
      const key = `${sessionHash} ${vary(c)}`;
      const entry = this.#entries.get(key);
      if (entry && entry.expiresAt > this.#now()) {
        this.stats.hits++;
        return answer(entry);
      }
      if (entry) this.#drop(key);

      const generations = this.#generations.slice();
      this.stats.renders++;
      await next();
      const mark = c.var.pageCache;
      if (
        !mark || mark.sessionHash !== sessionHash || c.res.status !== 200 ||
        c.res.headers.has("set-cookie")
      ) return;
      const nonce = c.var.secureHeadersNonce;
      const csp = c.res.headers.get("content-security-policy");
      if (!nonce || !csp?.includes(nonce)) return;
      const body = await c.res.clone().text();
      // A change to the customer while the page was rendered: it may predate it.
      if (
        this.#generations[bucket(mark.customerId)] !==
          generations[bucket(mark.customerId)]
      ) return;
      const headers = [...c.res.headers].filter(([name]) =>
        !UNSTORED_HEADERS.has(name)
      );
      this.#store(key, {
        customerId: mark.customerId,
        body: body.split(nonce),
        csp: csp.split(nonce),
        headers,
        expiresAt: Math.min(this.#now() + this.ttlMs, mark.sessionExpiresAt),
        bytes: 2 * (body.length + csp.length) + 256,
      });
    };
  }

  #store(key: string, entry: Entry): void {
    this.#drop(key);
    this.#entries.set(key, entry);
    this.#bytes += entry.bytes;
    let keys = this.#byCustomer.get(entry.customerId);
    if (!keys) this.#byCustomer.set(entry.customerId, keys = new Set());
    keys.add(key);
    this.stats.stores++;
    // Map order is insertion order, so the oldest come first; all live `ttlMs` at most.
    const now = this.#now();
    for (const [k, e] of this.#entries) {
      if (this.#bytes <= this.maxBytes && e.expiresAt > now) break;
      this.#drop(k);
    }
  }

  #drop(key: string): void {
    const entry = this.#entries.get(key);
    if (!entry) return;
    this.#entries.delete(key);
    this.#bytes -= entry.bytes;
    const keys = this.#byCustomer.get(entry.customerId);
    keys?.delete(key);
    if (keys?.size === 0) this.#byCustomer.delete(entry.customerId);
  }
}

/** Set afresh on every answer (by us, or by the server). */
const UNSTORED_HEADERS = new Set([
  "content-security-policy",
  "content-length",
  "date",
]);

function answer(entry: Entry): Response {
  // Like hono/secure-headers: 16 random bytes, base64.
  const nonce = crypto.getRandomValues(new Uint8Array(16)).toBase64();
  const headers = new Headers(entry.headers);
  headers.set("content-security-policy", entry.csp.join(nonce));
  return new Response(entry.body.join(nonce), { status: 200, headers });
}

/** FNV-1a, folded to a bucket. */
function bucket(customerId: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < customerId.length; i++) {
    h = Math.imul(h ^ customerId.charCodeAt(i), 0x01000193);
  }
  return (h >>> 0) % BUCKETS;
}
