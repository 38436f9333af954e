import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LOCK_FILE } from "../../src/store/data-dir-lock.ts";
import { openPgliteStore } from "../../src/store/pglite-driver.ts";
import { billhub } from "../support/cli.ts";
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
