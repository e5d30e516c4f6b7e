/**
 * Standalone Finch simulator: `deno task sim`.
 *
 * Settings (environment): `SIM_PORT` (default 8787), `SIM_PUBLIC_URL` (default
 * `http://localhost:$SIM_PORT`), `SIM_CLIENT_ID`, `SIM_CLIENT_SECRET`, `SIM_WEBHOOK_SECRET`
 * (base64), `SIM_WEBHOOK_URL`, `SIM_STATE_PATH` (optional JSON file to keep state),
 * `SIM_REDIRECT_URIS` (comma-separated; default the portal's `http://localhost:8000/callback`),
 * `SIM_APP_NAME` (the integrator's name on the Connect page), `SIM_COMPANY_SIZE` (people
 * per company), `SIM_RATE_LIMITS` (`finch` to enforce Finch's limits), and
 * `SIM_ASSISTED_DELAY_MS` (how long an assisted connection stays pending; `off` to wait).
 *
 * @module
 */

import { createSimulator } from "./app.ts";
import {
  DEFAULT_APP_NAME,
  DEFAULT_CLIENT_ID,
  DEFAULT_CLIENT_SECRET,
  DEFAULT_PORT,
  DEFAULT_REDIRECT_URI,
  DEFAULT_WEBHOOK_SECRET,
} from "./defaults.ts";
import { MAX_COMPANY_SIZE } from "./routes/controls.ts";

const env = (name: string) => Deno.env.get(name) || undefined;

function fail(message: string): never {
  console.error(message);
  Deno.exit(1);
}

/** A whole number setting within bounds, or undefined when unset. */
function wholeNumber(name: string, min: number, max: number) {
  const raw = env(name);
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    fail(`${name} must be a whole number from ${min} to ${max}, got ${raw}`);
  }
  return n;
}

const port = wholeNumber("SIM_PORT", 0, 65535) ?? DEFAULT_PORT;
const publicUrl = env("SIM_PUBLIC_URL") ?? `http://localhost:${port}`;
const clientId = env("SIM_CLIENT_ID") ?? DEFAULT_CLIENT_ID;
const clientSecret = env("SIM_CLIENT_SECRET") ?? DEFAULT_CLIENT_SECRET;
const webhookSecret = env("SIM_WEBHOOK_SECRET") ?? DEFAULT_WEBHOOK_SECRET;
const webhookUrl = env("SIM_WEBHOOK_URL");
const redirectUris = (env("SIM_REDIRECT_URIS") ?? DEFAULT_REDIRECT_URI)
  .split(",").map((s) => s.trim()).filter(Boolean);
for (const uri of redirectUris) {
  if (!URL.canParse(uri)) fail(`SIM_REDIRECT_URIS: not a URL: ${uri}`);
}
const appName = env("SIM_APP_NAME") ?? DEFAULT_APP_NAME;
const companySize = wholeNumber("SIM_COMPANY_SIZE", 1, MAX_COMPANY_SIZE);
const limits = env("SIM_RATE_LIMITS") ?? "off";
if (limits !== "finch" && limits !== "off") {
  fail(`SIM_RATE_LIMITS must be "finch" or "off", got ${limits}`);
}
const assisted = env("SIM_ASSISTED_DELAY_MS") === "off"
  ? null
  : wholeNumber("SIM_ASSISTED_DELAY_MS", 0, 7 * 86_400_000);

const sim = createSimulator({
  clientId,
  clientSecret,
  webhookSecret,
  webhookUrl,
  publicUrl,
  statePath: env("SIM_STATE_PATH"),
  redirectUris,
  appName,
  companySize,
  rateLimits: limits,
  assistedDelayMs: assisted,
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
        `  redirect URIs   ${redirectUris.join(", ")}`,
        `  app name        ${appName}`,
        `  company size    ${companySize ?? "a few dozen (varies by company)"}`,
        `  rate limits     ${limits}`,
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
