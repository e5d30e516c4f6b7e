/**
 * Development server: `deno task dev`. Runs main.ts under Deno's file watcher, so a change
 * to any module, island or the stylesheet restarts the server, which rebuilds the island
 * bundle in memory (a prebuilt bundle from `deno task build` is ignored here: it would be
 * stale). Its arguments go to main.ts: the task passes `--demo`; `deno run -A dev.ts`
 * alone watches a production-mode server (Finch credentials and secrets needed).
 */
const command = new Deno.Command(Deno.execPath(), {
  args: [
    "run",
    "-A",
    "--watch=static/styles.css,islands/,components/",
    "main.ts",
    ...Deno.args,
  ],
  env: { PORTAL_DEV: "1" },
  stdin: "inherit",
  stdout: "inherit",
  stderr: "inherit",
});
const child = command.spawn();
Deno.addSignalListener("SIGINT", () => child.kill("SIGINT"));
Deno.exit((await child.status).code);
