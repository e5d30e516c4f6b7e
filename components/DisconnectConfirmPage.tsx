/**
 * The confirmation step for disconnecting without JavaScript: a whole connection, or
 * one entity of it. The same words as the island's dialog (disconnect_words.tsx).
 */
import type { ComponentChildren } from "preact";

export function DisconnectConfirmPage(
  { title, path, csrf, children }: {
    title: string;
    /** The form's target. */
    path: string;
    csrf: string;
    children: ComponentChildren;
  },
) {
  return (
    <section class="panel error-panel" aria-labelledby="confirm-title">
      <h1 id="confirm-title">{title}</h1>
      <p class="lead">{children}</p>
      <form method="post" action={path}>
        <input type="hidden" name="_csrf" value={csrf} />
        <div class="actions">
          <a class="button button-secondary" href="/connections">Cancel</a>
          <button type="submit" class="button button-danger">Disconnect</button>
        </div>
      </form>
    </section>
  );
}
