import { describe, expect, it } from "vitest";
import { roundMinor } from "../../../src/core/money.ts";
import { flatFeeToAmount } from "../../../src/core/pricing/flat-fee.ts";
import { graduatedTiersToAmount } from "../../../src/core/pricing/graduated-tiers.ts";
import { includedUnitsToBillable } from "../../../src/core/pricing/included-units.ts";
import { perUnitToAmount } from "../../../src/core/pricing/per-unit.ts";
import { prepareTiers } from "../../../src/core/pricing/prepared-tiers.ts";
import { d, str } from "./helpers.ts";

describe("flatFeeToAmount", () => {
  it("docblock example: Stripe docs, flat rate, Basic at 10 USD per month → 1000 cents whatever the usage", () => {
    expect(str(flatFeeToAmount({ amount: d(1000) }).amount)).toBe("1000");
  });
});

describe("perUnitToAmount", () => {
  it("docblock example: 1,001 calls at half a cent → 500.5 cents exact, 501 half-up, 500 half-even", () => {
    const { amount } = perUnitToAmount({ quantity: d(1001), unitAmount: d("0.5") });
    expect(str(amount)).toBe("500.5");
    expect(roundMinor(amount, "half_up")).toBe(501);
    expect(roundMinor(amount, "half_even")).toBe(500);
  });

  it("Lago docs, standard charge: 0.05 USD per API call, 1,000 calls → 50 USD", () => {
    expect(str(perUnitToAmount({ quantity: d(1000), unitAmount: d(5) }).amount)).toBe("5000");
  });

  it("keeps a 12-place unit amount (Stripe's unit_amount_decimal limit) exact before the one rounding", () => {
    const { amount } = perUnitToAmount({ quantity: d("3"), unitAmount: d("0.333333333333") });
    expect(str(amount)).toBe("0.999999999999");
    expect(roundMinor(amount, "half_up")).toBe(1);
  });

  it("prices fractional quantities (GB-hours) exactly", () => {
    expect(str(perUnitToAmount({ quantity: d("2.75"), unitAmount: d("12") }).amount)).toBe("33");
  });
});

describe("includedUnitsToBillable", () => {
  it("docblock example: Stripe docs, fixed fee and overage, 100,000 tokens included; 130,000 used → 30,000 billable", () => {
    expect(str(includedUnitsToBillable({ quantity: d(130000), includedUnits: d(100000) }))).toBe("30000");
  });

  it("never goes below 0 when usage stays inside the allowance", () => {
    expect(str(includedUnitsToBillable({ quantity: d(99999), includedUnits: d(100000) }))).toBe("0");
    expect(str(includedUnitsToBillable({ quantity: d(0), includedUnits: d(100000) }))).toBe("0");
  });

  it("bills what Stripe's encoding of the same offer bills: a free first tier up to the allowance, then the unit price", () => {
    // Stripe docs, "Model usage-based pricing": 0–100,000 tokens at 0.00 USD, then 0.001 USD (0.1 cents) per token.
    const stripeTiers = prepareTiers([{ upTo: 100000, unitAmount: "0" }, { upTo: null, unitAmount: "0.1" }]);
    for (const used of [0, 1, 99999, 100000, 100001, 130000, 1234567]) {
      const ours = perUnitToAmount({ quantity: includedUnitsToBillable({ quantity: d(used), includedUnits: d(100000) }), unitAmount: d("0.1") }).amount;
      const stripe = graduatedTiersToAmount({ quantity: d(used), tiers: stripeTiers }).amount;
      expect(str(ours)).toBe(str(stripe));
    }
  });
});
