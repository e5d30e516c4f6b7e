/**
 * `GET /callback`: Finch Connect's redirect target (journeys 1 to 4). It needs the
 * session that started the run; the run's state is read in the same round trip.
 *
 * @module
 */
import { Hono } from "hono";
import { z } from "zod";
import { connectStateKeyOf } from "../lib/db/connect_states.ts";
import { badRequest } from "../lib/errors.ts";
import { completeConnect } from "../lib/flows/callback.ts";
import { outcomeMessage } from "../lib/flows/messages.ts";
import type { AppEnv } from "../lib/http/env.ts";
import { setFlash } from "../lib/http/flash.ts";
import { requireSession } from "../lib/http/session.ts";
import { connectionView, loadProviders } from "../lib/views.ts";
import { actor } from "./connections.tsx";

const CallbackQuery = z.object({
  code: z.string().min(1).max(2048).optional(),
  state: z.string().max(512).optional(),
  error: z.string().max(200).optional(),
  error_description: z.string().max(1000).optional(),
});

export function callbackRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get(
    "/callback",
    requireSession({
      alsoRead: (c) => {
        const key = connectStateKeyOf(c.req.query("state") ?? "");
        return key ? [key] : [];
      },
    }),
    async (c) => {
      const query = CallbackQuery.safeParse(c.req.query());
      if (!query.success) {
        throw badRequest("invalid_callback", "This sign-in link is malformed.");
      }
      const { code, state, error } = query.data;
      if (error || !code) {
        // The state is left as it is: a cancel carries no code, so there is nothing to
        // replay, and a person who goes back to Connect and finishes can still land here.
        await setFlash(c, {
          kind: error === "access_denied" ? "info" : "error",
          message: error === "access_denied"
            ? "You cancelled connecting. Nothing was changed; you can connect whenever you are ready."
            : "Signing in to your payroll system did not finish. Nothing was changed; please try again.",
        });
        return c.redirect("/connections", 303);
      }
      if (!state) {
        throw badRequest(
          "state_unknown",
          "This sign-in is missing its state; please connect again.",
          { action: { href: "/connections", label: "Back to connections" } },
        );
      }
      const done = await completeConnect(c.var.deps, actor(c), {
        code,
        state,
        redirect: true,
        stateEntry: c.var.session!.also[0] ?? null,
      });
      const view = connectionView(
        done.connection,
        await loadProviders(c.var.deps),
      );
      await setFlash(c, {
        kind: "success",
        message: outcomeMessage(done.outcome, view),
      });
      return c.redirect("/connections", 303);
    },
  );

  return app;
}
