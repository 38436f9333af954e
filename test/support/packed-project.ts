import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, "../..");

/** A throw-away project with the packed billhub installed in its node_modules. */
export interface PackedProject {
  dir: string;
  /** The tarball's file list (`package/...` stripped). */
  files: string[];
  /** Runs `node <args>` in the project; rejects with the output when it exits non-zero. */
  node(args: string[]): Promise<{ stdout: string; stderr: string }>;
  /** Runs the project's `tsc` with `args`. */
  tsc(args: string[]): Promise<{ stdout: string; stderr: string }>;
  write(file: string, text: string): Promise<void>;
  read(file: string): Promise<string>;
  remove(): Promise<void>;
}

/**
 * Packs billhub (`npm pack`, which builds dist/ through the `prepare` script) and installs the
 * tarball into a fresh project the way npm lays it out: the package unpacked in
 * node_modules/billhub, and each of its declared `dependencies` beside it. The dependencies are
 * links to this checkout's installed copies (no registry needed, the same versions as the
 * lockfile), and only the declared ones are linked: an import of anything else fails here as it
 * would for a user. `devPackages` are linked too, for the consumer's own tools (typescript).
 */
export async function packedProject(devPackages: string[]): Promise<PackedProject> {
  const dir = await mkdtemp(join(tmpdir(), "billhub-consumer-"));
  const { stdout } = await run("npm", ["pack", "--json", "--pack-destination", dir], { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 });
  const [packed] = JSON.parse(stdout.slice(stdout.indexOf("["))) as Array<{ filename: string; files: Array<{ path: string }> }>;
  const modules = join(dir, "node_modules");
  await mkdir(modules, { recursive: true });
  await run("tar", ["-xzf", join(dir, packed!.filename), "-C", modules]);
  const installed = join(modules, "billhub");
  await run("mv", [join(modules, "package"), installed]);
  const manifest = JSON.parse(await readFile(join(installed, "package.json"), "utf8")) as { dependencies: Record<string, string> };
  for (const name of [...Object.keys(manifest.dependencies), ...devPackages]) {
    await mkdir(dirname(join(modules, name)), { recursive: true });
    await symlink(join(ROOT, "node_modules", name), join(modules, name), "dir");
  }
  await writeFile(join(dir, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }));
  const exec = async (file: string, args: string[]) => {
    try {
      return await run(file, args, { cwd: dir, maxBuffer: 64 * 1024 * 1024 });
    } catch (error) {
      const e = error as { stdout: string; stderr: string; message: string };
      throw new Error(`${[file, ...args].join(" ")} failed: ${e.message}\n${e.stdout}\n${e.stderr}`);
    }
  };
  return {
    dir,
    files: packed!.files.map((file) => file.path),
    node: (args) => exec(process.execPath, args),
    tsc: (args) => exec(process.execPath, [join(modules, "typescript/bin/tsc"), ...args]),
    write: (file, text) => writeFile(join(dir, file), text),
    read: (file) => readFile(join(dir, file), "utf8"),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

