/** The page for anything that went wrong: a title, what happened, and a way on. */

export interface ErrorPageProps {
  status: number;
  title: string;
  message: string;
  /** Where to go next, e.g. back to the connections page to try again. */
  action?: { href: string; label: string };
}

export function ErrorPage({ status, title, message, action }: ErrorPageProps) {
  return (
    <section class="panel error-panel" aria-labelledby="error-title">
      <p class="eyebrow">Error {status}</p>
      <h1 id="error-title">{title}</h1>
      <p class="lead">{message}</p>
      {action && (
        <p>
          <a class="button button-primary" href={action.href}>{action.label}</a>
        </p>
      )}
    </section>
  );
}
