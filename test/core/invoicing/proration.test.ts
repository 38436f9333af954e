import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseDecimal } from "../../../src/core/decimal.ts";
import { prorateAmount, prorationShare } from "../../../src/core/invoicing/proration.ts";

const d = (iso: string) => new Date(iso);
const unix = (seconds: number) => new Date(seconds * 1000);
const NOVEMBER = { from: d("2026-11-01T00:00:00Z"), to: d("2026-12-01T00:00:00Z") };

describe("proration of flat fees (Stripe's worked examples)", () => {
  it("bills 5 USD of a 10 USD plan and 10 USD of a 20 USD plan for an upgrade halfway through the period: Stripe's net +5 USD on the 10 USD already paid", () => {
    // Stripe, "Prorations": upgrading from a 10 USD monthly plan to a 20 USD one halfway through the
    // period credits 5 USD of unused time and debits 10 USD of remaining time. Billed in arrears,
    // the period costs 5 + 10 = 15 USD, the 10 USD paid in advance plus Stripe's +5 USD.
    for (const proration of ["second", "day"] as const) {
      const before = prorationShare({ from: NOVEMBER.from, to: d("2026-11-16T00:00:00Z") }, NOVEMBER, proration);
      const after = prorationShare({ from: d("2026-11-16T00:00:00Z"), to: NOVEMBER.to }, NOVEMBER, proration);
      expect(prorateAmount(parseDecimal("1000"), before).amount).toBe(500);
      expect(prorateAmount(parseDecimal("2000"), after).amount).toBe(1000);
    }
  });

  it("matches the unused-time credit of a Stripe invoice to the cent: 10 USD a month, changed at 1488568488 in the period ending 1489449600", () => {
    // A Stripe upcoming invoice (proration_date 1488568488) holds "Unused time on monthly widgets
    // after 03 Mar 2017": −364 for the period 1488568488 → 1489449600 of a 1000-cent monthly plan
    // whose period began 2017-02-14. The time used before the change is the rest of the fee.
    const period = { from: unix(1487030400), to: unix(1489449600) };
    const used = prorationShare({ from: period.from, to: unix(1488568488) }, period, "second");
    const unused = prorationShare({ from: unix(1488568488), to: period.to }, period, "second");
    expect(used).toEqual({ units: 1_538_088n, of: 2_419_200n, unit: "second" });
    expect(prorateAmount(parseDecimal("1000"), unused).amount).toBe(364);
    expect(prorateAmount(parseDecimal("1000"), used)).toEqual({ amount: 636, exactAmount: "635.78373015873" });
  });

  it("counts whole UTC days with proration by day: a change at 15:00 bills the new plan from the start of its day", () => {
    const share = prorationShare({ from: d("2026-11-16T15:00:00Z"), to: NOVEMBER.to }, NOVEMBER, "day");
    expect(share).toEqual({ units: 15n, of: 30n, unit: "day" });
    // By the second the same change leaves 14 days and 9 hours: 2000 × 1,242,000 / 2,592,000 = 958.33…
    expect(prorateAmount(parseDecimal("2000"), prorationShare({ from: d("2026-11-16T15:00:00Z"), to: NOVEMBER.to }, NOVEMBER, "second")).amount).toBe(958);
  });

  it("rounds each prorated line once, half up, from the exact quotient (no float anywhere)", () => {
    // 1001 × 1/2 = 500.5 → 501; 1000 × 1/3 = 333.33… → 333; a sub-cent provider fee 0.5 × 1/1 stays exact.
    expect(prorateAmount(parseDecimal("1001"), { units: 1n, of: 2n, unit: "day" })).toEqual({ amount: 501, exactAmount: "500.5" });
    expect(prorateAmount(parseDecimal("1000"), { units: 1n, of: 3n, unit: "day" })).toEqual({ amount: 333, exactAmount: "333.333333333333" });
    expect(prorateAmount(parseDecimal("9007199254740991"), { units: 1n, of: 1n, unit: "second" }).amount).toBe(9_007_199_254_740_991);
  });

  it("shares a window between its parts so that the parts' units add up to the window's and each fee is billed at most half a unit per line off", () => {
    const from = d("2026-10-01T00:00:00Z").getTime();
    const to = d("2026-11-01T00:00:00Z").getTime();
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: from + 1, max: to - 1 }), { maxLength: 6 }),
        fc.constantFrom("second" as const, "day" as const),
        fc.integer({ min: 0, max: 1_000_000 }),
        (cuts, proration, fee) => {
          const bounds = [from, ...[...cuts].sort((a, b) => a - b), to];
          const window = { from: new Date(from), to: new Date(to) };
          const shares = bounds.slice(1).map((end, index) => prorationShare({ from: new Date(bounds[index]!), to: new Date(end) }, window, proration));
          expect(shares.reduce((total, share) => total + share.units, 0n)).toBe(shares[0]!.of);
          for (const share of shares) expect(share.units >= 0n).toBe(true);
          const billed = shares.reduce((total, share) => total + prorateAmount(parseDecimal(String(fee)), share).amount, 0);
          expect(Math.abs(billed - fee)).toBeLessThanOrEqual(shares.length / 2);
        },
      ),
    );
  });
});
