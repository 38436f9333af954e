import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LOCK_FILE } from "../../src/store/data-dir-lock.ts";
import { openPgliteStore } from "../../src/store/pglite-driver.ts";
import { billhub, billhubInProcess } from "../support/cli.ts";
import { startServeProcess, type ServeProcess } from "../support/serve-process.ts";
import { migratedDataDir } from "../support/store.ts";

const KEY = "store-lock-key-0123456789abcdef";

describe("a CLI command on the data directory of a running billhub serve", () => {
  let root: string;
  let dir: string;
  let server: ServeProcess;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "billhub-store-lock-"));
    dir = await migratedDataDir(join(root, "data"));
    server = await startServeProcess({ BILLHUB_DATA_DIR: dir, BILLHUB_API_KEYS: `${KEY}:write` });
  }, 90_000);
  afterAll(async () => {
    await server.kill();
    await rm(root, { recursive: true, force: true });
  });

  async function putCustomer(id: string): Promise<number> {
    const response = await fetch(`${server.url}/v1/customers/${id}`, {
      method: "PUT",
      headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" },
      body: JSON.stringify({ name: id }),
    });
    return response.status;
  }

  it("acts through the running service with --url and --api-key (or BILLHUB_URL and BILLHUB_API_KEY) instead of opening the store", async () => {
    const flags = ["--url", server.url, "--api-key", KEY];
    const [status, run, replay, drain, wrongKey] = await Promise.all([
      billhub(["outbox", "status", ...flags], { BILLHUB_DATA_DIR: dir }),
      billhub(["invoice", "run", "--period", "2026-01"], { BILLHUB_DATA_DIR: dir, BILLHUB_URL: server.url, BILLHUB_API_KEY: KEY }),
      billhub(["outbox", "replay", "--dead", ...flags], { BILLHUB_DATA_DIR: dir }),
      billhub(["outbox", "drain", ...flags], { BILLHUB_DATA_DIR: dir }),
      billhub(["outbox", "status", "--url", server.url, "--api-key", "not-the-key-0123456789abcdef"], { BILLHUB_DATA_DIR: dir }),
    ]);
    expect(status).toEqual({ code: 0, stdout: "The outbox is empty.\n", stderr: "" });
    expect(run).toMatchObject({ code: 0, stderr: "" });
    expect(run.stdout).toMatch(/^Invoiced 2026-01: 0 invoices written; 0 already invoiced; /);
    expect(replay).toEqual({ code: 0, stdout: "Replayed 0 dead rows; the forwarder sends them next.\n", stderr: "" });
    expect(drain.code).toBe(1);
    expect(drain.stderr).toBe(
      `VALIDATION_FAILED: This command has no HTTP equivalent and cannot act through --url ${server.url}; run it without --url while no other process has the embedded store open, or use PostgreSQL (DATABASE_URL).\n`,
    );
    expect(wrongKey.code).toBe(1);
    expect(wrongKey.stderr).toMatch(/^UNAUTHORIZED: .*check --api-key\)\n$/);
  }, 90_000);

  it("exits 1 with one line naming the server's pid and what to do, and the server's writes are all kept", async () => {
    expect(await putCustomer("cus_before")).toBe(201);

    const [status, demo] = await Promise.all([billhub(["outbox", "status"], { BILLHUB_DATA_DIR: dir }), billhub(["demo", "--persist"], { BILLHUB_DATA_DIR: dir })]);
    for (const refused of [status, demo]) {
      expect(refused.code).toBe(1);
      expect(refused.stdout).toBe("");
      expect(refused.stderr.trimEnd().split("\n")).toHaveLength(1);
      expect(refused.stderr).toMatch(
        new RegExp(`^STORE_LOCKED: The embedded store in ${dir} is in use by process ${server.pid} \\(since [^)]+\\); .*Stop that process, or set DATABASE_URL to use PostgreSQL .*HTTP API\\.\\n$`),
      );
    }

    expect(await putCustomer("cus_after")).toBe(201);
    expect(await server.stop()).toBe(0);
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);

    const store = await openPgliteStore({ dataDir: dir, schema: "billhub" });
    try {
      expect((await store.query("SELECT id FROM customers ORDER BY id")).rows).toEqual([{ id: "cus_after" }, { id: "cus_before" }]);
    } finally {
      await store.close();
    }
  }, 90_000);
});

describe("--url and --api-key", () => {
  it("are refused, naming the commands that take them, by a command with no HTTP equivalent, and need each other", async () => {
    expect(await billhubInProcess(["migrate", "--url", "http://127.0.0.1:8787"])).toEqual({
      code: 1,
      stdout: "",
      stderr: "VALIDATION_FAILED: billhub migrate has no HTTP equivalent, so it takes no --url (billhub invoice, billhub outbox and billhub alerts do).\n",
    });
    expect((await billhubInProcess(["outbox", "status", "--url", "http://127.0.0.1:8787"])).stderr).toBe(
      "VALIDATION_FAILED: --url needs the service's API key: --api-key <key> or BILLHUB_API_KEY.\n",
    );
    expect((await billhubInProcess(["outbox", "status", "--api-key", KEY])).stderr).toBe("VALIDATION_FAILED: --api-key is for --url <service>; give both, or neither.\n");
    expect((await billhubInProcess(["outbox", "status", "--url=127.0.0.1:8787", `--api-key=${KEY}`])).stderr).toBe(
      'VALIDATION_FAILED: --url must be the service\'s http(s) address, e.g. http://127.0.0.1:8787, got "127.0.0.1:8787"\n',
    );
  });

  it("say when nothing answers at the address", async () => {
    const result = await billhubInProcess(["outbox", "status", "--url", "http://127.0.0.1:9", "--api-key", KEY]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^STORE_UNAVAILABLE: Cannot reach the billhub service at http:\/\/127\.0\.0\.1:9 \(.+\); is billhub serve running there\?\n$/);
  });
});
