import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHub, type Hub } from "../../src/hub.ts";
import { openTestStore, type TestStore } from "../support/store.ts";
import { entitlementsCatalog, testClock } from "./entitlements-catalog.ts";

let store: TestStore;
let hub: Hub;
const clock = testClock("2026-03-15T12:00:00Z");
let n = 0;
async function customer(plan?: string): Promise<string> {
  const id = `lim_${++n}`;
  await hub.customers.upsert({ id });
  if (plan) await hub.customers.assign(id, plan);
  return id;
}

beforeAll(async () => {
  store = await openTestStore();
  hub = await createHub({ catalog: entitlementsCatalog }, { store, now: clock.now });
});
afterAll(async () => {
  await hub.close();
  await store.cleanup();
});

describe("overrides", () => {
  it("replaces the plan's limit for the overridden feature only", async () => {
    const id = await customer("pro");
    await hub.customers.override(id, { api: 42 });
    expect(await hub.limit(id, "api")).toBe(42);
    expect(await hub.limit(id, "tokens")).toBe(100000);
  });

  it("keeps the first override's other keys when a second override comes", async () => {
    const id = await customer();
    await hub.customers.override(id, { api: 500, seats: 3 });
    const all = await hub.customers.override(id, { seats: 4, sso: true });
    expect(all).toEqual({
      api: { feature: "api", granted: true, limit: "500" },
      seats: { feature: "seats", granted: true, limit: "4" },
      sso: { feature: "sso", granted: true, limit: null },
    });
    expect(await hub.limit(id, "api")).toBe(500);
    expect(await hub.limit(id, "seats")).toBe(4);
  });

  it("overrides to unlimited with null and switches flags with booleans", async () => {
    const id = await customer();
    await hub.customers.override(id, { api: null, sso: true });
    expect(await hub.limit(id, "api")).toBeNull();
    expect((await hub.entitlements(id)).features.sso).toMatchObject({ granted: true, unlimited: true, source: "override" });
  });

  it("clears only the named overrides", async () => {
    const id = await customer();
    await hub.customers.override(id, { api: 1, tokens: 2, seats: 3 });
    expect(Object.keys(await hub.customers.clearOverride(id, ["api", "tokens"]))).toEqual(["seats"]);
    expect(await hub.limit(id, "api")).toBe(100);
    expect(await hub.limit(id, "seats")).toBe(3);
  });

  it("clears every override when no keys are named", async () => {
    const id = await customer();
    await hub.customers.override(id, { api: 1, seats: 3 });
    expect(await hub.customers.clearOverride(id)).toEqual({});
    expect(await hub.limit(id, "seats")).toBe(1);
  });

  it("keeps overrides when the customer changes plan", async () => {
    const id = await customer();
    await hub.customers.override(id, { api: 7 });
    await hub.customers.assign(id, "enterprise");
    expect(await hub.limit(id, "api")).toBe(7);
  });

  it("refuses an unknown feature with UNKNOWN_FEATURE listing the valid keys, storing none of the batch", async () => {
    const id = await customer();
    const error = await hub.customers.override(id, { api: 5, apii: 6 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "UNKNOWN_FEATURE", field: "overrides.apii", details: { valid: expect.arrayContaining(["api", "seats", "sso"]) } });
    expect(await hub.limit(id, "api")).toBe(100);
    await expect(hub.customers.clearOverride(id, ["nope"])).rejects.toMatchObject({ code: "UNKNOWN_FEATURE", field: "features.0" });
  });

  it("refuses a negative, non-finite or non-numeric override with INVALID_AMOUNT", async () => {
    const id = await customer();
    await expect(hub.customers.override(id, { api: -1 })).rejects.toMatchObject({ code: "INVALID_AMOUNT", field: "overrides.api" });
    await expect(hub.customers.override(id, { api: Number.POSITIVE_INFINITY })).rejects.toMatchObject({ code: "INVALID_AMOUNT", field: "overrides.api" });
    await expect(hub.customers.override(id, { api: "lots" })).rejects.toMatchObject({ code: "INVALID_AMOUNT", field: "overrides.api" });
    expect(await hub.limit(id, "api")).toBe(100);
  });

  it("refuses a value of the wrong kind for the feature with VALIDATION_FAILED", async () => {
    const id = await customer();
    await expect(hub.customers.override(id, { sso: 1 })).rejects.toMatchObject({ code: "VALIDATION_FAILED", field: "overrides.sso" });
    await expect(hub.customers.override(id, { api: true })).rejects.toMatchObject({ code: "VALIDATION_FAILED", field: "overrides.api" });
    await expect(hub.customers.override(id, {})).rejects.toMatchObject({ code: "VALIDATION_FAILED", field: "overrides" });
  });

  it("answers CUSTOMER_NOT_FOUND for overrides of an unknown customer", async () => {
    await expect(hub.customers.override("lim_nobody", { api: 1 })).rejects.toMatchObject({ code: "CUSTOMER_NOT_FOUND" });
    await expect(hub.customers.clearOverride("lim_nobody")).rejects.toMatchObject({ code: "CUSTOMER_NOT_FOUND" });
  });
});

describe("variants", () => {
  it("uses the customer's variant for every feature that declares it", async () => {
    const id = await customer();
    await hub.customers.assign(id, "pro", { variant: "starter" });
    expect(await hub.limit(id, "api")).toBe(2500);
    expect(await hub.limit(id, "tokens")).toBe(25000);
    expect(await hub.limit(id, "seats")).toBe(20);
  });

  it("lets one call name a variant instead of the customer's", async () => {
    const id = await customer("pro");
    expect(await hub.limit(id, "api", { variant: "starter" })).toBe(2500);
    expect(await hub.limit(id, "api")).toBe(10000);
  });

  it("refuses a variant no plan declares with UNKNOWN_VARIANT", async () => {
    const id = await customer("pro");
    await expect(hub.limit(id, "api", { variant: "startr" })).rejects.toMatchObject({ code: "UNKNOWN_VARIANT", details: { valid: ["starter"] } });
  });
});

describe("limit adjustments", () => {
  it("adds a one-time bonus to the current window only", async () => {
    const id = await customer();
    const { status, adjustment } = await hub.customers.adjustLimit(id, { id: "bonus", feature: "api", amount: 50, reason: "support goodwill" });
    expect(status).toBe("created");
    expect(adjustment).toMatchObject({ recurrence: "once", startsAt: clock.now(), endsAt: null, amount: "50" });
    expect(await hub.limit(id, "api")).toBe(150);
    const hubInApril = await createHub({ catalog: entitlementsCatalog }, { store, now: () => new Date("2026-04-02T00:00:00Z") });
    expect(await hubInApril.limit(id, "api")).toBe(100);
    await hubInApril.close();
  });

  it("applies a recurring grant in every window between its start and end", async () => {
    const id = await customer();
    await hub.customers.adjustLimit(id, { id: "promo", feature: "api", amount: "25", recurrence: "each_period", startsAt: "2026-03-01T00:00:00Z", endsAt: "2026-06-01T00:00:00Z" });
    const at = async (iso: string) => {
      const later = await createHub({ catalog: entitlementsCatalog }, { store, now: () => new Date(iso) });
      try {
        return await later.limit(id, "api");
      } finally {
        await later.close();
      }
    };
    expect(await at("2026-02-28T23:59:59Z")).toBe(100);
    expect(await at("2026-04-10T00:00:00Z")).toBe(125);
    expect(await at("2026-05-31T23:59:59Z")).toBe(125);
    expect(await at("2026-06-01T00:00:00Z")).toBe(100);
  });

  it("deducts, never below zero nor below the feature's minimum", async () => {
    const id = await customer();
    await hub.customers.adjustLimit(id, { id: "penalty", feature: "api", amount: -30 });
    expect(await hub.limit(id, "api")).toBe(70);
    await hub.customers.adjustLimit(id, { id: "penalty-2", feature: "api", amount: -1000 });
    expect(await hub.limit(id, "api")).toBe(0);
    await hub.customers.adjustLimit(id, { id: "seat-cut", feature: "seats", amount: -5 });
    expect(await hub.limit(id, "seats")).toBe(1);
  });

  it("keeps a grandfathered limit across plan changes with a recurring grant without end", async () => {
    const id = await customer("pro");
    await hub.customers.adjustLimit(id, { id: "grandfathered", feature: "seats", amount: 5, recurrence: "each_period" });
    expect(await hub.limit(id, "seats")).toBe(25);
    await hub.customers.assign(id, "free");
    expect(await hub.limit(id, "seats")).toBe(6);
  });

  it("stops counting an adjustment that has been ended", async () => {
    const id = await customer();
    await hub.customers.adjustLimit(id, { id: "temp", feature: "api", amount: 10 });
    expect(await hub.limit(id, "api")).toBe(110);
    const ended = await hub.customers.endAdjustment(id, "temp");
    expect(ended.endsAt).toEqual(clock.now());
    expect(await hub.limit(id, "api")).toBe(100);
    expect(await hub.customers.listAdjustments(id)).toEqual([]);
    expect((await hub.customers.listAdjustments(id, { includeEnded: true })).map((a) => a.id)).toEqual(["temp"]);
    await expect(hub.customers.endAdjustment(id, "missing")).rejects.toMatchObject({ code: "NOT_FOUND", field: "id" });
  });

  it("treats a retried adjustment with the same id and content as a duplicate, granting once", async () => {
    const id = await customer();
    const input = { id: "retry-me", feature: "api", amount: "12.5", metadata: { b: 1, a: 2 } };
    await hub.customers.adjustLimit(id, input);
    expect((await hub.customers.adjustLimit(id, input)).status).toBe("duplicate");
    expect(await hub.limit(id, "api")).toBe(112.5);
  });

  it("refuses the same adjustment id with other content with IDEMPOTENCY_CONFLICT", async () => {
    const id = await customer();
    await hub.customers.adjustLimit(id, { id: "conflict", feature: "api", amount: 10 });
    await expect(hub.customers.adjustLimit(id, { id: "conflict", feature: "api", amount: 11 })).rejects.toMatchObject({ code: "IDEMPOTENCY_CONFLICT", field: "amount" });
    await expect(hub.customers.adjustLimit(id, { id: "conflict", feature: "tokens", amount: 10 })).rejects.toMatchObject({ code: "IDEMPOTENCY_CONFLICT", field: "feature" });
    expect(await hub.limit(id, "api")).toBe(110);
  });

  it("refuses bad adjustments with a clear error and stores nothing", async () => {
    const id = await customer();
    await expect(hub.customers.adjustLimit(id, { id: "a", feature: "apii", amount: 1 })).rejects.toMatchObject({ code: "UNKNOWN_FEATURE", field: "feature" });
    await expect(hub.customers.adjustLimit(id, { id: "b", feature: "sso", amount: 1 })).rejects.toMatchObject({ code: "VALIDATION_FAILED", field: "feature" });
    await expect(hub.customers.adjustLimit(id, { id: "c", feature: "api", amount: 0 })).rejects.toMatchObject({ code: "INVALID_AMOUNT", field: "amount" });
    await expect(hub.customers.adjustLimit(id, { id: "d", feature: "api", amount: "NaN" })).rejects.toMatchObject({ code: "INVALID_AMOUNT", field: "amount" });
    await expect(hub.customers.adjustLimit(id, { id: "e", feature: "api", amount: 1, startsAt: "2026-04-01T00:00:00Z", endsAt: "2026-03-01T00:00:00Z" })).rejects.toMatchObject({ code: "VALIDATION_FAILED", field: "endsAt" });
    await expect(hub.customers.adjustLimit(id, { id: "f", feature: "api", amount: 1, endsAt: "2026-03-01T00:00:00Z" })).rejects.toMatchObject({ code: "VALIDATION_FAILED", field: "endsAt" });
    await expect(hub.customers.adjustLimit(id, { id: "g", feature: "api", amount: 1, recurrence: "monthly" as never })).rejects.toMatchObject({ code: "VALIDATION_FAILED", field: "recurrence" });
    await expect(hub.customers.adjustLimit("lim_nobody", { id: "h", feature: "api", amount: 1 })).rejects.toMatchObject({ code: "CUSTOMER_NOT_FOUND" });
    expect(await hub.customers.listAdjustments(id, { includeEnded: true })).toEqual([]);
  });
});

describe("entitlements", () => {
  it("lists every feature's limit with where it came from and when it resets", async () => {
    const id = await customer("pro");
    await hub.customers.override(id, { seats: 30 });
    await hub.customers.adjustLimit(id, { id: "bonus", feature: "api", amount: 5 });
    const view = await hub.entitlements(id);
    expect(view).toMatchObject({ customer: id, plan: "pro", variant: null });
    expect(view.features.api).toEqual({ type: "metered", granted: true, unlimited: false, limit: 10005, exactLimit: "10005", source: "plan", adjustments: ["bonus"], resetsAt: new Date("2026-04-01T00:00:00Z") });
    expect(view.features.seats).toMatchObject({ limit: 30, source: "override", resetsAt: null });
    expect(view.features.lifetime_tokens).toMatchObject({ unlimited: true, resetsAt: null });
    expect(view.features.sso).toMatchObject({ type: "boolean", granted: true });
  });

  it("answers limit null for a flag that is on and 0 for one that is off", async () => {
    expect(await hub.limit(await customer("pro"), "sso")).toBeNull();
    expect(await hub.limit(await customer(), "sso")).toBe(0);
  });

  it("refuses an unknown feature with UNKNOWN_FEATURE and an unknown customer with CUSTOMER_NOT_FOUND", async () => {
    const id = await customer();
    await expect(hub.limit(id, "apii")).rejects.toMatchObject({ code: "UNKNOWN_FEATURE", field: "feature" });
    await expect(hub.limit("lim_nobody", "api")).rejects.toMatchObject({ code: "CUSTOMER_NOT_FOUND" });
    await expect(hub.entitlements("lim_nobody")).rejects.toMatchObject({ code: "CUSTOMER_NOT_FOUND" });
  });

  it("fails loudly for a customer stored on a plan the catalog no longer declares", async () => {
    const id = await customer();
    await store.query("UPDATE customers SET plan_key = 'legacy' WHERE id = $1", [id]);
    const fresh = await createHub({ catalog: entitlementsCatalog, cache: { ttlMs: 0 } }, { store, now: clock.now });
    await expect(fresh.limit(id, "api")).rejects.toMatchObject({ code: "UNKNOWN_PLAN", field: "customer.plan" });
    await fresh.close();
  });
});
