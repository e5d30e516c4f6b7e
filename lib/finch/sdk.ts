/**
 * Finch's official SDK, loaded on first use rather than at start.
 *
 * It is the largest module the portal imports (about a third of a production start's
 * module loading), and a process that serves health checks, token reads or pages whose
 * provider list it already holds never calls it. Loading it when Finch is first called
 * lets a new instance (Deno Deploy starts them on demand) answer sooner; the first call
 * to Finch waits for it once.
 *
 * @module
 */
import type FinchClient from "@tryfinch/finch-api";

/** The SDK's client class. */
export type Finch = typeof FinchClient;

let loading: Promise<Finch> | null = null;

/** The SDK's client class, imported once per process. */
export function loadFinchSdk(): Promise<Finch> {
  loading ??= import("@tryfinch/finch-api").then((m) => m.default).catch(
    (err) => {
      loading = null;
      throw err;
    },
  );
  return loading;
}
