/**
 * Test harness: the real portal, built by the same `bootPortal` as main.ts, in demo mode
 * (unless a test passes `demo: false` with production settings) on a `:memory:` KV, with
 * the simulator in-process. Requests go through the app's own
 * handler (no network), and every log line is kept so tests can scan it for secrets.
 */
import { type BootOptions, bootPortal, type Portal } from "../boot.ts";
import { upsertCustomer } from "../lib/db/customers.ts";
import { createPortalLink } from "../lib/links.ts";

export const BASE = "http://portal.test";

/**
 * Rate limits far above what any suite does in one test (the concurrency tests start 50
 * Connect sessions for one customer); tests of the limits themselves pass their own.
 */
export const GENEROUS_RATE_LIMITS: Record<string, string> = {
  RATE_LIMIT_CONNECT_PER_CUSTOMER: "10000/600",
  RATE_LIMIT_CONNECT_PER_ADDRESS: "10000/600",
  RATE_LIMIT_LINK_PER_ADDRESS: "10000/600",
  RATE_LIMIT_LINK_PER_CUSTOMER: "10000/600",
  RATE_LIMIT_TOKEN_READS_PER_KEY: "10000/600",
};

export interface TestPortal {
  portal: Portal;
  kv: Deno.Kv;
  /** Every log line the app wrote, as JSON text. */
  logs: string[];
  /** The portal's PUBLIC_URL. */
  url: string;
  /** A request through the root handler (simulator included); relative paths allowed. */
  fetch(input: string | Request, init?: RequestInit): Promise<Response>;
  /** A browser-like client with its own cookie jar. */
  client(): Client;
  /** Creates a customer and returns a client already signed in through a portal link. */
  signedIn(customerId?: string, name?: string): Promise<Client>;
  close(): Promise<void>;
}

/** Builds a test portal. Close it in a `finally`. */
export async function testPortal(
  options: Partial<BootOptions> & { env?: Record<string, string> } = {},
): Promise<TestPortal> {
  const kv = options.kv ?? await Deno.openKv(":memory:");
  const logs: string[] = [];
  const base = options.env?.PUBLIC_URL ?? BASE;
  const portal = await bootPortal({
    // Built in memory once per process: a prebuilt bundle could be stale.
    islands: "build",
    demo: true,
    // People jobs run only where a test asks for them (tests/people/): elsewhere they
    // would add events to feeds and requests to the simulator behind the test's back.
    people: { enabled: false },
    ...options,
    env: {
      PUBLIC_URL: base,
      KV_PATH: ":memory:",
      ...GENEROUS_RATE_LIMITS,
      ...options.env,
    },
    kv,
    log: (level, event, fields) =>
      logs.push(JSON.stringify({ level, event, ...fields })),
    sim: {
      webhookRetryDelaysMs: [0, 5, 10],
      initialSyncDelayMs: null,
      ...options.sim,
    },
  });
  // Every answer the portal gives a test is kept, so that close() can prove no access
  // token ever left the server (invariant 3) across the whole suite.
  const answers: Promise<string>[] = [];
  const fetch = async (input: string | Request, init?: RequestInit) => {
    const request = typeof input === "string"
      ? new Request(new URL(input, base), init)
      : input;
    const url = new URL(request.url);
    const res = await portal.fetch(request);
    if (mayCarryToken(url.pathname)) return res;
    const headers = [...res.headers].map(([k, v]) => `${k}: ${v}`).join("\n");
    answers.push(
      res.clone().text().then((body) => `${headers}\n${body}`, () => headers),
    );
    return res;
  };
  const self: TestPortal = {
    portal,
    kv,
    logs,
    url: base,
    fetch,
    client: () => new Client(fetch, base),
    async signedIn(customerId = "acme", name = "Acme Inc.") {
      await upsertCustomer(kv, {
        id: customerId,
        name,
        email: `hr@${customerId}.example`,
      });
      const link = await createPortalLink(portal.deps, customerId);
      const client = new Client(fetch, base);
      const res = await client.get(link.url);
      if (res.status !== 303) {
        throw new Error(`portal link answered ${res.status}`);
      }
      return client;
    },
    async close() {
      const tokens = Object.keys(portal.sim?.store.data.tokens ?? {});
      const seen = [...await Promise.all(answers), ...logs];
      await portal.close();
      if (!options.kv) kv.close();
      for (const token of tokens) {
        const leak = seen.find((text) => text.includes(token));
        if (leak) {
          throw new Error(
            `an access token left the server:\n${leak.slice(0, 500)}`,
          );
        }
      }
    },
  };
  return self;
}

/**
 * The two places a token may legitimately appear: Finch's own API (the simulator, at
 * /sim) and the integrator's token route.
 */
function mayCarryToken(path: string): boolean {
  return path.startsWith("/sim/") ||
    /^\/api\/connections\/[^/]+\/token$/.test(path);
}

/** What a person fills in on the simulator's Connect page. */
export interface ConnectForm {
  provider_id?: string;
  company_name: string;
  entities?: string;
  username?: string;
}

/**
 * A minimal browser: a cookie jar, same-origin `Origin` on posts, and manual redirects
 * so tests can assert every hop.
 */
export class Client {
  readonly cookies = new Map<string, string>();
  constructor(
    private readonly send: (
      path: string,
      init?: RequestInit,
    ) => Promise<Response>,
    private readonly origin: string = BASE,
  ) {}

  async request(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookies.size) {
      headers.set(
        "cookie",
        [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; "),
      );
    }
    const res = await this.send(path, { ...init, headers, redirect: "manual" });
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(";");
      const eq = pair.indexOf("=");
      const name = pair.slice(0, eq).trim(), value = pair.slice(eq + 1).trim();
      const expired = attrs.some((a) => /max-age=0\b/i.test(a.trim())) ||
        value === "";
      if (expired) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return res;
  }

  get(path: string, headers: HeadersInit = {}): Promise<Response> {
    return this.request(path, { headers });
  }

  /** Posts a form from our own origin, as a browser would. */
  postForm(
    path: string,
    fields: Record<string, string>,
    headers: HeadersInit = {},
  ) {
    return this.request(path, {
      method: "POST",
      headers: {
        origin: this.origin,
        "content-type": "application/x-www-form-urlencoded",
        ...headers,
      },
      body: new URLSearchParams(fields).toString(),
    });
  }

  postJson(path: string, body: unknown, headers: HeadersInit = {}) {
    return this.request(path, {
      method: "POST",
      headers: {
        origin: this.origin,
        "content-type": "application/json",
        ...headers,
      },
      body: JSON.stringify(body),
    });
  }

  /** Loads the connections page and returns its HTML and form token. */
  async page(
    path = "/connections",
  ): Promise<{ status: number; html: string; csrf: string }> {
    const res = await this.get(path);
    const html = await res.text();
    const csrf = html.match(/name="_csrf" value="([^"]+)"/)?.[1] ?? "";
    return { status: res.status, html, csrf };
  }

  /**
   * Runs the redirect flow end to end: "Connect" on our page, the simulator's Connect
   * form, and the callback. Returns the callback's response (normally a 303).
   */
  async connect(
    form: ConnectForm,
    start: { path?: string; provider_id?: string } = {},
  ) {
    const { csrf } = await this.page();
    const started = await this.postForm(start.path ?? "/connections/new", {
      _csrf: csrf,
      provider_id: start.provider_id ?? "",
    });
    if (started.status !== 303) {
      throw new Error(
        `starting Connect answered ${started.status}: ${await started.text()}`,
      );
    }
    const callback = await this.authorize(
      started.headers.get("location")!,
      form,
    );
    return await this.get(callback);
  }

  /** Fills the simulator's Connect page at `connectUrl`; returns the callback URL. */
  async authorize(
    connectUrl: string,
    form: ConnectForm,
    action = "connect",
  ): Promise<string> {
    const url = new URL(connectUrl);
    const page = await this.get(url.pathname + url.search);
    if (page.status !== 200) {
      throw new Error(`Connect page answered ${page.status}`);
    }
    await page.body?.cancel();
    const res = await this.postForm(url.pathname, {
      session: url.searchParams.get("session") ?? "",
      state: url.searchParams.get("state") ?? "",
      provider_id: form.provider_id ?? "gusto",
      company_name: form.company_name,
      entities: form.entities ?? "",
      username: form.username ?? "admin@example.com",
      action,
    });
    const location = res.headers.get("location");
    if (!location) {
      throw new Error(`Connect answered ${res.status}: ${await res.text()}`);
    }
    return location;
  }
}
