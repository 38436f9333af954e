import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHub, type Hub } from "../../../src/hub.ts";
import { recordUsage } from "../../../src/hub/ledger.ts";
import type { HubContext } from "../../../src/hub/context.ts";
import { contextOf } from "../../../src/hub/hub-internals.ts";
import type { BillingError } from "../../../src/core/errors.ts";
import { driverName, openTestStore, type TestStore } from "../../support/store.ts";
import { createCustomer, ledgerCatalog, ledgerCount, testClock } from "../../support/ledger.ts";

let store: TestStore;
let hub: Hub;
let ctx: HubContext;
const clock = testClock("2026-03-10T12:00:00.000Z");

beforeAll(async () => {
  store = await openTestStore();
  hub = await createHub({ catalog: ledgerCatalog }, { store, now: clock.now });
  ctx = contextOf(hub);
  await createCustomer(store, "cus_a");
  await createCustomer(store, "cus_b");
});
afterAll(() => store.cleanup());

const event = (transactionId: string, quantity: string | number = 1, customerId = "cus_a") => ({ customerId, meter: "api_calls", quantity, transactionId });

async function rejection(promise: Promise<unknown>): Promise<BillingError> {
  try {
    await promise;
  } catch (error) {
    return error as BillingError;
  }
  throw new Error("expected the call to be refused");
}

describe(`hub.recordBatch (${driverName})`, () => {
  it("answers one result per event in input order, created and duplicate mixed", async () => {
    await hub.record(event("batch_seen", 2));
    const results = await hub.recordBatch([event("batch_new_1", 1), event("batch_seen", 2), event("batch_new_2", 3, "cus_b")]);
    expect(results.map((r) => [r.status, r.event.transactionId, r.event.quantity])).toEqual([
      ["created", "batch_new_1", "1"],
      ["duplicate", "batch_seen", "2"],
      ["created", "batch_new_2", "3"],
    ]);
    expect(await ledgerCount(store, ["batch_new_1", "batch_seen", "batch_new_2"])).toBe(3);
  });

  it("answers all duplicates with the original events when the whole batch is retried", async () => {
    const batch = [event("retry_1", 1), event("retry_2", "0.5"), event("retry_3", 7, "cus_b")];
    const first = await hub.recordBatch(batch);
    clock.advance(5000);
    const again = await hub.recordBatch(batch);
    expect(again.map((r) => r.status)).toEqual(["duplicate", "duplicate", "duplicate"]);
    expect(again.map((r) => r.event)).toEqual(first.map((r) => r.event));
    expect(await ledgerCount(store, ["retry_1", "retry_2", "retry_3"])).toBe(3);
  });

  it("records a transaction id repeated with the same content once and answers duplicate for the repeat", async () => {
    const results = await hub.recordBatch([event("inbatch_same", 4), event("inbatch_other", 1), event("inbatch_same", "4.0")]);
    expect(results.map((r) => r.status)).toEqual(["created", "created", "duplicate"]);
    expect(results[2]!.event).toEqual(results[0]!.event);
    expect(await ledgerCount(store, ["inbatch_same"])).toBe(1);
  });

  it("refuses a batch that repeats a transaction id with other content with IDEMPOTENCY_CONFLICT, recording nothing", async () => {
    const error = await rejection(hub.recordBatch([event("inbatch_ok", 1), event("inbatch_conflict", 1), event("inbatch_conflict", 2)]));
    expect(error).toMatchObject({ code: "IDEMPOTENCY_CONFLICT", field: "events.2.transactionId" });
    expect(await ledgerCount(store, ["inbatch_ok", "inbatch_conflict"])).toBe(0);
  });

  it("refuses a whole batch with per-item errors when any item is invalid, recording nothing", async () => {
    const error = await rejection(
      hub.recordBatch([event("val_ok_0"), event("val_ok_1"), event("val_ok_2"), event("val_bad_3", "-1"), { ...event("val_bad_4"), meter: "nope" }]),
    );
    expect(error).toMatchObject({ code: "INVALID_AMOUNT", field: "events.3.quantity" });
    expect(error.message).toMatch(/2 problem\(s\) in 5 event\(s\), nothing was recorded/);
    expect(error.details?.items).toEqual([
      expect.objectContaining({ index: 3, field: "events.3.quantity", code: "INVALID_AMOUNT" }),
      expect.objectContaining({ index: 4, field: "events.4.meter", code: "UNKNOWN_METER" }),
    ]);
    expect(await ledgerCount(store, ["val_ok_0", "val_ok_1", "val_ok_2", "val_bad_3", "val_bad_4"])).toBe(0);
  });

  it("refuses a batch with an unknown customer, naming the item, recording nothing", async () => {
    const error = await rejection(hub.recordBatch([event("cust_ok"), event("cust_bad", 1, "cus_ghost")]));
    expect(error).toMatchObject({ code: "CUSTOMER_NOT_FOUND", field: "events.1.customerId" });
    expect(await ledgerCount(store, ["cust_ok", "cust_bad"])).toBe(0);
  });

  it("refuses a batch with an item that conflicts with a stored event, recording nothing; the batch without it then records", async () => {
    await hub.record(event("stored_conflict", 1));
    const batch = [event("conf_new_1"), event("stored_conflict", 9), event("conf_new_2")];
    const error = await rejection(hub.recordBatch(batch));
    expect(error).toMatchObject({ code: "IDEMPOTENCY_CONFLICT", field: "events.1.transactionId" });
    expect(error.details?.items).toHaveLength(1);
    expect(await ledgerCount(store, ["conf_new_1", "conf_new_2"])).toBe(0);
    const fixed = await hub.recordBatch([batch[0]!, batch[2]!]);
    expect(fixed.map((r) => r.status)).toEqual(["created", "created"]);
  });

  it("accepts 1,000 events in one call and refuses 1,001 with INVALID_USAGE on events", async () => {
    const many = Array.from({ length: 1000 }, (_, i) => event(`bulk_${i}`, i % 7, i % 2 === 0 ? "cus_a" : "cus_b"));
    const results = await hub.recordBatch(many);
    expect(results.every((r) => r.status === "created")).toBe(true);
    expect(results.map((r) => r.event.transactionId)).toEqual(many.map((e) => e.transactionId));
    await expect(hub.recordBatch([...many, event("bulk_1000")])).rejects.toMatchObject({ code: "INVALID_USAGE", field: "events" });
    expect(await ledgerCount(store, ["bulk_1000"])).toBe(0);
  });

  it("answers an empty batch with no results", async () => {
    expect(await hub.recordBatch([])).toEqual([]);
  });

  it("refuses something that is not an array", async () => {
    await expect(hub.recordBatch({} as never)).rejects.toMatchObject({ code: "INVALID_USAGE", field: "events" });
  });
});

describe(`recordUsage on the caller's transaction (${driverName})`, () => {
  it("commits with the caller's transaction", async () => {
    const results = await store.transaction(async (tx) => recordUsage(tx, ctx, [event("tx_commit_1"), event("tx_commit_2")]));
    expect(results.map((r) => r.status)).toEqual(["created", "created"]);
    expect(await ledgerCount(store, ["tx_commit_1", "tx_commit_2"])).toBe(2);
  });

  it("rolls back with the caller's transaction, leaving no ledger row", async () => {
    await expect(
      store.transaction(async (tx) => {
        await recordUsage(tx, ctx, [event("tx_rollback")]);
        throw new Error("the caller changed its mind");
      }),
    ).rejects.toThrow("the caller changed its mind");
    expect(await ledgerCount(store, ["tx_rollback"])).toBe(0);
  });

  it("leaves nothing of a refused call written, even when the caller catches the error and commits", async () => {
    await hub.record(event("tx_stored", 1));
    await store.transaction(async (tx) => {
      await expect(recordUsage(tx, ctx, [event("tx_first"), event("tx_stored", 2), event("tx_last")])).rejects.toMatchObject({ code: "IDEMPOTENCY_CONFLICT" });
      await recordUsage(tx, ctx, [event("tx_after")]);
    });
    expect(await ledgerCount(store, ["tx_first", "tx_last"])).toBe(0);
    expect(await ledgerCount(store, ["tx_after"])).toBe(1);
  });

  it("names items as events.N in its errors", async () => {
    await expect(store.transaction((tx) => recordUsage(tx, ctx, [event("tx_bad", "x")]))).rejects.toMatchObject({ code: "INVALID_AMOUNT", field: "events.0.quantity" });
  });
});
