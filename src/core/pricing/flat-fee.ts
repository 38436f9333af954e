import type { Decimal } from "../decimal.ts";

/**
 * A flat fee per period: the same amount whatever the usage. The amount is usually whole minor
 * units; a provider price may carry a sub-minor `unit_amount_decimal`, which is kept exact here and
 * rounded once with the rest of the line.
 *
 * @example Stripe docs, "Recurring pricing models" (flat rate): Basic at 10 USD per month
 * flatFeeToAmount({ amount: parseDecimal(1000) }).amount // 1000 (minor units)
 */
export function flatFeeToAmount({ amount }: { amount: Decimal }): { amount: Decimal } {
  return { amount };
}
