import { add, cmp, isZero, max, min, mul, sign, sub, sum, ZERO, type Decimal } from "../decimal.ts";

/** A percentage charge, parsed. Amounts are minor units; `percent` is "1.2" for 1.2 %. */
export interface PercentageTerms {
  readonly percent: Decimal;
  readonly fixedFee: Decimal | undefined;
  readonly freeEvents: number | undefined;
  readonly freeAmount: Decimal | undefined;
  readonly minFeePerEvent: Decimal | undefined;
  readonly maxFeePerEvent: Decimal | undefined;
}

export interface PercentageAmount {
  /** Exact fee, minor units. */
  readonly amount: Decimal;
  /** Events that paid a fee, and the part of the usage the rate applied to. */
  readonly billedEvents: number;
  readonly ratedAmount: Decimal;
}

/** True when the terms need each event's value, not only the period's total. */
export function needsEvents(terms: PercentageTerms): boolean {
  return terms.fixedFee !== undefined || terms.freeEvents !== undefined || terms.minFeePerEvent !== undefined || terms.maxFeePerEvent !== undefined;
}

function rateOf(percent: Decimal): Decimal {
  return { coef: percent.coef, scale: percent.scale + 2 };
}

/**
 * Percentage of per-event amounts (payments, transfers), as Lago's percentage model: each billed
 * event pays `percent` % of its amount plus `fixedFee`, clamped to `minFeePerEvent` and
 * `maxFeePerEvent`. Events are free while the free allowance lasts: the first `freeEvents` events
 * and/or the first `freeAmount` of amount, whichever runs out first. The event that crosses
 * `freeAmount` pays the rate on its excess plus the fixed fee. Events are taken in the order given
 * (the order they happened). Without per-event terms the rate applies to `total` alone.
 *
 * @example Lago docs, "Percentage": 1.2 % + 0.10 USD per transaction, first 3 events or 500 USD free; 200, 100, 100, 50 USD → the 4th pays 0.70 USD
 * percentageToAmount({ terms: { percent: parseDecimal("1.2"), fixedFee: parseDecimal(10), freeEvents: 3, freeAmount: parseDecimal(50000), minFeePerEvent: undefined, maxFeePerEvent: undefined },
 *   total: parseDecimal(45000), events: [20000, 10000, 10000, 5000].map((v) => parseDecimal(v)) }).amount // 70 (minor units)
 */
export function percentageToAmount({ terms, total, events }: { terms: PercentageTerms; total: Decimal; events: readonly Decimal[] | undefined }): PercentageAmount {
  const rate = rateOf(terms.percent);
  if (events === undefined) {
    const rated = terms.freeAmount === undefined || cmp(total, terms.freeAmount) > 0 ? sub(total, terms.freeAmount ?? ZERO) : ZERO;
    return { amount: mul(rated, rate), billedEvents: 0, ratedAmount: rated };
  }
  let freeEventsLeft = terms.freeEvents ?? Number.POSITIVE_INFINITY;
  let freeAmountLeft = terms.freeAmount;
  let free = (terms.freeEvents ?? 0) > 0 || (terms.freeAmount !== undefined && !isZero(terms.freeAmount));
  const fees: Decimal[] = [];
  const rated: Decimal[] = [];
  for (const value of events) {
    let billable = value;
    if (free) {
      if (freeEventsLeft > 0 && (freeAmountLeft === undefined || sign(freeAmountLeft) > 0)) {
        if (freeAmountLeft === undefined || cmp(value, freeAmountLeft) <= 0) {
          freeEventsLeft -= 1;
          if (freeAmountLeft !== undefined) freeAmountLeft = sub(freeAmountLeft, value);
          continue;
        }
        billable = sub(value, freeAmountLeft);
      }
      free = false;
    }
    let fee = add(mul(billable, rate), terms.fixedFee ?? ZERO);
    if (terms.minFeePerEvent !== undefined) fee = max(fee, terms.minFeePerEvent);
    if (terms.maxFeePerEvent !== undefined) fee = min(fee, terms.maxFeePerEvent);
    fees.push(fee);
    rated.push(billable);
  }
  return { amount: sum(fees), billedEvents: fees.length, ratedAmount: sum(rated) };
}
