/** What the portal tells the employer after a Connect run, in plain words. */
import type { ConnectionView } from "../views.ts";
import type { CompletedConnect } from "./callback.ts";

export function outcomeMessage(
  outcome: CompletedConnect["outcome"],
  view: ConnectionView,
): string {
  const what = `${view.provider_name} connection for ${
    view.company_name ?? "your company"
  }`;
  switch (outcome) {
    case "created":
      // Assisted providers approve access by hand: not live yet, and saying so.
      return view.status === "pending"
        ? `Your ${what} was submitted. It is usually live within a business day; this page updates when it is.`
        : `Your ${what} is connected.`;
    case "refreshed":
      return `Your ${what} was already here, so we refreshed it instead of adding a second one.`;
    case "reconnected":
      return `Your ${what} is reconnected and working again.`;
    case "replaced":
      return `Your ${what} was renewed: the old one had ended, so it was replaced.`;
  }
}
