import { cmp, sub, ZERO, type Decimal } from "../decimal.ts";

/**
 * An allowance before billing starts: the first `includedUnits` of usage are free and the model
 * prices what is left (never below 0). Tiers then apply to the billable quantity, so a tiered
 * charge with an allowance still bills its first tier's flat amount, as Stripe would for 0.
 *
 * @example Stripe docs, "Model usage-based pricing" (fixed fee and overage): 100,000 tokens included; 130,000 used → 30,000 billable
 * includedUnitsToBillable({ quantity: parseDecimal(130000), includedUnits: parseDecimal(100000) }) // 30000
 */
export function includedUnitsToBillable({ quantity, includedUnits }: { quantity: Decimal; includedUnits: Decimal }): Decimal {
  return cmp(quantity, includedUnits) <= 0 ? ZERO : sub(quantity, includedUnits);
}
