/**
 * Shared fixtures for the simulator tests: a simulator with a movable clock, an official
 * SDK client wired to it in-process, and helpers that drive the hosted Connect form.
 *
 * @module
 */

import Finch from "@tryfinch/finch-api";
import type { Hono } from "hono";
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
  const client = new Finch({
    clientID: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    webhookSecret: WEBHOOK_SECRET,
    baseURL: overrides.publicUrl ?? BASE,
    fetch: appFetch(sim.app),
    maxRetries: 0,
  });
  return {
    sim,
    client,
    advance: (ms) => void (offset += ms),
    as: (token) => client.withAccessToken(token),
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
