/**
 * Production entry: wires config, KV and the app, and serves it.
 *
 * `deno task serve` (and Deno Deploy, which runs this file as is) starts production
 * mode, which needs the Finch credentials and every secret: without them it refuses to
 * start, with one line naming the variable. Demo mode is only ever asked for:
 * `main.ts --demo`, which is what `deno task start` (the quick start) runs; it prints a
 * ready portal link for a demo employer.
 */
import { bootPortal } from "./boot.ts";
import { DEMO_CUSTOMER } from "./lib/brand.ts";
import { ConfigError } from "./lib/config.ts";
import { upsertCustomer } from "./lib/db/customers.ts";
import { createPortalLink } from "./lib/links.ts";
import { SealError } from "./lib/sealing.ts";

/** The arguments main.ts takes: `--demo`, and nothing else. */
function parseArgs(args: string[]): { demo: boolean } {
  const unknown = args.find((a) => a !== "--demo");
  if (unknown !== undefined) {
    throw new ConfigError(
      `unknown argument ${JSON.stringify(unknown.slice(0, 40))}: ` +
        "main.ts takes only --demo",
    );
  }
  return { demo: args.includes("--demo") };
}

async function main() {
  let portal;
  try {
    portal = await bootPortal({
      env: Deno.env.toObject(),
      demo: parseArgs(Deno.args).demo,
      // Under `deno task dev` a prebuilt bundle would be stale.
      islands: Deno.env.get("PORTAL_DEV") === "1" ? "build" : undefined,
    });
  } catch (err) {
    if (err instanceof ConfigError || err instanceof SealError) {
      console.error(`Cannot start the portal: ${err.message}`);
      Deno.exit(1);
    }
    throw err;
  }
  const { config, deps } = portal;

  const server = Deno.serve({
    port: config.port,
    onListen: () => {},
  }, portal.fetch);

  console.log(`Finch connections portal listening on ${config.publicUrl}`);
  if (config.demo) {
    await upsertCustomer(deps.kv, DEMO_CUSTOMER);
    const link = await createPortalLink(deps, DEMO_CUSTOMER.id);
    console.log(
      [
        "",
        "Demo mode: Finch is simulated at /sim on this server (no credentials needed).",
        `Open the demo employer's portal:  ${link.url}`,
        `Integrator API key (Bearer):      ${config.adminApiKey}`,
        // Printed like the API key: demo mode's secrets are for the person running it.
        `Events webhook secret:            ${config.events.secrets[0]}`,
        config.events.url
          ? `Events are POSTed to:             ${config.events.url}`
          : "Events: recorded at GET /api/events (set EVENTS_WEBHOOK_URL to receive them).",
        "",
      ].join("\n"),
    );
  }

  const stop = async () => {
    await server.shutdown();
    await portal.close();
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
}

if (import.meta.main) await main();
