import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { billhub, billhubInProcess } from "../support/cli.ts";

// Every step starts billhub processes (about 3 s of CPU each): time for a machine twice as busy.
describe("billhub migrate (as a process)", { timeout: 120_000 }, () => {
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
    const result = await billhubInProcess(["migrate"], { BILLHUB_DATA_DIR: dir, BILLHUB_SCHEMA: "Bad-Name" });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("CONFIG_INVALID");
    expect(result.stderr).toContain("store.schema (BILLHUB_SCHEMA)");
  });

  it("prints usage for --help and refuses an unknown command", async () => {
    expect((await billhubInProcess(["--help"], {})).stdout).toContain("Usage: billhub <command>");
    const unknown = await billhubInProcess(["frobnicate"], {});
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('Unknown command "frobnicate"');
  });
});
