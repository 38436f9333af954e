import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { add, cmp, mul, parseDecimal, sub, toDecimalString, ZERO, type Decimal } from "../../../src/core/decimal.ts";
import { graduatedTiersToAmount } from "../../../src/core/pricing/graduated-tiers.ts";
import { mapUsageToLineItems } from "../../../src/core/pricing/map-usage-to-line-items.ts";
import { prepareTiers } from "../../../src/core/pricing/prepared-tiers.ts";
import { volumeTiersToAmount } from "../../../src/core/pricing/volume-tiers.ts";
import { d, str } from "./helpers.ts";

/** Lago's storage example shape: the first 0.5 GB at 10, up to 2.25 GB at 5, beyond at 2 (minor units per GB). */
const STORAGE = [
  { upTo: "0.5", unitAmount: "10" },
  { upTo: "2.25", unitAmount: "5" },
  { upTo: null, unitAmount: "2" },
];
const storage = prepareTiers(STORAGE);

describe("fractional tier bounds", () => {
  it("prices graduated tiers with fractional bounds exactly: 3.1 GB = 0.5 × 10 + 1.75 × 5 + 0.85 × 2", () => {
    const result = graduatedTiersToAmount({ quantity: d("3.1"), tiers: storage });
    expect(str(result.amount)).toBe("15.45");
    expect(result.tiers.map((tier) => [tier.tier, str(tier.quantity), str(tier.amount)])).toEqual([
      [1, "0.5", "5"],
      [2, "1.75", "8.75"],
      [3, "0.85", "1.7"],
    ]);
  });

  it("keeps a quantity exactly on a fractional bound in that tier, and one just above it in the next", () => {
    expect(graduatedTiersToAmount({ quantity: d("0.5"), tiers: storage }).tiers.map((tier) => tier.tier)).toEqual([1]);
    expect(graduatedTiersToAmount({ quantity: d("0.500001"), tiers: storage }).tiers.map((tier) => tier.tier)).toEqual([1, 2]);
    expect(str(volumeTiersToAmount({ quantity: d("2.25"), tiers: storage }).amount)).toBe("11.25");
    expect(str(volumeTiersToAmount({ quantity: d("2.26"), tiers: storage }).amount)).toBe("4.52");
  });

  it("prices whole quantities over fractional bounds (the whole-number fast path steps aside)", () => {
    expect(str(graduatedTiersToAmount({ quantity: d(3), tiers: storage }).amount)).toBe("15.25");
    const priced = mapUsageToLineItems({ key: "p", currency: "USD", charges: [{ key: "gb", meter: "gb", model: "graduated", tiers: STORAGE }] }, { gb: 3 });
    expect(priced.lineItems[0]).toMatchObject({ quantity: "3", exactAmount: "15.25", amount: 15 });
    expect(priced.lineItems[0]!.tiers!.map((tier) => [tier.upTo, tier.quantity, tier.exactAmount])).toEqual([
      ["0.5", "0.5", "5"],
      ["2.25", "1.75", "8.75"],
      [null, "0.75", "1.5"],
    ]);
  });

  it("prices every quantity as the tier definitions say, in decimal arithmetic", () => {
    const bound = fc.tuple(fc.nat(500), fc.integer({ min: 1, max: 999 })).map(([whole, thousandths]) => parseDecimal(`${whole}.${String(thousandths).padStart(3, "0")}`));
    const tiers = fc.uniqueArray(bound, { minLength: 1, maxLength: 4, comparator: (a, b) => cmp(a, b) === 0 }).map((bounds) =>
      [...[...bounds].sort(cmp).map((upTo, i) => ({ upTo: toDecimalString(upTo), unitAmount: String(i + 3) })), { upTo: null, unitAmount: "1" }],
    );
    const quantity = fc.tuple(fc.nat(600), fc.nat(9999)).map(([whole, fraction]) => parseDecimal(`${whole}.${String(fraction).padStart(4, "0")}`));
    fc.assert(
      fc.property(tiers, quantity, (definition, q) => {
        let expected: Decimal = ZERO;
        let lower: Decimal = ZERO;
        for (const tier of definition) {
          const upper = tier.upTo === null ? q : parseDecimal(tier.upTo);
          const top = cmp(q, upper) < 0 ? q : upper;
          if (cmp(top, lower) > 0) expected = add(expected, mul(sub(top, lower), parseDecimal(tier.unitAmount)));
          if (tier.upTo === null || cmp(q, upper) <= 0) break;
          lower = upper;
        }
        expect(toDecimalString(graduatedTiersToAmount({ quantity: q, tiers: prepareTiers(definition) }).amount)).toBe(toDecimalString(expected));
      }),
      { numRuns: 300 },
    );
  });
});
