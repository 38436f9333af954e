import { mul, type Decimal } from "../decimal.ts";

/**
 * Per-unit pricing: quantity × unit amount, exact. Unit amounts may be below one minor unit
 * ("0.5" is half a cent); the line is rounded once, later.
 *
 * @example 1,001 API calls at 0.5 cents each → 500.5 cents, exact (rounds to 501 half-up, 500 half-even)
 * perUnitToAmount({ quantity: parseDecimal("1001"), unitAmount: parseDecimal("0.5") }).amount // 500.5
 */
export function perUnitToAmount({ quantity, unitAmount }: { quantity: Decimal; unitAmount: Decimal }): { amount: Decimal } {
  return { amount: mul(quantity, unitAmount) };
}
