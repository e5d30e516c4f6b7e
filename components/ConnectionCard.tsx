/**
 * One connection, as a card: who (company and provider), a status badge in plain words,
 * what is shared, its entities when it has several, when it was added and last synced,
 * and the actions that fit the status. Pure, and safe to render in the browser too (the
 * connections board island uses it), so the words are the same with or without
 * JavaScript.
 */
import type { CardView } from "../lib/views.ts";
import {
  formatDate,
  formatDateTime,
  productWords,
  relativeTime,
  statusWords,
  thousands,
} from "./status.ts";
import { DisconnectButton } from "./DisconnectButton.tsx";
import {
  ConnectionConsequence,
  disconnectPath,
  EntityConsequence,
} from "./disconnect_words.tsx";
import { ProviderLogo } from "./ProviderLogo.tsx";

export interface ConnectionCardProps {
  connection: CardView;
  csrf: string;
  /** The moment "12 minutes ago" is counted from (ms): the server's, in props. */
  now: number;
  /** Browser only: intercepts Reconnect to run it in the embedded Connect. */
  onReconnect?: (connectionId: string) => void;
  busy?: boolean;
}

export function ConnectionCard(
  { connection: c, csrf, now, onReconnect, busy }: ConnectionCardProps,
) {
  const status = statusWords(c.status, c.provider_name);
  const company = c.company_name ?? "Company name pending";
  const headingId = `connection-${c.connection_id}`;
  const canReconnect = c.status === "reauth" || c.status === "disconnected";
  // An entity named as the company is the company: listing it would repeat the heading.
  const entities =
    c.entities.length === 1 && c.entities[0].name === c.company_name
      ? []
      : c.entities;
  const canSplit = entities.filter((e) => e.status !== "disconnected")
    .length > 1;
  return (
    <li
      class="card"
      aria-labelledby={headingId}
      data-connection-id={c.connection_id}
    >
      <div class="card-head">
        <ProviderLogo name={c.provider_name} src={c.provider_logo} />
        <div class="card-title">
          <h2 id={headingId}>{company}</h2>
          <p>{c.provider_name}</p>
        </div>
        <span class={`badge badge-${status.tone}`}>{status.label}</span>
      </div>

      {status.explain && (
        <div
          class={`card-alert card-alert-${status.tone}`}
          role={status.tone === "wait" ? undefined : "status"}
        >
          {/* Our words, not Finch's status message: that one is written for developers. */}
          <p>{status.explain}</p>
          {canReconnect && (
            <form
              method="post"
              action={`/connections/${
                encodeURIComponent(c.connection_id)
              }/reauth`}
              onSubmit={onReconnect
                ? (event) => {
                  event.preventDefault();
                  onReconnect(c.connection_id);
                }
                : undefined}
            >
              <input type="hidden" name="_csrf" value={csrf} />
              <button
                type="submit"
                class="button button-warning"
                disabled={busy}
              >
                Reconnect
              </button>
            </form>
          )}
        </div>
      )}

      <dl class="facts">
        <div class="fact-wide">
          <dt>Shares</dt>
          <dd>{productWords(c.products)}</dd>
        </div>
        {entities.length > 0 && (
          <div class="fact-wide">
            <dt>Companies</dt>
            <dd>
              <ul class="entities">
                {entities.map((e) => (
                  <li key={e.id}>
                    <span>
                      {e.name ?? "Unnamed company"}
                      {e.status !== "connected" &&
                        ` (${statusWords(e.status).label.toLowerCase()})`}
                    </span>
                    {canSplit && (
                      <DisconnectButton
                        path={disconnectPath(c.connection_id, e.id)}
                        title={`Disconnect ${e.name ?? "this company"}?`}
                        what={e.name ?? "this company"}
                        csrf={csrf}
                        class="link-quiet"
                      >
                        <EntityConsequence
                          provider={c.provider_name}
                          entity={e.name ?? "this company"}
                          company={company}
                        />
                      </DisconnectButton>
                    )}
                  </li>
                ))}
              </ul>
            </dd>
          </div>
        )}
      </dl>

      <div class="card-foot">
        <dl class="facts facts-inline">
          <div>
            <dt>Added</dt>
            <dd>{formatDate(c.created_at)}</dd>
          </div>
          <div>
            <dt>Last synced</dt>
            <dd>
              {c.last_synced_at
                ? (
                  <time
                    datetime={c.last_synced_at}
                    title={formatDateTime(c.last_synced_at)}
                  >
                    {relativeTime(c.last_synced_at, now)}
                    <span class="sr-only">
                      {`, ${formatDateTime(c.last_synced_at)}`}
                    </span>
                  </time>
                )
                : "Not yet"}
            </dd>
          </div>
          {c.people !== null && (
            <div>
              <dt>People</dt>
              <dd>{thousands(c.people)}</dd>
            </div>
          )}
        </dl>
        <DisconnectButton
          path={disconnectPath(c.connection_id)}
          title={`Disconnect ${c.provider_name}?`}
          csrf={csrf}
        >
          <ConnectionConsequence provider={c.provider_name} company={company} />
        </DisconnectButton>
      </div>
    </li>
  );
}
