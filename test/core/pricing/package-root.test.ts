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
