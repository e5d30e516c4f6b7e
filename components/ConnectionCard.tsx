/**
 * One connection, as a card: provider and company, a status badge in plain words, what
 * is shared, entities, dates, and the actions that fit the status. Pure, and safe to
 * render in the browser too (the connections board island uses it).
 */
import type { CardView } from "../lib/views.ts";
import { formatDate, productWords, statusWords } from "./status.ts";
import { DisconnectButton } from "./DisconnectButton.tsx";

export interface ConnectionCardProps {
  connection: CardView;
  csrf: string;
  /** Browser only: intercepts Reconnect to run it in the embedded Connect. */
  onReconnect?: (connectionId: string) => void;
  busy?: boolean;
}

export function ConnectionCard(
  { connection: c, csrf, onReconnect, busy }: ConnectionCardProps,
) {
  const status = statusWords(c.status);
  const company = c.company_name ?? "Company name pending";
  const headingId = `connection-${c.connection_id}`;
  const canReconnect = c.status === "reauth" || c.status === "disconnected";
  return (
    <li
      class="card"
      aria-labelledby={headingId}
      data-connection-id={c.connection_id}
    >
      <div class="card-head">
        {c.provider_logo
          ? (
            <img
              class="logo"
              src={c.provider_logo}
              alt=""
              width={44}
              height={44}
            />
          )
          : (
            <span class="logo logo-fallback" aria-hidden="true">
              {c.provider_name[0]}
            </span>
          )}
        <div class="card-title">
          <h2 id={headingId}>{company}</h2>
          <p>{c.provider_name}</p>
        </div>
        <span class={`badge badge-${status.tone}`}>{status.label}</span>
      </div>

      {status.explain && (
        <div
          class="card-alert"
          role={status.tone === "ok" ? undefined : "status"}
        >
          <p>{c.status_message || status.explain}</p>
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
        <div>
          <dt>Shares</dt>
          <dd>
            <ul class="chips">
              {productWords(c.products).map((p) => <li key={p}>{p}</li>)}
            </ul>
          </dd>
        </div>
        {c.entities.length > 0 && (
          <div>
            <dt>{c.entities.length === 1 ? "Entity" : "Entities"}</dt>
            <dd>
              <ul class="chips">
                {c.entities.map((e) => (
                  <li key={e.id}>
                    {e.name ?? "Unnamed entity"}
                    {e.status !== "connected" &&
                      ` (${statusWords(e.status).label.toLowerCase()})`}
                  </li>
                ))}
              </ul>
            </dd>
          </div>
        )}
        <div>
          <dt>Connected</dt>
          <dd>{formatDate(c.created_at)}</dd>
        </div>
        <div>
          <dt>Last synced</dt>
          <dd>{formatDate(c.last_synced_at)}</dd>
        </div>
      </dl>

      <div class="card-foot">
        <DisconnectButton
          connectionId={c.connection_id}
          providerName={c.provider_name}
          companyName={company}
          csrf={csrf}
        />
      </div>
    </li>
  );
}
