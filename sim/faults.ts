/**
 * Injected failures (`/_sim/faults`): a status, a delay or both, on one path, for a number
 * of requests. They let a client's retries, timeouts and error pages be tested against the
 * very API it talks to.
 *
 * @module
 */

import type { MiddlewareHandler } from "hono";
import { faultError } from "./errors.ts";
import { randomUuid } from "./ids.ts";
import { FaultBody } from "./schemas.ts";

/** A fault waiting to hit requests, as `/_sim/faults` lists it. */
export interface Fault {
  id: string;
  method: string | null;
  path: string;
  status: number | null;
  delay_ms: number;
  remaining: number;
  retry_after: number | null;
}

/** The armed faults and the sleeps they started (so `close()` can end them). */
export class Faults {
  #list: Fault[] = [];
  #sleeps = new Map<ReturnType<typeof setTimeout>, () => void>();

  /** Arms a fault; throws a ZodError on a bad one. */
  add(input: FaultBody): Fault {
    const parsed = FaultBody.parse(input);
    const fault: Fault = {
      id: randomUuid(),
      method: parsed.method?.toUpperCase() ?? null,
      path: parsed.path,
      status: parsed.status ?? null,
      delay_ms: parsed.delay_ms ?? 0,
      remaining: parsed.count,
      retry_after: parsed.retry_after ?? null,
    };
    this.#list.push(fault);
    return fault;
  }

  /** Faults still armed. */
  list(): Fault[] {
    return this.#list;
  }

  /** Disarms every fault. */
  clear(): void {
    this.#list = [];
  }

  /** Ends every pending delay at once. */
  close(): void {
    for (const [id, resolve] of this.#sleeps) {
      clearTimeout(id);
      resolve();
    }
    this.#sleeps.clear();
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const id = setTimeout(() => {
        this.#sleeps.delete(id);
        resolve();
      }, ms);
      this.#sleeps.set(id, resolve);
    });
  }

  /**
   * The middleware: a request whose path (relative to the mount) matches a fault waits its
   * delay, then answers its status or goes on normally. `/_sim/` itself is never hit.
   */
  middleware(relative: (path: string) => string): MiddlewareHandler {
    return async (c, next) => {
      const path = relative(c.req.path);
      if (path.startsWith("/_sim/")) return await next();
      const fault = this.#list.find((f) =>
        f.path === path && (f.method === null || f.method === c.req.method)
      );
      if (!fault) return await next();
      fault.remaining -= 1;
      if (fault.remaining <= 0) {
        this.#list = this.#list.filter((f) => f !== fault);
      }
      if (fault.delay_ms > 0) await this.#sleep(fault.delay_ms);
      if (fault.status === null) return await next();
      const error = faultError(fault.status);
      const headers: Record<string, string> = {};
      if (fault.retry_after !== null) {
        headers["retry-after"] = String(fault.retry_after);
      }
      return c.json(error.body, fault.status as 400, headers);
    };
  }
}
