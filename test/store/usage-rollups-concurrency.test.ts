import { afterAll, beforeAll, expect, it } from "vitest";
import { queryUsageTotals } from "../../src/store/ledger/aggregate.ts";
import { insertEvents, type LedgerRow } from "../../src/store/ledger/insert-events.ts";
import { compactRollups } from "../../src/store/rollups/compact-rollups.ts";
import { findRollupMismatches } from "../../src/store/rollups/verify-rollups.ts";
import { createCustomer, ledgerCatalog } from "../support/ledger.ts";
import { describeOnPostgres, openTestStore, type TestStore } from "../support/store.ts";

const HOURS = 6;
const BATCHES = 8;
const PER_BATCH = 400;
const START = Date.parse("2026-04-01T00:00:00Z");

/** Event `n` of round `r`: spread over the same few hours of two customers and two meters. */
function event(r: number, n: number): LedgerRow {
  return {
    transactionId: `cc${r}_${n}`,
    customerId: n % 3 === 0 ? "conc_b" : "conc_a",
    meter: n % 2 === 0 ? "api_calls" : "peak_seats",
    quantity: String((n * 7) % 13),
    occurredAt: new Date(START + ((n * 7919) % (HOURS * 3_600_000))),
    timestampGiven: true,
    kind: "usage",
    reason: null,
    propertiesJson: "{}",
  };
}

/**
 * Batch `b` of round `r`: new events of its own (no other batch of the round holds them, so
 * nothing makes the batches wait for each other before they reach the rollups of the same
 * hours), in an order of its own, plus resends of the previous round's events (duplicates).
 */
function batch(r: number, b: number): LedgerRow[] {
  const rows = Array.from({ length: PER_BATCH }, (_, i) => event(r, b * PER_BATCH + i));
  if (r > 0) rows.push(...Array.from({ length: 20 }, (_, i) => event(r - 1, b * PER_BATCH + i * 7)));
  return b % 2 === 0 ? rows : rows.reverse();
}

describeOnPostgres("usage rollups under concurrent recording", () => {
  let store: TestStore;
  beforeAll(async () => {
    store = await openTestStore();
    for (const id of ["conc_a", "conc_b"]) await createCustomer(store, id);
  });
  afterAll(() => store.cleanup());

  it("lets concurrent batches into the same customers' hours finish without a deadlock, and the rollups still match the ledger", async () => {
    for (let round = 0; round < 5; round++) {
      const outcomes = await Promise.all(Array.from({ length: BATCHES }, (_, b) => store.transaction((tx) => insertEvents(tx, batch(round, b), []))));
      expect(outcomes.flat().every((outcome) => outcome.state === "inserted" || outcome.state === "duplicate")).toBe(true);
    }
    expect(await findRollupMismatches(store)).toEqual([]);
    const window = { from: new Date(START), to: new Date(START + HOURS * 3_600_000) };
    const totals = await queryUsageTotals(store, { scopes: [{ customerId: "conc_a", ...window }], meters: [ledgerCatalog.meters.api_calls!] });
    const { rows } = await store.query<{ total: string }>("SELECT sum(quantity)::text AS total FROM usage_events WHERE customer_id = 'conc_a' AND meter = 'api_calls'");
    expect(totals).toEqual([{ customerId: "conc_a", from: window.from, meter: "api_calls", value: rows[0]!.total }]);
  });

  it("lets batches backdated into past days run while those days are compacted, without a deadlock, and every read stays exact", async () => {
    const dayAfter = new Date(START + 24 * 3_600_000);
    for (let round = 5; round < 10; round++) {
      const [compaction, ...outcomes] = await Promise.all([
        compactRollups(store, { before: dayAfter }),
        ...Array.from({ length: BATCHES }, (_, b) => store.transaction((tx) => insertEvents(tx, batch(round, b), []))),
      ]);
      expect(compaction.compactedBefore).toEqual(dayAfter);
      expect(outcomes.flat().every((outcome) => outcome.state === "inserted" || outcome.state === "duplicate")).toBe(true);
    }
    await compactRollups(store, { before: dayAfter });
    expect(await findRollupMismatches(store)).toEqual([]);
    const { rows: hourly } = await store.query<{ n: number }>("SELECT count(*)::int AS n FROM usage_rollups");
    expect(hourly[0]!.n).toBe(0);
    const month = { from: new Date("2026-04-01T00:00:00Z"), to: new Date("2026-05-01T00:00:00Z") };
    const totals = await queryUsageTotals(store, { scopes: [{ customerId: "conc_a", ...month }], meters: [ledgerCatalog.meters.api_calls!] });
    const { rows } = await store.query<{ total: string }>("SELECT sum(quantity)::text AS total FROM usage_events WHERE customer_id = 'conc_a' AND meter = 'api_calls'");
    expect(totals).toEqual([{ customerId: "conc_a", from: month.from, meter: "api_calls", value: rows[0]!.total }]);
  });
});
