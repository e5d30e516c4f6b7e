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
      return `Your ${what} is set up.`;
    case "refreshed":
      return `Your ${what} was already here, so we refreshed it instead of adding a second one.`;
    case "reconnected":
      return `Your ${what} is reconnected and working again.`;
    case "replaced":
      return `Your ${what} was renewed: Finch had ended the old one, so it was replaced.`;
  }
}
