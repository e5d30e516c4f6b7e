/**
 * Another revision of the portal to measure beside this one (`BENCH_COMPARE_REV`): its
 * files from `git archive`, this tree's node_modules, and this tree's bench drivers
 * (bench/servers/: the server, the seeder, the round-trip counter, and the KV counter
 * they use), in a temp folder. The drivers run that revision's own code: its store is
 * seeded in its own layout and its pages served by its own routes. Used by the speed
 * and round-trip sections to say what a change did, in the same run.
 *
 * @module
 */
import { ROOT_DIR, tempDir } from "./process.ts";

/** This tree's files that measure any revision. */
const DRIVERS = [
  "bench/servers/portal.ts",
  "bench/servers/seed.ts",
  "bench/servers/round_trips.ts",
  "testing/kv_counter.ts",
];

/** A checked-out revision; `remove()` deletes it. */
export interface Tree {
  rev: string;
  path: string;
  remove(): Promise<void>;
}

/** Exports `rev` (any git revision) into a temp folder ready to serve. */
export async function exportRevision(rev: string): Promise<Tree> {
  const dir = await tempDir("rev");
  try {
    const archive = await new Deno.Command("git", {
      args: ["archive", "--format=tar", rev],
      cwd: ROOT_DIR,
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (archive.code !== 0) {
      throw new Error(
        `git archive ${rev}: ${
          new TextDecoder().decode(archive.stderr).trim()
        }`,
      );
    }
    const tar = new Deno.Command("tar", {
      args: ["-x", "-C", dir.path],
      stdin: "piped",
    }).spawn();
    const writer = tar.stdin.getWriter();
    await writer.write(archive.stdout);
    await writer.close();
    if (!(await tar.status).success) throw new Error("tar failed");
    await Deno.symlink(`${ROOT_DIR}node_modules`, `${dir.path}/node_modules`);
    for (const file of DRIVERS) {
      await Deno.mkdir(`${dir.path}/${file.slice(0, file.lastIndexOf("/"))}`, {
        recursive: true,
      });
      await Deno.copyFile(`${ROOT_DIR}${file}`, `${dir.path}/${file}`);
    }
    const short = new TextDecoder().decode(
      (await new Deno.Command("git", {
        args: ["rev-parse", "--short", rev],
        cwd: ROOT_DIR,
        stdout: "piped",
      }).output()).stdout,
    ).trim();
    return { rev: short || rev, path: dir.path, remove: dir.remove };
  } catch (err) {
    await dir.remove();
    throw err;
  }
}
