import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHub, type Hub } from "../../src/hub.ts";
import { openTestStore, type TestStore } from "../support/store.ts";
import { entitlementsCatalog, testClock } from "./entitlements-catalog.ts";
import { usageRecorder } from "./usage-recorder.ts";

let store: TestStore;
let hub: Hub;
const clock = testClock("2026-03-18T10:30:00Z"); // a Wednesday
let record: ReturnType<typeof usageRecorder>;
let n = 0;
async function customer(plan?: string, extra: { periodStart?: string; periodEnd?: string } = {}): Promise<string> {
  const id = `chk_${++n}`;
  await hub.upsertCustomer({ id, ...extra });
  if (plan) await hub.assign(id, plan);
  return id;
}

beforeAll(async () => {
  store = await openTestStore();
  hub = await createHub({ catalog: entitlementsCatalog }, { store, now: clock.now });
  record = usageRecorder(hub);
});
afterAll(async () => {
  await hub.close();
  await store.cleanup();
});

describe("check on metered features", () => {
  it("reads live usage in the current reset window and says when it resets", async () => {
    const id = await customer();
    await record(id, "api_calls", 30, "2026-03-02T00:00:00Z");
    await record(id, "api_calls", 5, "2026-02-27T00:00:00Z");
    expect(await hub.check(id, "api")).toEqual({
      feature: "api",
      allowed: true,
      unlimited: false,
      limit: 100,
      used: 30,
      remaining: 70,
      resetsAt: new Date("2026-04-01T00:00:00Z"),
      exact: { limit: "100", used: "30", remaining: "70", amount: "1" },
      refusal: null,
      overage: { policy: "block", inOverage: false, units: "0", spend: null, maxUnits: null, maxSpend: null },
    });
  });

  it("asks about one unit when no amount is given, so a feature at its limit is refused", async () => {
    const id = await customer();
    await record(id, "api_calls", 100, "2026-03-10T00:00:00Z");
    expect(await hub.can(id, "api")).toBe(false);
    expect(await hub.check(id, "api")).toMatchObject({ allowed: false, remaining: 0, refusal: { code: "LIMIT_EXCEEDED" } });
    expect(await hub.can(id, "api", { amount: 0 })).toBe(true);
  });

  it("allows an amount that fits exactly and refuses the smallest step past it", async () => {
    const id = await customer();
    await record(id, "api_calls", "99.5", "2026-03-10T00:00:00Z");
    expect(await hub.can(id, "api", { amount: "0.5" })).toBe(true);
    expect(await hub.can(id, "api", { amount: "0.5000001" })).toBe(false);
  });

  it("resets by day, hour and week (Monday) on UTC boundaries", async () => {
    const id = await customer();
    await record(id, "api_calls", 1, "2026-03-16T00:00:00Z"); // Monday: this week
    await record(id, "api_calls", 2, "2026-03-18T00:00:00Z"); // today
    await record(id, "api_calls", 4, "2026-03-18T10:00:00Z"); // this hour
    await record(id, "api_calls", 8, "2026-03-15T23:59:59Z"); // last week (Sunday), this month
    expect((await hub.check(id, "api_hourly")).used).toBe(4);
    expect((await hub.check(id, "api_daily")).used).toBe(6);
    expect((await hub.check(id, "api_weekly")).used).toBe(7);
    expect((await hub.check(id, "api")).used).toBe(15);
    expect((await hub.check(id, "api_hourly")).resetsAt).toEqual(new Date("2026-03-18T11:00:00Z"));
    expect((await hub.check(id, "api_daily")).resetsAt).toEqual(new Date("2026-03-19T00:00:00Z"));
    expect((await hub.check(id, "api_weekly")).resetsAt).toEqual(new Date("2026-03-23T00:00:00Z"));
  });

  it("counts a lifetime feature's usage across all time and never resets it", async () => {
    const id = await customer();
    await record(id, "llm_tokens", 3000, "2025-01-01T00:00:00Z");
    await record(id, "llm_tokens", 1500, "2026-03-01T00:00:00Z");
    expect(await hub.check(id, "lifetime_tokens", { amount: 500 })).toMatchObject({ allowed: true, used: 4500, remaining: 500, resetsAt: null });
    expect(await hub.can(id, "lifetime_tokens", { amount: 501 })).toBe(false);
  });

  it("anchors a billing-period feature on the customer's period start", async () => {
    const id = await customer(undefined, { periodStart: "2026-03-05T08:00:00Z", periodEnd: "2026-04-05T08:00:00Z" });
    await record(id, "llm_tokens", 200, "2026-03-05T07:59:59Z");
    await record(id, "llm_tokens", 300, "2026-03-05T08:00:00Z");
    expect(await hub.check(id, "tokens")).toMatchObject({ used: 300, remaining: 700, resetsAt: new Date("2026-04-05T08:00:00Z") });
  });

  it("counts usage only from the feature's latest reset on", async () => {
    const id = await customer();
    await record(id, "api_calls", 80, "2026-03-10T00:00:00Z");
    await hub.resetUsage(id, "api", { reason: "support reset" });
    await record(id, "api_calls", 5, "2026-03-18T10:30:00Z");
    expect(await hub.check(id, "api")).toMatchObject({ used: 5, remaining: 95 });
  });

  it("counts only the customer's own usage", async () => {
    const a = await customer();
    const b = await customer();
    await record(a, "api_calls", 60, "2026-03-10T00:00:00Z");
    expect((await hub.check(b, "api")).used).toBe(0);
  });

  it("applies overrides, adjustments and variants to the limit it checks against", async () => {
    const id = await customer("pro");
    await record(id, "api_calls", 2500, "2026-03-10T00:00:00Z");
    expect(await hub.can(id, "api", { variant: "starter" })).toBe(false);
    await hub.adjustLimit(id, { id: "bonus", feature: "api", amount: 10 });
    expect(await hub.check(id, "api", { variant: "starter" })).toMatchObject({ allowed: true, limit: 2510, remaining: 10 });
    await hub.override(id, { api: 2000 });
    expect(await hub.check(id, "api")).toMatchObject({ allowed: false, limit: 2010, used: 2500, remaining: 0 });
  });

  it("always allows an unlimited feature and reports remaining as null", async () => {
    const id = await customer("enterprise");
    await record(id, "api_calls", 1e9, "2026-03-10T00:00:00Z");
    expect(await hub.check(id, "api", { amount: 1e9 })).toMatchObject({ allowed: true, unlimited: true, limit: null, remaining: null, used: 1e9 });
  });
});

describe("check on flags and static features", () => {
  it("answers a flag by whether the plan or an override turns it on", async () => {
    const free = await customer();
    const pro = await customer("pro");
    expect(await hub.check(free, "sso")).toMatchObject({ allowed: false, limit: 0, used: 0, unlimited: false, resetsAt: null, refusal: { code: "FEATURE_NOT_GRANTED" } });
    expect(await hub.check(pro, "sso")).toMatchObject({ allowed: true, limit: null, unlimited: true, refusal: null });
    await hub.override(free, { sso: true });
    expect(await hub.can(free, "sso")).toBe(true);
  });

  it("compares the seat count asked about against a static limit, counting no usage", async () => {
    const id = await customer("pro");
    expect(await hub.check(id, "seats", { amount: 20 })).toMatchObject({ allowed: true, limit: 20, used: 0, remaining: 20, resetsAt: null });
    expect(await hub.check(id, "seats", { amount: 21 })).toMatchObject({ allowed: false, refusal: { code: "LIMIT_EXCEEDED" } });
    expect(await hub.can(id, "seats")).toBe(true);
  });
});

describe("check on bad input", () => {
  it("refuses a negative, non-finite or non-numeric amount with INVALID_AMOUNT", async () => {
    const id = await customer();
    for (const amount of [-1, "-0.5", Number.NaN, Number.POSITIVE_INFINITY, "abc", "", {}, null]) {
      await expect(hub.check(id, "api", { amount: amount as never })).rejects.toMatchObject({ code: "INVALID_AMOUNT", field: "amount" });
    }
  });

  it("refuses an unknown feature with UNKNOWN_FEATURE listing the valid keys", async () => {
    const id = await customer();
    const error = await hub.check(id, "apii").catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "UNKNOWN_FEATURE", field: "feature", details: { valid: Object.keys(entitlementsCatalog.features).sort() } });
    expect((error as Error).message).toContain("api, api_daily");
    await expect(hub.can(id, "apii")).rejects.toMatchObject({ code: "UNKNOWN_FEATURE" });
  });

  it("refuses an unknown customer with CUSTOMER_NOT_FOUND", async () => {
    await expect(hub.check("chk_nobody", "api")).rejects.toMatchObject({ code: "CUSTOMER_NOT_FOUND" });
    await expect(hub.can("chk_nobody", "sso")).rejects.toMatchObject({ code: "CUSTOMER_NOT_FOUND" });
  });

  it("refuses an unknown variant with UNKNOWN_VARIANT", async () => {
    await expect(hub.check(await customer(), "api", { variant: "nope" })).rejects.toMatchObject({ code: "UNKNOWN_VARIANT" });
  });
});
