/**
 * The page shell every portal page shares: head, the integrator's header, demo banner,
 * flash message, main content and footer. Pure: everything it shows arrives in props.
 */
import type { ComponentChildren } from "preact";
import type { Brand } from "../lib/brand.ts";
import type { Flash } from "../lib/http/flash.ts";

export interface LayoutProps {
  title: string;
  stylesUrl: string;
  brand: Brand;
  /** What ends the body: the island script, when the page has an island. */
  tail?: ComponentChildren;
  demo: boolean;
  /** The signed-in employer, when there is one. */
  customerName?: string;
  flash?: Flash;
  children?: ComponentChildren;
}

export function Layout(props: LayoutProps) {
  const { brand } = props;
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content="light" />
        <title>{`${props.title} · ${brand.name}`}</title>
        <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
        <link rel="stylesheet" href={props.stylesUrl} />
      </head>
      <body>
        <a class="skip-link" href="#main">Skip to content</a>
        {props.demo && (
          <aside class="demo-banner" aria-label="Demo mode">
            <strong>Demo</strong>{" "}
            <span>· payroll is simulated, no real data</span>
          </aside>
        )}
        <header class="site-header">
          <div class="container header-row">
            <span class="brand">
              <BrandMark brand={brand} />
              <span class="brand-name">{brand.name}</span>
            </span>
            {props.customerName && (
              <span class="account" title={props.customerName}>
                <span class="sr-only">Signed in for</span>
                {props.customerName}
              </span>
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
          <div class="container footer-row">
            <p>
              {brand.name} connects to your payroll through{" "}
              <span class="nowrap">Finch</span>. Your payroll sign-in is never
              stored here.
            </p>
            {(brand.privacyUrl || brand.supportHref) && (
              <ul class="footer-links">
                {brand.supportHref && (
                  <li>
                    <a href={brand.supportHref}>Contact support</a>
                  </li>
                )}
                {brand.privacyUrl && (
                  <li>
                    <a href={brand.privacyUrl}>Privacy</a>
                  </li>
                )}
              </ul>
            )}
          </div>
        </footer>
        {props.tail}
      </body>
    </html>
  );
}

/** The integrator's logo, or its initial on its colour when it has none. */
function BrandMark({ brand }: { brand: Brand }) {
  return brand.logoUrl
    ? (
      <img
        class="brand-logo"
        src={brand.logoUrl}
        alt=""
        width={32}
        height={32}
      />
    )
    : (
      <span class="brand-logo brand-monogram" aria-hidden="true">
        {[...brand.name][0]?.toUpperCase()}
      </span>
    );
}
