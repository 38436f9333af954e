import { chmod, lstat, mkdir, readdir, stat } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { BillingError } from "../core/errors.ts";

const OWNER_ONLY = 0o700;
const GROUP_AND_OTHERS = 0o077;

/**
 * Creates a PGlite data directory readable and writable by its owner only (0700), or tightens an
 * existing one that group or others can reach. Resolves to true when the files inside should be
 * tightened too once PGlite has written them (the directory is new or was open to others).
 *
 * Tightened, not merely warned about: PostgreSQL itself refuses to start on a data directory
 * that others can reach, a warning nobody reads leaves the ledger writable by any local user,
 * and the loose directories in the field were made by billhub itself (PGlite's initdb writes
 * its files 0666). A directory billhub cannot chmod (another user's) is refused with the fix.
 *
 * @example
 * const tightenFiles = await makeDataDirPrivate("./.billhub"); // ./.billhub is now drwx------
 */
export async function makeDataDirPrivate(dataDir: string): Promise<boolean> {
  await mkdir(dirname(resolve(dataDir)), { recursive: true });
  try {
    await mkdir(dataDir, { mode: OWNER_ONLY });
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
  if (process.platform === "win32") return false;
  const { mode } = await stat(dataDir);
  if ((mode & GROUP_AND_OTHERS) === 0) return false;
  try {
    await chmod(dataDir, OWNER_ONLY);
  } catch (error) {
    throw new BillingError(
      "CONFIG_INVALID",
      `The embedded store's directory ${dataDir} is open to other users (mode ${(mode & 0o777).toString(8)}) and billhub cannot make it private: ` +
        `run \`chmod 700 ${dataDir}\` as its owner, or choose another BILLHUB_DATA_DIR.`,
      { cause: error },
    );
  }
  return true;
}

/** Takes group and others' permissions off every file and directory under `dir` (PGlite's initdb writes files 0666). */
export async function makeFilesPrivate(dir: string): Promise<void> {
  if (process.platform === "win32") return;
  const entries = await readdir(dir, { recursive: true });
  await Promise.all(
    entries.map(async (entry) => {
      const path = join(dir, entry);
      try {
        const info = await lstat(path);
        if ((info.mode & GROUP_AND_OTHERS) !== 0 && !info.isSymbolicLink()) await chmod(path, info.mode & OWNER_ONLY);
      } catch (error) {
        // PostgreSQL removes files as it runs (WAL segments, temporary files): gone is fine.
        if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
      }
    }),
  );
}
