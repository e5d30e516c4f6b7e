/**
 * Shared fixtures for the simulator tests: a simulator with a movable clock, an official
 * SDK client wired to it in-process, and helpers that drive the hosted Connect form.
 *
 * @module
 */

import assert from "node:assert/strict";
import Finch from "@tryfinch/finch-api";
import type { Hono } from "hono";
import type { z } from "zod";
import {
  createSimulator,
  type Simulator,
  type SimulatorOptions,
} from "../../sim/app.ts";

export const CLIENT_ID = "5b0c8f2e-7d41-4c3a-9e55-0a1b2c3d4e5f";
export const CLIENT_SECRET = "test-secret";
/** 24 random-looking bytes in base64, like a Finch dashboard secret. */
export const WEBHOOK_SECRET = "5WbX5kEWLlfzsGNjH64I8lOOqUB6e8FH";
export const BASE = "http://sim.test";
export const REDIRECT_URI = "http://portal.test/callback";

/** A fetch that serves requests from a Hono app in-process and honours abort signals. */
export function appFetch(app: Hono): typeof fetch {
  return (input, init) => {
    const req = input instanceof Request ? input : String(input);
    const response = Promise.resolve(app.request(req, init));
    const signal = init?.signal ??
      (input instanceof Request ? input.signal : undefined);
    if (!signal) return response;
    return new Promise((resolve, reject) => {
      const onAbort = () =>
        reject(signal.reason ?? new DOMException("Aborted", "AbortError"));
      if (signal.aborted) return onAbort();
      signal.addEventListener("abort", onAbort, { once: true });
      response.then(resolve, reject).finally(() =>
        signal.removeEventListener("abort", onAbort)
      );
    });
  };
}

/** A simulator plus its clock and an SDK client with the app's credentials. */
export interface Fixture {
  sim: Simulator;
  client: Finch;
  /** Moves the injected clock forward. */
  advance(ms: number): void;
  /** A client for a connection's access token. */
  as(token: string): Finch;
  /** The status and JSON body of the last answer the SDK received, as sent on the wire. */
  last(): Promise<{ status: number; body: unknown }>;
}

/** Creates a simulator at `http://sim.test` with a real-time clock that tests can advance. */
export function fixture(overrides: Partial<SimulatorOptions> = {}): Fixture {
  let offset = 0;
  const sim = createSimulator({
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    webhookSecret: WEBHOOK_SECRET,
    publicUrl: BASE,
    now: () => Date.now() + offset,
    initialSyncDelayMs: null,
    webhookRetryDelaysMs: [0, 10, 10],
    ...overrides,
  });
  let lastResponse: Response | undefined;
  const inner = appFetch(sim.app);
  const recording: typeof fetch = async (input, init) => {
    const res = await inner(input, init);
    lastResponse = res.clone();
    return res;
  };
  const client = new Finch({
    clientID: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    webhookSecret: WEBHOOK_SECRET,
    baseURL: overrides.publicUrl ?? BASE,
    fetch: recording,
    maxRetries: 0,
  });
  return {
    sim,
    client,
    advance: (ms) => void (offset += ms),
    as: (token) => client.withAccessToken(token),
    async last() {
      if (!lastResponse) throw new Error("no answer yet");
      const res = lastResponse;
      return { status: res.status, body: await res.clone().json() };
    },
  };
}

/** Fields of the Connect form. */
export interface FormFields {
  provider_id?: string;
  company_name?: string;
  entities?: string;
  username?: string;
  state?: string;
  action?: "connect" | "cancel";
  app_type?: string;
  sdk_host_url?: string;
}

/** Posts the Connect form as a browser would. */
export function postForm(
  app: Hono,
  sessionId: string,
  fields: FormFields,
  base = BASE,
): Promise<Response> {
  const form = new URLSearchParams({ session: sessionId, action: "connect" });
  for (const [k, v] of Object.entries(fields)) {
    if (v !== undefined) form.set(k, v);
  }
  return Promise.resolve(app.request(`${base}/authorize`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: form.toString(),
  }));
}

/** Submits the form and returns the code from the redirect. */
export async function authorizeCode(
  app: Hono,
  sessionId: string,
  fields: FormFields,
  base = BASE,
): Promise<string> {
  const res = await postForm(app, sessionId, fields, base);
  if (res.status !== 303) {
    throw new Error(`authorize: ${res.status} ${await res.text()}`);
  }
  const code = new URL(res.headers.get("location")!).searchParams.get("code");
  if (!code) {
    throw new Error(`authorize: no code in ${res.headers.get("location")}`);
  }
  return code;
}

/** A product a Connect session can ask for. */
export type Product = Finch.Connect.SessionNewParams["products"][number];

/** What one full Connect run needs. */
export interface ConnectRun {
  customer_id?: string;
  customer_name?: string;
  provider_id?: string;
  company_name?: string;
  entities?: string;
  username?: string;
  products?: Product[];
  /** Offer assisted providers too (Finch's `manual`). */
  manual?: boolean;
}

/** Session, Connect form, code exchange: the token response of one full Connect run. */
export async function connect(f: Fixture, run: ConnectRun = {}) {
  const session = await f.client.connect.sessions.new({
    customer_id: run.customer_id ?? `cust-${crypto.randomUUID()}`,
    customer_name: run.customer_name ?? "Acme Benefits Customer",
    products: run.products ??
      ["company", "directory", "individual", "employment"],
    redirect_uri: REDIRECT_URI,
    ...(run.manual ? { manual: true } : {}),
  });
  const code = await authorizeCode(f.sim.app, session.session_id, {
    provider_id: run.provider_id ?? "gusto",
    company_name: run.company_name ?? "Acme, Inc.",
    entities: run.entities,
    username: run.username ?? "admin@acme.test",
  });
  return await f.client.accessTokens.create({
    code,
    redirect_uri: REDIRECT_URI,
  });
}

/** Asserts that a promise rejects with an SDK APIError and returns it. */
export async function apiError(
  p: Promise<unknown>,
): Promise<InstanceType<typeof Finch.APIError>> {
  try {
    await p;
  } catch (err) {
    if (err instanceof Finch.APIError) return err;
    throw err;
  }
  throw new Error("expected an APIError, the call succeeded");
}

/** Every product a Connect session can grant that the data endpoints use. */
export const DATA_PRODUCTS: Product[] = [
  "company",
  "directory",
  "individual",
  "employment",
  "payment",
  "pay_statement",
  "benefits",
  "documents",
  "ssn",
  "plans",
  "plans_enrollments",
  "plans_dependents",
];

/**
 * Asserts that a value matches a schema written from Finch's spec and returns it typed;
 * the message lists every issue with its path.
 */
export function spec<T extends z.ZodType>(
  schema: T,
  value: unknown,
  what = "answer",
): z.infer<T> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    assert.fail(
      `${what} does not match the spec:\n${
        parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`)
          .join("\n")
      }\n${JSON.stringify(value).slice(0, 800)}`,
    );
  }
  return parsed.data;
}

/** Request options with a bearer token, for operations the SDK has no method for. */
export function bearer(token: string) {
  return { headers: { Authorization: `Bearer ${token}` } };
}

/** An in-process webhook receiver whose answers are scripted per call. */
export function receiver(answers: (number | "throw")[] = []) {
  const received: { body: string; headers: Headers }[] = [];
  const fetchFn: typeof fetch = async (input, init) => {
    const req = new Request(input, init);
    received.push({ body: await req.text(), headers: req.headers });
    const answer = answers[received.length - 1] ?? 200;
    if (answer === "throw") throw new TypeError("connection refused");
    return new Response(null, { status: answer });
  };
  return { received, fetch: fetchFn };
}
