import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHub } from "../../src/hub.ts";
import type { Store } from "../../src/store/types.ts";
import { billhubInProcess } from "../support/cli.ts";
import { createCustomer, ledgerCatalog } from "../support/ledger.ts";
import { openCliStore, type CliStore } from "../support/cli-store.ts";
import { lockRollupVacuum } from "../support/rollup-vacuum-lock.ts";
import { DATABASE_URL } from "../support/store.ts";

// Each step opens the store the CLI is configured for (seconds each on the embedded store).
describe(`billhub rollups (${DATABASE_URL ? "PostgreSQL" : "embedded store"})`, { timeout: 120_000 }, () => {
  let cli: CliStore;
  const rollups = (...args: string[]) => billhubInProcess(["rollups", ...args], cli.env);
  const onStore = <T>(fn: (store: Store) => Promise<T>) => cli.onStore(fn);

  beforeAll(async () => {
    cli = await openCliStore("rollups");
    await onStore(async (store) => {
      for (const id of ["acme", "beta"]) await createCustomer(store, id);
      const hub = await createHub({ catalog: ledgerCatalog, store: { migrate: false } }, { store });
      await hub.recordBatch([
        { customerId: "acme", meter: "api_calls", quantity: 5, timestamp: "2026-10-03T10:15:00Z", transactionId: "cli_r1" },
        { customerId: "acme", meter: "api_calls", quantity: "2.5", timestamp: "2026-10-03T10:45:00Z", transactionId: "cli_r2" },
        { customerId: "acme", meter: "requests", quantity: 1, timestamp: "2026-10-03T11:05:00Z", transactionId: "cli_r3" },
        { customerId: "beta", meter: "api_calls", quantity: 9, timestamp: "2026-10-04T00:00:00Z", transactionId: "cli_r4" },
      ]);
      await hub.close();
    });
  });
  afterAll(() => cli.cleanup());

  it("verifies rollups kept by the record path as matching the ledger", async () => {
    expect(await rollups("verify")).toEqual({ code: 0, stdout: "The usage rollups of every customer match the ledger.\n", stderr: "" });
  });

  it("reports a corrupted rollup row with exit status 1, and a rebuild makes it match again", async () => {
    await onStore((store) => store.query("UPDATE usage_rollups SET quantity_sum = 100 WHERE customer_id = 'acme' AND meter = 'api_calls'"));
    const corrupted = await rollups("verify");
    expect(corrupted.code).toBe(1);
    expect(corrupted.stdout).toMatch(/^customer\s+meter\s+bucket\s+rollup\s+ledger\n/);
    expect(corrupted.stdout).toMatch(
      /acme\s+api_calls\s+2026-10-03T10:00:00.000Z\s+sum 100, count 2, max 5, last 2.5 \(cli_r2 at 2026-10-03T10:45:00.000Z\)\s+sum 7.5, count 2, max 5, last 2.5 \(cli_r2 at 2026-10-03T10:45:00.000Z\)\n/,
    );
    expect(corrupted.stdout).toContain("1 customer × meter × bucket row differs from the ledger: billhub rollups rebuild recomputes them.");

    expect(await rollups("verify", "--customer", "beta")).toMatchObject({ code: 0, stdout: "The usage rollups of customer beta match the ledger.\n" });
    expect(await rollups("rebuild", "--customer", "acme")).toMatchObject({ code: 0, stdout: "Rebuilt the usage rollups of customer acme: 2 hourly rows.\n" });
    expect((await rollups("verify")).code).toBe(0);
  });

  it("reports a missing and a stray row, and a full rebuild recomputes every customer's", async () => {
    await onStore(async (store) => {
      await store.query("DELETE FROM usage_rollups WHERE customer_id = 'beta'");
      await store.query("INSERT INTO usage_rollups (customer_id, meter, bucket_start, quantity_sum, count_value) VALUES ('acme', 'api_calls', '2026-10-05T00:00:00Z', 1, 1)");
    });
    const corrupted = await rollups("verify");
    expect(corrupted.code).toBe(1);
    expect(corrupted.stdout).toMatch(/acme\s+api_calls\s+2026-10-05T00:00:00.000Z\s+sum 1, count 1, max -, last -\s+no row\n/);
    expect(corrupted.stdout).toMatch(/beta\s+api_calls\s+2026-10-04T00:00:00.000Z\s+no row\s+sum 9, count 1, max 9, last 9 \(cli_r4 at 2026-10-04T00:00:00.000Z\)\n/);
    expect(corrupted.stdout).toContain("2 customer × meter × bucket rows differ from the ledger");

    expect(await rollups("rebuild")).toMatchObject({ code: 0, stdout: "Rebuilt the usage rollups of every customer: 3 hourly rows.\n" });
    expect((await rollups("verify")).code).toBe(0);
  });

  it("compacts the hours of past days into day rows, which verify then compares day by day with the ledger", async () => {
    expect(await rollups("compact", "--before", "2026-10-04T12:00:00Z")).toEqual({
      code: 0,
      stdout: "Compacted the usage rollups before 2026-10-04T00:00:00.000Z: 2 hourly rows moved into day and month rows.\n",
      stderr: "",
    });
    expect((await rollups("verify")).code).toBe(0);
    await onStore((store) => store.query("UPDATE usage_rollup_days SET quantity_sum = 100 WHERE customer_id = 'acme' AND meter = 'requests'"));
    const corrupted = await rollups("verify");
    expect(corrupted.code).toBe(1);
    // The day row against the ledger's day; the month row (untouched) against its day rows' merge.
    expect(corrupted.stdout).toMatch(/acme\s+requests\s+2026-10-03T00:00:00.000Z \(day\)\s+sum 100, count 1, max 1, last 1 \(cli_r3 at 2026-10-03T11:05:00.000Z\)\s+sum 1, count 1/);
    expect(corrupted.stdout).toMatch(/acme\s+requests\s+2026-10-01T00:00:00.000Z \(month\)\s+sum 1, count 1, max 1, last 1 \(cli_r3 at 2026-10-03T11:05:00.000Z\)\s+sum 100, count 1/);
    expect(await rollups("rebuild")).toMatchObject({ code: 0, stdout: "Rebuilt the usage rollups of every customer: 3 hourly rows.\n" });
    expect((await rollups("verify")).code).toBe(0);
    expect((await rollups("compact", "--before", "yesterday")).stderr).toContain('VALIDATION_FAILED: --before must be a date such as 2026-10-01T00:00:00Z, got "yesterday"');
    // A day still being recorded is not compacted, however far --before reaches.
    const today = new Date();
    today.setUTCHours(0, 0, 0, 0);
    expect((await rollups("compact", "--before", "2999-01-01T00:00:00Z")).stdout).toContain(`Compacted the usage rollups before ${today.toISOString()}: `);
    expect((await rollups("verify")).code).toBe(0);
  });

  it.skipIf(!DATABASE_URL)("reports the rows moved with exit status 0 when the vacuum after them fails, and says on stderr why it failed", async () => {
    const output = await onStore(async (store) => {
      const hub = await createHub({ catalog: ledgerCatalog, store: { migrate: false } }, { store });
      await hub.recordBatch([{ customerId: "beta", meter: "api_calls", quantity: 4, timestamp: "2026-10-02T08:00:00Z", transactionId: "cli_r5" }]);
      await hub.close();
      const lock = await lockRollupVacuum(store);
      try {
        const compaction = rollups("compact");
        await store.query("SELECT pg_cancel_backend($1)", [await lock.vacuumWaiting()]);
        return await compaction;
      } finally {
        await lock.release();
      }
    });
    expect(output).toEqual({
      code: 0,
      stdout: expect.stringMatching(/^Compacted the usage rollups before \S+: 1 hourly row moved into day and month rows\.\n$/),
      stderr:
        "The vacuum of the rollup tables after the moves failed: canceling statement due to user request. The rows moved stay moved; the next compaction that moves rows vacuums the tables (on PostgreSQL, so does autovacuum).\n",
    });
    expect((await rollups("verify")).code).toBe(0);
  });

  it("refuses a missing or unknown action with the usage", async () => {
    const missing = await rollups();
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("VALIDATION_FAILED: billhub rollups needs verify, rebuild or compact");
    expect(missing.stderr).toContain("Usage: billhub rollups <verify | rebuild | compact>");
    expect((await rollups("repair")).stderr).toContain('Unknown rollups action "repair"');
  });
});
