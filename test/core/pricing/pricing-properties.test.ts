import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { abs, add, cmp, parseDecimal, round, sub, toDecimalString, ZERO } from "../../../src/core/decimal.ts";
import type { ChargeInput } from "../../../src/core/pricing/charge-schema.ts";
import { graduatedTiersToAmount } from "../../../src/core/pricing/graduated-tiers.ts";
import { mapUsageToLineItems } from "../../../src/core/pricing/map-usage-to-line-items.ts";
import { percentageToAmount } from "../../../src/core/pricing/percentage.ts";
import { prepareTiers } from "../../../src/core/pricing/prepared-tiers.ts";
import { volumeTiersToAmount } from "../../../src/core/pricing/volume-tiers.ts";

/** A non-negative decimal string with up to `places` decimals, e.g. "12.345". */
const decimalText = (maxWhole: number, places: number) =>
  fc.tuple(fc.nat(maxWhole), fc.nat(10 ** places - 1)).map(([whole, fraction]) => (places === 0 ? String(whole) : `${whole}.${String(fraction).padStart(places, "0")}`));
// Half-unit prices make exact ties, where half-up and half-even part ways.
const unitAmount = fc.oneof(decimalText(5000, 0), decimalText(50, 3), decimalText(0, 6), fc.constantFrom("0.5", "1.5", "2.5"));
const quantity = fc.oneof(fc.nat(100000), decimalText(5000, 2));
const flatAmount = fc.nat(100000);

/** 1–5 tiers with increasing bounds, the last open-ended. */
const tiers = fc
  .uniqueArray(fc.integer({ min: 1, max: 10000 }), { maxLength: 4 })
  .chain((bounds) => {
    const sorted = [...bounds].sort((a, b) => a - b);
    const upTos: (number | null)[] = [...sorted, null];
    return fc.tuple(...upTos.map((upTo) => fc.record({ upTo: fc.constant(upTo), unitAmount, flatAmount: fc.option(flatAmount, { nil: undefined }) })));
  })
  .map((rows) => rows.map((row) => (row.flatAmount === undefined ? { upTo: row.upTo, unitAmount: row.unitAmount } : row)));

const percentTiers = tiers.map((rows) => rows.map((row) => ({ upTo: row.upTo, percent: "2.5", ...("flatAmount" in row ? { flatAmount: row.flatAmount } : {}) })));

/** One charge of any model on meter `m<i>`. */
const charge = (i: number): fc.Arbitrary<ChargeInput> => {
  const key = `c${i}`;
  const meter = `m${i}`;
  return fc.oneof(
    fc.record({ key: fc.constant(key), model: fc.constant("flat" as const), amount: flatAmount }),
    fc.record({ key: fc.constant(key), meter: fc.constant(meter), model: fc.constant("per_unit" as const), unitAmount, includedUnits: fc.option(fc.nat(1000), { nil: undefined }) }),
    fc.record({ key: fc.constant(key), meter: fc.constant(meter), model: fc.constantFrom("graduated" as const, "volume" as const), tiers }),
    fc.record({ key: fc.constant(key), meter: fc.constant(meter), model: fc.constant("package" as const), packageSize: fc.integer({ min: 1, max: 1000 }), packageAmount: unitAmount, round: fc.constantFrom("up" as const, "down" as const) }),
    fc.record({ key: fc.constant(key), meter: fc.constant(meter), model: fc.constant("percentage" as const), percent: decimalText(99, 2), freeAmount: fc.option(decimalText(10000, 0), { nil: undefined }) }),
    fc.record({ key: fc.constant(key), meter: fc.constant(meter), model: fc.constant("graduated_percentage" as const), tiers: percentTiers }),
  ).map((built) => Object.fromEntries(Object.entries(built).filter(([, value]) => value !== undefined)) as ChargeInput);
};

const planWithUsage = fc.integer({ min: 1, max: 6 }).chain((count) =>
  fc.record({
    charges: fc.tuple(...Array.from({ length: count }, (_, i) => charge(i))),
    quantities: fc.array(fc.option(quantity, { nil: undefined }), { minLength: count, maxLength: count }),
    commitment: fc.option(fc.nat(200000), { nil: undefined }),
    rounding: fc.constantFrom("half_up" as const, "half_even" as const),
  }),
);

interface PricingCase {
  readonly charges: readonly ChargeInput[];
  readonly quantities: readonly (string | number | undefined)[];
  readonly commitment: number | undefined;
  readonly rounding: "half_up" | "half_even";
}

function priced({ charges, quantities, commitment, rounding }: PricingCase) {
  const usage: Record<string, string | number> = {};
  charges.forEach((c, i) => {
    const q = quantities[i];
    if ("meter" in c && q !== undefined) usage[c.meter] = q;
  });
  const plan = { key: "p", currency: "USD", charges, ...(commitment === undefined ? {} : { minimumCommitment: { amount: commitment } }) };
  return mapUsageToLineItems(plan, usage, { rounding });
}

describe("pricing properties", () => {
  it("a subtotal equals the sum of its line items", () => {
    fc.assert(
      fc.property(planWithUsage, (input) => {
        const result = priced(input);
        expect(result.subtotal).toBe(result.lineItems.reduce((sum, line) => sum + line.amount, 0));
      }),
    );
  });

  it("amounts are never negative (no model here makes a credit line)", () => {
    fc.assert(
      fc.property(planWithUsage, (input) => {
        for (const line of priced(input).lineItems) {
          expect(line.amount).toBeGreaterThanOrEqual(0);
          expect(cmp(parseDecimal(line.exactAmount), ZERO)).toBeGreaterThanOrEqual(0);
        }
      }),
    );
  });

  it("each line is its exact amount rounded once, with the chosen mode", () => {
    fc.assert(
      fc.property(planWithUsage, (input) => {
        for (const line of priced(input).lineItems) {
          const exact = parseDecimal(line.exactAmount);
          expect(toDecimalString(round(exact, 0, input.rounding))).toBe(String(line.amount));
          expect(cmp(abs(sub(parseDecimal(line.amount), exact)), parseDecimal("0.5"))).toBeLessThanOrEqual(0);
        }
      }),
    );
  });

  it("a minimum commitment is met exactly or exceeded, never more than needed", () => {
    fc.assert(
      fc.property(planWithUsage, (input) => {
        const result = priced(input);
        if (input.commitment === undefined) return;
        expect(result.subtotal).toBeGreaterThanOrEqual(input.commitment);
        const trueUp = result.lineItems.find((line) => line.model === "minimum_commitment");
        if (trueUp !== undefined) expect(result.subtotal).toBe(input.commitment);
      }),
    );
  });

  it("graduated equals volume on a single tier", () => {
    fc.assert(
      fc.property(unitAmount, fc.option(flatAmount, { nil: undefined }), quantity, (unit, flat, q) => {
        const single = prepareTiers([{ upTo: null, unitAmount: unit, ...(flat === undefined ? {} : { flatAmount: flat }) }]);
        const graduated = graduatedTiersToAmount({ quantity: parseDecimal(q), tiers: single }).amount;
        const volume = volumeTiersToAmount({ quantity: parseDecimal(q), tiers: single }).amount;
        expect(toDecimalString(graduated)).toBe(toDecimalString(volume));
      }),
    );
  });

  it("graduated amounts never fall as usage grows, and their tiers add up to the whole", () => {
    fc.assert(
      fc.property(tiers, quantity, quantity, (rows, a, b) => {
        const prepared = prepareTiers(rows);
        const [low, high] = cmp(parseDecimal(a), parseDecimal(b)) <= 0 ? [a, b] : [b, a];
        const lowAmount = graduatedTiersToAmount({ quantity: parseDecimal(low), tiers: prepared });
        const highAmount = graduatedTiersToAmount({ quantity: parseDecimal(high), tiers: prepared });
        expect(cmp(lowAmount.amount, highAmount.amount)).toBeLessThanOrEqual(0);
        const parts = highAmount.tiers.reduce((sum, tier) => add(sum, tier.amount), ZERO);
        expect(toDecimalString(parts)).toBe(toDecimalString(highAmount.amount));
      }),
    );
  });

  it("free allowances never make a percentage fee larger", () => {
    const events = fc.array(fc.nat(100000), { maxLength: 12 });
    fc.assert(
      fc.property(events, fc.nat(5), fc.nat(200000), decimalText(99, 2), (values, freeEvents, freeAmount, percent) => {
        const decimals = values.map((value) => parseDecimal(value));
        const total = parseDecimal(values.reduce((sum, value) => sum + value, 0));
        const base = { percent: parseDecimal(percent), fixedFee: parseDecimal(30), minFeePerEvent: parseDecimal(5), maxFeePerEvent: undefined };
        const without = percentageToAmount({ terms: { ...base, freeEvents: undefined, freeAmount: undefined }, total, events: decimals });
        const withFree = percentageToAmount({ terms: { ...base, freeEvents, freeAmount: parseDecimal(freeAmount) }, total, events: decimals });
        expect(cmp(withFree.amount, without.amount)).toBeLessThanOrEqual(0);
      }),
    );
  });
});

