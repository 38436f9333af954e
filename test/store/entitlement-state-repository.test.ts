import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { upsertCustomer } from "../../src/store/customer-repository.ts";
import { loadCustomerEntitlements } from "../../src/store/entitlement-state-repository.ts";
import { endAdjustment, findAdjustment, insertAdjustment, listAdjustments } from "../../src/store/limit-adjustment-repository.ts";
import { clearOverrides, listOverrides, setOverrides } from "../../src/store/override-repository.ts";
import { openTestStore, type TestStore } from "../support/store.ts";

let store: TestStore;
beforeAll(async () => {
  store = await openTestStore();
});
afterAll(async () => {
  await store.cleanup();
});

const at = (iso: string) => new Date(iso);
const base = { recurrence: "once" as const, endsAt: null, reason: null, metadata: {} };

describe("overrides", () => {
  it("accumulates overrides by feature and replaces one feature's override", async () => {
    await upsertCustomer(store, { id: "ov_acc" });
    await setOverrides(store, "ov_acc", [{ feature: "api", granted: true, limit: "5000" }]);
    await setOverrides(store, "ov_acc", [{ feature: "seats", granted: true, limit: null }, { feature: "api", granted: true, limit: "6000.5" }]);
    expect(await listOverrides(store, "ov_acc")).toEqual({
      api: { feature: "api", granted: true, limit: "6000.5" },
      seats: { feature: "seats", granted: true, limit: null },
    });
  });

  it("clears the named overrides or all of them", async () => {
    await upsertCustomer(store, { id: "ov_clear" });
    await setOverrides(store, "ov_clear", [{ feature: "a", granted: true, limit: "1" }, { feature: "b", granted: true, limit: "2" }, { feature: "c", granted: false, limit: "0" }]);
    expect(await clearOverrides(store, "ov_clear", ["a", "b"])).toBe(2);
    expect(Object.keys(await listOverrides(store, "ov_clear"))).toEqual(["c"]);
    expect(await clearOverrides(store, "ov_clear")).toBe(1);
    expect(await listOverrides(store, "ov_clear")).toEqual({});
  });

  it("refuses a negative override limit in the schema itself", async () => {
    await upsertCustomer(store, { id: "ov_neg" });
    await expect(setOverrides(store, "ov_neg", [{ feature: "api", granted: true, limit: "-1" }])).rejects.toThrow();
  });
});

describe("limit adjustments", () => {
  it("inserts an adjustment once and hands back the stored one for a repeated id", async () => {
    await upsertCustomer(store, { id: "adj_once" });
    const write = { ...base, id: "bonus", feature: "api", amount: "500", startsAt: at("2026-03-10T00:00:00Z") };
    const first = await insertAdjustment(store, "adj_once", write);
    const second = await insertAdjustment(store, "adj_once", { ...write, amount: "999" });
    expect(first.created).toBe(true);
    expect(second).toMatchObject({ created: false, adjustment: { amount: "500" } });
  });

  it("lets two customers use the same adjustment id", async () => {
    await upsertCustomer(store, { id: "adj_a" });
    await upsertCustomer(store, { id: "adj_b" });
    const write = { ...base, id: "spring-promo", feature: "api", amount: "-2.5", startsAt: at("2026-03-10T00:00:00Z") };
    expect((await insertAdjustment(store, "adj_a", write)).created).toBe(true);
    expect((await insertAdjustment(store, "adj_b", write)).created).toBe(true);
  });

  it("ends an adjustment at the given time, keeps an earlier end, and ends a future one at its start", async () => {
    await upsertCustomer(store, { id: "adj_end" });
    await insertAdjustment(store, "adj_end", { ...base, id: "open", feature: "api", amount: "1", startsAt: at("2026-03-01T00:00:00Z") });
    await insertAdjustment(store, "adj_end", { ...base, id: "short", feature: "api", amount: "1", startsAt: at("2026-03-01T00:00:00Z"), endsAt: at("2026-03-05T00:00:00Z") });
    await insertAdjustment(store, "adj_end", { ...base, id: "future", feature: "api", amount: "1", startsAt: at("2026-05-01T00:00:00Z") });
    const now = at("2026-03-10T00:00:00Z");
    expect((await endAdjustment(store, "adj_end", "open", now))?.endsAt).toEqual(now);
    expect((await endAdjustment(store, "adj_end", "short", now))?.endsAt).toEqual(at("2026-03-05T00:00:00Z"));
    expect((await endAdjustment(store, "adj_end", "future", now))?.endsAt).toEqual(at("2026-05-01T00:00:00Z"));
    expect(await endAdjustment(store, "adj_end", "missing", now)).toBeUndefined();
    expect(await findAdjustment(store, "adj_end", "open")).toMatchObject({ id: "open", amount: "1" });
  });

  it("lists open adjustments only when asked for those open at a time", async () => {
    await upsertCustomer(store, { id: "adj_list" });
    await insertAdjustment(store, "adj_list", { ...base, id: "old", feature: "api", amount: "1", startsAt: at("2026-01-01T00:00:00Z"), endsAt: at("2026-02-01T00:00:00Z") });
    await insertAdjustment(store, "adj_list", { ...base, id: "current", feature: "api", amount: "1", startsAt: at("2026-03-01T00:00:00Z") });
    await insertAdjustment(store, "adj_list", { ...base, id: "seats", feature: "seats", amount: "1", startsAt: at("2026-03-01T00:00:00Z") });
    expect((await listAdjustments(store, "adj_list")).map((a) => a.id)).toEqual(["old", "current", "seats"]);
    expect((await listAdjustments(store, "adj_list", { openAt: at("2026-03-10T00:00:00Z") })).map((a) => a.id)).toEqual(["current", "seats"]);
    expect((await listAdjustments(store, "adj_list", { feature: "seats" })).map((a) => a.id)).toEqual(["seats"]);
  });
});

describe("entitlement state", () => {
  it("loads plan, variant, cycle, overrides and open adjustments in one piece, with exact decimals", async () => {
    await upsertCustomer(store, { id: "state_1", periodStart: at("2026-02-25T08:00:00Z"), periodEnd: at("2026-03-25T08:00:00Z") });
    await store.query("UPDATE customers SET plan_key = 'pro', plan_variant = 'starter' WHERE id = 'state_1'");
    await setOverrides(store, "state_1", [{ feature: "api", granted: true, limit: "12345678901234567890.123456789" }]);
    await insertAdjustment(store, "state_1", { ...base, id: "ended", feature: "api", amount: "1", startsAt: at("2026-01-01T00:00:00Z"), endsAt: at("2026-02-01T00:00:00Z") });
    await insertAdjustment(store, "state_1", {
      ...base,
      id: "bonus",
      feature: "api",
      amount: "0.1",
      recurrence: "each_period",
      startsAt: at("2026-03-01T00:00:00.250Z"),
      endsAt: at("2026-06-01T00:00:00Z"),
      reason: "launch",
      metadata: { campaign: "spring" },
    });
    const loaded = await loadCustomerEntitlements(store, "state_1", at("2026-03-10T00:00:00Z"));
    expect(loaded?.customer.id).toBe("state_1");
    expect(loaded?.state).toEqual({
      customerId: "state_1",
      assignedPlan: "pro",
      variant: "starter",
      cycle: { periodStart: at("2026-02-25T08:00:00Z"), periodEnd: at("2026-03-25T08:00:00Z") },
      overrides: { api: { feature: "api", granted: true, limit: "12345678901234567890.123456789" } },
      adjustments: [
        {
          id: "bonus",
          feature: "api",
          amount: "0.1",
          recurrence: "each_period",
          startsAt: at("2026-03-01T00:00:00.250Z"),
          endsAt: at("2026-06-01T00:00:00Z"),
          reason: "launch",
          metadata: { campaign: "spring" },
          createdAt: expect.any(Date),
        },
      ],
    });
  });

  it("answers undefined for an unknown customer", async () => {
    expect(await loadCustomerEntitlements(store, "state_nobody", new Date())).toBeUndefined();
  });
});
