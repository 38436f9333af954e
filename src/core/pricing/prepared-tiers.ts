import { coefAtScale, parseDecimal, toDecimalString, ZERO, type Decimal } from "../decimal.ts";
import type { PercentTier, PriceTier } from "./tier-schema.ts";

/**
 * Tiers parsed once into BigInt form, so pricing a quantity costs a handful of integer operations
 * and no string parsing. Unit and flat amounts share one scale: amount = Σ qty·unit + flat·10^qs.
 */
export interface PreparedTiers {
  readonly count: number;
  /** Inclusive upper bounds (whole units); null for the open-ended last tier. */
  readonly upTo: readonly (bigint | null)[];
  /** Scale of `unit` and `flat`. */
  readonly scale: number;
  readonly unit: readonly bigint[];
  readonly flat: readonly bigint[];
  /** The same amounts as decimals, for the tier breakdown of a line item. */
  readonly unitAmounts: readonly Decimal[];
  readonly flatAmounts: readonly Decimal[];
  /** Their texts, written once rather than for every line (percent tiers: the percent). */
  readonly texts: readonly { readonly upTo: string | null; readonly rate: string; readonly flat: string }[];
  /**
   * A bounded tier that a whole-number quantity passes through is billed the same every time:
   * its width and exact amount, as numbers (to recognize it) and as texts (to print it).
   * Null for the open-ended tier.
   */
  readonly full: readonly ({ readonly width: bigint; readonly amount: bigint; readonly quantityText: string; readonly amountText: string } | null)[];
  /** Where each tier starts: the previous tier's `upTo` (whole units), 0 for the first. */
  readonly lower: readonly bigint[];
  /** What a whole-number quantity that reaches each tier pays for the tiers below it, at `scale`. */
  readonly below: readonly bigint[];
}

function amountsBelow(full: PreparedTiers["full"]): bigint[] {
  const below: bigint[] = [];
  let sum = 0n;
  for (const tier of full) {
    below.push(sum);
    sum += tier?.amount ?? 0n;
  }
  return below;
}

function fullTier(upTo: number | null, lower: number, unit: bigint, flat: bigint, scale: number): PreparedTiers["full"][number] {
  if (upTo === null) return null;
  const width = BigInt(upTo - lower);
  const amount = width * unit + flat;
  return Object.freeze({ width, amount, quantityText: width.toString(), amountText: toDecimalString({ coef: amount, scale }) });
}

function prepare(rows: readonly { upTo: number | null; unit: Decimal; flat: Decimal; rate: string }[]): PreparedTiers {
  const scale = Math.max(0, ...rows.map((row) => Math.max(row.unit.scale, row.flat.scale)));
  const unit = rows.map((row) => coefAtScale(row.unit, scale));
  const flat = rows.map((row) => coefAtScale(row.flat, scale));
  const full = Object.freeze(rows.map((row, i) => fullTier(row.upTo, i === 0 ? 0 : (rows[i - 1]!.upTo ?? 0), unit[i]!, flat[i]!, scale)));
  return Object.freeze({
    count: rows.length,
    upTo: Object.freeze(rows.map((row) => (row.upTo === null ? null : BigInt(row.upTo)))),
    scale,
    unit: Object.freeze(unit),
    flat: Object.freeze(flat),
    unitAmounts: Object.freeze(rows.map((row) => row.unit)),
    flatAmounts: Object.freeze(rows.map((row) => row.flat)),
    texts: Object.freeze(rows.map((row) => Object.freeze({ upTo: row.upTo === null ? null : String(row.upTo), rate: row.rate, flat: toDecimalString(row.flat) }))),
    full,
    lower: Object.freeze(rows.map((_, i) => BigInt(i === 0 ? 0 : (rows[i - 1]!.upTo ?? 0)))),
    below: Object.freeze(amountsBelow(full)),
  });
}

/**
 * Prepares validated price tiers (see `priceTiersSchema`).
 *
 * @example
 * prepareTiers([{ upTo: 5, unitAmount: "700" }, { upTo: null, unitAmount: "600" }]).unit // [700n, 600n]
 */
export function prepareTiers(tiers: readonly PriceTier[]): PreparedTiers {
  return prepare(
    tiers.map((tier) => {
      const unit = tier.unitAmount === undefined ? ZERO : parseDecimal(tier.unitAmount);
      return { upTo: tier.upTo, unit, flat: tier.flatAmount === undefined ? ZERO : parseDecimal(tier.flatAmount), rate: toDecimalString(unit) };
    }),
  );
}

/**
 * Prepares graduated percentage tiers: a rate of `percent` % is a unit amount of percent/100
 * per unit of the amount the tier covers.
 *
 * @example
 * preparePercentTiers([{ upTo: null, percent: "1.5" }]).unitAmounts[0] // 0.015
 */
export function preparePercentTiers(tiers: readonly PercentTier[]): PreparedTiers {
  return prepare(
    tiers.map((tier) => {
      const percent = parseDecimal(tier.percent);
      return {
        upTo: tier.upTo,
        unit: { coef: percent.coef, scale: percent.scale + 2 },
        flat: tier.flatAmount === undefined ? ZERO : parseDecimal(tier.flatAmount),
        rate: toDecimalString(percent),
      };
    }),
  );
}

/** What one tier contributed to a tiered amount. `amount` is exact, in minor units. */
export interface TierCharge {
  /** 1-based position of the tier. */
  readonly tier: number;
  readonly upTo: bigint | null;
  /** Units priced in this tier (volume: all units). */
  readonly quantity: Decimal;
  readonly unitAmount: Decimal;
  readonly flatAmount: Decimal;
  readonly amount: Decimal;
}

/** An exact tiered amount (minor units) and its tier-by-tier breakdown. */
export interface TieredAmount {
  readonly amount: Decimal;
  readonly tiers: readonly TierCharge[];
}
