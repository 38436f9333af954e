import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { add, cmp, mul, parseDecimal, sub, toDecimalString, ZERO, type Decimal } from "../../../src/core/decimal.ts";
import { chargeToLineItem } from "../../../src/core/pricing/charge-to-line-item.ts";
import type { LineItemTier } from "../../../src/core/pricing/line-item.ts";
import { preparePlan } from "../../../src/core/pricing/prepare-plan.ts";
import { prepareTiers } from "../../../src/core/pricing/prepared-tiers.ts";
import type { PriceTier } from "../../../src/core/pricing/tier-schema.ts";

/** Tiers with whole bounds, as the whole-quantity fast path serves them. */
type WholeTier = Omit<PriceTier, "upTo"> & { upTo: number | null };
import { wholeGraduatedTiers, wholeVolumeTiers } from "../../../src/core/pricing/whole-quantity-tiers.ts";
import { flatRateTiers as withFlatRates, typographicTiers as typographic } from "./helpers.ts";

const whole = (units: number) => ({ quantity: BigInt(units), units, text: String(units) });

/** A non-negative decimal string with up to `places` decimals, e.g. "12.345". */
const decimalText = (maxWhole: number, places: number) =>
  fc.tuple(fc.nat(maxWhole), fc.nat(10 ** places - 1)).map(([w, f]) => (places === 0 ? String(w) : `${w}.${String(f).padStart(places, "0")}`));
const unitAmount = fc.oneof(decimalText(5000, 0), decimalText(50, 3), decimalText(0, 6), fc.constantFrom("0", "0.5", "2.5", "12.50"));

/** 1–6 tiers with increasing bounds, the last open-ended, some free, some flat only. */
const priceTiers: fc.Arbitrary<WholeTier[]> = fc
  .uniqueArray(fc.oneof(fc.integer({ min: 1, max: 100 }), fc.integer({ min: 1, max: 2_000_000 })), { maxLength: 5 })
  .chain((bounds) => {
    const upTos: (number | null)[] = [...[...bounds].sort((a, b) => a - b), null];
    const tier = (upTo: number | null) =>
      fc.oneof(
        fc.record({ upTo: fc.constant(upTo), unitAmount }),
        fc.record({ upTo: fc.constant(upTo), flatAmount: fc.nat(100_000) }),
        fc.record({ upTo: fc.constant(upTo), unitAmount, flatAmount: fc.nat(100_000) }),
      );
    return fc.tuple(...upTos.map(tier));
  });

/** Quantities anywhere, and right on, just below and just above the bounds. */
const quantityFor = (tiers: readonly WholeTier[]) =>
  fc.oneof(fc.nat(100), fc.nat(3_000_000), fc.constantFrom(...tiers.flatMap((tier) => (tier.upTo === null ? [0] : [tier.upTo - 1, tier.upTo, tier.upTo + 1]))));
const tiersWithQuantity = priceTiers.chain((tiers) => fc.tuple(fc.constant(tiers), quantityFor(tiers)));

const amountsOf = (tier: WholeTier) => ({ unit: parseDecimal(tier.unitAmount ?? 0), flat: parseDecimal(tier.flatAmount ?? 0) });

function tierLine(index: number, tier: WholeTier, quantity: Decimal, amount: Decimal): LineItemTier {
  const { unit, flat } = amountsOf(tier);
  return {
    tier: index + 1,
    upTo: tier.upTo === null ? null : String(tier.upTo),
    quantity: toDecimalString(quantity),
    unitAmount: toDecimalString(unit),
    flatAmount: toDecimalString(flat),
    exactAmount: toDecimalString(amount),
  };
}

/** Graduated tiers straight from their definition, in decimal arithmetic: the reference. */
function graduatedReference(tiers: readonly WholeTier[], units: number) {
  const q = parseDecimal(units);
  const lines: LineItemTier[] = [];
  let total = ZERO;
  let lower = ZERO;
  for (const [index, tier] of tiers.entries()) {
    const upper = tier.upTo === null ? q : parseDecimal(Math.min(units, tier.upTo));
    const inTier = sub(upper, lower);
    const { unit, flat } = amountsOf(tier);
    const amount = add(mul(inTier, unit), flat);
    lines.push(tierLine(index, tier, inTier, amount));
    total = add(total, amount);
    if (tier.upTo === null || units <= tier.upTo) break;
    lower = parseDecimal(tier.upTo);
  }
  return { amount: total, tiers: lines };
}

/** Volume tiers straight from their definition: every unit at the tier the quantity falls in. */
function volumeReference(tiers: readonly WholeTier[], units: number) {
  const index = tiers.findIndex((tier) => tier.upTo === null || units <= tier.upTo);
  const tier = tiers[index]!;
  const { unit, flat } = amountsOf(tier);
  const amount = add(mul(parseDecimal(units), unit), flat);
  return { amount, tiers: [tierLine(index, tier, parseDecimal(units), amount)] };
}

describe("wholeGraduatedTiers", () => {
  it("docblock example: Stripe docs, graduated flat rate example, 12 units → 111 USD", () => {
    const tiers = prepareTiers([
      { upTo: 5, unitAmount: "500", flatAmount: 1000 },
      { upTo: 10, unitAmount: "400", flatAmount: 2000 },
      { upTo: null, unitAmount: "300", flatAmount: 3000 },
    ]);
    const priced = wholeGraduatedTiers(whole(12), tiers)!;
    expect(priced.amountText).toBe("11100");
    expect(priced.tiers.map((tier) => [tier.quantity, tier.exactAmount])).toEqual([
      ["5", "3500"],
      ["5", "4000"],
      ["2", "3600"],
    ]);
  });

  it("Stripe docs, graduated: 6 fonts → 41.50 USD; exactly on a bound stays in that tier", () => {
    expect(wholeGraduatedTiers(whole(6), typographic)!.amountText).toBe("4150");
    expect(wholeGraduatedTiers(whole(5), withFlatRates)!.tiers.map((tier) => tier.tier)).toEqual([1]);
  });

  it("leaves a quantity past the last bound to the general path", () => {
    const bounded = prepareTiers([{ upTo: 5, unitAmount: "700" }, { upTo: 10, unitAmount: "650" }]);
    expect(wholeGraduatedTiers(whole(10), bounded)!.amountText).toBe("6750");
    expect(wholeGraduatedTiers(whole(11), bounded)).toBeUndefined();
  });

  it("prices and breaks down every whole quantity as the tier definitions say", () => {
    fc.assert(
      fc.property(tiersWithQuantity, ([tiers, units]) => {
        const priced = wholeGraduatedTiers(whole(units), prepareTiers(tiers))!;
        const reference = graduatedReference(tiers, units);
        expect(cmp(priced.amount, reference.amount)).toBe(0);
        expect(priced.amountText).toBe(toDecimalString(reference.amount));
        expect(priced.tiers).toEqual(reference.tiers);
      }),
      { numRuns: 500 },
    );
  });
});

describe("wholeVolumeTiers", () => {
  it("docblock example: Stripe docs, volume, 6 fonts → 39 USD", () => {
    expect(wholeVolumeTiers(whole(6), typographic)!.amountText).toBe("3900");
  });

  it("leaves a quantity past the last bound to the general path", () => {
    expect(wholeVolumeTiers(whole(11), prepareTiers([{ upTo: 10, unitAmount: "650" }]))).toBeUndefined();
  });

  it("prices every whole quantity as the tier definitions say", () => {
    fc.assert(
      fc.property(tiersWithQuantity, ([tiers, units]) => {
        const priced = wholeVolumeTiers(whole(units), prepareTiers(tiers))!;
        const reference = volumeReference(tiers, units);
        expect(cmp(priced.amount, reference.amount)).toBe(0);
        expect(priced.amountText).toBe(toDecimalString(reference.amount));
        expect(priced.tiers).toEqual(reference.tiers);
      }),
      { numRuns: 500 },
    );
  });
});

describe("a tiered line of a whole quantity", () => {
  it("is the line the general path gives for the same quantity written with a decimal place", () => {
    const charge = fc.record({ model: fc.constantFrom("graduated" as const, "volume" as const), tiers: priceTiers, rounding: fc.constantFrom("half_up" as const, "half_even" as const) });
    fc.assert(
      fc.property(charge.chain((c) => fc.tuple(fc.constant(c), quantityFor(c.tiers))), ([{ model, tiers, rounding }, units]) => {
        const prepared = preparePlan({ key: "p", currency: "USD", charges: [{ key: "api", meter: "api_calls", model, tiers }] }).charges[0]!;
        const pricing = { pricing: prepared.pricing! };
        const context = { currency: "USD", rounding };
        // 120 as { coef: 1200, scale: 1 } is the same quantity, but not a whole one to the fast path.
        const fast = chargeToLineItem(prepared, pricing, { quantity: parseDecimal(units), events: undefined, units }, context);
        const general = chargeToLineItem(prepared, pricing, { quantity: { coef: BigInt(units) * 10n, scale: 1 }, events: undefined, units: undefined }, context);
        expect(fast).toEqual(general);
      }),
      { numRuns: 500 },
    );
  });
});
