/**
 * The gateway's reads of a company's people (directory, individual, employment), through
 * the SDK the gateway loaded. Apart from gateway.ts to keep each file readable; only the
 * gateway calls this.
 *
 * - A 202 (data not synced yet, authorization pending) arrives from the SDK as a
 *   success: it is turned into {@linkcode FinchDataNotReady} here, so a caller never
 *   mistakes it for an empty company.
 * - No SSN is asked for (`options.include` is never sent), and only the fields the
 *   people list needs leave this module: the rest of each body is dropped here.
 * - No retries: the people job has its own policy (429 `Retry-After`, backoff).
 *
 * @module
 */
import type FinchClient from "@tryfinch/finch-api";
import { FinchDataNotReady, FinchRejected } from "./errors.ts";

/** One person of a directory page. */
export interface DirectoryPerson {
  id: string;
  first_name: string | null;
  last_name: string | null;
  is_active: boolean | null;
}

/** One page of the directory, and the company's total. */
export interface DirectoryPage {
  individuals: DirectoryPerson[];
  /** `paging.count`: everyone in the directory. */
  count: number;
}

/** What the people list keeps of an individual (no SSN, no address, no phone). */
export interface IndividualFacts {
  first_name: string | null;
  last_name: string | null;
  dob: string | null;
  emails: string[];
}

/** The roster reads of the gateway (see lib/finch/gateway.ts). */
export interface RosterCalls {
  directory(
    accessToken: string,
    page: { offset: number; limit: number },
  ): Promise<DirectoryPage>;
  /** By individual id; ids Finch answers an error for are left out. */
  individuals(
    accessToken: string,
    ids: string[],
  ): Promise<Map<string, IndividualFacts>>;
  /** `is_active` by individual id, from employment; errors left out. */
  employments(
    accessToken: string,
    ids: string[],
  ): Promise<Map<string, boolean | null>>;
}

type Bearer = (token: string) => Promise<FinchClient>;
type MapError = (err: unknown, step: string, auth: "bearer") => Promise<Error>;

/** Per-call timeout: a page of thousands of people takes a while to build upstream. */
const ROSTER_TIMEOUT_MS = 60_000;

/** The shape both batch reads answer with: one item per requested individual. */
interface BatchAnswer {
  responses?: { individual_id?: string; code?: number; body?: unknown }[];
}

function notReady(status: number, body: unknown, step: string): void {
  if (status !== 202) return;
  const code = (body as { finch_code?: unknown } | null)?.finch_code;
  throw new FinchDataNotReady(
    step,
    typeof code === "string" ? code : undefined,
  );
}

/**
 * The roster calls over a bearer client factory and the gateway's error mapping.
 *
 * @example
 * ```ts
 * const calls = rosterCalls(bearer, mapError);
 * const page = await calls.directory(token, { offset: 0, limit: 1000 });
 * ```
 */
export function rosterCalls(bearer: Bearer, mapError: MapError): RosterCalls {
  const options = { maxRetries: 0, timeout: ROSTER_TIMEOUT_MS };

  /**
   * One batch read (individuals or employments): a 202 for the whole batch is
   * {@linkcode FinchDataNotReady}; an item Finch answers an error for is left out.
   */
  async function batch<T>(
    token: string,
    ids: string[],
    step: string,
    call: (
      client: FinchClient,
      requests: { individual_id: string }[],
    ) => Promise<{ data: BatchAnswer; response: Response }>,
    pick: (body: Record<string, unknown>) => T,
  ): Promise<Map<string, T>> {
    const found = new Map<string, T>();
    if (ids.length === 0) return found;
    try {
      const { data, response } = await call(
        await bearer(token),
        ids.map((individual_id) => ({ individual_id })),
      );
      notReady(response.status, data, step);
      for (const r of data.responses ?? []) {
        const body = r.body as Record<string, unknown> | undefined;
        if (r.code !== 200 || !body || !r.individual_id) continue;
        found.set(r.individual_id, pick(body));
      }
      return found;
    } catch (err) {
      if (err instanceof FinchDataNotReady) throw err;
      throw await mapError(err, step, "bearer");
    }
  }

  return {
    async directory(token, page) {
      const step = "reading the directory";
      try {
        const { data, response } = await (await bearer(token)).hris.directory
          .list({ offset: page.offset, limit: page.limit }, options)
          .withResponse();
        notReady(response.status, data, step);
        if (!Array.isArray(data.individuals)) {
          throw new FinchRejected(step, response.status, "malformed_body");
        }
        return {
          individuals: data.individuals.map((p) => ({
            id: p.id,
            first_name: p.first_name ?? null,
            last_name: p.last_name ?? null,
            is_active: p.is_active ?? null,
          })),
          count: data.paging?.count ?? data.individuals.length,
        };
      } catch (err) {
        if (err instanceof FinchDataNotReady) throw err;
        if (err instanceof FinchRejected) throw err;
        throw await mapError(err, step, "bearer");
      }
    },

    individuals: (token, ids) =>
      batch(
        token,
        ids,
        "reading individuals",
        (client, requests) =>
          client.hris.individuals.retrieveMany({ requests }, options)
            .withResponse(),
        (body) => {
          const emails = Array.isArray(body.emails)
            ? (body.emails as { data?: unknown }[])
              .map((e) => e?.data).filter((e): e is string =>
                typeof e === "string"
              )
            : [];
          return {
            first_name: str(body.first_name),
            last_name: str(body.last_name),
            dob: str(body.dob),
            emails,
          };
        },
      ),

    employments: (token, ids) =>
      batch(
        token,
        ids,
        "reading employments",
        (client, requests) =>
          client.hris.employments.retrieveMany({ requests }, options)
            .withResponse(),
        (body) => typeof body.is_active === "boolean" ? body.is_active : null,
      ),
  };
}

function str(v: unknown): string | null {
  return typeof v === "string" && v ? v : null;
}
