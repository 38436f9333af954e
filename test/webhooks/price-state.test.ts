import { describe, expect, it } from "vitest";
import type { FlowgladPrice } from "../../src/providers/flowglad/types.ts";
import { flowgladPriceState } from "../../src/providers/flowglad/price-state.ts";
import { stateHash } from "../../src/webhooks/state-hash.ts";

const usagePrice: FlowgladPrice = {
  id: "price_um_api",
  slug: "api_calls_usage",
  name: "API calls",
  type: "usage",
  active: true,
  isDefault: true,
  currency: "USD",
  unitPrice: 1,
  intervalUnit: "month",
  intervalCount: 1,
  usageEventsPerUnit: 100,
  usageMeterId: "um_api",
  productId: null,
};

describe("Flowglad prices in the price history", () => {
  it("turns a usage price of unitPrice per usageEventsPerUnit events into an exact per-event unit amount", () => {
    expect(flowgladPriceState(usagePrice)).toMatchObject({
      lookupKey: "api_calls_usage",
      currency: "USD",
      resolved: { scheme: "per_unit", id: "price_um_api", currency: "USD", unitAmount: "0.01", transformQuantity: null },
      resolveError: null,
    });
  });

  it("turns a subscription price into a per-unit price of its unitPrice (a flat charge's amount)", () => {
    const subscription: FlowgladPrice = { ...usagePrice, id: "price_pro", slug: "pro_monthly", type: "subscription", unitPrice: 2900, usageEventsPerUnit: null, usageMeterId: null, productId: "prod_pro" };
    expect(flowgladPriceState(subscription).resolved).toEqual({ scheme: "per_unit", id: "price_pro", currency: "USD", unitAmount: "2900", transformQuantity: null });
  });

  it("keeps a usage price that is no exact amount per event with the reason instead of a rounded one", () => {
    const thirds = flowgladPriceState({ ...usagePrice, unitPrice: 1, usageEventsPerUnit: 3 });
    expect(thirds).toMatchObject({ resolved: null, resolveError: "Flowglad price api_calls_usage bills 1 per 3 events, which is no exact amount per event" });
  });
});

describe("stateHash", () => {
  it("does not depend on key order and tells different states apart", () => {
    expect(stateHash({ a: 1, b: { c: [1, 2], d: null } })).toBe(stateHash({ b: { d: null, c: [1, 2] }, a: 1 }));
    expect(stateHash({ at: new Date("2026-01-01T00:00:00Z") })).toBe(stateHash({ at: new Date(Date.parse("2026-01-01T00:00:00Z")) }));
    expect(stateHash({ a: 1 })).not.toBe(stateHash({ a: 2 }));
    expect(stateHash([1, 2])).not.toBe(stateHash([2, 1]));
  });
});
