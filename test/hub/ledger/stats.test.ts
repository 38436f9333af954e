import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHub, type Hub } from "../../../src/hub.ts";
import { batchStats } from "../../../src/hub/ledger/stats.ts";
import type { HubContext } from "../../../src/hub/context.ts";
import { contextOf } from "../../../src/hub/hub-internals.ts";
import type { Sql } from "../../../src/store/types.ts";
import { driverName, openTestStore, type TestStore } from "../../support/store.ts";
import { createCustomer, ledgerCatalog, testClock } from "../../support/ledger.ts";

let store: TestStore;
let hub: Hub;
let ctx: HubContext;
const clock = testClock("2026-03-10T12:00:00.000Z");
const at = (iso: string) => new Date(iso);

beforeAll(async () => {
  store = await openTestStore();
  hub = await createHub({ catalog: ledgerCatalog }, { store, now: clock.now });
  ctx = contextOf(hub);
  await createCustomer(store, "cus_s");
  // Billing period Mar 5 – Apr 5.
  await createCustomer(store, "cus_t", { start: "2026-03-05T00:00:00Z", end: "2026-04-05T00:00:00Z" });
  const e = (id: string, customerId: string, meter: string, quantity: number | string, timestamp: string, properties?: Record<string, string>) => ({
    customerId,
    meter,
    quantity,
    transactionId: id,
    timestamp,
    ...(properties ? { properties } : {}),
  });
  await hub.recordBatch([
    e("s1", "cus_s", "api_calls", 5, "2026-03-02T10:00:00Z"),
    e("s2", "cus_s", "api_calls", 3, "2026-03-02T13:00:00Z", { region: "eu" }),
    e("s3", "cus_s", "api_calls", 2, "2026-03-03T01:00:00Z", { region: "us" }),
    e("s4", "cus_s", "api_calls", "4.5", "2026-03-03T23:59:59.999Z", { region: "eu" }),
    e("s5", "cus_s", "api_calls", 0, "2026-03-04T00:00:00Z"),
    e("s6", "cus_s", "api_calls", 100, "2026-03-05T00:00:00Z"),
    e("m1", "cus_s", "active_models", 1, "2026-03-02T13:00:00Z", { model: "a" }),
    e("m2", "cus_s", "active_models", 1, "2026-03-02T14:00:00Z", { model: "b" }),
    e("m3", "cus_s", "active_models", 1, "2026-03-03T14:00:00Z", { model: "a" }),
    e("l1", "cus_s", "storage_level", 10, "2026-03-02T13:00:00Z"),
    e("l2", "cus_s", "storage_level", 7, "2026-03-02T20:00:00Z"),
    e("l3", "cus_s", "storage_level", 9, "2026-03-03T20:00:00Z"),
    e("t1", "cus_t", "api_calls", 11, "2026-03-04T10:00:00Z"),
    e("t2", "cus_t", "api_calls", 13, "2026-03-06T10:00:00Z"),
    e("t3", "cus_t", "active_models", 1, "2026-03-06T10:00:00Z", { model: "z" }),
  ]);
});
afterAll(() => store.cleanup());

const window = { from: "2026-03-02T12:00:00Z", to: "2026-03-05T00:00:00Z" };

describe(`hub.ledger.stats (${driverName})`, () => {
  it("sums a meter per day, clipping the first bucket to the window and filling empty days with 0", async () => {
    const result = await hub.ledger.stats({ customerId: "cus_s", meter: "api_calls", window, groupBy: "day" });
    expect(result.buckets).toEqual([
      { from: at("2026-03-02T12:00:00Z"), to: at("2026-03-03T00:00:00Z"), value: "3" },
      { from: at("2026-03-03T00:00:00Z"), to: at("2026-03-04T00:00:00Z"), value: "6.5" },
      { from: at("2026-03-04T00:00:00Z"), to: at("2026-03-05T00:00:00Z"), value: "0" },
    ]);
    expect(result).toMatchObject({ total: "9.5", average: "3.166667", min: "0", max: "6.5", aggregation: "sum", groupBy: "day" });
    expect(result.window).toEqual({ from: at(window.from), to: at(window.to) });
  });

  it("counts distinct values per bucket and distinct values over the whole window as the total", async () => {
    const result = await hub.ledger.stats({ customerId: "cus_s", meter: "active_models", window, groupBy: "day" });
    expect(result.buckets.map((b) => b.value)).toEqual(["2", "1", "0"]);
    expect(result.total).toBe("2");
  });

  it("takes the last value per bucket and in the window", async () => {
    const result = await hub.ledger.stats({ customerId: "cus_s", meter: "storage_level", window, groupBy: "day" });
    expect(result.buckets.map((b) => b.value)).toEqual(["7", "9", "0"]);
    expect(result.total).toBe("9");
  });

  it("groups by hour, by Monday-based week and by month", async () => {
    const hours = await hub.ledger.stats({ customerId: "cus_s", meter: "api_calls", window: { from: "2026-03-02T00:00:00Z", to: "2026-03-03T00:00:00Z" }, groupBy: "hour" });
    expect(hours.buckets).toHaveLength(24);
    expect(hours.buckets[10]!.value).toBe("5");
    expect(hours.buckets[13]!.value).toBe("3");
    const weeks = await hub.ledger.stats({ customerId: "cus_s", meter: "api_calls", window: "month", groupBy: "week" });
    expect(weeks.buckets.map((b) => [b.from.toISOString().slice(0, 10), b.value])).toEqual([
      ["2026-03-01", "0"],
      ["2026-03-02", "114.5"],
      ["2026-03-09", "0"],
      ["2026-03-16", "0"],
      ["2026-03-23", "0"],
      ["2026-03-30", "0"],
    ]);
    const months = await hub.ledger.stats({ customerId: "cus_s", meter: "api_calls", window: { from: "2026-02-01T00:00:00Z", to: "2026-04-01T00:00:00Z" }, groupBy: "month" });
    expect(months.buckets.map((b) => b.value)).toEqual(["0", "114.5"]);
  });

  it("stops an open-ended window at now and uses the billing period by default", async () => {
    const trailing = await hub.ledger.stats({ customerId: "cus_t", meter: "api_calls", window: "last_30_days", groupBy: "day" });
    expect(trailing.window).toEqual({ from: at("2026-02-08T12:00:00Z"), to: at("2026-03-10T12:00:00Z") });
    expect(trailing.total).toBe("24");
    const period = await hub.ledger.stats({ customerId: "cus_t", meter: "api_calls", groupBy: "week" });
    expect(period.window).toEqual({ from: at("2026-03-05T00:00:00Z"), to: at("2026-04-05T00:00:00Z") });
    expect(period.total).toBe("13");
  });

  it("applies property filters", async () => {
    const result = await hub.ledger.stats({ customerId: "cus_s", meter: "api_calls", window, groupBy: "day", filter: { region: "eu" } });
    expect(result.buckets.map((b) => b.value)).toEqual(["3", "4.5", "0"]);
  });

  it("refuses bad queries with the field named", async () => {
    await expect(hub.ledger.stats({ customerId: "cus_s", meter: "api_calls", window: "never", groupBy: "day" })).rejects.toMatchObject({ code: "VALIDATION_FAILED", field: "window" });
    await expect(hub.ledger.stats({ customerId: "cus_s", meter: "api_calls", window: "month", groupBy: "minute" as never })).rejects.toMatchObject({
      code: "VALIDATION_FAILED",
      field: "groupBy",
    });
    await expect(hub.ledger.stats({ customerId: "cus_s", meter: "api_calls", window: { from: "2025-01-01T00:00:00Z", to: "2026-01-01T00:00:00Z" }, groupBy: "hour" })).rejects.toMatchObject({
      code: "INVALID_USAGE",
      field: "groupBy",
    });
    await expect(hub.ledger.stats({ customerId: "cus_s", meter: "apicalls", groupBy: "day" })).rejects.toMatchObject({ code: "UNKNOWN_METER", field: "meter" });
    await expect(hub.ledger.stats({ customerId: "cus_ghost", meter: "api_calls", groupBy: "day" })).rejects.toMatchObject({ code: "CUSTOMER_NOT_FOUND", field: "customerId" });
  });
});

describe(`hub.ledger.batchStats (${driverName})`, () => {
  it("answers every customer × meter pair, each customer in its own billing period", async () => {
    const results = await hub.ledger.batchStats({ customerIds: ["cus_s", "cus_t"], meters: ["api_calls", "active_models"], groupBy: "month" });
    expect(results.map((r) => [r.customerId, r.meter, r.window.from.toISOString().slice(0, 10), r.total])).toEqual([
      ["cus_s", "api_calls", "2026-03-01", "114.5"],
      ["cus_s", "active_models", "2026-03-01", "2"],
      ["cus_t", "api_calls", "2026-03-05", "13"],
      ["cus_t", "active_models", "2026-03-05", "1"],
    ]);
  });

  it("reads the ledger in one query whatever the number of pairs", async () => {
    let queries = 0;
    const counting: Sql = {
      query: (text, params) => {
        queries += 1;
        return store.query(text, params);
      },
      exec: (text) => store.exec(text),
    };
    const results = await batchStats(counting, ctx, { customerIds: ["cus_s", "cus_t"], meters: ["api_calls", "active_models", "storage_level", "requests"], window: "month", groupBy: "day" });
    expect(results).toHaveLength(8);
    expect(queries).toBe(2); // the customers' periods, then the ledger
  });

  it("names the unknown customer or meter", async () => {
    await expect(hub.ledger.batchStats({ customerIds: ["cus_s", "cus_ghost"], meters: ["api_calls"], groupBy: "day" })).rejects.toMatchObject({
      code: "CUSTOMER_NOT_FOUND",
      field: "customerIds.1",
    });
    await expect(hub.ledger.batchStats({ customerIds: ["cus_s"], meters: ["api_calls", "nope"], groupBy: "day" })).rejects.toMatchObject({ code: "UNKNOWN_METER", field: "meters.1" });
    await expect(hub.ledger.batchStats({ customerIds: [], meters: ["api_calls"], groupBy: "day" })).rejects.toMatchObject({ code: "VALIDATION_FAILED", field: "customerIds" });
  });
});
