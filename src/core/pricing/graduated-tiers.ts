import { pow10, type Decimal } from "../decimal.ts";
import type { PreparedTier, PreparedTiers, TierCharge, TieredAmount } from "./prepared-tiers.ts";

/**
 * Graduated tiers (Stripe `tiers_mode: "graduated"`): the units inside each tier are priced at
 * that tier's unit amount, and every tier the quantity reaches adds its flat amount. `upTo` is
 * inclusive; a fractional quantity past a bound (5.5 over `upTo: 5`) puts its fraction in the
 * next tier; quantity 0 still bills the first tier's flat amount, as Stripe does. Bounds may be
 * fractional (`upTo: "0.5"` GB): 0.75 over tiers up to 0.5 and beyond prices 0.5 and 0.25, exactly.
 *
 * @example Stripe docs, "Set up tiered pricing" (graduated): 1–5 at 7 USD, 6–10 at 6.5 USD, 11+ at 6 USD; 6 fonts → 41.50 USD
 * const tiers = prepareTiers([{ upTo: 5, unitAmount: "700" }, { upTo: 10, unitAmount: "650" }, { upTo: null, unitAmount: "600" }]);
 * graduatedTiersToAmount({ quantity: parseDecimal("6"), tiers }).amount // 4150 (minor units): 5 × 700 + 1 × 650
 */
export function graduatedTiersToAmount({ quantity, tiers }: { quantity: Decimal; tiers: PreparedTiers }): TieredAmount {
  // Quantity and bounds compared at one scale: the quantity's, or the bounds' when finer (fractional bounds).
  const qs = Math.max(quantity.scale, tiers.boundScale);
  const q = qs === quantity.scale ? quantity.coef : quantity.coef * pow10(qs - quantity.scale);
  const shift = qs === 0 ? 1n : pow10(qs);
  const boundShift = qs === tiers.boundScale ? 1n : pow10(qs - tiers.boundScale);
  const amountScale = qs + tiers.scale;
  const charged: TierCharge[] = [];
  let total = 0n;
  let lower = 0n;
  const rows = tiers.rows;
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i] as PreparedTier;
    const bound = row.upTo;
    const upper = bound === null ? null : boundShift === 1n ? bound : bound * boundShift;
    const inTier = (upper === null || q < upper ? q : upper) - lower;
    const amount = inTier * row.unit + row.flat * shift;
    total += amount;
    charged.push({
      tier: i + 1,
      upTo: bound,
      quantity: { coef: inTier, scale: qs },
      unitAmount: row.unitAmount,
      flatAmount: row.flatAmount,
      amount: { coef: amount, scale: amountScale },
    });
    if (upper === null || q <= upper) break;
    lower = upper;
  }
  return { amount: { coef: total, scale: amountScale }, tiers: charged };
}
