import { describe, expect, it } from "vitest";
import { chargeSchema, mapUsageToLineItems, preparePlan, stripePriceToResolvedPrice } from "../../../src/index.ts";

describe("the package root", () => {
  it("exports the pricing API: a catalog charge validated by chargeSchema prices through mapUsageToLineItems", () => {
    const charge = chargeSchema.parse({ key: "api", meter: "api_calls", model: "per_unit", unitAmount: "0.5" });
    const plan = preparePlan({ key: "pro", currency: "USD", charges: [charge] });
    expect(mapUsageToLineItems(plan, { api_calls: 1000 }).subtotal).toBe(500);
    expect(stripePriceToResolvedPrice({ currency: "usd", billing_scheme: "per_unit", unit_amount: 5 })).toMatchObject({ unitAmount: "5" });
  });
});

describe("the README's pricing example", () => {
  it("bills 4,900 + 501 + 4,150 and a 449 true-up to reach the 100 USD commitment", () => {
    const plan = preparePlan({
      key: "pro",
      currency: "USD",
      charges: [
        { key: "platform", model: "flat", amount: 4900, description: "Platform fee" },
        { key: "api", meter: "api_calls", model: "per_unit", unitAmount: "0.5", includedUnits: 1000 },
        { key: "fonts", meter: "fonts", model: "graduated", tiers: [{ upTo: 5, unitAmount: 700 }, { upTo: 10, unitAmount: 650 }, { upTo: null, unitAmount: 600 }] },
      ],
      minimumCommitment: { amount: 10000 },
    });
    const { lineItems, subtotal } = mapUsageToLineItems(plan, { api_calls: 2001, fonts: 6 });
    expect(lineItems[1]).toMatchObject({ chargeKey: "api", quantity: "2001", billableQuantity: "1001", exactAmount: "500.5", amount: 501 });
    expect(lineItems.map((line) => line.amount)).toEqual([4900, 501, 4150, 449]);
    expect(subtotal).toBe(10000);
  });
});
