import { describe, expect, it } from "vitest";
import { graduatedTiersToAmount } from "../../../src/core/pricing/graduated-tiers.ts";
import { prepareTiers } from "../../../src/core/pricing/prepared-tiers.ts";
import { d, flatRateTiers as withFlatRates, str, typographicTiers as typographic } from "./helpers.ts";

const amountOf = (quantity: string | number, tiers = typographic) => str(graduatedTiersToAmount({ quantity: d(quantity), tiers }).amount);

describe("graduatedTiersToAmount", () => {
  it("docblock example: Stripe docs, graduated, 6 fonts → 41.50 USD (5 × 7 + 1 × 6.5)", () => {
    expect(amountOf(6)).toBe("4150");
  });

  it.each([
    [1, "700"],
    [5, "3500"],
    [6, "4150"],
    [20, "12750"],
    [25, "15750"],
  ])("Stripe docs table, graduated: %i fonts → %s cents", (quantity, expected) => {
    expect(amountOf(quantity)).toBe(expected);
  });

  it("Stripe docs, graduated flat rate example: quantity 12 → (5×5+10) + (5×4+20) + (2×3+30) = 111 USD", () => {
    expect(amountOf(12, withFlatRates)).toBe("11100");
  });

  it("Stripe docs: quantity 0 still bills the first tier's flat amount (10 USD)", () => {
    const result = graduatedTiersToAmount({ quantity: d(0), tiers: withFlatRates });
    expect(str(result.amount)).toBe("1000");
    expect(result.tiers).toHaveLength(1);
    expect(str(result.tiers[0]!.quantity)).toBe("0");
  });

  it("treats upTo as inclusive: exactly 5 stays in the first tier and bills no second flat amount", () => {
    const result = graduatedTiersToAmount({ quantity: d(5), tiers: withFlatRates });
    expect(str(result.amount)).toBe("3500");
    expect(result.tiers.map((tier) => tier.tier)).toEqual([1]);
  });

  it("puts the fraction of a quantity past a bound into the next tier, with that tier's flat amount", () => {
    const result = graduatedTiersToAmount({ quantity: d("5.5"), tiers: withFlatRates });
    // 5 × 500 + 1000, then 0.5 × 400 + 2000
    expect(str(result.amount)).toBe("5700");
    expect(result.tiers.map((tier) => [tier.tier, str(tier.quantity), str(tier.amount)])).toEqual([
      [1, "5", "3500"],
      [2, "0.5", "2200"],
    ]);
  });

  it("breaks the amount down tier by tier, the parts adding up to the whole", () => {
    const result = graduatedTiersToAmount({ quantity: d(25), tiers: typographic });
    expect(result.tiers.map((tier) => [tier.tier, tier.upTo, str(tier.quantity), str(tier.unitAmount), str(tier.amount)])).toEqual([
      [1, 5n, "5", "700", "3500"],
      [2, 10n, "5", "650", "3250"],
      [3, null, "15", "600", "9000"],
    ]);
  });

  it("keeps sub-cent unit amounts exact", () => {
    const tiers = prepareTiers([{ upTo: 1000, unitAmount: "0.25" }, { upTo: null, unitAmount: "0.125" }]);
    expect(amountOf(1003, tiers)).toBe("250.375");
  });
});
