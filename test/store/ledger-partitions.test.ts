import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHub, type Hub } from "../../src/hub.ts";
import { closePeriod } from "../../src/store/ledger/closed-periods.ts";
import { archiveLedgerMonths, ensureLedgerPartitions, listLedgerMonths, parseMonth } from "../../src/store/ledger/partitions.ts";
import { loadMigrations, migrate } from "../../src/store/migrate.ts";
import { findRollupMismatches } from "../../src/store/rollups/verify-rollups.ts";
import { createCustomer, ledgerCatalog, testClock } from "../support/ledger.ts";
import { driverName, openTestStore, type TestStore } from "../support/store.ts";

const clock = testClock("2026-11-02T00:00:00.000Z");

/** The partition (or default) that holds each event, by transaction id. */
async function homes(store: TestStore): Promise<Record<string, string>> {
  const { rows } = await store.query<{ transaction_id: string; home: string }>("SELECT transaction_id, tableoid::regclass::text AS home FROM usage_events");
  return Object.fromEntries(rows.map((row) => [row.transaction_id, row.home.replace(/^.*\./, "")]));
}

function monthKey(offset: number): string {
  const now = new Date();
  const at = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + offset, 1));
  return `${at.getUTCFullYear()}_${String(at.getUTCMonth() + 1).padStart(2, "0")}`;
}

describe(`the ledger partitioned by month (${driverName})`, () => {
  describe("moving an existing ledger", () => {
    let store: TestStore;
    beforeAll(async () => {
      store = await openTestStore({ migrate: false });
    });
    afterAll(() => store.cleanup());

    it("moves every event into its month's partition once, keeping the rollups, ids and totals", async () => {
      const all = await loadMigrations();
      await migrate(store, all.filter((m) => m.id < "0910"));
      await store.query("INSERT INTO customers (id) VALUES ('mv_a'), ('mv_b')");
      const times = ["2026-01-31T23:59:59.999Z", "2026-02-01T00:00:00Z", "2026-02-14T12:00:00Z", "1999-06-01T00:00:00Z", "2026-11-30T10:00:00Z"];
      const ids = times.map((_, i) => `mv_${i}`);
      await store.query(
        `SELECT * FROM record_events(ARRAY['mv_a', 'mv_b'], $1::text[], $2::text[], $3::text[], $4::numeric[], $5::timestamptz[], $6::boolean[], $7::text[], $8::text[], $9::jsonb[], ARRAY[]::text[], ARRAY[]::text[], ARRAY[]::text[])`,
        [ids, ids.map((_, i) => (i % 2 === 0 ? "mv_a" : "mv_b")), ids.map(() => "api_calls"), ids.map((_, i) => `${i + 1}.5`), times, ids.map(() => true), ids.map(() => "usage"), ids.map(() => null), ids.map(() => "{}")],
      );
      const before = await store.query<{ customer_id: string; total: string }>("SELECT customer_id, sum(quantity)::text AS total FROM usage_events GROUP BY 1 ORDER BY 1");

      await migrate(store, all);

      const after = await store.query<{ customer_id: string; total: string }>("SELECT customer_id, sum(quantity)::text AS total FROM usage_events GROUP BY 1 ORDER BY 1");
      expect(after.rows).toEqual(before.rows);
      expect(await homes(store)).toEqual({
        mv_0: "usage_events_2026_01",
        mv_1: "usage_events_2026_02",
        mv_2: "usage_events_2026_02",
        // More than 20 years back: the default partition keeps it.
        mv_3: "usage_events_default",
        mv_4: "usage_events_2026_11",
      });
      const claimed = await store.query<{ transaction_id: string }>("SELECT transaction_id FROM usage_transaction_ids ORDER BY 1");
      expect(claimed.rows.map((row) => row.transaction_id)).toEqual(ids);
      expect(await findRollupMismatches(store)).toEqual([]);
      const months = (await listLedgerMonths(store)).map((m) => m.month);
      for (const offset of [-1, 0, 1, 2, 3]) expect(months).toContain(monthKey(offset).replace("_", "-"));
    });
  });

  describe("recording, months ahead and archiving", () => {
    let store: TestStore;
    let hub: Hub;
    beforeAll(async () => {
      store = await openTestStore();
      hub = await createHub({ catalog: ledgerCatalog }, { store, now: clock.now });
      for (const id of ["pt_a", "pt_b"]) await createCustomer(store, id);
    });
    afterAll(() => store.cleanup());

    it("keeps a transaction id unique across months: the same id at another time is a conflict, not a second event", async () => {
      await hub.record({ customerId: "pt_a", meter: "api_calls", quantity: 5, timestamp: "2026-09-03T00:00:00Z", transactionId: "pt_once" });
      await expect(hub.record({ customerId: "pt_a", meter: "api_calls", quantity: 5, timestamp: "2026-10-03T00:00:00Z", transactionId: "pt_once" })).rejects.toMatchObject({ code: "IDEMPOTENCY_CONFLICT" });
      const again = await hub.record({ customerId: "pt_a", meter: "api_calls", quantity: 5, timestamp: "2026-09-03T00:00:00Z", transactionId: "pt_once" });
      expect(again.status).toBe("duplicate");
      const { rows } = await store.query("SELECT 1 FROM usage_events WHERE transaction_id = 'pt_once'");
      expect(rows).toHaveLength(1);
    });

    it("keeps a backdated event without a partition in the default partition, then moves it into its month when that month is created", async () => {
      await hub.record({ customerId: "pt_b", meter: "api_calls", quantity: 2, timestamp: "2019-03-04T05:06:07Z", transactionId: "pt_old" });
      expect((await homes(store)).pt_old).toBe("usage_events_default");
      // pt_once's September too (the months created ahead start at the previous month).
      expect(await ensureLedgerPartitions(store)).toBe(2);
      expect(await homes(store)).toMatchObject({ pt_old: "usage_events_2019_03", pt_once: "usage_events_2026_09" });
      expect(await ensureLedgerPartitions(store)).toBe(0);
      const again = await hub.record({ customerId: "pt_b", meter: "api_calls", quantity: 2, timestamp: "2019-03-04T05:06:07Z", transactionId: "pt_old" });
      expect(again.status).toBe("duplicate");
    });

    it("refuses to archive a month with events outside invoiced periods, and archives it once they are, keeping its rollups and ids", async () => {
      await hub.record({ customerId: "pt_a", meter: "api_calls", quantity: 7, timestamp: "2026-09-20T08:00:00Z", transactionId: "pt_sept" });
      const september = { customerId: "pt_a", from: new Date("2026-09-01T00:00:00Z"), to: new Date("2026-10-01T00:00:00Z") };
      const rollupsBefore = await store.query("SELECT customer_id, meter, bucket_start, quantity_sum::text FROM usage_rollups WHERE bucket_start < '2026-10-01' AND bucket_start >= '2026-09-01' ORDER BY 1, 2, 3");

      const refused = await archiveLedgerMonths(store, parseMonth("2026-10", "before"));
      const sept = refused.find((m) => m.month === "2026-09")!;
      expect(sept).toMatchObject({ archived: false, events: 2, table: "usage_events_2026_09" });
      expect(sept.reason).toContain("2 events are of 1 customer outside any invoiced (closed) period");
      // 2019-03 holds pt_b's event, whose period is not closed either.
      expect(refused.find((m) => m.month === "2019-03")).toMatchObject({ archived: false });

      await store.transaction((tx) => closePeriod(tx, september));
      const outcomes = await archiveLedgerMonths(store, parseMonth("2026-10", "before"));
      expect(outcomes.find((m) => m.month === "2026-09")).toEqual({ month: "2026-09", archived: true, events: 2, table: "usage_events_archived_2026_09" });
      expect(Object.values(await homes(store))).not.toContain("usage_events_2026_09");
      const archivedCopy = await store.query<{ transaction_id: string }>("SELECT transaction_id FROM usage_events_archived_2026_09 ORDER BY 1");
      expect(archivedCopy.rows.map((row) => row.transaction_id)).toEqual(["pt_once", "pt_sept"]);
      const rollupsAfter = await store.query("SELECT customer_id, meter, bucket_start, quantity_sum::text FROM usage_rollups WHERE bucket_start < '2026-10-01' AND bucket_start >= '2026-09-01' ORDER BY 1, 2, 3");
      expect(rollupsAfter.rows).toEqual(rollupsBefore.rows);
      expect(await findRollupMismatches(store)).toEqual([]);
      expect((await listLedgerMonths(store)).find((m) => m.month === "2026-09")).toMatchObject({ archived: true, events: 2, table: "usage_events_archived_2026_09" });

      // A retry of an archived event is refused, never recorded a second time.
      await expect(hub.record({ customerId: "pt_a", meter: "api_calls", quantity: 7, timestamp: "2026-09-20T08:00:00Z", transactionId: "pt_sept" })).rejects.toMatchObject({
        code: "IDEMPOTENCY_CONFLICT",
        message: expect.stringContaining("in 2026-09, whose ledger is archived"),
      });
      const { rows } = await store.query("SELECT 1 FROM usage_events WHERE transaction_id = 'pt_sept'");
      expect(rows).toHaveLength(0);
      // An archived month's partition is not created again.
      await ensureLedgerPartitions(store);
      expect((await listLedgerMonths(store)).filter((m) => m.month === "2026-09")).toHaveLength(1);
    });

    it("refuses to archive a month whose events still wait in the outbox", async () => {
      await hub.record({ customerId: "pt_b", meter: "api_calls", quantity: 1, timestamp: "2026-08-10T00:00:00Z", transactionId: "pt_aug" });
      await store.query("INSERT INTO usage_outbox (transaction_id, customer_id, provider, role) VALUES ('pt_aug', 'pt_b', 'stripe', 'primary')");
      await store.transaction((tx) => closePeriod(tx, { customerId: "pt_b", from: new Date("2026-08-01T00:00:00Z"), to: new Date("2026-09-01T00:00:00Z") }));
      const outcomes = await archiveLedgerMonths(store, parseMonth("2026-09", "before"), { drop: true });
      expect(outcomes.find((m) => m.month === "2026-08")).toMatchObject({ archived: false, reason: expect.stringContaining("1 pending") });
      await store.query("UPDATE usage_outbox SET status = 'delivered', delivered_at = now(), outcome = 'delivered' WHERE transaction_id = 'pt_aug'");
      const dropped = await archiveLedgerMonths(store, parseMonth("2026-09", "before"), { drop: true });
      expect(dropped.find((m) => m.month === "2026-08")).toEqual({ month: "2026-08", archived: true, events: 1, table: null });
      const left = await store.query("SELECT to_regclass('usage_events_2026_08') AS t");
      expect(left.rows[0]).toEqual({ t: null });
    });

    it("refuses a month that is not YYYY-MM with a clear error", () => {
      expect(() => parseMonth("2026-13", "before")).toThrow(expect.objectContaining({ code: "VALIDATION_FAILED", field: "before", message: expect.stringContaining("YYYY-MM") }));
      expect(() => parseMonth("26-01", "before")).toThrow(expect.objectContaining({ code: "VALIDATION_FAILED" }));
    });
  });
});
