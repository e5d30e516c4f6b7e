/**
 * The page for anything that went wrong: what happened in plain words, a way on, and
 * the integrator's support. The status code is a small detail for whoever helps them.
 */

export interface ErrorPageProps {
  status: number;
  title: string;
  message: string;
  /** Where to go next, e.g. back to the connections page to try again. */
  action?: { href: string; label: string };
  /** The brand's support contact (`mailto:` or a URL), when it has one. */
  supportHref?: string | null;
}

export function ErrorPage(
  { status, title, message, action, supportHref }: ErrorPageProps,
) {
  return (
    <section class="panel error-panel" aria-labelledby="error-title">
      <h1 id="error-title">{title}</h1>
      <p class="lead">{message}</p>
      {action && (
        <p>
          <a class="button button-primary" href={action.href}>{action.label}</a>
        </p>
      )}
      {supportHref && (
        <p>
          Still stuck? <a href={supportHref}>Contact support</a>.
        </p>
      )}
      <p class="detail">Error code {status}</p>
    </section>
  );
}
