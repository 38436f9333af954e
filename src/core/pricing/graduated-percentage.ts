import { isZero, ZERO, type Decimal } from "../decimal.ts";
import { graduatedTiersToAmount } from "./graduated-tiers.ts";
import type { PreparedTiers, TieredAmount } from "./prepared-tiers.ts";

/**
 * Graduated percentage (Lago): the amount inside each tier pays that tier's rate, and each tier the
 * total reaches adds its flat amount. Tier bounds are amounts in minor units. As in Lago, and
 * unlike Stripe's graduated tiers, a total of 0 bills nothing (no first-tier flat amount).
 * Prepare the tiers with `preparePercentTiers`.
 *
 * @example Lago docs, "Graduated percentage": 1 % + 200 USD up to 1,000 USD, 2 % + 300 USD up to 10,000 USD, 3 % + 400 USD above; 500 USD → 205 USD
 * const tiers = preparePercentTiers([{ upTo: 100000, percent: "1", flatAmount: 20000 }, { upTo: 1000000, percent: "2", flatAmount: 30000 }, { upTo: null, percent: "3", flatAmount: 40000 }]);
 * graduatedPercentageToAmount({ total: parseDecimal(50000), tiers }).amount // 20500 (minor units)
 */
export function graduatedPercentageToAmount({ total, tiers }: { total: Decimal; tiers: PreparedTiers }): TieredAmount {
  if (isZero(total)) return { amount: ZERO, tiers: [] };
  return graduatedTiersToAmount({ quantity: total, tiers });
}
