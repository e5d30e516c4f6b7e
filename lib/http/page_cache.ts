/**
 * A micro-cache of rendered employer pages: process memory, one entry per session and
 * page, alive for about a second.
 *
 * Why: the connections page is read far more often than it changes, and rendering it
 * costs most of a millisecond of CPU (the session, the customer and the connections
 * read from KV, statuses checked, Preact rendering about 16 KB). Serving the same bytes
 * again costs a few tens of microseconds. On a page that a person reloads, or that a
 * whole office opens after an email, that is the difference between a portal that holds
 * up and one that does not (README, Benchmarks).
 *
 * Two halves. {@linkcode PageCache.middleware} sits in front of the page's route and
 * keeps what the route marks with {@linkcode cachePage}. {@linkcode PageCache.serve}
 * answers from what was kept before the request reaches the app at all (bootPortal puts
 * it in front of the router): a hit costs a cookie lookup, a map read and a copy of the
 * page with a fresh nonce.
 *
 * What makes it safe:
 * - Only what the route marks, answered `200` to a `GET` without `Set-Cookie`. Keyed by
 *   the session cookie and the page's variant (its cursor): one session's page never
 *   reaches another. The cookie value stays in process memory, as it does while any
 *   request is served; it is never stored or logged.
 * - Fresh: an entry is served for `ttlMs` (`PAGE_CACHE_MS`), never past its session's
 *   expiry, and is dropped the moment any of its customer's data changes in this
 *   process (lib/db/changes.ts: connections, the customer, link and session
 *   revocation). A render that raced such a change is not kept. A change made by
 *   another process sharing the store shows within `ttlMs` and the time of one render:
 *   when an entry's time is up, the next request renders the page again while the
 *   requests that arrive meanwhile still get the kept copy (fifty browsers should not
 *   all render the same page at the same moment); that render replaces the copy, or
 *   drops it when the page is no longer what it was (a session ended, an error). A copy
 *   is never served past twice `ttlMs`, even if that render never finishes.
 * - A request carrying a flash message is always rendered: the message shows once, and
 *   after the employer's own action the page is current.
 * - Every answer has its own CSP nonce: the kept page is split where the nonce it was
 *   rendered with appeared (24 random characters), and joined with a fresh one.
 * - Only reads: every form and JSON post runs the full session check in KV, so a
 *   session revoked by another process can at most see its page a moment longer (as
 *   above), never act.
 * - Bounded: at most `maxBytes`, the oldest entries going first.
 *
 * @module
 */
import type { Context, MiddlewareHandler } from "hono";
import { onCustomerChange } from "../db/changes.ts";
import { sha256 } from "../db/secrets.ts";
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
  c.set("cacheMark", {
    customerId: session.customerId,
    sessionHash: session.hash,
    sessionExpiresAt: session.expiresAt,
  });
}

/** The page cache's settings. */
export interface PageCacheOptions {
  /** Longest life of an entry, ms; 0 turns the cache off. */
  ttlMs: number;
  /** The one path whose pages are kept. */
  path: string;
  /**
   * The variant of the page a URL asks for: only what the route reads (other query
   * parameters must not mint entries).
   */
  vary: (url: URL) => string;
  /** The session cookie's name (lib/http/session.ts). */
  cookieName: string;
  /** The clock, ms. */
  now: () => number;
  /** Upper bound of the memory held (UTF-16 bytes of the kept pages). */
  maxBytes?: number;
}

interface Entry {
  customerId: string;
  /** The page split at its nonce. */
  body: string[];
  /** The CSP header split at its nonce. */
  csp: string[];
  /** Every other header of the answer. */
  headers: Record<string, string>;
  /** Served as is until then. */
  freshUntil: number;
  /** Past `freshUntil`, served only while a render to replace it runs, and never past this. */
  staleUntil: number;
  /** A request is rendering the page again. */
  refreshing: boolean;
  bytes: number;
}

/** 32 MiB: two thousand connections pages. */
export const DEFAULT_MAX_BYTES = 32 * 1024 * 1024;

/** Generation counters per bucket of customers; see {@linkcode PageCache}. */
const BUCKETS = 256;

/** Set afresh on every answer (by us, or by the server). */
const UNSTORED_HEADERS = new Set([
  "content-security-policy",
  "content-length",
  "date",
]);

/** The page cache of one app. */
export class PageCache {
  readonly ttlMs: number;
  readonly maxBytes: number;
  /** Counters for tests and the benchmark. */
  readonly stats = { hits: 0, renders: 0, stores: 0, invalidations: 0 };
  #options: PageCacheOptions;
  #entries = new Map<string, Entry>();
  #byCustomer = new Map<string, Set<string>>();
  #bytes = 0;
  // Bumped on every change to a customer of the bucket: a render that saw its bucket's
  // counter move while it ran may hold data older than the change, so it is not kept.
  #generations = new Uint32Array(BUCKETS);

  constructor(kv: Deno.Kv, options: PageCacheOptions) {
    this.ttlMs = Math.max(0, options.ttlMs);
    this.maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
    this.#options = options;
    if (this.ttlMs > 0) onCustomerChange(kv, (id) => this.invalidate(id));
  }

  /** The one path whose pages are kept. */
  get path(): string {
    return this.#options.path;
  }

  /** Entries held, and the bytes they take. */
  get size(): { entries: number; bytes: number } {
    return { entries: this.#entries.size, bytes: this.#bytes };
  }

  /** Drops every entry of `customerId` and keeps renders in flight from being kept. */
  invalidate(customerId: string): void {
    this.stats.invalidations++;
    this.#generations[bucket(customerId)]++;
    for (const key of this.#byCustomer.get(customerId) ?? []) this.#drop(key);
  }

  /**
   * The kept page for `request`, with a fresh nonce, or null when the app must answer:
   * not the cached path, not a `GET`, no session cookie, a flash message waiting,
   * nothing kept, or kept too long.
   */
  serve(request: Request): Response | null {
    if (this.ttlMs === 0 || request.method !== "GET") return null;
    const url = new URL(request.url);
    if (url.pathname !== this.#options.path) return null;
    const cookies = cookieMap(request.headers.get("cookie"));
    const token = cookies.get(this.#options.cookieName);
    if (!token || cookies.has(FLASH_COOKIE)) return null;
    const key = entryKey(token, this.#options.vary(url));
    const entry = this.#entries.get(key);
    if (!entry) return null;
    const now = this.#options.now();
    if (now >= entry.freshUntil) {
      if (now >= entry.staleUntil) {
        this.#drop(key);
        return null;
      }
      if (!entry.refreshing) {
        // This request renders the page again (the middleware settles the entry).
        entry.refreshing = true;
        return null;
      }
    }
    this.stats.hits++;
    // Like hono/secure-headers: 16 random bytes, base64.
    const nonce = crypto.getRandomValues(new Uint8Array(16)).toBase64();
    return new Response(entry.body.join(nonce), {
      status: 200,
      headers: {
        ...entry.headers,
        "content-security-policy": entry.csp.join(nonce),
      },
    });
  }

  /** The middleware for the cached path: keeps what its route marks. */
  middleware(): MiddlewareHandler<AppEnv> {
    return async (c, next) => {
      if (this.ttlMs === 0 || c.req.method !== "GET") return await next();
      const generations = this.#generations.slice();
      this.stats.renders++;
      await next();
      const token = cookieMap(c.req.header("cookie")).get(
        this.#options.cookieName,
      );
      if (!token) return;
      const key = entryKey(token, this.#options.vary(new URL(c.req.url)));
      const entry = await this.#entryOf(c, token, generations);
      // Whatever this render was, a copy it was meant to replace goes.
      if (entry) this.#store(key, entry);
      else if (this.#entries.get(key)?.refreshing) this.#drop(key);
    };
  }

  /** The entry to keep for the page `c` rendered, or null when it must not be kept. */
  async #entryOf(
    c: Context<AppEnv>,
    token: string,
    generations: Uint32Array,
  ): Promise<Entry | null> {
    const mark = c.var.cacheMark;
    if (
      !mark || c.res.status !== 200 || c.res.headers.has("set-cookie") ||
      await sha256(token) !== mark.sessionHash
    ) return null;
    const nonce = c.var.secureHeadersNonce;
    const csp = c.res.headers.get("content-security-policy");
    if (!nonce || !csp?.includes(nonce)) return null;
    const body = await c.res.clone().text();
    // A change to the customer while the page was rendered: it may predate it.
    const b = bucket(mark.customerId);
    if (this.#generations[b] !== generations[b]) return null;
    const headers: Record<string, string> = {};
    for (const [name, value] of c.res.headers) {
      if (!UNSTORED_HEADERS.has(name)) headers[name] = value;
    }
    const now = this.#options.now();
    return {
      customerId: mark.customerId,
      body: body.split(nonce),
      csp: csp.split(nonce),
      headers,
      freshUntil: Math.min(now + this.ttlMs, mark.sessionExpiresAt),
      staleUntil: Math.min(now + 2 * this.ttlMs, mark.sessionExpiresAt),
      refreshing: false,
      bytes: 2 * (body.length + csp.length) + 512,
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
    const now = this.#options.now();
    for (const [k, e] of this.#entries) {
      if (this.#bytes <= this.maxBytes && e.staleUntil > now) break;
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

function entryKey(token: string, variant: string): string {
  return `${token}\n${variant}`;
}

/** The cookies of a `Cookie` header by name (values as sent: ours need no decoding). */
function cookieMap(header: string | null | undefined): Map<string, string> {
  const map = new Map<string, string>();
  for (const pair of (header ?? "").split(";")) {
    const eq = pair.indexOf("=");
    if (eq > 0) map.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
  }
  return map;
}

/** FNV-1a, folded to a bucket. */
function bucket(customerId: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < customerId.length; i++) {
    h = Math.imul(h ^ customerId.charCodeAt(i), 0x01000193);
  }
  return (h >>> 0) % BUCKETS;
}
