import type { PeriodEnds } from "../../core/credits/settle.ts";
import { billingPeriodAt, type BillingCycle } from "../../core/periods.ts";

/**
 * The ends of a customer's billing periods (their cycle, else calendar months): where unit
 * credits roll over.
 *
 * @example
 * periodEndsOf({})(new Date("2026-03-10Z"), new Date("2026-05-01Z")) // [2026-04-01, 2026-05-01]
 */
export function periodEndsOf(cycle: BillingCycle): PeriodEnds {
  return (after, through) => {
    const ends: Date[] = [];
    for (let end = billingPeriodAt(after, cycle).to; end <= through; end = billingPeriodAt(end, cycle).to) ends.push(end);
    return ends;
  };
}

/** One period end, for money credits: the end of the invoiced period, once it is after `after`. */
export function invoicePeriodEnd(to: Date): PeriodEnds {
  return (after, through) => (after < to && to <= through ? [to] : []);
}
