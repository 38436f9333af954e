import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHub, type Hub } from "../../../src/hub.ts";
import { closePeriod } from "../../../src/hub/ledger.ts";
import { driverName, openTestStore, type TestStore } from "../../support/store.ts";
import { createCustomer, ledgerCatalog, ledgerCount, testClock } from "../../support/ledger.ts";

let store: TestStore;
let hub: Hub;
const clock = testClock("2026-03-10T12:00:00.000Z");
const february = { from: new Date("2026-02-01T00:00:00Z"), to: new Date("2026-03-01T00:00:00Z") };
const january = { from: new Date("2026-01-01T00:00:00Z"), to: new Date("2026-02-01T00:00:00Z") };

beforeAll(async () => {
  store = await openTestStore();
  hub = await createHub({ catalog: ledgerCatalog }, { store, now: clock.now });
  await createCustomer(store, "cus_closed");
  await createCustomer(store, "cus_open");
  await hub.record({ customerId: "cus_closed", meter: "api_calls", quantity: 10, transactionId: "before_close", timestamp: "2026-02-10T00:00:00Z" });
  await store.transaction((tx) => closePeriod(tx, { customerId: "cus_closed", ...february, reference: "inv_feb" }));
});
afterAll(() => store.cleanup());

const feb = (transactionId: string, extra: Record<string, unknown> = {}) => ({
  customerId: "cus_closed",
  meter: "api_calls",
  quantity: 5,
  transactionId,
  timestamp: "2026-02-20T00:00:00Z",
  ...extra,
});

describe(`closed periods (${driverName})`, () => {
  it("refuses usage timestamped in a closed period with PERIOD_CLOSED and records nothing", async () => {
    await expect(hub.record(feb("late_feb"))).rejects.toMatchObject({ code: "PERIOD_CLOSED", field: "timestamp", status: 409 });
    expect(await ledgerCount(store, ["late_feb"])).toBe(0);
  });

  it("treats the period as half-open: the first instant is closed, the end instant is not", async () => {
    await expect(hub.record(feb("feb_first_instant", { timestamp: "2026-02-01T00:00:00Z" }))).rejects.toMatchObject({ code: "PERIOD_CLOSED" });
    const after = await hub.record(feb("march_first_instant", { timestamp: "2026-03-01T00:00:00Z" }));
    expect(after.status).toBe("created");
  });

  it("accepts the same usage as an explicit correction with a reason, counted in the period", async () => {
    const result = await hub.record(feb("feb_correction", { kind: "correction", reason: "import job missed 5 calls" }));
    expect(result.event).toMatchObject({ kind: "correction", reason: "import job missed 5 calls", quantity: "5" });
    const usage = await hub.usage({ customerId: "cus_closed", meter: "api_calls", window: { from: february.from, to: february.to } });
    expect(usage.value).toBe("15");
  });

  it("accepts a negative correction on a sum meter to take usage back from a closed period", async () => {
    await hub.record(feb("feb_takeback", { kind: "correction", quantity: "-3", reason: "double-counted retries" }));
    const usage = await hub.usage({ customerId: "cus_closed", meter: "api_calls", window: { from: february.from, to: february.to } });
    expect(usage.value).toBe("12");
  });

  it("answers duplicate, not PERIOD_CLOSED, for a retry of usage recorded before the period closed", async () => {
    const again = await hub.record({ customerId: "cus_closed", meter: "api_calls", quantity: 10, transactionId: "before_close", timestamp: "2026-02-10T00:00:00Z" });
    expect(again.status).toBe("duplicate");
  });

  it("refuses the whole batch when one item falls in a closed period, naming it", async () => {
    await expect(
      hub.recordBatch([
        { customerId: "cus_closed", meter: "api_calls", quantity: 1, transactionId: "batch_march" },
        feb("batch_feb"),
        { customerId: "cus_open", meter: "api_calls", quantity: 1, transactionId: "batch_open_feb", timestamp: "2026-02-20T00:00:00Z" },
      ]),
    ).rejects.toMatchObject({ code: "PERIOD_CLOSED", field: "events.1.timestamp", details: { items: [expect.objectContaining({ index: 1 })] } });
    expect(await ledgerCount(store, ["batch_march", "batch_feb", "batch_open_feb"])).toBe(0);
  });

  it("closes periods per customer: another customer's February stays open", async () => {
    const result = await hub.record({ customerId: "cus_open", meter: "api_calls", quantity: 1, transactionId: "open_feb", timestamp: "2026-02-20T00:00:00Z" });
    expect(result.status).toBe("created");
  });

  it("refuses refunds into a closed period too", async () => {
    await expect(
      hub.adjust({ customerId: "cus_closed", meter: "api_calls", kind: "refund", quantity: 2, reason: "outage", transactionId: "feb_refund", timestamp: "2026-02-15T00:00:00Z" }),
    ).rejects.toMatchObject({ code: "PERIOD_CLOSED" });
  });

  it("treats closing the same period again as a no-op and allows closing another one", async () => {
    expect(await store.transaction((tx) => closePeriod(tx, { customerId: "cus_closed", ...february }))).toEqual({ alreadyClosed: true });
    expect(await store.transaction((tx) => closePeriod(tx, { customerId: "cus_closed", ...january }))).toEqual({ alreadyClosed: false });
    await expect(hub.record(feb("late_jan", { timestamp: "2026-01-31T23:59:59.999Z" }))).rejects.toMatchObject({ code: "PERIOD_CLOSED" });
  });

  it("refuses to close a period of an unknown customer or with from ≥ to", async () => {
    await expect(store.transaction((tx) => closePeriod(tx, { customerId: "cus_ghost", ...february }))).rejects.toMatchObject({ code: "CUSTOMER_NOT_FOUND" });
    await expect(store.transaction((tx) => closePeriod(tx, { customerId: "cus_closed", from: february.to, to: february.from }))).rejects.toMatchObject({
      code: "VALIDATION_FAILED",
    });
    await expect(store.transaction((tx) => closePeriod(tx, { customerId: "cus_closed", from: new Date("x"), to: february.to }))).rejects.toMatchObject({
      code: "VALIDATION_FAILED",
    });
  });
});
