/**
 * Verifying Finch webhooks: headers checked, timestamp within tolerance of our clock, and
 * the signature verified by the official SDK (`client.webhooks.unwrap`) against each
 * configured secret, newest first, so a rotation never drops an event.
 *
 * The SDK checks its 5-minute tolerance against the real clock (`Date.now`) and offers no
 * way to inject another one, so the same tolerance is also checked here against the
 * portal's injectable clock. In production the two clocks are one; in tests an event is
 * accepted only when it is fresh by both.
 *
 * Every failure is an {@linkcode AppError} with a 4xx status and a message that names what
 * was wrong, never the body, a secret or the expected signature.
 *
 * @module
 */
import { z } from "zod";
import { AppError } from "../errors.ts";
import { loadFinchSdk } from "./sdk.ts";

/** Finch's (Svix's) tolerance between the signed timestamp and our clock, both ways. */
export const WEBHOOK_TOLERANCE_S = 5 * 60;

/** Largest body accepted: Finch's events are a few hundred bytes. */
export const WEBHOOK_MAX_BYTES = 256 * 1024;

/** A webhook whose signature, timestamp and JSON were checked. */
export interface VerifiedWebhook {
  /** `Finch-Event-Id`: the same on every retry of one event, the dedupe key. */
  eventId: string;
  /**
   * When Finch signed this delivery. `Finch-Timestamp` is whole seconds, so this is the
   * last millisecond of that second, so that a status the portal recorded earlier in the
   * same second (introspect just after connecting) does not outrank the event; but never
   * later than our clock, since the event cannot be newer than its arrival, so that what
   * the portal learns after it (a reconnect a moment later) is not outranked either.
   */
  at: Date;
  /** The parsed JSON body; not yet validated beyond being JSON. */
  payload: unknown;
}

/** A client used only for its webhook helpers: no credentials, it never sends a request. */
async function webhookHelpers() {
  const Finch = await loadFinchSdk();
  return new Finch({
    accessToken: null,
    clientID: null,
    clientSecret: null,
    webhookSecret: null,
    baseURL: "http://finch.invalid",
    maxRetries: 0,
    logLevel: "off",
  }).webhooks;
}

const SignatureHeaders = z.object({
  // The same alphabet markEventSeen accepts, so a valid event id is always storable.
  eventId: z.string().regex(/^[\x21-\x7e]{1,200}$/),
  timestamp: z.string().regex(/^\d{1,12}$/),
  signature: z.string().min(1).max(4096),
});

/** The SDK insists that a secret is canonical base64 (decode then encode gives it back). */
function usableSecret(secret: string): boolean {
  try {
    return secret.length > 0 && btoa(atob(secret)) === secret;
  } catch {
    return false;
  }
}

/**
 * Verifies one delivery. `secrets` are tried in order; the first that verifies wins.
 * Throws {@linkcode AppError}: 400 for missing or malformed headers, a timestamp out of
 * tolerance or a body that is not JSON; 401 when no signature matches; 503 when no
 * usable secret is configured (an operator problem: Finch retries later).
 *
 * @example
 * ```ts
 * const hook = await verifyFinchWebhook(await c.req.text(), c.req.raw.headers,
 *   deps.config.finch.webhookSecrets, deps.now());
 * ```
 */
export async function verifyFinchWebhook(
  rawBody: string,
  headers: Headers,
  secrets: readonly string[],
  nowMs: number,
): Promise<VerifiedWebhook> {
  const raw = {
    eventId: headers.get("finch-event-id"),
    timestamp: headers.get("finch-timestamp"),
    signature: headers.get("finch-signature"),
  };
  if (!raw.eventId || !raw.timestamp || !raw.signature) {
    throw new AppError(
      400,
      "missing_signature",
      "Finch-Event-Id, Finch-Timestamp and Finch-Signature headers are required. Nothing was changed.",
    );
  }
  const parsed = SignatureHeaders.safeParse(raw);
  if (!parsed.success) {
    throw new AppError(
      400,
      "invalid_signature_headers",
      "The Finch-Event-Id, Finch-Timestamp or Finch-Signature header is malformed. Nothing was changed.",
    );
  }
  const { eventId, timestamp } = parsed.data;
  const seconds = Number(timestamp);
  if (Math.abs(nowMs / 1000 - seconds) > WEBHOOK_TOLERANCE_S) {
    throw outOfTolerance();
  }
  const usable = secrets.filter(usableSecret);
  if (usable.length === 0) {
    throw new AppError(
      503,
      "webhooks_not_configured",
      "This portal has no usable webhook secret configured (FINCH_WEBHOOK_SECRET). Nothing was changed.",
    );
  }
  const webhooks = await webhookHelpers();
  for (const secret of usable) {
    try {
      const payload: unknown = webhooks.unwrap(rawBody, headers, secret);
      return {
        eventId,
        at: new Date(Math.min(seconds * 1000 + 999, nowMs)),
        payload,
      };
    } catch (err) {
      // unwrap parses only after the signature verified: a SyntaxError is a signed bad body.
      if (err instanceof SyntaxError) {
        throw new AppError(
          400,
          "invalid_json",
          "The webhook body is not valid JSON. Nothing was changed.",
        );
      }
      // Our clock accepted the timestamp but the SDK's real clock did not.
      if (err instanceof Error && /timestamp/i.test(err.message)) {
        throw outOfTolerance();
      }
      // Otherwise no signature matched this secret: try the next one.
    }
  }
  throw new AppError(
    401,
    "invalid_signature",
    "The webhook signature does not match any configured secret. Nothing was changed.",
  );
}

function outOfTolerance(): AppError {
  return new AppError(
    400,
    "timestamp_out_of_range",
    "The webhook timestamp is more than 5 minutes away from the portal's clock. Nothing was changed.",
  );
}
