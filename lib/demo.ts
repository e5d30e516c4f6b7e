/**
 * Demo mode: what the portal needs to run with no Finch credentials and no secrets.
 *
 * Missing secrets are generated once and kept in KV, so that portal links, sessions and
 * sealed tokens survive a restart; Finch settings point at the built-in simulator,
 * mounted at `/sim` on the portal's own server.
 */
import {
  DEFAULT_CLIENT_ID,
  DEFAULT_CLIENT_SECRET,
  DEFAULT_WEBHOOK_SECRET,
} from "../sim/defaults.ts";
import type { Config, ResolvedConfig } from "./config.ts";
import { settingKey } from "./db/keys.ts";
import { randomToken } from "./db/secrets.ts";

interface DemoSecrets {
  adminApiKey: string;
  appSecret: string;
  tokenKeys: string;
}

/** Where the simulator is mounted in demo mode. */
export const SIM_MOUNT = "/sim";

/**
 * Fills in what demo mode generates; in production mode only narrows the type (loadConfig
 * has already insisted on every secret).
 *
 * @example
 * ```ts
 * const config = await resolveConfig(loadConfig(Deno.env.toObject()), kv);
 * ```
 */
export async function resolveConfig(
  config: Config,
  kv: Deno.Kv,
): Promise<ResolvedConfig> {
  if (!config.demo) return config as ResolvedConfig;
  const secrets = await demoSecrets(kv);
  const simUrl = `${config.publicUrl}${SIM_MOUNT}`;
  return Object.freeze({
    ...config,
    adminApiKey: config.adminApiKey ?? secrets.adminApiKey,
    appSecret: config.appSecret ?? secrets.appSecret,
    tokenKeys: config.tokenKeys ?? secrets.tokenKeys,
    finch: Object.freeze({
      ...config.finch,
      clientId: DEFAULT_CLIENT_ID,
      clientSecret: DEFAULT_CLIENT_SECRET,
      baseUrl: simUrl,
      // Finch's Connect SDK treats connectUrl as an origin (it checks message origins with
      // startsWith), so Connect is addressed at the portal's origin: boot.ts serves the
      // simulator's Connect page at /authorize too.
      connectUrl: new URL(config.publicUrl).origin,
      webhookSecrets: [DEFAULT_WEBHOOK_SECRET],
    }),
  });
}

/** Reads the demo secrets, generating and storing them the first time. */
async function demoSecrets(kv: Deno.Kv): Promise<DemoSecrets> {
  const key = settingKey("demo_secrets");
  for (;;) {
    const entry = await kv.get<DemoSecrets>(key);
    if (entry.value) return entry.value;
    const fresh: DemoSecrets = {
      adminApiKey: `demo_${randomToken()}`,
      appSecret: randomToken(),
      tokenKeys: `demo1:${
        crypto.getRandomValues(new Uint8Array(32)).toBase64()
      }`,
    };
    // Two processes starting at once must agree on one set: only the first write wins.
    const res = await kv.atomic().check(entry).set(key, fresh).commit();
    if (res.ok) return fresh;
  }
}
