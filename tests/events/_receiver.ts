/**
 * A real HTTP receiver for integrator events: `Deno.serve` on 127.0.0.1 (port 0, or the
 * port it had, after a restart), whose every delivery is verified with the
 * `standardwebhooks` library against the secrets the test gives it. It can answer 200,
 * any other status, hang, or be down, and keeps every delivery it received.
 */
import assert from "node:assert/strict";
import { Webhook } from "standardwebhooks";

/** One delivery as received, verified. */
export interface Received {
  id: string;
  timestamp: number;
  signature: string;
  body: string;
  /** `{type, timestamp, data}`, as the library's verify returned it. */
  payload: { type: string; timestamp: string; data: Record<string, unknown> };
  /** What the receiver answered. */
  answered: number | "hung";
}

/** How the receiver answers the next deliveries. */
export type Behaviour =
  | { status: number }
  /** Never answers (until the receiver stops). */
  | { hang: true };

/** A fresh `whsec_` secret. */
export function newSecret(): string {
  return `whsec_${crypto.getRandomValues(new Uint8Array(32)).toBase64()}`;
}

export class Receiver {
  readonly received: Received[] = [];
  /** Answers in order, then `fallback`. */
  script: Behaviour[] = [];
  fallback: Behaviour = { status: 200 };
  /** How long each answer takes (so that deliveries are in flight for a while). */
  delayMs = 0;
  port = 0;
  #server: Deno.HttpServer | null = null;
  #hung: (() => void)[] = [];
  #verifiers: Webhook[];
  #waiters: (() => void)[] = [];

  /** Every delivery must verify with each of `secrets` (the receivers of a rotation). */
  constructor(secrets: string[]) {
    this.#verifiers = secrets.map((s) => new Webhook(s));
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/hooks/portal`;
  }

  /** Starts listening, on the port it had before when restarted. */
  start(): this {
    this.#server = Deno.serve({
      hostname: "127.0.0.1",
      port: this.port,
      onListen: () => {},
    }, (req) => this.#handle(req));
    this.port = (this.#server.addr as Deno.NetAddr).port;
    return this;
  }

  /** Stops listening (connections are refused from now on); hung answers are dropped. */
  async stop(): Promise<void> {
    for (const release of this.#hung.splice(0)) release();
    await this.#server?.shutdown();
    this.#server = null;
  }

  async #handle(req: Request): Promise<Response> {
    const body = await req.text();
    const headers = Object.fromEntries(req.headers);
    for (const v of this.#verifiers) {
      // Throws on a bad signature, a stale timestamp or a missing header.
      v.verify(body, headers);
    }
    assert.equal(req.method, "POST");
    assert.equal(req.headers.get("content-type"), "application/json");
    const payload = JSON.parse(body);
    assert.deepEqual(Object.keys(payload).sort(), [
      "data",
      "timestamp",
      "type",
    ]);
    const behaviour = this.script.shift() ?? this.fallback;
    const got: Received = {
      id: req.headers.get("webhook-id")!,
      timestamp: Number(req.headers.get("webhook-timestamp")),
      signature: req.headers.get("webhook-signature")!,
      body,
      payload,
      answered: "hang" in behaviour ? "hung" : behaviour.status,
    };
    this.received.push(got);
    for (const wake of this.#waiters.splice(0)) wake();
    if ("hang" in behaviour) {
      await new Promise<void>((resolve) => this.#hung.push(resolve));
      return new Response(null, { status: 503 });
    }
    if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
    return new Response(
      behaviour.status === 204 ? null : behaviour.status < 300 ? "ok" : "no",
      {
        status: behaviour.status,
        headers: behaviour.status >= 300 && behaviour.status < 400
          ? { location: "http://127.0.0.1:9/elsewhere" }
          : {},
      },
    );
  }

  /** The deliveries answered 2xx, by event id. */
  delivered(): Map<string, Received> {
    return new Map(
      this.received.filter((r) =>
        typeof r.answered === "number" && r.answered < 300
      ).map((r) => [r.id, r]),
    );
  }

  /** Resolves once `done()` is true, checked after each delivery (and every 50 ms). */
  async until(done: () => boolean, what: string, timeoutMs = 30_000) {
    const deadline = Date.now() + timeoutMs;
    while (!done()) {
      if (Date.now() > deadline) {
        throw new Error(`the receiver waited in vain for ${what}`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 50);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }
}
