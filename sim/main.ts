/**
 * Standalone Finch simulator: `deno task sim`.
 *
 * Settings (environment): `SIM_PORT` (default 8787), `SIM_PUBLIC_URL` (default
 * `http://localhost:$SIM_PORT`), `SIM_CLIENT_ID`, `SIM_CLIENT_SECRET`, `SIM_WEBHOOK_SECRET`
 * (base64), `SIM_WEBHOOK_URL`, `SIM_STATE_PATH` (optional JSON file to keep state).
 *
 * @module
 */

import { createSimulator } from "./app.ts";
import {
  DEFAULT_CLIENT_ID,
  DEFAULT_CLIENT_SECRET,
  DEFAULT_PORT,
  DEFAULT_WEBHOOK_SECRET,
} from "./defaults.ts";

const env = (name: string) => Deno.env.get(name) || undefined;

const port = Number(env("SIM_PORT") ?? DEFAULT_PORT);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`SIM_PORT must be a port number, got ${env("SIM_PORT")}`);
  Deno.exit(1);
}
const publicUrl = env("SIM_PUBLIC_URL") ?? `http://localhost:${port}`;
const clientId = env("SIM_CLIENT_ID") ?? DEFAULT_CLIENT_ID;
const clientSecret = env("SIM_CLIENT_SECRET") ?? DEFAULT_CLIENT_SECRET;
const webhookSecret = env("SIM_WEBHOOK_SECRET") ?? DEFAULT_WEBHOOK_SECRET;
const webhookUrl = env("SIM_WEBHOOK_URL");

const sim = createSimulator({
  clientId,
  clientSecret,
  webhookSecret,
  webhookUrl,
  publicUrl,
  statePath: env("SIM_STATE_PATH"),
});

const server = Deno.serve({
  port,
  onListen: () => {
    console.log(
      [
        `Finch simulator listening on ${publicUrl}`,
        `  client id       ${clientId}`,
        `  client secret   ${clientSecret}`,
        `  webhook secret  ${webhookSecret}`,
        `  webhook target  ${webhookUrl ?? "(none: set SIM_WEBHOOK_URL)"}`,
        `Point the portal at it with FINCH_BASE_URL=${publicUrl} FINCH_CONNECT_URL=${publicUrl}`,
      ].join("\n"),
    );
  },
}, sim.app.fetch);

const stop = async () => {
  await sim.close();
  await server.shutdown();
  Deno.exit(0);
};
Deno.addSignalListener("SIGINT", stop);
Deno.addSignalListener("SIGTERM", stop);
