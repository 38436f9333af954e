import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHub, type Hub } from "../../../src/hub.ts";
import { driverName, openTestStore, type TestStore } from "../../support/store.ts";
import { createCustomer, ledgerCatalog, ledgerCount, testClock } from "../../support/ledger.ts";

let store: TestStore;
let hub: Hub;
const clock = testClock("2026-03-10T12:00:00.000Z");

beforeAll(async () => {
  store = await openTestStore();
  hub = await createHub({ catalog: ledgerCatalog }, { store, now: clock.now });
  await createCustomer(store, "cus_1");
  await createCustomer(store, "cus_2");
});
afterAll(() => store.cleanup());

describe(`hub.record (${driverName})`, () => {
  it("records an event and answers created with the stored event, timestamped now by default", async () => {
    const result = await hub.record({ customerId: "cus_1", meter: "llm_tokens", quantity: 1500, transactionId: "rec_created", properties: { model: "gpt-5" } });
    expect(result.status).toBe("created");
    expect(result.event).toMatchObject({
      transactionId: "rec_created",
      customerId: "cus_1",
      meter: "llm_tokens",
      quantity: "1500",
      timestamp: new Date("2026-03-10T12:00:00.000Z"),
      kind: "usage",
      reason: null,
      properties: { model: "gpt-5" },
    });
    expect(result.event.recordedAt).toBeInstanceOf(Date);
    const { rows } = await store.query("SELECT quantity::text AS quantity, occurred_at, timestamp_given FROM usage_events WHERE transaction_id = 'rec_created'");
    expect(rows).toEqual([{ quantity: "1500", occurred_at: new Date("2026-03-10T12:00:00.000Z"), timestamp_given: false }]);
  });

  it("keeps quantities exact: 0.1 + 0.2 GB-hours is 0.3, and 30 decimal digits survive", async () => {
    await hub.record({ customerId: "cus_2", meter: "storage_gb_hours", quantity: "0.1", transactionId: "rec_exact_1" });
    await hub.record({ customerId: "cus_2", meter: "storage_gb_hours", quantity: 0.2, transactionId: "rec_exact_2" });
    const big = await hub.record({ customerId: "cus_2", meter: "llm_tokens", quantity: "123456789012345678901234.000001", transactionId: "rec_exact_3" });
    expect(big.event.quantity).toBe("123456789012345678901234.000001");
    const usage = await hub.usage({ customerId: "cus_2", meter: "storage_gb_hours", window: "month" });
    expect(usage.value).toBe("0.3");
  });

  it("stores a backdated event at its own timestamp", async () => {
    const result = await hub.record({ customerId: "cus_2", meter: "api_calls", quantity: 3, transactionId: "rec_backdated", timestamp: "2026-01-15T08:30:00+01:00" });
    expect(result.event.timestamp).toEqual(new Date("2026-01-15T07:30:00Z"));
    expect((await hub.usage({ customerId: "cus_2", meter: "api_calls", window: { from: "2026-01-01T00:00:00Z", to: "2026-02-01T00:00:00Z" } })).value).toBe("3");
    expect((await hub.usage({ customerId: "cus_2", meter: "api_calls", window: "month" })).value).toBe("0");
  });
});

describe(`idempotency (${driverName})`, () => {
  it("answers duplicate with the original event for the same transactionId and content, keeping one row", async () => {
    const first = await hub.record({ customerId: "cus_1", meter: "api_calls", quantity: "1.50", transactionId: "idem_same", properties: { a: 1, b: "x" } });
    clock.advance(1000);
    const again = await hub.record({ customerId: "cus_1", meter: "api_calls", quantity: 1.5, transactionId: "idem_same", properties: { b: "x", a: 1 } });
    expect(again.status).toBe("duplicate");
    expect(again.event).toEqual(first.event);
    expect(await ledgerCount(store, ["idem_same"])).toBe(1);
  });

  it("treats a retry that omitted the timestamp as a duplicate although now has moved on", async () => {
    const first = await hub.record({ customerId: "cus_1", meter: "api_calls", quantity: 2, transactionId: "idem_no_ts" });
    clock.advance(60_000);
    const again = await hub.record({ customerId: "cus_1", meter: "api_calls", quantity: 2, transactionId: "idem_no_ts" });
    expect(again).toEqual({ status: "duplicate", event: first.event });
  });

  it("compares timestamps only when both calls gave one", async () => {
    await hub.record({ customerId: "cus_1", meter: "api_calls", quantity: 2, transactionId: "idem_ts_once", timestamp: "2026-03-09T00:00:00Z" });
    expect((await hub.record({ customerId: "cus_1", meter: "api_calls", quantity: 2, transactionId: "idem_ts_once" })).status).toBe("duplicate");
    await hub.record({ customerId: "cus_1", meter: "api_calls", quantity: 2, transactionId: "idem_ts_later" });
    expect((await hub.record({ customerId: "cus_1", meter: "api_calls", quantity: 2, transactionId: "idem_ts_later", timestamp: "2026-03-01T00:00:00Z" })).status).toBe("duplicate");
  });

  it.each([
    ["a different quantity", { quantity: 6 }],
    ["a different customer", { customerId: "cus_2" }],
    ["a different meter", { meter: "llm_tokens" }],
    ["a different explicit timestamp", { timestamp: "2026-03-09T00:00:01Z" }],
    ["different properties", { properties: { model: "other" } }],
    ["another kind", { kind: "correction" as const, reason: "late" }],
  ])("refuses a second record with %s with IDEMPOTENCY_CONFLICT and keeps the original", async (_label, change) => {
    const id = `idem_conflict_${Object.keys(change).join("_")}`;
    const original = { customerId: "cus_1", meter: "api_calls", quantity: 5, transactionId: id, timestamp: "2026-03-09T00:00:00Z", properties: { model: "gpt" } };
    await hub.record(original);
    await expect(hub.record({ ...original, ...change })).rejects.toMatchObject({ code: "IDEMPOTENCY_CONFLICT", field: "transactionId", status: 409 });
    const { rows } = await store.query("SELECT customer_id, meter, quantity::text AS quantity FROM usage_events WHERE transaction_id = $1", [id]);
    expect(rows).toEqual([{ customer_id: "cus_1", meter: "api_calls", quantity: "5" }]);
  });
});

describe(`refused records write nothing (${driverName})`, () => {
  async function refused(input: Record<string, unknown>, code: string, field: string): Promise<void> {
    const before = await store.query<{ n: number }>("SELECT count(*)::int AS n FROM usage_events");
    await expect(hub.record(input as never)).rejects.toMatchObject({ name: "BillingError", code, field });
    const after = await store.query<{ n: number }>("SELECT count(*)::int AS n FROM usage_events");
    expect(after.rows[0]!.n).toBe(before.rows[0]!.n);
  }
  const base = { customerId: "cus_1", meter: "api_calls", quantity: 1, transactionId: "bad_1" };

  it("refuses an unknown customer with CUSTOMER_NOT_FOUND", async () => {
    await refused({ ...base, customerId: "cus_nobody" }, "CUSTOMER_NOT_FOUND", "customerId");
  });

  it("refuses an unknown meter with UNKNOWN_METER listing the valid meters", async () => {
    await refused({ ...base, meter: "api_call" }, "UNKNOWN_METER", "meter");
    await expect(hub.record({ ...base, meter: "api_call" })).rejects.toThrow(/valid meters: active_models, api_calls, llm_tokens/);
  });

  it.each([
    ["a negative quantity", -1],
    ["a negative decimal string", "-0.5"],
    ["text", "ten"],
    ["a comma decimal", "1,5"],
    ["NaN", Number.NaN],
    ["Infinity", Number.POSITIVE_INFINITY],
    ["an integer past 2^53 given as a number", 2 ** 60],
    ["more than 18 decimal places", "0.0000000000000000001"],
    ["more than 38 digits", "1".repeat(39)],
    ["an object", { value: 1 }],
    ["nothing", undefined],
  ])("refuses %s as quantity with INVALID_AMOUNT naming the field", async (_label, quantity) => {
    await refused({ ...base, quantity }, "INVALID_AMOUNT", "quantity");
  });

  it.each([
    ["an empty id", ""],
    ["an id of 101 characters", "x".repeat(101)],
    ["an id with a space", "order 1"],
    ["an id with a NUL", "a\u0000b"],
    ["a number", 42],
  ])("refuses %s as transactionId with INVALID_USAGE", async (_label, transactionId) => {
    await refused({ ...base, transactionId }, "INVALID_USAGE", "transactionId");
  });

  it.each([
    ["words", "yesterday"],
    ["a local time without a zone", "2026-03-01T10:00:00"],
    ["an invalid Date", new Date("nope")],
    ["a time more than 5 minutes ahead", "2026-03-10T12:10:00Z"],
    ["epoch seconds", 1767225600],
  ])("refuses %s as timestamp with INVALID_USAGE", async (_label, timestamp) => {
    clock.set("2026-03-10T12:00:00.000Z");
    await refused({ ...base, timestamp }, "INVALID_USAGE", "timestamp");
  });

  it("accepts a timestamp a few minutes ahead (clock skew)", async () => {
    clock.set("2026-03-10T12:00:00.000Z");
    const result = await hub.record({ ...base, transactionId: "skewed", timestamp: "2026-03-10T12:04:00Z" });
    expect(result.status).toBe("created");
  });

  it.each([
    ["an array", ["model"], "properties"],
    ["a NUL inside a nested value", { tags: ["a\u0000"] }, "properties.tags.0"],
    ["more than 50 keys", Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, i])), "properties"],
    ["more than 8 KB of JSON", { blob: "x".repeat(9000) }, "properties"],
    ["an undefined value", { model: undefined }, "properties.model"],
    ["a Date value", { at: new Date() }, "properties.at"],
    ["a NaN value", { score: Number.NaN }, "properties.score"],
    ["a Map value", { tags: new Map() }, "properties.tags"],
    ["nesting deeper than 10 levels", { a: [[[[[[[[[[1]]]]]]]]]] }, "properties.a.0.0.0.0.0.0.0.0.0"],
  ])("refuses %s as properties with INVALID_USAGE", async (_label, properties, field) => {
    await refused({ ...base, properties }, "INVALID_USAGE", field);
  });

  it("refuses a misspelt option instead of ignoring it, naming it", async () => {
    await refused({ ...base, quantiy: 1 }, "INVALID_USAGE", "quantiy");
  });

  it("refuses a correction without a reason", async () => {
    await refused({ ...base, kind: "correction" }, "INVALID_USAGE", "reason");
  });

  it("refuses refund as a record kind (refunds go through adjust)", async () => {
    await refused({ ...base, kind: "refund", reason: "x" }, "INVALID_USAGE", "kind");
  });
});
