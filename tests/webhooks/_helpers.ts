/**
 * Helpers for the webhook tests: an HMAC signer written from Finch's description
 * (reference §3.2), independent of both the SDK and the simulator's signer, and a poster.
 */
import Finch from "@tryfinch/finch-api";
import { findConnection, listConnections } from "../../lib/db/connections.ts";
import type { Connection } from "../../lib/db/schemas.ts";
import { getAccessToken } from "../../lib/db/connections.ts";
import { DEFAULT_WEBHOOK_SECRET } from "../../sim/defaults.ts";
import { BASE, type Client, type TestPortal } from "../../testing/portal.ts";

export { DEFAULT_WEBHOOK_SECRET };

/** `v1,<base64 HMAC-SHA256(base64decode(secret), id.timestamp.body)>`. */
export async function sign(
  secret: string,
  id: string,
  timestamp: number,
  body: string,
): Promise<string> {
  const key = await crypto.subtle.importKey(
    "raw",
    Uint8Array.fromBase64(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const mac = await crypto.subtle.sign(
    "HMAC",
    key,
    new TextEncoder().encode(`${id}.${timestamp}.${body}`),
  );
  return `v1,${new Uint8Array(mac).toBase64()}`;
}

let counter = 0;
/** A fresh Finch-style event id. */
export const eventId = () =>
  `msg_test${Date.now().toString(36)}${(counter++).toString(36)}`;

/** Unix seconds of a clock in ms. */
export const seconds = (ms: number) => Math.floor(ms / 1000);

export interface Delivery {
  id?: string;
  timestamp?: number;
  secret?: string;
  /** Replaces the computed signature header. */
  signature?: string;
  /** Headers to drop. */
  omit?: string[];
  /** The raw body; `payload` is JSON-encoded otherwise. */
  body?: string;
  payload?: unknown;
}

/** Posts a signed webhook to the portal; returns status and JSON answer. */
export async function deliver(
  send: (path: string, init?: RequestInit) => Promise<Response>,
  d: Delivery,
  nowMs = Date.now(),
): Promise<{ status: number; json: Record<string, unknown>; text: string }> {
  const id = d.id ?? eventId();
  const timestamp = d.timestamp ?? seconds(nowMs);
  const body = d.body ?? JSON.stringify(d.payload);
  const headers: Record<string, string> = {
    "content-type": "application/json",
    "finch-event-id": id,
    "finch-timestamp": String(timestamp),
    "finch-signature": d.signature ??
      await sign(d.secret ?? DEFAULT_WEBHOOK_SECRET, id, timestamp, body),
  };
  for (const h of d.omit ?? []) delete headers[h];
  const res = await send("/webhooks/finch", {
    method: "POST",
    headers,
    body,
  });
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text);
  } catch { /* asserted by callers */ }
  return { status: res.status, json, text };
}

/** An `account.updated` payload as Finch's docs show it. */
export function accountUpdated(
  connectionId: string,
  status: string,
  extra: Record<string, unknown> = {},
  authenticationMethod: unknown = { type: "credential" },
) {
  return {
    company_id: "720be419-0293-4d32-a707-32179b0827ab",
    account_id: "fa878c1b-2e4b-4ed5-9e3f-4a8a3b4f5c6d",
    connection_id: connectionId,
    event_type: "account.updated",
    data: { status, authentication_method: authenticationMethod },
    ...extra,
  };
}

/** Signs in as `customerId`, connects one company, returns the client and the record. */
export async function connected(
  t: TestPortal,
  company = "Acme, Inc.",
  options: { customerId?: string; entities?: string; provider?: string } = {},
): Promise<{ client: Client; connection: Connection }> {
  const customerId = options.customerId ?? "acme";
  const client = await t.signedIn(customerId);
  const done = await client.connect({
    company_name: company,
    provider_id: options.provider ?? "gusto",
    entities: options.entities,
  });
  if (done.status !== 303) {
    throw new Error(`connect answered ${done.status}: ${await done.text()}`);
  }
  const { values } = await listConnections(t.kv, customerId);
  const connection = values.find((c) => c.company_name === company) ??
    values.at(-1)!;
  return { client, connection };
}

/** The stored record, which must exist. */
export async function stored(
  t: TestPortal,
  connectionId: string,
): Promise<Connection> {
  const c = await findConnection(t.kv, connectionId);
  if (!c) throw new Error(`no connection ${connectionId}`);
  return c;
}

/** The SDK pointed at the in-process simulator with a connection's bearer token. */
export async function simSdk(t: TestPortal, connectionId: string) {
  const token = await getAccessToken(
    t.kv,
    t.portal.deps.sealer,
    connectionId,
  );
  if (!token) throw new Error("no token");
  return {
    token,
    sdk: new Finch({
      accessToken: token,
      clientID: null,
      clientSecret: null,
      webhookSecret: null,
      baseURL: `${BASE}/sim`,
      fetch: async (input, init) =>
        await t.portal.fetch(new Request(input, init)),
      maxRetries: 0,
      logLevel: "off",
    }),
  };
}

/** True when the connections page offers a Reconnect button for `connectionId`. */
export function showsReconnect(html: string, connectionId: string): boolean {
  const action = `/connections/${encodeURIComponent(connectionId)}/reauth`;
  return html.includes(`action="${action}"`) && />\s*Reconnect\s*</.test(html);
}

/**
 * A clock `offset` ms away from real time. Connecting with a negative offset and then
 * setting it to 0 gives a connection whose status is a little old, so that webhooks
 * signed in the recent past are newer than it (the SDK checks real time, so the offset
 * stays within its 5-minute tolerance).
 */
export function shiftedClock(offset: number) {
  const clock = { offset, now: () => Date.now() + clock.offset };
  return clock;
}
