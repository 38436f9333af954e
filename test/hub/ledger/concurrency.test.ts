import { afterAll, beforeAll, expect, it } from "vitest";
import { createHub, type Hub } from "../../../src/hub.ts";
import { closePeriod, meterUsage, recordUsage } from "../../../src/hub/ledger.ts";
import type { HubContext } from "../../../src/hub/context.ts";
import { contextOf } from "../../../src/hub/hub-internals.ts";
import { isBillingError } from "../../../src/core/errors.ts";
import { describeOnPostgres, openTestStore, type TestStore } from "../../support/store.ts";
import { createCustomer, ledgerCatalog, ledgerCount, outboxOf } from "../../support/ledger.ts";
import { waitFor } from "../../support/wait.ts";

/**
 * Resolves once some other connection waits on a lock, in a statement whose text mentions `text`
 * (a record waits inside its record_events() call, a close in its statement on customers).
 */
async function someoneWaitsOnALock(store: TestStore, text: "customers" | "record_events"): Promise<void> {
  await waitFor(`a transaction waiting on a lock in a statement mentioning ${text}`, async () => {
    const { rows } = await store.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database() AND query ILIKE '%' || $1 || '%' AND pid <> pg_backend_pid()",
      [text],
    );
    return rows[0]!.n > 0;
  }, { timeoutMs: 30_000, intervalMs: 10 });
}

function gate(): { wait: Promise<void>; open: () => void } {
  let open!: () => void;
  const wait = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { wait, open };
}

describeOnPostgres("concurrent records on PostgreSQL", () => {
  let store: TestStore;
  let hub: Hub;
  let ctx: HubContext;
  const february = { from: new Date("2026-02-01T00:00:00Z"), to: new Date("2026-03-01T00:00:00Z") };

  beforeAll(async () => {
    store = await openTestStore();
    hub = await createHub(
      { catalog: ledgerCatalog, provider: { default: "stripe", mirror: ["flowglad"] }, stripe: { secretKey: "sk_test_c" }, flowglad: { secretKey: "fg_c" } },
      { store, now: () => new Date("2026-03-10T12:00:00Z") },
    );
    ctx = contextOf(hub);
    for (const id of ["cus_c1", "cus_c2", "cus_race1", "cus_race2"]) await createCustomer(store, id);
  });
  afterAll(() => store.cleanup());

  it("ends 20 concurrent identical records as one ledger row and one outbox row per provider", async () => {
    const input = { customerId: "cus_c1", meter: "llm_tokens", quantity: "0.25", transactionId: "conc_same", properties: { model: "gpt-5" } };
    const results = await Promise.all(Array.from({ length: 20 }, () => hub.record(input)));
    expect(results.filter((r) => r.status === "created")).toHaveLength(1);
    expect(results.filter((r) => r.status === "duplicate")).toHaveLength(19);
    expect(new Set(results.map((r) => JSON.stringify(r.event))).size).toBe(1);
    expect(await ledgerCount(store, ["conc_same"])).toBe(1);
    expect((await outboxOf(store, ["conc_same"])).map((r) => `${r.provider}/${r.role}`)).toEqual(["flowglad/mirror", "stripe/primary"]);
  });

  it("gives one winner among 20 concurrent conflicting records and IDEMPOTENCY_CONFLICT to the rest", async () => {
    const settled = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => hub.record({ customerId: "cus_c1", meter: "llm_tokens", quantity: i + 1, transactionId: "conc_conflict" })),
    );
    const winners = settled.filter((s) => s.status === "fulfilled");
    const losers = settled.filter((s): s is PromiseRejectedResult => s.status === "rejected");
    expect(winners).toHaveLength(1);
    expect(losers).toHaveLength(19);
    expect(losers.every((l) => isBillingError(l.reason, "IDEMPOTENCY_CONFLICT"))).toBe(true);
    const { rows } = await store.query<{ quantity: string }>("SELECT quantity::text AS quantity FROM usage_events WHERE transaction_id = 'conc_conflict'");
    expect(rows).toEqual([{ quantity: (winners[0] as PromiseFulfilledResult<{ event: { quantity: string } }>).value.event.quantity }]);
    expect(await outboxOf(store, ["conc_conflict"])).toHaveLength(2);
  });

  it("records overlapping batches sent concurrently in different orders once each, without deadlock", async () => {
    const ids = Array.from({ length: 60 }, (_, i) => `conc_batch_${i}`);
    const batches = Array.from({ length: 8 }, (_, b) => {
      const rotated = [...ids.slice((b * 7) % ids.length), ...ids.slice(0, (b * 7) % ids.length)];
      const ordered = b % 2 === 0 ? rotated : rotated.reverse();
      return ordered.map((id) => ({ customerId: Number(id.split("_")[2]) % 2 ? "cus_c1" : "cus_c2", meter: "api_calls", quantity: 1, transactionId: id }));
    });
    const results = await Promise.all(batches.map((batch) => hub.recordBatch(batch)));
    const created = results.flat().filter((r) => r.status === "created").map((r) => r.event.transactionId);
    expect(created.sort()).toEqual([...ids].sort());
    expect(await ledgerCount(store, ids)).toBe(60);
    expect(await outboxOf(store, ids)).toHaveLength(120);
  });

  it("takes back a batch's inserts when a conflict shows up only after another transaction commits the same id", async () => {
    const inserted = gate();
    const release = gate();
    const first = store.transaction(async (tx) => {
      await recordUsage(tx, ctx, [{ customerId: "cus_c2", meter: "api_calls", quantity: 1, transactionId: "late_conflict" }]);
      inserted.open();
      await release.wait;
    });
    await inserted.wait;
    const batch = hub.recordBatch([
      { customerId: "cus_c2", meter: "api_calls", quantity: 1, transactionId: "late_a" },
      { customerId: "cus_c2", meter: "api_calls", quantity: 2, transactionId: "late_conflict" },
      { customerId: "cus_c2", meter: "api_calls", quantity: 1, transactionId: "late_z" },
    ]);
    const outcome = batch.then(
      () => "recorded",
      (error: unknown) => (isBillingError(error) ? error.code : String(error)),
    );
    await someoneWaitsOnALock(store, "record_events");
    release.open();
    await first;
    expect(await outcome).toBe("IDEMPOTENCY_CONFLICT");
    expect(await ledgerCount(store, ["late_a", "late_z"])).toBe(0);
    expect(await outboxOf(store, ["late_a", "late_z"])).toEqual([]);
    expect(await outboxOf(store, ["late_conflict"])).toHaveLength(2);
  });

  it("holds a record into a period that is being closed until the close commits, then refuses it with PERIOD_CLOSED", async () => {
    const closed = gate();
    const closing = gate();
    const close = store.transaction(async (tx) => {
      await closePeriod(tx, { customerId: "cus_race1", ...february });
      closed.open();
      await closing.wait;
    });
    await closed.wait;
    const record = hub.record({ customerId: "cus_race1", meter: "api_calls", quantity: 1, transactionId: "race_late", timestamp: "2026-02-27T00:00:00Z" });
    const recordOutcome = record.then(
      () => "recorded",
      (error: unknown) => (isBillingError(error) ? error.code : "other"),
    );
    await someoneWaitsOnALock(store, "record_events");
    closing.open();
    await close;
    expect(await recordOutcome).toBe("PERIOD_CLOSED");
    expect(await ledgerCount(store, ["race_late"])).toBe(0);
  });

  it("makes a close wait for a record in flight, so the invoice run reads that usage", async () => {
    const recorded = gate();
    const recording = gate();
    const record = store.transaction(async (tx) => {
      await recordUsage(tx, ctx, [{ customerId: "cus_race2", meter: "api_calls", quantity: 5, transactionId: "race_inflight", timestamp: "2026-02-27T00:00:00Z" }]);
      recorded.open();
      await recording.wait;
    });
    await recorded.wait;
    const invoiced = store.transaction(async (tx) => {
      await closePeriod(tx, { customerId: "cus_race2", ...february });
      return meterUsage(tx, ctx, { customerId: "cus_race2", meter: "api_calls", window: february });
    });
    await someoneWaitsOnALock(store, "customers");
    recording.open();
    await record;
    expect(await invoiced).toBe("5");
  });
});
