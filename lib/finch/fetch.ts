/**
 * The `fetch` the Finch SDK is given: timeouts that work with any fetch, and no sleeping
 * through a long `Retry-After` inside a request a person waits on.
 *
 * @module
 */

/**
 * The longest `Retry-After` (seconds) worth sitting through inside one page request. The
 * SDK sleeps for whatever Finch asks before retrying, uncapped; past this we answer at
 * once with a page that says when to come back, instead of holding the person there.
 */
const MAX_RETRY_WAIT_S = 2;

/**
 * Wraps the SDK's `fetch` so that (1) the SDK's timeout works with any fetch: it aborts
 * through the request's signal, which an in-process handler (the simulator in demo mode)
 * never looks at, so without this a slow answer was simply waited for; and (2) a failure
 * whose `Retry-After` is longer than {@linkcode MAX_RETRY_WAIT_S} is marked
 * `x-should-retry: false`, the SDK's own switch, so it is reported rather than slept on.
 */
export function guardedFetch(base: typeof fetch): typeof fetch {
  return async (input, init) => {
    const response = await untilAborted(base(input, init), init?.signal);
    const retryAfter = response.headers.get("retry-after");
    if (
      response.ok || retryAfter === null ||
      (retryAfterSeconds(retryAfter) ?? Infinity) <= MAX_RETRY_WAIT_S
    ) return response;
    const headers = new Headers(response.headers);
    headers.set("x-should-retry", "false");
    return new Response(response.body, {
      status: response.status,
      statusText: response.statusText,
      headers,
    });
  };
}

/** Settles with `pending`, or rejects with an `AbortError` as soon as `signal` aborts. */
function untilAborted(
  pending: Promise<Response>,
  signal: AbortSignal | null | undefined,
): Promise<Response> {
  if (!signal) return pending;
  return new Promise((resolve, reject) => {
    const abort = () =>
      reject(new DOMException("The request timed out", "AbortError"));
    if (signal.aborted) abort();
    else signal.addEventListener("abort", abort, { once: true });
    pending.then((response) => {
      signal.removeEventListener("abort", abort);
      // An answer that arrives after the timeout is dropped; free its body.
      if (signal.aborted) response.body?.cancel().catch(() => {});
      else resolve(response);
    }, (err) => {
      signal.removeEventListener("abort", abort);
      reject(err);
    });
  });
}

/** `Retry-After` in seconds (delta-seconds or an HTTP date); undefined when absent or bad. */
export function retryAfterSeconds(value: string | null): number | undefined {
  if (value === null || value.trim() === "") return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return seconds >= 0 ? seconds : undefined;
  const at = Date.parse(value);
  return Number.isFinite(at)
    ? Math.max(0, Math.ceil((at - Date.now()) / 1000))
    : undefined;
}
