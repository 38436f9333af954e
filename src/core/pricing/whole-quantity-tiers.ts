import { toDecimalString, type Decimal } from "../decimal.ts";
import type { LineItemTier } from "./line-item.ts";
import type { FullTier, PreparedTier, PreparedTiers } from "./prepared-tiers.ts";

/**
 * A whole-number quantity that is a safe integer, in the three forms pricing it needs: the BigInt
 * for amounts, the Number to place it among the tier bounds (an exact integer comparison that
 * costs far less than a BigInt one) and its text.
 */
export interface WholeQuantity {
  readonly quantity: bigint;
  readonly units: number;
  readonly text: string;
}

/** A tiered amount in line-item form: the exact amount (minor units), its text and its tier lines. */
export interface TieredLine {
  readonly amount: Decimal;
  readonly amountText: string;
  readonly tiers: LineItemTier[];
}

function tierLine(row: PreparedTier, quantity: string, exactAmount: string): LineItemTier {
  return { tier: row.tier, upTo: row.upToText, quantity, unitAmount: row.rateText, flatAmount: row.flatText, exactAmount };
}

/**
 * `graduatedTiersToAmount` and its tier lines for a whole-number quantity, the common case on
 * the invoice hot path. Every tier below the last one reached is passed through whole, so its
 * amount and texts were computed when the tiers were prepared; only the last tier is priced here.
 * Undefined when the quantity is past the last bound (tiers without an open-ended last tier) or
 * the tiers have fractional bounds, which the general path handles.
 *
 * @example Stripe docs, "Set up tiered pricing" (flat rate example): 12 units → 111 USD
 * const tiers = prepareTiers([{ upTo: 5, unitAmount: "500", flatAmount: 1000 }, { upTo: 10, unitAmount: "400", flatAmount: 2000 }, { upTo: null, unitAmount: "300", flatAmount: 3000 }]);
 * wholeGraduatedTiers({ quantity: 12n, units: 12, text: "12" }, tiers).amountText // "11100": 5 × 500 + 1000, 5 × 400 + 2000, 2 × 300 + 3000
 */
export function wholeGraduatedTiers(whole: WholeQuantity, tiers: PreparedTiers): TieredLine | undefined {
  if (tiers.boundScale > 0) return undefined;
  const { units } = whole;
  const lines: LineItemTier[] = [];
  let lower = 0;
  let row = tiers.first;
  // Tiers passed through whole (upTo inclusive): their lines were written when they were prepared.
  while (row !== null && row.bound !== null && units > row.bound) {
    const full = row.full as FullTier;
    lines.push(tierLine(row, full.quantityText, full.amountText));
    lower = row.bound;
    row = row.next;
  }
  if (row === null) return undefined;
  const full = row.full;
  let partText: string;
  let partAmount: bigint;
  if (full !== null && units === row.bound) {
    lines.push(tierLine(row, full.quantityText, full.amountText));
    partText = full.amountText;
    partAmount = full.amount;
  } else {
    // Both are safe integers here, so the units inside the tier are exact.
    const inTier = units - lower;
    partAmount = BigInt(inTier) * row.unit + row.flat;
    partText = toDecimalString({ coef: partAmount, scale: tiers.scale });
    lines.push(tierLine(row, lower === 0 ? whole.text : String(inTier), partText));
  }
  // Nothing to pay below this tier (the first tier, or free ones): the total is the text just written.
  if (row.below === 0n) return { amount: { coef: partAmount, scale: tiers.scale }, amountText: partText, tiers: lines };
  const amount: Decimal = { coef: row.below + partAmount, scale: tiers.scale };
  return { amount, amountText: toDecimalString(amount), tiers: lines };
}

/**
 * `volumeTiersToAmount` and its tier line for a whole-number quantity: every unit at the unit
 * amount of the tier the quantity falls in, plus its flat amount; the amount is printed once for
 * the tier and the line. Undefined when the quantity is past the last bound or a bound is fractional.
 *
 * @example Stripe docs, "Set up tiered pricing" (volume): 6 fonts → 39 USD
 * const tiers = prepareTiers([{ upTo: 5, unitAmount: "700" }, { upTo: 10, unitAmount: "650" }, { upTo: null, unitAmount: "600" }]);
 * wholeVolumeTiers({ quantity: 6n, units: 6, text: "6" }, tiers).amountText // "3900"
 */
export function wholeVolumeTiers(whole: WholeQuantity, tiers: PreparedTiers): TieredLine | undefined {
  if (tiers.boundScale > 0) return undefined;
  let row = tiers.first;
  while (row !== null && row.bound !== null && whole.units > row.bound) row = row.next;
  if (row === null) return undefined;
  const amount: Decimal = { coef: whole.quantity * row.unit + row.flat, scale: tiers.scale };
  const amountText = toDecimalString(amount);
  return { amount, amountText, tiers: [tierLine(row, whole.text, amountText)] };
}
