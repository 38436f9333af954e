import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHub, type Hub } from "../../../src/hub.ts";
import { featureUsage, meterUsage } from "../../../src/hub/ledger.ts";
import type { HubContext } from "../../../src/hub/context.ts";
import { contextOf } from "../../../src/hub/hub-internals.ts";
import { windowAt } from "../../../src/core/periods.ts";
import { driverName, openTestStore, type TestStore } from "../../support/store.ts";
import { createCustomer, ledgerCatalog, testClock } from "../../support/ledger.ts";

let store: TestStore;
let hub: Hub;
let ctx: HubContext;
// A Tuesday.
const clock = testClock("2026-03-10T12:00:00.000Z");
const lifetime = { from: null, to: null };

beforeAll(async () => {
  store = await openTestStore();
  hub = await createHub({ catalog: ledgerCatalog }, { store, now: clock.now });
  ctx = contextOf(hub);
  await createCustomer(store, "cus_agg");
  // Billing period from the 15th: Feb 15 – Mar 15.
  await createCustomer(store, "cus_cycle", { start: "2026-02-15T00:00:00Z", end: "2026-03-15T00:00:00Z" });
  await createCustomer(store, "cus_reset");
  await createCustomer(store, "cus_empty");
  const at = (day: string) => `2026-${day}T10:00:00Z`;
  await hub.recordBatch([
    { customerId: "cus_agg", meter: "requests", quantity: 100, transactionId: "r1", timestamp: at("03-02") },
    { customerId: "cus_agg", meter: "requests", quantity: 0, transactionId: "r2", timestamp: at("03-03") },
    { customerId: "cus_agg", meter: "requests", quantity: 7, transactionId: "r3", timestamp: at("03-04") },
    { customerId: "cus_agg", meter: "peak_seats", quantity: 4, transactionId: "p1", timestamp: at("03-02") },
    { customerId: "cus_agg", meter: "peak_seats", quantity: "9.5", transactionId: "p2", timestamp: at("03-03") },
    { customerId: "cus_agg", meter: "peak_seats", quantity: 6, transactionId: "p3", timestamp: at("03-04") },
    { customerId: "cus_agg", meter: "storage_level", quantity: 30, transactionId: "s1", timestamp: at("03-02") },
    { customerId: "cus_agg", meter: "storage_level", quantity: 12, transactionId: "s3", timestamp: at("03-04") },
    { customerId: "cus_agg", meter: "storage_level", quantity: 20, transactionId: "s2", timestamp: at("03-03") },
    { customerId: "cus_agg", meter: "active_models", quantity: 1, transactionId: "m1", timestamp: at("03-02"), properties: { model: "gpt-5", region: "eu" } },
    { customerId: "cus_agg", meter: "active_models", quantity: 1, transactionId: "m2", timestamp: at("03-03"), properties: { model: "claude", region: "us" } },
    { customerId: "cus_agg", meter: "active_models", quantity: 1, transactionId: "m3", timestamp: at("03-04"), properties: { model: "gpt-5", region: "us" } },
    { customerId: "cus_agg", meter: "active_models", quantity: 1, transactionId: "m4", timestamp: at("03-04"), properties: { region: "us" } },
    { customerId: "cus_agg", meter: "llm_tokens", quantity: 1000, transactionId: "t1", timestamp: at("03-02"), properties: { model: "gpt-5" } },
    { customerId: "cus_agg", meter: "llm_tokens", quantity: 250, transactionId: "t2", timestamp: at("03-03"), properties: { model: "claude", tier: 2 } },
    { customerId: "cus_agg", meter: "llm_tokens", quantity: 50, transactionId: "t3", timestamp: at("02-20"), properties: { model: "gpt-5" } },
  ]);
});
afterAll(() => store.cleanup());

const meter = (name: string, filter?: Record<string, string>) => meterUsage(store, ctx, { customerId: "cus_agg", meter: name, window: lifetime, ...(filter ? { filter } : {}) });

describe(`aggregations in SQL (${driverName})`, () => {
  it("sums exact quantities", async () => {
    expect(await meter("llm_tokens")).toBe("1300");
  });

  it("counts events, whatever their quantity", async () => {
    expect(await meter("requests")).toBe("3");
  });

  it("takes the maximum", async () => {
    expect(await meter("peak_seats")).toBe("9.5");
  });

  it("takes the value of the latest event by timestamp, not by recording order", async () => {
    expect(await meter("storage_level")).toBe("12");
  });

  it("counts distinct values of the meter's property, ignoring events without it", async () => {
    expect(await meter("active_models")).toBe("2");
  });

  it("answers 0 for a meter without events, for every aggregation", async () => {
    for (const name of ["llm_tokens", "requests", "peak_seats", "storage_level", "active_models"]) {
      expect(await meterUsage(store, ctx, { customerId: "cus_empty", meter: name, window: lifetime })).toBe("0");
    }
  });

  it("filters on properties by their text value, all pairs having to match", async () => {
    expect(await meter("llm_tokens", { model: "gpt-5" })).toBe("1050");
    expect(await meter("llm_tokens", { model: "claude", tier: "2" })).toBe("250");
    expect(await meter("llm_tokens", { model: "claude", tier: "3" })).toBe("0");
    expect(await meter("active_models", { region: "us" })).toBe("2");
  });
});

describe(`windows (${driverName})`, () => {
  it("counts only events in the half-open window [from, to)", async () => {
    const q = (from: string, to: string) => meterUsage(store, ctx, { customerId: "cus_agg", meter: "requests", window: { from: new Date(from), to: new Date(to) } });
    expect(await q("2026-03-03T10:00:00Z", "2026-03-04T10:00:00Z")).toBe("1");
    expect(await q("2026-03-02T10:00:00.001Z", "2026-03-04T10:00:00.001Z")).toBe("2");
  });

  it("resolves named windows at the hub's clock: month, week, last 30 and last 28 days", async () => {
    const value = async (window: "month" | "week" | "last_30_days" | "last_28_days") =>
      (await hub.usage({ customerId: "cus_agg", meter: "llm_tokens", window })).value;
    expect(await value("month")).toBe("1250");
    expect(await value("week")).toBe("0"); // the week of Mon Mar 9
    expect(await value("last_30_days")).toBe("1300");
    expect(await value("last_28_days")).toBe("1300");
    clock.set("2026-03-20T11:00:00Z");
    expect(await value("last_28_days")).toBe("1250"); // Feb 20 10:00 is now older than 28 days
    expect(await value("week")).toBe("0");
    clock.set("2026-03-10T12:00:00.000Z");
  });

  it("resolves the billing period from the customer's period, and from `at` when given", async () => {
    await hub.recordBatch([
      { customerId: "cus_cycle", meter: "api_calls", quantity: 1, transactionId: "cy1", timestamp: "2026-02-14T23:59:59Z" },
      { customerId: "cus_cycle", meter: "api_calls", quantity: 2, transactionId: "cy2", timestamp: "2026-02-15T00:00:00Z" },
      { customerId: "cus_cycle", meter: "api_calls", quantity: 4, transactionId: "cy3", timestamp: "2026-03-10T00:00:00Z" },
    ]);
    const current = await hub.usage({ customerId: "cus_cycle", meter: "api_calls" });
    expect(current).toMatchObject({ window: { from: new Date("2026-02-15T00:00:00Z"), to: new Date("2026-03-15T00:00:00Z") }, value: "6", aggregation: "sum", feature: null });
    const previous = await hub.usage({ customerId: "cus_cycle", meter: "api_calls", window: "billing_period", at: new Date("2026-02-01T00:00:00Z") });
    expect(previous).toMatchObject({ window: { from: new Date("2026-01-15T00:00:00Z"), to: new Date("2026-02-15T00:00:00Z") }, value: "1" });
  });

  it("takes a custom window as ISO strings", async () => {
    const result = await hub.usage({ customerId: "cus_agg", meter: "llm_tokens", window: { from: "2026-02-01T00:00:00Z", to: "2026-03-01T00:00:00Z" } });
    expect(result.value).toBe("50");
  });
});

describe(`feature usage and resets (${driverName})`, () => {
  it("counts a feature's meter in the feature's reset window by default", async () => {
    const result = await hub.usage({ customerId: "cus_agg", feature: "tokens" });
    expect(result).toMatchObject({ meter: "llm_tokens", feature: "tokens", value: "1250" });
  });

  it("counts only usage since the last reset, keeping earlier events in the ledger and in the meter", async () => {
    const month = windowAt("month", clock.now());
    await hub.record({ customerId: "cus_reset", meter: "api_calls", quantity: 40, transactionId: "rs_before", timestamp: "2026-03-05T00:00:00Z" });
    clock.set("2026-03-10T12:00:00.000Z");
    const reset = await hub.resetUsage("cus_reset", "api", { reason: "support ticket 812" });
    expect(reset).toEqual({ customerId: "cus_reset", feature: "api", resetAt: new Date("2026-03-10T12:00:00.000Z"), reason: "support ticket 812" });
    expect(await featureUsage(store, ctx, { customerId: "cus_reset", feature: "api", window: month })).toBe("0");
    await hub.record({ customerId: "cus_reset", meter: "api_calls", quantity: 3, transactionId: "rs_after" });
    expect(await featureUsage(store, ctx, { customerId: "cus_reset", feature: "api", window: month })).toBe("3");
    expect(await meterUsage(store, ctx, { customerId: "cus_reset", meter: "api_calls", window: month })).toBe("43");
    const { rows } = await store.query("SELECT count(*)::int AS n FROM usage_events WHERE customer_id = 'cus_reset'");
    expect(rows[0]).toEqual({ n: 2 });
  });

  it("uses the latest reset, and ignores resets at or after the window's end", async () => {
    clock.set("2026-03-11T00:00:00Z");
    await hub.record({ customerId: "cus_reset", meter: "api_calls", quantity: 5, transactionId: "rs_mid" });
    clock.set("2026-03-12T00:00:00Z");
    await hub.resetUsage("cus_reset", "api", { reason: "second reset" });
    await hub.record({ customerId: "cus_reset", meter: "api_calls", quantity: 7, transactionId: "rs_late" });
    const march = windowAt("month", clock.now());
    expect(await featureUsage(store, ctx, { customerId: "cus_reset", feature: "api", window: march })).toBe("7");
    const beforeSecond = { from: march.from, to: new Date("2026-03-12T00:00:00Z") };
    expect(await featureUsage(store, ctx, { customerId: "cus_reset", feature: "api", window: beforeSecond })).toBe("8");
    clock.set("2026-03-10T12:00:00.000Z");
  });

  it("resets one feature only", async () => {
    await hub.record({ customerId: "cus_reset", meter: "llm_tokens", quantity: 9, transactionId: "rs_tokens", timestamp: "2026-03-01T00:00:00Z" });
    expect(await featureUsage(store, ctx, { customerId: "cus_reset", feature: "tokens", window: lifetime })).toBe("9");
  });

  it("counts refunds in a feature's usage", async () => {
    await hub.adjust({ customerId: "cus_reset", meter: "llm_tokens", kind: "refund", quantity: 4, reason: "timeout", transactionId: "rs_refund" });
    expect(await featureUsage(store, ctx, { customerId: "cus_reset", feature: "tokens", window: lifetime })).toBe("5");
  });

  it("refuses to reset an unknown customer, an unknown or unmetered feature, or without a reason", async () => {
    await expect(hub.resetUsage("cus_ghost", "api", { reason: "x" })).rejects.toMatchObject({ code: "CUSTOMER_NOT_FOUND" });
    await expect(hub.resetUsage("cus_reset", "apis", { reason: "x" })).rejects.toMatchObject({ code: "UNKNOWN_FEATURE", field: "feature" });
    await expect(hub.resetUsage("cus_reset", "seats", { reason: "x" })).rejects.toMatchObject({ code: "VALIDATION_FAILED", field: "feature" });
    await expect(hub.resetUsage("cus_reset", "api", { reason: "" })).rejects.toMatchObject({ code: "VALIDATION_FAILED", field: "options.reason" });
    await expect(hub.resetUsage("cus_reset", "api", {} as never)).rejects.toMatchObject({ code: "VALIDATION_FAILED", field: "options.reason" });
  });
});

describe(`usage queries refuse bad input (${driverName})`, () => {
  it("refuses an unknown customer with CUSTOMER_NOT_FOUND", async () => {
    await expect(meterUsage(store, ctx, { customerId: "cus_ghost", meter: "api_calls", window: lifetime })).rejects.toMatchObject({ code: "CUSTOMER_NOT_FOUND" });
    await expect(featureUsage(store, ctx, { customerId: "cus_ghost", feature: "api", window: lifetime })).rejects.toMatchObject({ code: "CUSTOMER_NOT_FOUND" });
    await expect(hub.usage({ customerId: "cus_ghost", meter: "api_calls" })).rejects.toMatchObject({ code: "CUSTOMER_NOT_FOUND", field: "customerId" });
  });

  it("refuses unknown meters and features naming the valid keys, and unmetered features", async () => {
    await expect(meterUsage(store, ctx, { customerId: "cus_agg", meter: "tokens", window: lifetime })).rejects.toMatchObject({ code: "UNKNOWN_METER", message: expect.stringContaining("llm_tokens") });
    await expect(featureUsage(store, ctx, { customerId: "cus_agg", feature: "llm_tokens", window: lifetime })).rejects.toMatchObject({ code: "UNKNOWN_FEATURE" });
    await expect(featureUsage(store, ctx, { customerId: "cus_agg", feature: "sso", window: lifetime })).rejects.toMatchObject({ code: "VALIDATION_FAILED", field: "feature" });
  });

  it("refuses a window with from ≥ to or invalid dates", async () => {
    const t = new Date("2026-03-01T00:00:00Z");
    await expect(meterUsage(store, ctx, { customerId: "cus_agg", meter: "api_calls", window: { from: t, to: t } })).rejects.toMatchObject({ code: "VALIDATION_FAILED", field: "window.from" });
    await expect(meterUsage(store, ctx, { customerId: "cus_agg", meter: "api_calls", window: { from: new Date("x"), to: null } })).rejects.toMatchObject({ code: "VALIDATION_FAILED" });
    await expect(hub.usage({ customerId: "cus_agg", meter: "api_calls", window: "fortnight" as never })).rejects.toMatchObject({ code: "VALIDATION_FAILED", field: "window" });
    await expect(hub.usage({ customerId: "cus_agg", meter: "api_calls", window: { from: "2026-03-02T00:00:00Z", to: "2026-03-01T00:00:00Z" } })).rejects.toMatchObject({
      code: "VALIDATION_FAILED",
      field: "window.from",
    });
  });

  it("refuses a query naming both or neither of meter and feature", async () => {
    await expect(hub.usage({ customerId: "cus_agg" })).rejects.toMatchObject({ code: "VALIDATION_FAILED" });
    await expect(hub.usage({ customerId: "cus_agg", meter: "api_calls", feature: "api" })).rejects.toMatchObject({ code: "VALIDATION_FAILED" });
  });

  it("refuses filters that are not text pairs", async () => {
    await expect(meterUsage(store, ctx, { customerId: "cus_agg", meter: "llm_tokens", window: lifetime, filter: { tier: 2 } as never })).rejects.toMatchObject({
      code: "VALIDATION_FAILED",
      field: "filter.tier",
    });
    await expect(meterUsage(store, ctx, { customerId: "cus_agg", meter: "llm_tokens", window: lifetime, filter: { model: "a\u0000" } })).rejects.toMatchObject({
      code: "VALIDATION_FAILED",
    });
  });
});
