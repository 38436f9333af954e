import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isBillingError } from "../../src/core/errors.ts";
import { LOCK_FILE, lockDataDir } from "../../src/store/data-dir-lock.ts";
import { openPgliteStore } from "../../src/store/pglite-driver.ts";
import { makeDataDirPrivate } from "../../src/store/private-data-dir.ts";
import { migratedDataDir } from "../support/store.ts";
import { waitFor } from "../support/wait.ts";

const LOCK_MODULE = join(import.meta.dirname, "../../src/store/data-dir-lock.ts");

/** Runs `code` in a Node process of its own; `done` resolves with its output once it has exited (and been reaped). */
function nodeProcess(code: string, args: string[] = []): { pid: number; output: () => string; done: Promise<string> } {
  const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", code, ...args], { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
  return { pid: child.pid!, output: () => out, done: new Promise((resolve) => child.once("exit", () => resolve(out))) };
}

/** A lock file as a process with `pid` would have left it. */
function lockContent(pid: number, startTime: string | null = null): string {
  return `${JSON.stringify({ pid, startTime, host: hostname(), since: "2026-01-01T00:00:00.000Z", nonce: "0123456789abcdef" })}\n`;
}

async function refusal(opening: Promise<unknown>): Promise<Error> {
  const error = await opening.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isBillingError(error, "STORE_LOCKED")).toBe(true);
  return error as Error;
}

describe("the embedded store's data directory lock", () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "billhub-lock-"));
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  it("refuses a second open of a data dir in the same process, and opens it again once the first store is closed", async () => {
    const dir = await migratedDataDir(join(root, "same-process"));
    const first = await openPgliteStore({ dataDir: dir, schema: "billhub" });
    await first.query("INSERT INTO customers (id) VALUES ('cus_first')");
    const error = await refusal(openPgliteStore({ dataDir: dir, schema: "billhub" }));
    expect(error.message).toContain(`already open in this process (${process.pid})`);
    await first.close();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);

    const second = await openPgliteStore({ dataDir: dir, schema: "billhub" });
    try {
      expect((await second.query("SELECT id FROM customers")).rows).toEqual([{ id: "cus_first" }]);
      expect(JSON.parse(await readFile(join(dir, LOCK_FILE), "utf8"))).toMatchObject({ pid: process.pid });
    } finally {
      await second.close();
    }
  });

  it("takes over a lock left by a process that is gone (killed, crashed)", async () => {
    const dir = await migratedDataDir(join(root, "stale"));
    const gone = nodeProcess("");
    await gone.done;
    await writeFile(join(dir, LOCK_FILE), lockContent(gone.pid));
    const store = await openPgliteStore({ dataDir: dir, schema: "billhub" });
    try {
      expect(JSON.parse(await readFile(join(dir, LOCK_FILE), "utf8"))).toMatchObject({ pid: process.pid });
    } finally {
      await store.close();
    }
    expect(await readdir(dir)).not.toContain(LOCK_FILE);
  });

  it("refuses while the process named in the lock runs, naming its pid and the ways out", async () => {
    const dir = join(root, "alive");
    await mkdir(dir);
    const running = nodeProcess("setTimeout(() => {}, 60_000)");
    try {
      await writeFile(join(dir, LOCK_FILE), lockContent(running.pid));
      const error = await refusal(lockDataDir(dir));
      expect(error.message).toBe(
        `The embedded store in ${dir} is in use by process ${running.pid} (since 2026-01-01T00:00:00.000Z); only one process may open an embedded store at a time. ` +
          `Stop that process, or set DATABASE_URL to use PostgreSQL when several processes need the store, or do this through the running service's HTTP API.`,
      );
      expect(await readFile(join(dir, LOCK_FILE), "utf8")).toBe(lockContent(running.pid));
    } finally {
      process.kill(running.pid, "SIGKILL");
      await running.done;
    }
  });

  it.skipIf(!existsSync("/proc/self/stat"))("takes over a lock whose pid now belongs to another process (started at another time)", async () => {
    const dir = join(root, "reused");
    await mkdir(dir);
    const other = nodeProcess("setTimeout(() => {}, 60_000)");
    try {
      await writeFile(join(dir, LOCK_FILE), lockContent(other.pid, "1"));
      const lock = await lockDataDir(dir);
      expect(JSON.parse(await readFile(join(dir, LOCK_FILE), "utf8"))).toMatchObject({ pid: process.pid });
      lock.release();
      expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
    } finally {
      process.kill(other.pid, "SIGKILL");
      await other.done;
    }
  });

  it.skipIf(!existsSync("/proc/self/stat"))("treats a lock with this process's pid as another thread's, unless it names another start time (an earlier process with the pid)", async () => {
    const dir = join(root, "own-pid");
    await mkdir(dir);
    const stat = await readFile("/proc/self/stat", "utf8");
    const startTime = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19]!;
    await writeFile(join(dir, LOCK_FILE), lockContent(process.pid, startTime));
    expect((await refusal(lockDataDir(dir))).message).toContain(`in use by process ${process.pid} `);

    await writeFile(join(dir, LOCK_FILE), lockContent(process.pid, "1"));
    const lock = await lockDataDir(dir);
    expect(JSON.parse(await readFile(join(dir, LOCK_FILE), "utf8"))).toMatchObject({ pid: process.pid, startTime });
    lock.release();
  });

  it("gives a directory to exactly one of several processes racing for it, also when they race to take over a stale lock, and frees it when its holder exits", async () => {
    const dir = join(root, "race");
    await mkdir(dir);
    for (const stale of [false, true]) {
      if (stale) await writeFile(join(dir, LOCK_FILE), lockContent(2 ** 22 + 1));
      // Every racer starts, says so, and waits for the go file; then all try at once. The winner
      // holds the lock until the leave file appears, so no racer can come late and find it free,
      // however slowly the machine starts them. It exits without releasing it itself.
      const go = join(root, `race-go-${stale}`);
      const leave = join(root, `race-leave-${stale}`);
      const racers = Array.from({ length: 4 }, () =>
        nodeProcess(
          `const { lockDataDir } = await import(process.argv[1]);
           const { existsSync } = await import("node:fs");
           const until = async (file) => { while (!existsSync(file)) await new Promise((resolve) => setTimeout(resolve, 2)); };
           console.log("ready");
           await until(process.argv[3]);
           try { await lockDataDir(process.argv[2]); console.log("locked"); }
           catch (error) { console.log(error.code); }
           await until(process.argv[4]);`,
          [LOCK_MODULE, dir, go, leave],
        ),
      );
      await waitFor("every racer to be ready", () => racers.every((racer) => racer.output().includes("ready\n")));
      await writeFile(go, "");
      await waitFor("every racer to have tried", () => racers.every((racer) => /ready\n\S+\n/.test(racer.output())));
      await writeFile(leave, "");
      const outcomes = (await Promise.all(racers.map((racer) => racer.done))).map((out) => out.trim().split("\n").at(-1));
      expect(outcomes.sort()).toEqual(["STORE_LOCKED", "STORE_LOCKED", "STORE_LOCKED", "locked"]);
      expect(await readdir(dir)).toEqual([]);
    }
  }, 180_000);
});

describe("the embedded store's data directory permissions", () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "billhub-perms-"));
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  async function looseFiles(dir: string): Promise<string[]> {
    const entries = await readdir(dir, { recursive: true });
    const modes = await Promise.all(entries.map(async (entry) => [entry, (await stat(join(dir, entry))).mode] as const));
    return modes.filter(([, mode]) => (mode & 0o022) !== 0).map(([entry]) => entry);
  }

  it.skipIf(process.platform === "win32")("creates a new data directory readable and writable by its owner only", async () => {
    const dir = join(root, "new", "data");
    await makeDataDirPrivate(dir);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
  });

  it.skipIf(process.platform === "win32")("tightens a data directory others can reach, and the files PGlite left writable by anyone", async () => {
    const dir = await migratedDataDir(join(root, "loose"));
    await chmod(dir, 0o755);
    await chmod(join(dir, "PG_VERSION"), 0o666);
    await chmod(join(dir, "global"), 0o777);
    const store = await openPgliteStore({ dataDir: dir, schema: "billhub" });
    try {
      await store.query("INSERT INTO customers (id) VALUES ('cus_private')");
    } finally {
      await store.close();
    }
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    expect(await looseFiles(dir)).toEqual([]);
  });
});
