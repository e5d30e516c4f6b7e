/**
 * The connections board: the connect form and the cards. Server-rendered, it works as
 * plain HTML forms (redirect flow). Hydrated, "Connect" and "Reconnect" open Finch Connect
 * inside the page through Finch's own Connect SDK; on success the code goes to the
 * backend and the new card appears without a page load.
 */
import { useRef, useState } from "preact/hooks";
import { ConnectionCard } from "../components/ConnectionCard.tsx";
import type { CardView } from "../lib/views.ts";

export interface ConnectionsBoardProps {
  connections: CardView[];
  csrf: string;
  providers: { id: string; name: string }[];
  /** Finch Connect's origin for the SDK (the simulator in demo mode). */
  connectUrl: string;
  /** Link to the next page of connections, when there is one. */
  more: string | null;
}

interface Notice {
  kind: "success" | "error" | "info";
  message: string;
}

interface ConnectHandle {
  open(args: { sessionId: string; state?: string }): void;
}

// Finch's SDK must be initialized once per page; every callback goes through `handlers`.
let connect: ConnectHandle | null = null;
const handlers = {
  success: (_code: string, _state?: string) => {},
  error: (_message: string) => {},
  close: () => {},
};

async function postJson(path: string, body: unknown, csrf: string) {
  const res = await fetch(path, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/json",
      "x-csrf-token": csrf,
    },
    body: JSON.stringify(body),
  });
  const data = await res.json().catch(() => null);
  if (!res.ok) {
    throw new Error(
      data?.error?.message ?? "Something went wrong. Please try again.",
    );
  }
  return data;
}

export default function ConnectionsBoard(props: ConnectionsBoardProps) {
  const [items, setItems] = useState(props.connections);
  const [notice, setNotice] = useState<Notice | null>(null);
  const [busy, setBusy] = useState(false);
  const provider = useRef<HTMLSelectElement>(null);

  handlers.success = async (code, state) => {
    try {
      const data = await postJson(
        "/connections/complete",
        { code, state },
        props.csrf,
      );
      const view = data.connection as CardView;
      setItems((
        list,
      ) => [
        view,
        ...list.filter((c) => c.connection_id !== view.connection_id),
      ]);
      setNotice({ kind: "success", message: data.message });
    } catch (err) {
      setNotice({ kind: "error", message: (err as Error).message });
    } finally {
      setBusy(false);
    }
  };
  handlers.error = (message) => {
    setNotice({ kind: "error", message: `Finch Connect: ${message}` });
    setBusy(false);
  };
  handlers.close = () => setBusy(false);

  async function launch(path: string, body: unknown) {
    setBusy(true);
    setNotice(null);
    try {
      const session = await postJson(path, body, props.csrf);
      if (!connect) {
        const { FinchConnect } = await import("@tryfinch/react-connect");
        connect = FinchConnect.initialize({
          onSuccess: ({ code, state }) => handlers.success(code, state),
          onError: ({ errorMessage }) => handlers.error(errorMessage),
          onClose: () => handlers.close(),
          apiConfig: { connectUrl: props.connectUrl },
        });
      }
      if (session.note) setNotice({ kind: "info", message: session.note });
      connect.open({ sessionId: session.session_id, state: session.state });
    } catch (err) {
      setNotice({ kind: "error", message: (err as Error).message });
      setBusy(false);
    }
  }

  const connectForm = (label: string) => (
    <form
      class="connect-form"
      method="post"
      action="/connections/new"
      onSubmit={(event) => {
        event.preventDefault();
        const providerId = provider.current?.value || undefined;
        launch("/connections/new", { provider_id: providerId });
      }}
    >
      <input type="hidden" name="_csrf" value={props.csrf} />
      <div class="field">
        <label for="provider_id">Payroll or HR system</label>
        <select id="provider_id" name="provider_id" ref={provider}>
          <option value="">Choose in Finch Connect</option>
          {props.providers.map((p) => (
            <option key={p.id} value={p.id}>{p.name}</option>
          ))}
        </select>
      </div>
      <button type="submit" class="button button-primary" disabled={busy}>
        {label}
      </button>
    </form>
  );

  return (
    <div>
      <div aria-live="polite">
        {notice && (
          <div
            class={`flash flash-${notice.kind}`}
            role={notice.kind === "error" ? "alert" : "status"}
          >
            {notice.message}
          </div>
        )}
      </div>
      {items.length === 0
        ? (
          <section class="panel empty" aria-labelledby="empty-title">
            <div class="empty-illustration" aria-hidden="true">
              <svg width="56" height="56" viewBox="0 0 56 56" fill="none">
                <rect
                  x="4"
                  y="10"
                  width="48"
                  height="36"
                  rx="8"
                  stroke="currentColor"
                  stroke-width="3"
                />
                <path
                  d="M16 24h24M16 32h14"
                  stroke="currentColor"
                  stroke-width="3"
                  stroke-linecap="round"
                />
              </svg>
            </div>
            <h1 id="empty-title">Connect your payroll system</h1>
            <p class="lead">
              Connecting lets us read your company, employee and employment data
              from your payroll or HR system, so you never have to upload
              spreadsheets. It takes about two minutes.
            </p>
            <ol class="steps">
              <li>Choose your payroll or HR provider.</li>
              <li>
                Sign in to it through Finch, our secure connection partner.
              </li>
              <li>Come back here: your connection appears on this page.</li>
            </ol>
            {connectForm("Connect payroll")}
          </section>
        )
        : (
          <>
            <div class="page-head">
              <div>
                <h1>Your connections</h1>
                <p class="muted">
                  Payroll and HR systems that share data with us. Using several
                  systems or companies? Connect each one.
                </p>
              </div>
              {connectForm("Connect another system")}
            </div>
            <ul class="cards">
              {items.map((c) => (
                <ConnectionCard
                  key={c.connection_id}
                  connection={c}
                  csrf={props.csrf}
                  busy={busy}
                  onReconnect={(id) =>
                    launch(`/connections/${encodeURIComponent(id)}/reauth`, {})}
                />
              ))}
            </ul>
            {props.more && (
              <nav class="pager" aria-label="More connections">
                <a class="button button-secondary" href={props.more}>
                  Show more connections
                </a>
              </nav>
            )}
          </>
        )}
    </div>
  );
}
