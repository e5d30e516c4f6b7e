/**
 * Helpers for the integrator events tests: a demo portal (in-process, real KV queue, the
 * simulator) whose events go to a real receiver on 127.0.0.1, and readers of the feed.
 */
import {
  type Client,
  type TestPortal,
  testPortal,
} from "../../testing/portal.ts";
import { newSecret, Receiver } from "./_receiver.ts";

export { newSecret, Receiver };

/** An event as `GET /api/events` shows it. */
export interface FeedEvent {
  id: string;
  type: string;
  timestamp: string;
  data: Record<string, unknown> & {
    customer_id: string;
    connection_id: string;
    status: string;
  };
  delivery: {
    state: string;
    attempts: number;
    last_error: string | null;
    next_attempt_at: string | null;
    delivered_at: string | null;
  };
}

export interface EventsTest {
  /**
   * Signs `acme` in and connects `company` through the redirect flow; returns the
   * browser and the new connection's id (from its `connection.created`).
   */
  connect(company: string): Promise<{ client: Client; id: string }>;
  t: TestPortal;
  receiver: Receiver;
  secrets: string[];
  /** An integrator API call; JSON in and out. */
  api(
    method: string,
    path: string,
    body?: unknown,
    // deno-lint-ignore no-explicit-any
  ): Promise<{ status: number; body: any; text: string }>;
  /** Every event in the feed, page by page (`limit` per page). */
  feed(query?: string, limit?: number): Promise<FeedEvent[]>;
  /** Waits until no event is pending or retrying; returns the feed. */
  settled(timeoutMs?: number): Promise<FeedEvent[]>;
  close(): Promise<void>;
}

/**
 * A demo portal whose events go to a started receiver, retried quickly
 * (`EVENTS_RETRY_SCHEDULE=0.05,0.1` unless `schedule` says otherwise).
 */
export async function eventsTest(options: {
  secrets?: string[];
  /** The secrets the receiver verifies with (default: `secrets`). */
  receiverSecrets?: string[];
  schedule?: string;
  /** No `EVENTS_WEBHOOK_URL` at all. */
  noUrl?: boolean;
  timeoutMs?: number;
  now?: () => number;
} = {}): Promise<EventsTest> {
  const secrets = options.secrets ?? [newSecret()];
  const receiver = new Receiver(options.receiverSecrets ?? secrets).start();
  const t = await testPortal({
    env: {
      EVENTS_WEBHOOK_SECRET: secrets.join(","),
      EVENTS_RETRY_SCHEDULE: options.schedule ?? "0.05,0.1",
      ...(options.noUrl ? {} : { EVENTS_WEBHOOK_URL: receiver.url }),
    },
    events: { timeoutMs: options.timeoutMs },
    sim: { jobDelayMs: 5 },
    ...(options.now ? { now: options.now } : {}),
  });
  const api: EventsTest["api"] = async (method, path, body) => {
    const res = await t.fetch(path, {
      method,
      headers: {
        authorization: `Bearer ${t.portal.config.adminApiKey}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown = null;
    try {
      parsed = JSON.parse(text);
    } catch { /* the caller asserts */ }
    return { status: res.status, body: parsed, text };
  };
  const feed = async (query = "", limit = 100) => {
    const all: FeedEvent[] = [];
    let after: string | null = null;
    for (;;) {
      const q = new URLSearchParams(query);
      q.set("limit", String(limit));
      if (after) q.set("after", after);
      const res = await api("GET", `/api/events?${q}`);
      if (res.status !== 200) throw new Error(`feed: ${res.text}`);
      all.push(...res.body.events);
      if (!res.body.has_more) return all;
      after = res.body.next_cursor;
    }
  };
  const settled = async (timeoutMs = 30_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      await t.portal.sim?.settled();
      const events = await feed();
      const open = events.filter((e) =>
        e.delivery.state === "pending" || e.delivery.state === "retrying"
      );
      if (open.length === 0) return events;
      if (Date.now() > deadline) {
        throw new Error(
          `deliveries still open: ${
            open.map((e) => `${e.type} ${e.delivery.state}`).join(", ")
          }`,
        );
      }
      await new Promise((r) => setTimeout(r, 25));
    }
  };
  const connect = async (company: string) => {
    const client = await t.signedIn("acme");
    const res = await client.connect({ company_name: company });
    if (res.status !== 303) throw new Error(`connect: ${await res.text()}`);
    const created = (await feed("type=connection.created")).at(-1)!;
    return { client, id: created.data.connection_id };
  };
  return {
    t,
    receiver,
    secrets,
    connect,
    api,
    feed,
    settled,
    async close() {
      try {
        await t.close();
      } finally {
        await receiver.stop();
      }
    },
  };
}
