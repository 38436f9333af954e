import { coefAtScale, parseDecimal, toDecimalString, ZERO, type Decimal } from "../decimal.ts";
import type { PercentTier, PriceTier } from "./tier-schema.ts";

/** A validated tier bound as given to the prepare functions: whole numbers may be numbers. */
type Bound = number | string | null;

/**
 * A bounded tier that a whole-number quantity passes through is billed the same every time: its
 * width and exact amount, as numbers (to recognize it) and as texts (to print it).
 */
export interface FullTier {
  readonly width: bigint;
  readonly amount: bigint;
  readonly quantityText: string;
  readonly amountText: string;
}

/** One tier, parsed once. `unit` and `flat` are at the scale shared by all tiers of a price. */
export interface PreparedTier {
  /** Inclusive upper bound, as a coefficient at the tiers' `boundScale`; null for the open-ended last tier. */
  readonly upTo: bigint | null;
  /** The same bound as a Number when the bounds are whole, to place a whole quantity without BigInt work; null otherwise and for the last tier. */
  readonly bound: number | null;
  readonly unit: bigint;
  readonly flat: bigint;
  /** The same amounts as decimals, for the tier breakdown of a line item. */
  readonly unitAmount: Decimal;
  readonly flatAmount: Decimal;
  /** Texts written once rather than for every line: the bound, the rate (percent tiers: the percent) and the flat amount. */
  readonly upToText: string | null;
  readonly rateText: string;
  readonly flatText: string;
  /** Null for the open-ended tier. */
  readonly full: FullTier | null;
  /** What a whole-number quantity that reaches this tier pays for the tiers below it, at the shared scale. */
  readonly below: bigint;
  /** 1-based position of the tier. */
  readonly tier: number;
  /** The tier above (null for the last), so the hot path walks the tiers without indexing `rows`. */
  readonly next: PreparedTier | null;
}

/**
 * Tiers parsed once into BigInt form, so pricing a quantity costs a handful of integer operations
 * and no string parsing. Unit and flat amounts share one scale: amount = Σ qty·unit + flat·10^qs.
 * One frozen record per tier, linked to the next one: pricing walks the tiers from `first`
 * through `next`, because V8 (Node 20) reads an element of a frozen array several times slower
 * than a property of a frozen object, and the tiers are read for every priced line.
 */
export interface PreparedTiers {
  /** Scale of every tier's `unit` and `flat`. */
  readonly scale: number;
  /** Scale of every tier's `upTo`: 0 when all bounds are whole (the common case), else the most decimal places of a bound. */
  readonly boundScale: number;
  readonly rows: readonly PreparedTier[];
  /** The first tier, where a walk up the tiers starts; null without tiers. */
  readonly first: PreparedTier | null;
}

function fullTier(upTo: bigint | null, lower: bigint, unit: bigint, flat: bigint, scale: number, boundScale: number): FullTier | null {
  // Whole tiers serve the whole-quantity fast path; with fractional bounds every quantity takes the general one.
  if (upTo === null || boundScale > 0) return null;
  const width = upTo - lower;
  const amount = width * unit + flat;
  return Object.freeze({ width, amount, quantityText: width.toString(), amountText: toDecimalString({ coef: amount, scale }) });
}

function prepare(tiers: readonly { upTo: Bound; unit: Decimal; flat: Decimal; rate: string }[]): PreparedTiers {
  const scale = Math.max(0, ...tiers.map((tier) => Math.max(tier.unit.scale, tier.flat.scale)));
  const bounds = tiers.map((tier) => (tier.upTo === null ? null : parseDecimal(tier.upTo)));
  const boundScale = Math.max(0, ...bounds.map((bound) => bound?.scale ?? 0));
  const upTo = bounds.map((bound) => (bound === null ? null : coefAtScale(bound, boundScale)));
  const unit = tiers.map((tier) => coefAtScale(tier.unit, scale));
  const flat = tiers.map((tier) => coefAtScale(tier.flat, scale));
  const full = tiers.map((_, i) => fullTier(upTo[i]!, i === 0 ? 0n : (upTo[i - 1] ?? 0n), unit[i]!, flat[i]!, scale, boundScale));
  const below = [0n];
  for (const tier of full) below.push(below.at(-1)! + (tier?.amount ?? 0n));
  // Built from the last tier down, each frozen record pointing at the one above.
  const rows: PreparedTier[] = [];
  let above: PreparedTier | null = null;
  for (let i = tiers.length - 1; i >= 0; i--) {
    const tier = tiers[i]!;
    const bound = bounds[i]!;
    const row: PreparedTier = Object.freeze({
      upTo: upTo[i]!,
      bound: bound === null || boundScale > 0 ? null : Number(bound.coef),
      unit: unit[i]!,
      flat: flat[i]!,
      unitAmount: tier.unit,
      flatAmount: tier.flat,
      upToText: bound === null ? null : toDecimalString(bound),
      rateText: tier.rate,
      flatText: toDecimalString(tier.flat),
      full: full[i] ?? null,
      below: below[i]!,
      tier: i + 1,
      next: above,
    });
    rows.unshift(row);
    above = row;
  }
  return Object.freeze({ scale, boundScale, rows: Object.freeze(rows), first: above });
}

/**
 * Prepares validated price tiers (see `priceTiersSchema`).
 *
 * @example
 * prepareTiers([{ upTo: 5, unitAmount: "700" }, { upTo: null, unitAmount: "600" }]).rows.map((row) => row.unit) // [700n, 600n]
 */
export function prepareTiers(tiers: ReadonlyArray<Omit<PriceTier, "upTo"> & { upTo: Bound }>): PreparedTiers {
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
 * preparePercentTiers([{ upTo: null, percent: "1.5" }]).rows[0].unitAmount // 0.015
 */
export function preparePercentTiers(tiers: ReadonlyArray<Omit<PercentTier, "upTo"> & { upTo: Bound }>): PreparedTiers {
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
  /** The tier's bound as a coefficient at its tiers' `boundScale`; null for the open-ended tier. */
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
