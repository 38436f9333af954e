import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const BIN = join(import.meta.dirname, "../../bin/billhub.mjs");

/** Runs the real CLI as a process; never throws, returns exit code and output. */
async function billhub(args: string[], env: Record<string, string>) {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("BILLHUB_") && k !== "DATABASE_URL"));
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { env: { ...clean, ...env } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe("billhub migrate (as a process)", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "billhub-cli-"));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("applies the migrations to the embedded store, then reports it up to date", async () => {
    const first = await billhub(["migrate"], { BILLHUB_DATA_DIR: dir });
    expect(first.code).toBe(0);
    expect(first.stdout).toContain("Applied 0001_customers");
    const second = await billhub(["migrate"], { BILLHUB_DATA_DIR: dir });
    expect(second.code).toBe(0);
    expect(second.stdout).toContain("up to date");
  });

  it("exits 1 with a message naming the bad option", async () => {
    const result = await billhub(["migrate"], { BILLHUB_DATA_DIR: dir, BILLHUB_SCHEMA: "Bad-Name" });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("CONFIG_INVALID");
    expect(result.stderr).toContain("store.schema (BILLHUB_SCHEMA)");
  });

  it("prints usage for --help and refuses an unknown command", async () => {
    expect((await billhub(["--help"], {})).stdout).toContain("Usage: billhub <command>");
    const unknown = await billhub(["frobnicate"], {});
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('Unknown command "frobnicate"');
  });
});
