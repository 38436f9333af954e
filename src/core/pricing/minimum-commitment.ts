/**
 * A minimum commitment: when the period's lines add up to less than `commitment`, a true-up of
 * the difference brings the invoice to it; otherwise nothing. Both sides are whole minor units,
 * already rounded, so the true-up needs no rounding of its own.
 *
 * @example Lago (plan minimum commitment scenario): 50 USD fee + 3 units × 10 USD = 80 USD against a 100 USD commitment → 20 USD true-up
 * minimumCommitmentToTrueUp({ commitment: 10000, subtotal: 8000 }) // 2000
 */
export function minimumCommitmentToTrueUp({ commitment, subtotal }: { commitment: number; subtotal: number }): number {
  return subtotal >= commitment ? 0 : commitment - subtotal;
}
