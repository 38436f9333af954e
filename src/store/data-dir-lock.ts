import { randomBytes } from "node:crypto";
import { readFileSync, unlinkSync } from "node:fs";
import { link, readFile, realpath, unlink, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { BillingError } from "../core/errors.ts";

/** Tries to take the lock before giving up as "being opened by several processes at once". */
const MAX_ATTEMPTS = 100;

/** The lock file inside a PGlite data directory; it holds the owner's pid, start time and a nonce. */
export const LOCK_FILE = "billhub.lock";

interface Holder {
  pid: number;
  /** The kernel's start time of the process (Linux `/proc/<pid>/stat`), so a reused pid is not taken for the holder. */
  startTime: string | null;
  host: string;
  since: string;
  nonce: string;
}

export interface DataDirLock {
  /** Removes the lock file if it is still this lock's; safe to call twice. */
  release(): void;
}

/** Lock files this thread holds, by the data directory's real path, with the content each was written with. */
const held = new Map<string, { file: string; content: string }>();

function releaseAll(): void {
  for (const lock of held.values()) removeIfOurs(lock.file, lock.content);
  held.clear();
}

function removeIfOurs(file: string, content: string): void {
  try {
    if (readFileSync(file, "utf8") === content) unlinkSync(file);
  } catch {
    // Already gone (or unreadable): nothing of ours to remove.
  }
}

/** `state` and `starttime` of a live process from /proc, or undefined where there is no /proc (macOS, Windows). */
function procStat(pid: number): { state: string; startTime: string } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after the last ")".
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return { state: fields[0]!, startTime: fields[19]! };
  } catch {
    return undefined;
  }
}

/**
 * Whether the lock's holder still runs. Our own pid counts too: the lock is then another
 * thread's of this process (worker threads do not share `held`), unless the start time says an
 * earlier process had the pid (a container restarted, its billhub pid 1 again).
 */
function isAlive(holder: Holder): boolean {
  try {
    process.kill(holder.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  const stat = procStat(holder.pid);
  if (stat === undefined) return true;
  if (stat.state === "Z") return false;
  return holder.startTime === null || stat.startTime === holder.startTime;
}

function parseHolder(content: string): Holder | undefined {
  try {
    const value = JSON.parse(content) as Partial<Holder>;
    return Number.isInteger(value.pid) && (value.pid ?? 0) > 0 ? (value as Holder) : undefined;
  } catch {
    return undefined;
  }
}

function lockedError(dataDir: string, holder: Holder): BillingError {
  const where = holder.host === hostname() ? "" : ` on host ${holder.host}`;
  return new BillingError(
    "STORE_LOCKED",
    `The embedded store in ${dataDir} is in use by process ${holder.pid}${where} (since ${holder.since}); ` +
      `only one process may open an embedded store at a time. Stop that process, or set DATABASE_URL to use PostgreSQL ` +
      `when several processes need the store, or do this through the running service's HTTP API.`,
    { details: { dataDir, pid: holder.pid } },
  );
}

/**
 * Takes the exclusive lock on a PGlite data directory (which must exist), or throws STORE_LOCKED
 * naming the process that holds it. A lock left by a process that is gone (killed, crashed, or a
 * pid since reused by another program) is taken over. Released by `release()` and, failing that,
 * when this process exits.
 *
 * The lock file is written whole under a private name and then hard-linked into place: `link`
 * fails if the name exists, so of two openers exactly one wins, and nobody reads a half-written
 * file. A stale lock is removed only by the opener holding the breaker file (`billhub.lock.break`,
 * taken the same way), and only if it is still the very file judged stale: two openers can never
 * both remove a lock, so of any number racing on a crashed holder's lock exactly one gets it.
 *
 * @example
 * const lock = await lockDataDir("./.billhub");
 * try { ... } finally { lock.release(); }
 */
export async function lockDataDir(dataDir: string): Promise<DataDirLock> {
  const key = await realpath(dataDir);
  if (held.has(key)) {
    throw new BillingError(
      "STORE_LOCKED",
      `The embedded store in ${dataDir} is already open in this process (${process.pid}); close it first, or share the open store.`,
      { details: { dataDir, pid: process.pid } },
    );
  }
  const file = join(key, LOCK_FILE);
  const nonce = randomBytes(8).toString("hex");
  const holder: Holder = { pid: process.pid, startTime: procStat(process.pid)?.startTime ?? null, host: hostname(), since: new Date().toISOString(), nonce };
  const content = `${JSON.stringify(holder)}\n`;
  // Reserved before the first await, so a second open in this thread is refused above.
  const entry = { file, content };
  hold(key, entry);
  const draft = join(key, `${LOCK_FILE}.${process.pid}.${nonce}`);
  let locked = false;
  try {
    await writeFile(draft, content, { mode: 0o600 });
    const breaker = join(key, `${LOCK_FILE}.break`);
    for (let attempt = 0; attempt < MAX_ATTEMPTS && !locked; attempt += 1) {
      try {
        await link(draft, file);
        locked = true;
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      }
      const existing = await readFile(file, "utf8").catch(() => undefined);
      if (existing === undefined) continue;
      const owner = parseHolder(existing);
      if (owner !== undefined && isAlive(owner)) throw lockedError(dataDir, owner);
      if (await takeBreaker(draft, breaker)) {
        try {
          // Still the lock judged stale? Another opener may have broken it and locked meanwhile.
          if ((await readFile(file, "utf8").catch(() => undefined)) === existing) await unlink(file).catch(() => {});
        } finally {
          removeIfOurs(breaker, content);
        }
      } else {
        await new Promise((resolve) => setTimeout(resolve, 5 + Math.floor(Math.random() * 20)));
      }
    }
    if (!locked) throw new BillingError("STORE_LOCKED", `The embedded store in ${dataDir} is being opened by several processes at once; try again.`, { details: { dataDir } });
    return { release: () => release(key, entry) };
  } finally {
    if (!locked) drop(key);
    await unlink(draft).catch(() => {});
  }
}

/**
 * Takes the right to remove a stale lock, as the lock itself is taken (a hard link that fails if
 * the file exists). A breaker left by a process that died while breaking is removed, and taken at
 * the next try; that removal can race only with another opener finding the same dead breaker.
 */
async function takeBreaker(draft: string, breaker: string): Promise<boolean> {
  try {
    await link(draft, breaker);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
  const content = await readFile(breaker, "utf8").catch(() => undefined);
  const breaking = content === undefined ? undefined : parseHolder(content);
  if (content !== undefined && (breaking === undefined || !isAlive(breaking))) removeIfOurs(breaker, content);
  return false;
}

function hold(key: string, lock: { file: string; content: string }): void {
  if (held.size === 0) process.on("exit", releaseAll);
  held.set(key, lock);
}

function drop(key: string): void {
  held.delete(key);
  if (held.size === 0) process.off("exit", releaseAll);
}

/** Releases `lock` if it is still the one held for `key` (not a later open's, after a second `release()`). */
function release(key: string, lock: { file: string; content: string }): void {
  if (held.get(key) !== lock) return;
  drop(key);
  removeIfOurs(lock.file, lock.content);
}
