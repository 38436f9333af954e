import { describe, expect, it } from "vitest";
import { prepareTiers } from "../../../src/core/pricing/prepared-tiers.ts";
import { volumeTiersToAmount } from "../../../src/core/pricing/volume-tiers.ts";
import { d, flatRateTiers as withFlatRates, str, typographicTiers as typographic } from "./helpers.ts";

const amountOf = (quantity: string | number, tiers = typographic) => str(volumeTiersToAmount({ quantity: d(quantity), tiers }).amount);

describe("volumeTiersToAmount", () => {
  it("docblock example: Stripe docs, volume, 6 fonts → 39 USD (6 × 6.5)", () => {
    expect(amountOf(6)).toBe("3900");
  });

  it.each([
    [1, "700"],
    [5, "3500"],
    [6, "3900"],
    [20, "12000"],
    [25, "15000"],
  ])("Stripe docs table, volume: %i fonts → %s cents", (quantity, expected) => {
    expect(amountOf(quantity)).toBe(expected);
  });

  it("Stripe docs, volume flat rate example: quantity 12 → 12 × 3 USD + 30 USD = 66 USD", () => {
    expect(amountOf(12, withFlatRates)).toBe("6600");
  });

  it("Stripe docs: quantity 0 bills the first tier's flat amount (10 USD)", () => {
    expect(amountOf(0, withFlatRates)).toBe("1000");
  });

  it("Lago docs, volume: 65,000 API calls at tier 3 (0.0006 USD + 10 USD flat) → 49 USD", () => {
    const lago = prepareTiers([
      { upTo: 10000, unitAmount: "0.1", flatAmount: 1000 },
      { upTo: 50000, unitAmount: "0.08", flatAmount: 1000 },
      { upTo: 100000, unitAmount: "0.06", flatAmount: 1000 },
      { upTo: null, unitAmount: "0.04", flatAmount: 1000 },
    ]);
    expect(amountOf(65000, lago)).toBe("4900");
  });

  it("treats upTo as inclusive and sends a fractional quantity past a bound to the next tier", () => {
    expect(amountOf(5)).toBe("3500");
    expect(amountOf("5.5")).toBe("3575");
    expect(volumeTiersToAmount({ quantity: d("5.5"), tiers: typographic }).tiers.map((tier) => [tier.tier, str(tier.quantity)])).toEqual([[2, "5.5"]]);
  });

  it("names the single tier that priced the quantity", () => {
    const [tier] = volumeTiersToAmount({ quantity: d(12), tiers: withFlatRates }).tiers;
    expect([tier!.tier, tier!.upTo, str(tier!.unitAmount), str(tier!.flatAmount), str(tier!.amount)]).toEqual([3, 15n, "300", "3000", "6600"]);
  });
});
