import { describe, expect, it } from "vitest";
import { graduatedPercentageToAmount } from "../../../src/core/pricing/graduated-percentage.ts";
import { preparePercentTiers } from "../../../src/core/pricing/prepared-tiers.ts";
import { d, str } from "./helpers.ts";

// Lago docs, "Graduated percentage": 0–1,000 USD at 1 % + 200 USD, 1,001–10,000 at 2 % + 300 USD,
// above at 3 % + 400 USD. Amounts in cents.
const lago = preparePercentTiers([
  { upTo: 100000, percent: "1", flatAmount: 20000 },
  { upTo: 1000000, percent: "2", flatAmount: 30000 },
  { upTo: null, percent: "3", flatAmount: 40000 },
]);
const amountOf = (total: number) => str(graduatedPercentageToAmount({ total: d(total), tiers: lago }).amount);

describe("graduatedPercentageToAmount", () => {
  it("docblock example: Lago docs, a first transaction of 500 USD → 1 % of 500 + 200 USD = 205 USD", () => {
    expect(amountOf(50000)).toBe("20500");
  });

  it("Lago docs: a second transaction of 550 USD adds (500 × 1 % + 50 × 2 %) + 300 USD = 306 USD", () => {
    expect(BigInt(amountOf(105000)) - BigInt(amountOf(50000))).toBe(30600n);
  });

  it("Lago docs: a third transaction of 4,000 USD adds 4,000 × 2 % = 80 USD", () => {
    expect(BigInt(amountOf(505000)) - BigInt(amountOf(105000))).toBe(8000n);
  });

  it("bills nothing, not even the first flat amount, for a total of 0 (Lago's rule)", () => {
    const result = graduatedPercentageToAmount({ total: d(0), tiers: lago });
    expect(str(result.amount)).toBe("0");
    expect(result.tiers).toEqual([]);
  });

  it("breaks the amount down per tier with the rate each part paid", () => {
    const result = graduatedPercentageToAmount({ total: d(105000), tiers: lago });
    expect(result.tiers.map((tier) => [tier.tier, str(tier.quantity), str(tier.unitAmount), str(tier.amount)])).toEqual([
      [1, "100000", "0.01", "21000"],
      [2, "5000", "0.02", "30100"],
    ]);
  });
});
