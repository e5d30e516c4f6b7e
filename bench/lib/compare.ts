/**
 * Another revision of the portal to measure beside this one (`BENCH_COMPARE_REV`): its
 * files from `git archive`, this tree's node_modules, and this tree's bench server
 * script, in a temp folder. Used by the speed section to say what a change did, in the
 * same run.
 *
 * @module
 */
import { ROOT_DIR, tempDir } from "./process.ts";

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
    await Deno.mkdir(`${dir.path}/bench/servers`, { recursive: true });
    await Deno.copyFile(
      `${ROOT_DIR}bench/servers/portal.ts`,
      `${dir.path}/bench/servers/portal.ts`,
    );
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
