import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHub, type Hub } from "../../src/hub.ts";
import type { CatalogInput } from "../../src/core/catalog/index.ts";
import { openTestStore, type TestStore } from "../support/store.ts";
import { webhookSecret } from "../support/alerts.ts";
import { testClock } from "../support/ledger.ts";

/**
 * `billing_period` is the period of the interval of the plan the customer holds: a year on a
 * yearly plan, a week on a weekly one, a month otherwise.
 */
const catalog: CatalogInput = {
  currency: "USD",
  meters: { api_calls: { aggregation: "sum" } },
  features: { api: { type: "metered", meter: "api_calls" } },
  plans: {
    free: { name: "Free", features: { api: 0 } },
    monthly: {
      name: "Monthly",
      features: { api: 1000 },
      charges: [{ key: "api", meter: "api_calls", model: "per_unit", unitAmount: "1", description: "API calls" }],
    },
    yearly: {
      name: "Yearly",
      interval: "year",
      features: { api: 12_000 },
      charges: [{ key: "api", meter: "api_calls", model: "per_unit", unitAmount: "1", description: "API calls" }],
    },
    weekly: { name: "Weekly", interval: "week", features: { api: 100 } },
    yearly_credits: { name: "Yearly on credits", interval: "year", features: { api: 0 } },
  },
  defaultPlan: "free",
  alerts: { spend_50: { kind: "spend", amount: 50 }, api_credits_low: { kind: "credit_balance_low", feature: "api", below: "5" } },
};

const at = (iso: string) => new Date(iso);
const clock = testClock("2026-01-01T00:00:00Z");
let store: TestStore;
let hub: Hub;
let n = 0;

/** A customer on `plan` from the clock's now, optionally with a billing cycle. */
async function customer(plan: string, cycle: { periodStart?: string; periodEnd?: string } = {}): Promise<string> {
  const id = `iw_${++n}`;
  await hub.customers.upsert({ id, ...cycle });
  await hub.customers.assign(id, plan);
  return id;
}

async function consumeAt(id: string, iso: string, amount: number) {
  clock.set(iso);
  return hub.consume(id, "api", amount, `${id}:${iso}:${amount}`);
}

async function checkAt(id: string, iso: string) {
  clock.set(iso);
  return hub.check(id, "api");
}

beforeAll(async () => {
  store = await openTestStore();
  hub = await createHub({ catalog, alerts: { endpoints: { ops: { url: "http://127.0.0.1:9/ops", secret: webhookSecret() } } } }, { store, now: clock.now });
});
afterAll(async () => {
  await hub.close();
  await store.cleanup();
});

describe("entitlement windows of billing_period features follow the plan's interval", () => {
  it("keeps a yearly plan's allowance across month boundaries and resets it on Jan 1 (no cycle: the calendar year)", async () => {
    clock.set("2026-01-10T00:00:00Z");
    const id = await customer("yearly");
    expect((await consumeAt(id, "2026-01-20T00:00:00Z", 11_000)).status).toBe("created");
    const february = await checkAt(id, "2026-02-01T00:00:00Z");
    expect(february).toMatchObject({ used: 11_000, remaining: 1000, resetsAt: at("2027-01-01T00:00:00Z") });
    expect((await consumeAt(id, "2026-06-15T00:00:00Z", 1001)).status).toBe("refused");
    expect((await checkAt(id, "2026-12-31T23:59:59.999Z")).used).toBe(11_000);
    expect(await checkAt(id, "2027-01-01T00:00:00Z")).toMatchObject({ used: 0, remaining: 12_000, resetsAt: at("2028-01-01T00:00:00Z") });
  });

  it("still resets a monthly plan's allowance at every month boundary", async () => {
    clock.set("2026-01-10T00:00:00Z");
    const id = await customer("monthly");
    await consumeAt(id, "2026-01-20T00:00:00Z", 1000);
    expect((await checkAt(id, "2026-01-31T23:59:59.999Z")).allowed).toBe(false);
    expect(await checkAt(id, "2026-02-01T00:00:00Z")).toMatchObject({ allowed: true, used: 0, resetsAt: at("2026-03-01T00:00:00Z") });
  });

  it("resets a yearly plan anchored on Feb 29 on Feb 28 of the years without one, and on Feb 29 again in a leap year", async () => {
    clock.set("2026-01-10T00:00:00Z");
    const id = await customer("yearly", { periodStart: "2024-02-29T00:00:00Z", periodEnd: "2025-02-28T00:00:00Z" });
    await consumeAt(id, "2026-01-15T00:00:00Z", 12_000);
    expect(await checkAt(id, "2026-02-01T00:00:00Z")).toMatchObject({ allowed: false, used: 12_000, resetsAt: at("2026-02-28T00:00:00Z") });
    expect((await checkAt(id, "2026-02-27T23:59:59.999Z")).allowed).toBe(false);
    expect(await checkAt(id, "2026-02-28T00:00:00Z")).toMatchObject({ allowed: true, used: 0, resetsAt: at("2027-02-28T00:00:00Z") });
    expect((await checkAt(id, "2027-03-01T00:00:00Z")).resetsAt).toEqual(at("2028-02-29T00:00:00Z"));
    await consumeAt(id, "2028-02-28T12:00:00Z", 12_000);
    expect((await checkAt(id, "2028-02-28T23:59:59.999Z")).allowed).toBe(false);
    expect(await checkAt(id, "2028-02-29T00:00:00Z")).toMatchObject({ allowed: true, used: 0, resetsAt: at("2029-02-28T00:00:00Z") });
  });

  it("resets a weekly plan without a cycle on Monday 00:00 UTC (the ISO week)", async () => {
    clock.set("2026-03-16T09:00:00Z"); // a Monday
    const id = await customer("weekly");
    await consumeAt(id, "2026-03-22T23:00:00Z", 100); // Sunday
    expect(await checkAt(id, "2026-03-22T23:59:59.999Z")).toMatchObject({ allowed: false, resetsAt: at("2026-03-23T00:00:00Z") });
    expect(await checkAt(id, "2026-03-23T00:00:00Z")).toMatchObject({ allowed: true, used: 0, resetsAt: at("2026-03-30T00:00:00Z") });
  });

  it("resets a weekly plan with a cycle every 7 days from its anchor, not on Mondays", async () => {
    clock.set("2026-03-05T00:00:00Z");
    const id = await customer("weekly", { periodStart: "2026-03-04T15:30:00Z", periodEnd: "2026-03-11T15:30:00Z" }); // a Wednesday
    await consumeAt(id, "2026-03-12T10:00:00Z", 100);
    expect((await checkAt(id, "2026-03-16T00:00:00Z")).allowed).toBe(false); // Monday: no reset
    expect((await checkAt(id, "2026-03-18T15:29:59.999Z")).allowed).toBe(false);
    expect(await checkAt(id, "2026-03-18T15:30:00Z")).toMatchObject({ allowed: true, used: 0, resetsAt: at("2026-03-25T15:30:00Z") });
  });

  it("gives no fresh allowance for changing interval: the window is the new plan's period containing the instant, usage before the change included", async () => {
    clock.set("2026-01-01T00:00:00Z");
    const id = await customer("monthly");
    await consumeAt(id, "2026-01-10T00:00:00Z", 300);
    await consumeAt(id, "2026-03-10T00:00:00Z", 800);
    clock.set("2026-03-15T00:00:00Z");
    await hub.customers.assign(id, "yearly");
    // The year so far, on both plans.
    expect(await checkAt(id, "2026-03-15T00:00:00Z")).toMatchObject({ used: 1100, remaining: 10_900, resetsAt: at("2027-01-01T00:00:00Z") });
    await consumeAt(id, "2026-03-16T00:00:00Z", 150);
    clock.set("2026-03-20T00:00:00Z");
    await hub.customers.assign(id, "monthly");
    // Back on the monthly plan: March again, with all of March's usage on both plans.
    expect(await checkAt(id, "2026-03-20T00:00:00Z")).toMatchObject({ used: 950, remaining: 50, resetsAt: at("2026-04-01T00:00:00Z") });
  });
});

describe("usage and stats over billing_period follow the interval of the plan held at the instant", () => {
  it("sums a yearly customer's billing_period usage over the year, a monthly one's over the month", async () => {
    clock.set("2026-01-01T00:00:00Z");
    const yearly = await customer("yearly");
    const monthly = await customer("monthly");
    for (const id of [yearly, monthly]) {
      await consumeAt(id, "2026-01-10T00:00:00Z", 5);
      await consumeAt(id, "2026-03-10T00:00:00Z", 7);
    }
    clock.set("2026-03-20T00:00:00Z");
    expect(await hub.usage({ customerId: yearly, meter: "api_calls", window: "billing_period" })).toMatchObject({
      value: "12",
      window: { from: at("2026-01-01T00:00:00Z"), to: at("2027-01-01T00:00:00Z") },
    });
    expect(await hub.usage({ customerId: yearly, feature: "api" })).toMatchObject({ value: "12" });
    expect(await hub.usage({ customerId: monthly, meter: "api_calls", window: "billing_period" })).toMatchObject({
      value: "7",
      window: { from: at("2026-03-01T00:00:00Z"), to: at("2026-04-01T00:00:00Z") },
    });
    const stats = await hub.ledger.stats({ customerId: yearly, meter: "api_calls", groupBy: "month" });
    expect(stats.window).toEqual({ from: at("2026-01-01T00:00:00Z"), to: at("2027-01-01T00:00:00Z") });
    expect(stats.buckets).toHaveLength(12);
    expect(stats.buckets.map((bucket) => bucket.value).slice(0, 4)).toEqual(["5", "0", "7", "0"]);
    expect(stats.total).toBe("12");
    const [ofYearly, ofMonthly] = await hub.ledger.batchStats({ customerIds: [yearly, monthly], meters: ["api_calls"], groupBy: "month" });
    expect([ofYearly!.window.to, ofYearly!.total, ofMonthly!.window.from, ofMonthly!.total]).toEqual([at("2027-01-01T00:00:00Z"), "12", at("2026-03-01T00:00:00Z"), "7"]);
  });

  it("gives a weekly customer's billing_period stats the ISO week, a day a bucket", async () => {
    clock.set("2026-03-16T00:00:00Z");
    const id = await customer("weekly");
    await consumeAt(id, "2026-03-18T00:00:00Z", 3);
    clock.set("2026-03-19T00:00:00Z");
    const stats = await hub.ledger.stats({ customerId: id, meter: "api_calls", groupBy: "day" });
    expect(stats.window).toEqual({ from: at("2026-03-16T00:00:00Z"), to: at("2026-03-23T00:00:00Z") });
    expect(stats.buckets.map((bucket) => bucket.value)).toEqual(["0", "0", "3", "0", "0", "0", "0"]);
  });

  it("resolves a billing_period asked at a past instant with the plan held then", async () => {
    clock.set("2026-01-01T00:00:00Z");
    const id = await customer("monthly");
    await consumeAt(id, "2026-01-10T00:00:00Z", 2);
    await consumeAt(id, "2026-03-10T00:00:00Z", 3);
    clock.set("2026-03-15T00:00:00Z");
    await hub.customers.assign(id, "yearly");
    clock.set("2026-03-20T00:00:00Z");
    expect(await hub.usage({ customerId: id, meter: "api_calls", window: "billing_period", at: at("2026-03-12T00:00:00Z") })).toMatchObject({
      value: "3",
      window: { from: at("2026-03-01T00:00:00Z"), to: at("2026-04-01T00:00:00Z") },
    });
    expect(await hub.usage({ customerId: id, meter: "api_calls", window: "billing_period" })).toMatchObject({
      value: "5",
      window: { from: at("2026-01-01T00:00:00Z"), to: at("2027-01-01T00:00:00Z") },
    });
  });
});

describe("spend alerts and credit rollovers follow the interval", () => {
  it("fires a spend alert on a yearly plan once per yearly window, counting the spend of every month in it", async () => {
    clock.set("2026-01-01T00:00:00Z");
    const id = await customer("yearly");
    await consumeAt(id, "2026-01-20T00:00:00Z", 30);
    await consumeAt(id, "2026-02-10T00:00:00Z", 30); // 60 cents in the year; 30 in February alone
    await consumeAt(id, "2026-03-10T00:00:00Z", 60); // a month that alone crosses 50: no second firing
    await consumeAt(id, "2027-01-10T00:00:00Z", 60);
    const spend = (await hub.alerts.list({ customerId: id, kind: "spend" })).alerts.sort((a, b) => a.window.start.getTime() - b.window.start.getTime());
    expect(spend.map((firing) => [firing.window.start, firing.window.end, firing.value])).toEqual([
      [at("2026-01-01T00:00:00Z"), at("2027-01-01T00:00:00Z"), "60"],
      [at("2027-01-01T00:00:00Z"), at("2028-01-01T00:00:00Z"), "60"],
    ]);
  });

  it("fires a low credit balance alert on a yearly plan once in the yearly window", async () => {
    clock.set("2026-03-01T00:00:00Z");
    const id = await customer("yearly_credits");
    await hub.credits.grant(id, { id: "pack", feature: "api", amount: 10 });
    await consumeAt(id, "2026-03-10T00:00:00Z", 6);
    await consumeAt(id, "2026-05-10T00:00:00Z", 1);
    const low = (await hub.alerts.list({ customerId: id, alert: "api_credits_low" })).alerts;
    expect(low.map((firing) => [firing.window.start, firing.window.end, firing.value])).toEqual([[at("2026-01-01T00:00:00Z"), at("2027-01-01T00:00:00Z"), "4"]]);
  });

  it("rolls a yearly customer's unit credits over at the end of the year, not at month ends", async () => {
    clock.set("2026-03-18T10:30:00Z");
    const id = await customer("yearly");
    await hub.credits.grant(id, { id: "none", feature: "api", amount: 10, rollover: "none" });
    expect((await hub.credits.expiring(id, { until: "2027-06-01T00:00:00Z" })).expiries.map((e) => [e.grantId, e.amount, e.reason, e.at])).toEqual([
      ["none", "10", "rollover", at("2027-01-01T00:00:00Z")],
    ]);
    clock.set("2026-04-02T00:00:00Z");
    expect((await hub.credits.balance(id)).units.api).toMatchObject({ available: "10", expired: "0" });
    clock.set("2027-01-02T00:00:00Z");
    expect((await hub.credits.balance(id)).units.api).toMatchObject({ available: "0", expired: "10" });
    expect((await hub.credits.history(id)).entries.filter((entry) => entry.kind === "expire").map((entry) => entry.reference)).toEqual(["rollover:2027-01-01T00:00:00.000Z"]);
  });
});
