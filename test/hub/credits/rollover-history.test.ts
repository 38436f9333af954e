import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defineCatalog } from "../../../src/core/catalog/index.ts";
import { createHub, type Hub } from "../../../src/hub.ts";
import { periodEndsFromHistory } from "../../../src/hub/credits/period-ends.ts";
import type { Sql } from "../../../src/store/types.ts";
import { driverName, openTestStore, type TestStore } from "../../support/store.ts";
import { testClock } from "../entitlements-catalog.ts";
import { creditsCatalog } from "./credits-catalog.ts";

/**
 * Unit credits roll over at the ends of the periods the invoice runs bill, taken from the plan
 * history: a change of interval between two settlements gives each stretch the ends of the plan
 * held then, and the change itself ends the cut period, as invoicing cuts it.
 */
const catalog = defineCatalog({
  currency: "USD",
  meters: { api_calls: { aggregation: "sum" } },
  features: { api: { type: "metered", meter: "api_calls" } },
  plans: {
    monthly: { name: "Monthly", features: { api: 0 }, charges: [{ key: "base", model: "flat", amount: 1000 }] },
    yearly: { name: "Yearly", interval: "year", features: { api: 0 }, charges: [{ key: "base", model: "flat", amount: 10000 }] },
    weekly: { name: "Weekly", interval: "week", features: { api: 0 } },
  },
  defaultPlan: "monthly",
});

const at = (iso: string) => new Date(iso);
const clock = testClock("2026-01-01T00:00:00Z");
let store: TestStore;
let hub: Hub;
let n = 0;

async function customer(plan: string, since: string): Promise<string> {
  const id = `rh_${++n}`;
  clock.set(since);
  await hub.customers.upsert({ id });
  await hub.customers.assign(id, plan);
  return id;
}

async function grantAt(id: string, iso: string, grant: { id: string; amount: number; rollover: "none" | { cap: number } }) {
  clock.set(iso);
  await hub.credits.grant(id, { feature: "api", ...grant });
}

async function assignAt(id: string, iso: string, plan: string) {
  clock.set(iso);
  await hub.customers.assign(id, plan);
}

/** The expire entries of the ledger, [grant, amount, reference], by time then grant. */
async function expiries(id: string) {
  const entries = (await hub.credits.history(id)).entries.filter((entry) => entry.kind === "expire");
  entries.sort((a, b) => a.at.getTime() - b.at.getTime() || (a.grantId < b.grantId ? -1 : 1));
  return entries.map((entry) => [entry.grantId, entry.amount, entry.reference]);
}

beforeAll(async () => {
  store = await openTestStore();
  hub = await createHub({ catalog }, { store, now: clock.now });
});
afterAll(async () => {
  await hub.close();
  await store.cleanup();
});

describe(`unit-credit rollovers follow the plan history (${driverName})`, () => {
  it("expires a monthly → yearly customer's credits at the monthly ends before the change and at the change, not at month ends after it", async () => {
    const id = await customer("monthly", "2026-01-05T00:00:00Z");
    await grantAt(id, "2026-02-10T00:00:00Z", { id: "feb", amount: 10, rollover: "none" });
    await grantAt(id, "2026-03-05T00:00:00Z", { id: "mar", amount: 10, rollover: "none" });
    await assignAt(id, "2026-03-15T00:00:00Z", "yearly");
    await grantAt(id, "2026-03-20T00:00:00Z", { id: "after", amount: 10, rollover: "none" });
    // No write of the grants between the grants and now: one settlement spans the change.
    clock.set("2026-06-02T00:00:00Z");
    expect((await hub.credits.balance(id)).units.api).toMatchObject({ available: "10", expired: "20" });
    expect(await expiries(id)).toEqual([
      ["feb", "10", "rollover:2026-03-01T00:00:00.000Z"],
      ["mar", "10", "rollover:2026-03-15T00:00:00.000Z"],
    ]);
    // The March run bills Mar 1 → Mar 15 on the monthly plan: the rollover is at the end of that invoiced period.
    expect((await hub.invoices.preview(id, { period: "2026-03" })).period).toEqual({ from: at("2026-03-01T00:00:00Z"), to: at("2026-03-15T00:00:00Z") });
    clock.set("2027-01-02T00:00:00Z");
    await hub.credits.balance(id);
    expect((await expiries(id)).at(-1)).toEqual(["after", "10", "rollover:2027-01-01T00:00:00.000Z"]);
  });

  it("keeps a yearly → monthly customer's credits through the month ends before the change, then rolls them over at the change and each month end", async () => {
    const id = await customer("yearly", "2026-01-01T00:00:00Z");
    await grantAt(id, "2026-02-10T00:00:00Z", { id: "capped", amount: 10, rollover: { cap: 4 } });
    await grantAt(id, "2026-02-11T00:00:00Z", { id: "none", amount: 10, rollover: "none" });
    await assignAt(id, "2026-06-10T00:00:00Z", "monthly");
    await grantAt(id, "2026-06-20T00:00:00Z", { id: "june", amount: 3, rollover: "none" });
    clock.set("2026-07-02T00:00:00Z");
    expect((await hub.credits.balance(id)).units.api).toMatchObject({ available: "4", expired: "19" });
    expect(await expiries(id)).toEqual([
      ["capped", "6", "rollover:2026-06-10T00:00:00.000Z"],
      ["none", "10", "rollover:2026-06-10T00:00:00.000Z"],
      ["june", "3", "rollover:2026-07-01T00:00:00.000Z"],
    ]);
    expect((await hub.invoices.preview(id, { period: "2026" })).period).toEqual({ from: at("2026-01-01T00:00:00Z"), to: at("2026-06-10T00:00:00Z") });
  });

  it("has a check before any write read the credits settled across the change, and the consume after it draw only what is left", async () => {
    const id = await customer("monthly", "2026-01-05T00:00:00Z");
    await grantAt(id, "2026-02-10T00:00:00Z", { id: "feb", amount: 10, rollover: "none" });
    await grantAt(id, "2026-03-20T00:00:00Z", { id: "spare", amount: 5, rollover: { cap: 5 } });
    await assignAt(id, "2026-03-25T00:00:00Z", "yearly");
    clock.set("2026-05-02T00:00:00Z");
    expect(await hub.check(id, "api", { amount: 5 })).toMatchObject({ allowed: true, exact: { credits: "5" } });
    expect(await hub.consume(id, "api", 6, "c-1")).toMatchObject({ status: "refused" });
    expect(await hub.consume(id, "api", 5, "c-2")).toMatchObject({ status: "created", exact: { credits: "0" } });
    expect(await expiries(id)).toEqual([["feb", "10", "rollover:2026-03-01T00:00:00.000Z"]]);
  });

  it("rolls over once for a month left for a week and come back to inside it: at the week's end and the month's, as they are invoiced", async () => {
    const id = await customer("monthly", "2026-02-20T00:00:00Z");
    await grantAt(id, "2026-03-02T00:00:00Z", { id: "a", amount: 10, rollover: "none" });
    await assignAt(id, "2026-03-09T00:00:00Z", "weekly");
    await grantAt(id, "2026-03-10T00:00:00Z", { id: "b", amount: 10, rollover: "none" });
    await assignAt(id, "2026-03-16T00:00:00Z", "monthly");
    await grantAt(id, "2026-03-17T00:00:00Z", { id: "c", amount: 10, rollover: "none" });
    clock.set("2026-04-02T00:00:00Z");
    await hub.credits.balance(id);
    expect(await expiries(id)).toEqual([
      ["a", "10", "rollover:2026-03-16T00:00:00.000Z"],
      ["b", "10", "rollover:2026-03-16T00:00:00.000Z"],
      ["c", "10", "rollover:2026-04-01T00:00:00.000Z"],
    ]);
  });

  it("lists upcoming rollovers at the ends of the plan history, not one already due at the change", async () => {
    const id = await customer("monthly", "2026-01-05T00:00:00Z");
    await grantAt(id, "2026-03-02T00:00:00Z", { id: "soon", amount: 10, rollover: "none" });
    await assignAt(id, "2026-03-10T00:00:00Z", "yearly");
    clock.set("2026-03-12T00:00:00Z");
    // Already due at the change (Mar 10): not upcoming.
    expect((await hub.credits.expiring(id, { until: "2027-02-01T00:00:00Z" })).expiries).toEqual([]);
    await grantAt(id, "2026-03-12T00:00:00Z", { id: "year", amount: 7, rollover: "none" });
    expect((await hub.credits.expiring(id, { until: "2027-02-01T00:00:00Z" })).expiries.map((e) => [e.grantId, e.amount, e.at])).toEqual([["year", "7", at("2027-01-01T00:00:00Z")]]);
  });
});

describe(`the plan history behind period ends (${driverName})`, () => {
  function counting(): { sql: Sql; count: () => number } {
    let queries = 0;
    return {
      sql: {
        query: (text, params) => {
          queries += 1;
          return store.query(text, params);
        },
        exec: (text) => store.exec(text),
      },
      count: () => queries,
    };
  }

  it("reads no plan history when the catalog has only monthly plans: the cycle's months", async () => {
    const { sql, count } = counting();
    const ends = await periodEndsFromHistory(sql, creditsCatalog, [{ customerId: "anyone", cycle: {}, after: at("2026-02-10T00:00:00Z"), through: at("2026-05-01T00:00:00Z") }]);
    expect(count()).toBe(0);
    expect(ends.get("anyone")!(at("2026-02-10T00:00:00Z"), at("2026-05-01T00:00:00Z"))).toEqual([at("2026-03-01T00:00:00Z"), at("2026-04-01T00:00:00Z"), at("2026-05-01T00:00:00Z")]);
  });

  it("reads the history of many customers in one statement", async () => {
    const monthly = await customer("monthly", "2026-01-01T00:00:00Z");
    const yearly = await customer("yearly", "2026-01-01T00:00:00Z");
    const { sql, count } = counting();
    const stretch = { cycle: {}, after: at("2026-02-10T00:00:00Z"), through: at("2026-05-01T00:00:00Z") };
    const ends = await periodEndsFromHistory(sql, catalog, [
      { customerId: monthly, ...stretch },
      { customerId: yearly, ...stretch },
    ]);
    expect(count()).toBe(1);
    expect(ends.get(monthly)!(stretch.after, stretch.through)).toHaveLength(3);
    expect(ends.get(yearly)!(stretch.after, stretch.through)).toEqual([]);
  });
});
