import { toDecimalString, type Decimal } from "../decimal.ts";
import type { LineItemTier } from "./line-item.ts";
import type { PreparedTiers } from "./prepared-tiers.ts";

/** A tiered amount in line-item form: the exact amount (minor units), its text and its tier lines. */
export interface TieredLine {
  readonly amount: Decimal;
  readonly amountText: string;
  readonly tiers: LineItemTier[];
}

/** The tier a whole quantity ends in (upTo inclusive), or -1 past the last bound. */
function tierOf(quantity: bigint, tiers: PreparedTiers): number {
  for (let i = 0; i < tiers.count; i++) {
    const bound = tiers.upTo[i] as bigint | null;
    if (bound === null || quantity <= bound) return i;
  }
  return -1;
}

function tierLine(tiers: PreparedTiers, i: number, quantity: string, exactAmount: string): LineItemTier {
  const text = tiers.texts[i] as PreparedTiers["texts"][number];
  return { tier: i + 1, upTo: text.upTo, quantity, unitAmount: text.rate, flatAmount: text.flat, exactAmount };
}

/**
 * `graduatedTiersToAmount` and its tier lines for a whole-number quantity, the common case on
 * the invoice hot path. Every tier below the last one reached is passed through whole, so its
 * amount and texts were computed when the tiers were prepared; only the last tier is priced here,
 * with four BigInt operations instead of five per tier. Undefined when the quantity is past the
 * last bound (tiers without an open-ended last tier), which the general path handles.
 *
 * @example Stripe docs, "Set up tiered pricing" (flat rate example): 12 units → 111 USD
 * wholeGraduatedTiers(12n, "12", prepareTiers([{ upTo: 5, unitAmount: "500", flatAmount: 1000 }, { upTo: 10, unitAmount: "400", flatAmount: 2000 }, { upTo: null, unitAmount: "300", flatAmount: 3000 }])).amountText
 * // "11100"; tiers: 5 × 500 + 1000, 5 × 400 + 2000, 2 × 300 + 3000
 */
export function wholeGraduatedTiers(quantity: bigint, quantityText: string, tiers: PreparedTiers): TieredLine | undefined {
  const last = tierOf(quantity, tiers);
  if (last < 0) return undefined;
  const lines: LineItemTier[] = [];
  for (let i = 0; i < last; i++) {
    const full = tiers.full[i]!;
    lines.push(tierLine(tiers, i, full.quantityText, full.amountText));
  }
  const full = tiers.full[last];
  let partText: string;
  let partAmount: bigint;
  if (full != null && quantity === tiers.upTo[last]) {
    lines.push(tierLine(tiers, last, full.quantityText, full.amountText));
    partText = full.amountText;
    partAmount = full.amount;
  } else {
    const lower = tiers.lower[last] as bigint;
    const inTier = quantity - lower;
    partAmount = inTier * (tiers.unit[last] as bigint) + (tiers.flat[last] as bigint);
    partText = toDecimalString({ coef: partAmount, scale: tiers.scale });
    lines.push(tierLine(tiers, last, lower === 0n ? quantityText : toDecimalString({ coef: inTier, scale: 0 }), partText));
  }
  if (last === 0) return { amount: { coef: partAmount, scale: tiers.scale }, amountText: partText, tiers: lines };
  const amount: Decimal = { coef: (tiers.below[last] as bigint) + partAmount, scale: tiers.scale };
  return { amount, amountText: toDecimalString(amount), tiers: lines };
}

/**
 * `volumeTiersToAmount` and its tier line for a whole-number quantity: every unit at the unit
 * amount of the tier the quantity falls in, plus its flat amount; the amount is printed once for
 * the tier and the line. Undefined when the quantity is past the last bound.
 *
 * @example Stripe docs, "Set up tiered pricing" (volume): 6 fonts → 39 USD
 * wholeVolumeTiers(6n, "6", prepareTiers([{ upTo: 5, unitAmount: "700" }, { upTo: 10, unitAmount: "650" }, { upTo: null, unitAmount: "600" }])).amountText // "3900"
 */
export function wholeVolumeTiers(quantity: bigint, quantityText: string, tiers: PreparedTiers): TieredLine | undefined {
  const i = tierOf(quantity, tiers);
  if (i < 0) return undefined;
  const amount: Decimal = { coef: quantity * (tiers.unit[i] as bigint) + (tiers.flat[i] as bigint), scale: tiers.scale };
  const amountText = toDecimalString(amount);
  return { amount, amountText, tiers: [tierLine(tiers, i, quantityText, amountText)] };
}
