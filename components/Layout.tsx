/**
 * The page shell every portal page shares: head, header, demo banner, flash message,
 * main content and footer. Pure: everything it shows arrives in props.
 */
import type { ComponentChildren } from "preact";
import type { Flash } from "../lib/http/flash.ts";

export interface LayoutProps {
  title: string;
  stylesUrl: string;
  /** What ends the body: the island script, when the page has an island. */
  tail?: ComponentChildren;
  demo: boolean;
  /** The signed-in employer, when there is one. */
  customerName?: string;
  flash?: Flash;
  children?: ComponentChildren;
}

export function Layout(props: LayoutProps) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content="light" />
        <title>{`${props.title} · Payroll connections`}</title>
        <link rel="stylesheet" href={props.stylesUrl} />
      </head>
      <body>
        <a class="skip-link" href="#main">Skip to content</a>
        {props.demo && (
          <aside class="demo-banner" aria-label="Demo mode">
            <strong>Demo mode.</strong>{" "}
            Finch is simulated on this server: no real payroll system is
            contacted and no real data is shown.
          </aside>
        )}
        <header class="site-header">
          <div class="container header-row">
            <span class="brand">
              <svg
                aria-hidden="true"
                width="28"
                height="28"
                viewBox="0 0 28 28"
              >
                <rect width="28" height="28" rx="8" fill="currentColor" />
                <path
                  d="M8 14.5l4 4 8-9"
                  stroke="#fff"
                  stroke-width="2.5"
                  fill="none"
                  stroke-linecap="round"
                  stroke-linejoin="round"
                />
              </svg>
              Payroll connections
            </span>
            {props.customerName && (
              <span class="account">{props.customerName}</span>
            )}
          </div>
        </header>
        <main id="main" class="container" tabindex={-1}>
          {props.flash && (
            <div
              class={`flash flash-${props.flash.kind}`}
              role={props.flash.kind === "error" ? "alert" : "status"}
            >
              {props.flash.message}
            </div>
          )}
          {props.children}
        </main>
        <footer class="site-footer">
          <div class="container">
            Connections are provided through{" "}
            <span class="nowrap">Finch</span>. Your payroll credentials are
            never stored by this portal.
          </div>
        </footer>
        {props.tail}
      </body>
    </html>
  );
}
