import { BillingError } from "../errors.ts";
import { pow10, type Decimal } from "../decimal.ts";
import type { PreparedTier, PreparedTiers, TieredAmount } from "./prepared-tiers.ts";

/** Whether q (at scale qs) is above the bound (at scale bs), compared exactly. */
function exceeds(q: bigint, qs: number, bound: bigint, bs: number): boolean {
  if (qs === bs) return q > bound;
  return qs > bs ? q > bound * pow10(qs - bs) : q * pow10(bs - qs) > bound;
}

/**
 * Volume tiers (Stripe `tiers_mode: "volume"`): the tier the whole quantity falls in prices every
 * unit, plus that tier's flat amount. `upTo` is inclusive; 5.5 over `upTo: 5` falls in the next
 * tier; quantity 0 falls in the first tier and bills its flat amount, as Stripe does.
 *
 * @example Stripe docs, "Set up tiered pricing" (volume): 1–5 at 7 USD, 6–10 at 6.5 USD, 11+ at 6 USD; 6 fonts → 39 USD
 * const tiers = prepareTiers([{ upTo: 5, unitAmount: "700" }, { upTo: 10, unitAmount: "650" }, { upTo: null, unitAmount: "600" }]);
 * volumeTiersToAmount({ quantity: parseDecimal("6"), tiers }).amount // 3900 (minor units): 6 × 650
 */
export function volumeTiersToAmount({ quantity, tiers }: { quantity: Decimal; tiers: PreparedTiers }): TieredAmount {
  const q = quantity.coef;
  const qs = quantity.scale;
  const shift = qs === 0 ? 1n : pow10(qs);
  const rows = tiers.rows;
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i] as PreparedTier;
    const bound = row.upTo;
    if (bound !== null && exceeds(q, qs, bound, tiers.boundScale)) continue;
    const amount: Decimal = { coef: q * row.unit + row.flat * shift, scale: qs + tiers.scale };
    const tier = { tier: i + 1, upTo: bound, quantity, unitAmount: row.unitAmount, flatAmount: row.flatAmount, amount };
    return { amount, tiers: [tier] };
  }
  // The schema requires an open-ended last tier, so a quantity always lands somewhere.
  throw new BillingError("INTERNAL", "volume tiers without an open-ended last tier");
}
