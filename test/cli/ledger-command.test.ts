import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHub } from "../../src/hub.ts";
import { closePeriod } from "../../src/store/ledger/closed-periods.ts";
import type { Store } from "../../src/store/types.ts";
import { billhubInProcess } from "../support/cli.ts";
import { createCustomer, ledgerCatalog } from "../support/ledger.ts";
import { openCliStore, type CliStore } from "../support/cli-store.ts";
import { DATABASE_URL } from "../support/store.ts";

describe(`billhub ledger (${DATABASE_URL ? "PostgreSQL" : "embedded store"})`, { timeout: 120_000 }, () => {
  let cli: CliStore;
  const ledger = (...args: string[]) => billhubInProcess(["ledger", ...args], cli.env);
  const onStore = <T>(fn: (store: Store) => Promise<T>) => cli.onStore(fn);

  beforeAll(async () => {
    cli = await openCliStore("ledger");
    await onStore(async (store) => {
      for (const id of ["acme", "beta"]) await createCustomer(store, id);
      const hub = await createHub({ catalog: ledgerCatalog, store: { migrate: false } }, { store });
      await hub.recordBatch([
        { customerId: "acme", meter: "api_calls", quantity: 5, timestamp: "2026-08-03T10:15:00Z", transactionId: "led_1" },
        { customerId: "acme", meter: "api_calls", quantity: 2, timestamp: "2026-08-30T10:45:00Z", transactionId: "led_2" },
        { customerId: "beta", meter: "api_calls", quantity: 9, timestamp: "2026-07-04T00:00:00Z", transactionId: "led_3" },
      ]);
      await store.transaction((tx) => closePeriod(tx, { customerId: "acme", from: new Date("2026-08-01T00:00:00Z"), to: new Date("2026-09-01T00:00:00Z") }));
      await hub.close();
    });
  });
  afterAll(() => cli.cleanup());

  it("archives an invoiced month, keeps one with open usage and says why, with exit status 1", async () => {
    const result = await ledger("archive", "--before", "2026-09");
    expect(result.code).toBe(1);
    expect(result.stdout).toBe(
      "2026-07: kept (1 event): 1 event is of 1 customer outside any invoiced (closed) period.\n2026-08: archived 2 events into usage_events_archived_2026_08.\n",
    );
  });

  it("lists live and archived months", async () => {
    const result = await ledger("months");
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^month\s+state\s+table\s+events\s+size\n/);
    expect(result.stdout).toMatch(/2026-07\s+live\s+usage_events_2026_07\s+-\s+[\d.]+ MB\n/);
    expect(result.stdout).toMatch(/2026-08\s+archived\s+usage_events_archived_2026_08\s+2\s+-\n/);
  });

  it("refuses a wrong month, a missing --before and an unknown action with the usage", async () => {
    const wrong = await ledger("archive", "--before", "2026-9");
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('VALIDATION_FAILED: --before must be a month as YYYY-MM, got "2026-9"');
    expect((await ledger("archive")).stderr).toContain("billhub ledger archive needs --before YYYY-MM");
    expect((await ledger("drop")).stderr).toContain('Unknown ledger action "drop"');
    expect((await ledger("months", "--drop")).stderr).toContain("--before and --drop belong to billhub ledger archive");
  });
});
