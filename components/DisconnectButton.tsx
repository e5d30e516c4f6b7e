/**
 * Disconnect, with a confirmation: of a whole connection, or of one entity of a
 * multi-entity connection. Without JavaScript the link leads to a confirmation page;
 * once hydrated, the same link opens a modal dialog holding the same form, so the admin
 * confirms without leaving the page. The dialog exists only while it is open: the server
 * never renders it (it would be dead weight without JavaScript, ten times over on a page
 * of ten cards). Closing it returns focus to the link (the native dialog's behaviour).
 */
import type { ComponentChildren } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";

export interface DisconnectButtonProps {
  /** The confirmation page, and the form's target (the same path). */
  path: string;
  /** The dialog's question, e.g. "Disconnect Gusto?". */
  title: string;
  /** What disconnecting does, in words. */
  children: ComponentChildren;
  /** Said after "Disconnect" to screen readers, when one card holds several links. */
  what?: string;
  /** The session's form token (not a secret of Finch's: it only proves same-site intent). */
  csrf: string;
  class?: string;
}

export function DisconnectButton(props: DisconnectButtonProps) {
  const [open, setOpen] = useState(false);
  const dialog = useRef<HTMLDialogElement>(null);
  const titleId = `dialog-${props.path.replace(/[^a-zA-Z0-9_-]/g, "-")}`;
  useEffect(() => {
    if (open) dialog.current?.showModal();
  }, [open]);
  return (
    <>
      <a
        class={props.class ?? "button button-quiet"}
        href={props.path}
        onClick={(event) => {
          // No <dialog> support: follow the link to the confirmation page.
          if (typeof HTMLDialogElement !== "function") return;
          event.preventDefault();
          setOpen(true);
        }}
      >
        Disconnect
        {props.what && <span class="sr-only">{` ${props.what}`}</span>}
      </a>
      {open && (
        <dialog
          ref={dialog}
          class="dialog"
          aria-labelledby={titleId}
          onClose={() => setOpen(false)}
        >
          <form method="post" action={props.path}>
            <input type="hidden" name="_csrf" value={props.csrf} />
            <h2 id={titleId}>{props.title}</h2>
            <p>{props.children}</p>
            <div class="actions">
              <button
                type="button"
                class="button button-secondary"
                onClick={() => dialog.current?.close()}
              >
                Cancel
              </button>
              <button type="submit" class="button button-danger">
                Disconnect
              </button>
            </div>
          </form>
        </dialog>
      )}
    </>
  );
}
