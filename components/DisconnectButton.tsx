/**
 * Disconnect, with a confirmation. Without JavaScript the link leads to a confirmation
 * page; once hydrated, the same link opens a modal dialog holding the same form, so the
 * admin confirms without leaving the page. The dialog exists only while it is open: the
 * server never renders it (it would be dead weight without JavaScript, ten times over on
 * a page of ten cards).
 */
import { useEffect, useRef, useState } from "preact/hooks";

export interface DisconnectButtonProps {
  connectionId: string;
  providerName: string;
  companyName: string;
  /** The session's form token (not a secret of Finch's: it only proves same-site intent). */
  csrf: string;
}

export function DisconnectButton(
  { connectionId, providerName, companyName, csrf }: DisconnectButtonProps,
) {
  const [open, setOpen] = useState(false);
  const dialog = useRef<HTMLDialogElement>(null);
  const path = `/connections/${encodeURIComponent(connectionId)}/disconnect`;
  const titleId = `disconnect-title-${connectionId}`;
  useEffect(() => {
    if (open) dialog.current?.showModal();
  }, [open]);
  return (
    <>
      <a
        class="button button-quiet"
        href={path}
        onClick={(event) => {
          // No <dialog> support: follow the link to the confirmation page.
          if (typeof HTMLDialogElement !== "function") return;
          event.preventDefault();
          setOpen(true);
        }}
      >
        Disconnect
      </a>
      {open && (
        <dialog
          ref={dialog}
          class="dialog"
          aria-labelledby={titleId}
          onClose={() => setOpen(false)}
        >
          <form method="post" action={path}>
            <input type="hidden" name="_csrf" value={csrf} />
            <h2 id={titleId}>Disconnect {providerName}?</h2>
            <p>
              We will stop syncing data for <strong>{companyName}</strong>{" "}
              and revoke this connection's access at{" "}
              {providerName}. You can connect again at any time.
            </p>
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
