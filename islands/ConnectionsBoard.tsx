/**
 * The connections board: the connect form and the cards. Server-rendered, it works as
 * plain HTML forms (redirect flow). Hydrated, "Connect" and "Reconnect" open Finch Connect
 * inside the page through Finch's own Connect SDK; on success the code goes to the
 * backend and the new card appears without a page load: a new connection at the top
 * (the page lists newest first), a refreshed or reconnected one in its place.
 *
 * One way to choose a system: the primary button opens Connect, whose own grid lists
 * every provider. The picker below it only preselects one, as buttons with logos (a
 * plain form, so it works without JavaScript and from the keyboard); hydrated, it
 * gains a filter.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import { ConnectionCard } from "../components/ConnectionCard.tsx";
import { ProviderLogo } from "../components/ProviderLogo.tsx";
import type { CardView } from "../lib/views.ts";

export interface ConnectionsBoardProps {
  connections: CardView[];
  csrf: string;
  /** The server's clock (ms) for "12 minutes ago", so hydration reads the same. */
  now: number;
  /** The integrator's name: the page says who the data is shared with. */
  brandName: string;
  providers: { id: string; name: string; logo: string | null }[];
  /** Finch Connect's origin for the SDK (the simulator in demo mode). */
  connectUrl: string;
  /** Link to the next page of connections, when there is one. */
  more: string | null;
  /** The line about the customer's people list, worded on the server; null: none yet. */
  people: string | null;
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

/**
 * While Connect is open it is the page: everything else is inert, so keyboard and
 * screen reader stay in Connect's frame, and its landmarks are the only ones.
 */
function backgroundInert(on: boolean) {
  for (const el of document.body.children) {
    if (el.id === "finch-connect-iframe") continue;
    el.toggleAttribute("inert", on);
  }
}

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
  const [now, setNow] = useState(props.now);
  const [query, setQuery] = useState("");
  const [hydrated, setHydrated] = useState(false);
  // The button that opened Connect: focus goes back to it when Connect closes.
  const opener = useRef<HTMLElement | null>(null);
  useEffect(() => setHydrated(true), []);

  const returnFocus = () => {
    backgroundInert(false);
    // After the render that re-enables it: a disabled button cannot take focus.
    setTimeout(() => {
      const el = opener.current;
      if (el?.isConnected) el.focus();
    });
  };

  handlers.success = async (code, state) => {
    try {
      const data = await postJson(
        "/connections/complete",
        { code, state },
        props.csrf,
      );
      const view = data.connection as CardView;
      setNow(Date.now());
      setItems((list) =>
        list.some((c) => c.connection_id === view.connection_id)
          // Refreshed or reconnected: the card stays where it was, with its people
          // count until the list is rebuilt (the answer does not read the list).
          ? list.map((c) =>
            c.connection_id === view.connection_id
              ? { ...view, people: view.people ?? c.people }
              : c
          )
          // New: newest first, as the server lists them.
          : [view, ...list]
      );
      setNotice({ kind: "success", message: data.message });
    } catch (err) {
      setNotice({ kind: "error", message: (err as Error).message });
    } finally {
      setBusy(false);
      returnFocus();
    }
  };
  handlers.error = (message) => {
    setNotice({
      kind: "error",
      message: `Connecting did not work: ${message}`,
    });
    setBusy(false);
    returnFocus();
  };
  handlers.close = () => {
    setNotice({
      kind: "info",
      message: "Connecting was cancelled. Nothing was changed.",
    });
    setBusy(false);
    returnFocus();
  };

  async function launch(path: string, body: unknown, from: Element | null) {
    opener.current = from instanceof HTMLElement ? from : null;
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
      // The SDK's frame has no title of its own; screen readers announce this one.
      document.getElementById("finch-connect-iframe")?.setAttribute(
        "title",
        "Connect your payroll or HR system",
      );
      backgroundInert(true);
    } catch (err) {
      setNotice({ kind: "error", message: (err as Error).message });
      setBusy(false);
      returnFocus();
    }
  }

  const q = query.trim().toLowerCase();
  const shown = props.providers.filter((p) => p.name.toLowerCase().includes(q));
  const connectForm = (first: boolean) => (
    <form
      class="connect-form"
      method="post"
      action="/connections/new"
      onSubmit={(event) => {
        event.preventDefault();
        const submitter = (event as SubmitEvent).submitter as
          | HTMLButtonElement
          | null;
        launch(
          "/connections/new",
          { provider_id: submitter?.value || undefined },
          submitter,
        );
      }}
    >
      <input type="hidden" name="_csrf" value={props.csrf} />
      <button type="submit" class="button button-primary" disabled={busy}>
        {first ? "Connect a payroll or HR system" : "Connect another system"}
      </button>
      {props.providers.length > 0 && (
        <details class="picker">
          <summary>Or pick your system from the list</summary>
          {hydrated && (
            <div class="field">
              <label for="provider-filter">Find your system</label>
              <input
                id="provider-filter"
                type="search"
                autocomplete="off"
                placeholder="Type a name, e.g. Gusto"
                value={query}
                onInput={(e) => setQuery((e.target as HTMLInputElement).value)}
              />
            </div>
          )}
          <ul class="provider-grid" aria-label="Payroll and HR systems">
            {shown.map((p) => (
              <li key={p.id}>
                <button
                  type="submit"
                  name="provider_id"
                  value={p.id}
                  class="provider-option"
                  disabled={busy}
                >
                  <ProviderLogo name={p.name} src={p.logo} size={28} lazy />
                  <span>{p.name}</span>
                </button>
              </li>
            ))}
          </ul>
          {shown.length === 0 && (
            <p class="muted" role="status">
              No system called “{query.trim()}” here. Use the button above: it
              lists every system.
            </p>
          )}
        </details>
      )}
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
            <h1 id="empty-title">
              Share your payroll data with {props.brandName}
            </h1>
            <p class="lead">
              Connect your payroll or HR system once, and {props.brandName}{" "}
              reads your company, employee and job details from it: no
              spreadsheets to upload. It takes about two minutes.
            </p>
            <ol class="steps">
              <li>Choose your payroll or HR system.</li>
              <li>Sign in to it, in a secure window.</li>
              <li>Your connection appears on this page.</li>
            </ol>
            {connectForm(true)}
          </section>
        )
        : (
          <>
            <div class="page-head">
              <h1>Your connections</h1>
              <p class="muted">
                Payroll and HR systems that share data with{" "}
                {props.brandName}. Using several systems or companies? Connect
                each one.
              </p>
              {props.people && <p class="people-line">{props.people}.</p>}
            </div>
            {connectForm(false)}
            <ul class="cards">
              {items.map((c) => (
                <ConnectionCard
                  key={c.connection_id}
                  connection={c}
                  csrf={props.csrf}
                  now={now}
                  busy={busy}
                  onReconnect={(id) =>
                    launch(
                      `/connections/${encodeURIComponent(id)}/reauth`,
                      {},
                      document.activeElement,
                    )}
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
