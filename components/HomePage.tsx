/**
 * `/` for someone who arrives without their link: what this page is, and how to get in.
 */
import type { Brand } from "../lib/brand.ts";

export function HomePage(
  { brand, demoLink }: { brand: Brand; demoLink?: string },
) {
  return (
    <section class="panel home" aria-labelledby="home-title">
      <h1 id="home-title">Connect your payroll to {brand.name}</h1>
      <p class="lead">
        This is where your company connects its payroll or HR system to{" "}
        {brand.name}, sees what it shares, and can disconnect at any time.
      </p>
      <p>
        To open your company's page, use the link {brand.name}{" "}
        sent you. Links are personal and expire after a few days.
      </p>
      {demoLink
        ? (
          <p>
            <a class="button button-primary" href={demoLink}>
              Open the demo employer's page
            </a>
          </p>
        )
        : brand.supportHref && (
          <p>
            Lost the link, or it expired?{" "}
            <a href={brand.supportHref}>Ask {brand.name} for a new one</a>.
          </p>
        )}
    </section>
  );
}
