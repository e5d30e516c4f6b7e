/**
 * KV round trips of three requests, counted in the tree it runs in (this one, or another
 * revision's, bench/lib/compare.ts): a page view of 3 connections, the Connect callback
 * (a new connection), and the integrator's token read. Runs the in-process test portal
 * (demo mode, simulator in-process) over a counting KV (testing/kv_counter.ts); prints
 * `{page, callback, token}`, each `{sequential, total, ops}`, as JSON.
 *
 * @module
 */
import { countingKv } from "../../testing/kv_counter.ts";

type Harness = typeof import("../../testing/portal.ts");
const { testPortal }: Harness = await import("../../testing/portal.ts").catch(
  // Before release 2 the harness lived in tests/helpers/.
  () => import(new URL("../../tests/helpers/portal.ts", import.meta.url).href),
);

const counter = countingKv(await Deno.openKv(":memory:"));
const t = await testPortal({ kv: counter.kv, log: () => {} });
try {
  const client = await t.signedIn("acme");
  for (const company of ["Acme One", "Acme Two", "Acme Three"]) {
    const res = await client.connect({ company_name: company });
    if (res.status !== 303) throw new Error(`connect answered ${res.status}`);
  }
  const measure = async (run: () => Promise<Response>) => {
    await t.portal.sim?.settled();
    counter.reset();
    const res = await run();
    await res.body?.cancel();
    if (res.status >= 400) throw new Error(`answered ${res.status}`);
    return counter.counts();
  };
  const page = await measure(() => client.get("/connections"));
  const { csrf } = await client.page();
  const started = await client.postForm("/connections/new", { _csrf: csrf });
  const callbackUrl = await client.authorize(
    started.headers.get("location")!,
    { company_name: "Acme Four" },
  );
  const callback = await measure(() => client.get(callbackUrl));
  const id = Object.keys(t.portal.sim!.store.data.connections)[0];
  const token = await measure(() =>
    t.fetch(`/api/connections/${id}/token`, {
      headers: { authorization: `Bearer ${t.portal.config.adminApiKey}` },
    })
  );
  console.log(JSON.stringify({ page, callback, token }));
} finally {
  await t.close();
  counter.kv.close();
}
