import { intervalWindow, type IntervalSpan } from "../invoicing/interval-window.ts";
import { billingPeriodAt, BILLING_INTERVALS, type BillingCycle } from "../periods.ts";
import type { PeriodEnds } from "./settle.ts";

/**
 * Where the history to read for period ends in (after, through] starts and ends: every billing
 * period of any interval that holds `after` or `through`, whole (a period cut by a change of
 * interval ends where the plan history inside it says, so all of it is read).
 */
export function historyRange(cycle: BillingCycle, after: Date, through: Date): { from: Date; to: Date } {
  let from = after;
  let to = through;
  for (const interval of BILLING_INTERVALS) {
    const first = billingPeriodAt(after, cycle, interval).from;
    const last = billingPeriodAt(through, cycle, interval).to;
    if (first < from) from = first;
    if (last > to) to = last;
  }
  return { from, to };
}

/**
 * The period ends of a customer whose plans changed interval: the ends of the periods the invoice
 * runs bill. In each billing period of an interval, the time held on plans of that interval is
 * billed as one window (`intervalWindow`), and the window's end is a period end: the period's own
 * end, or the change that left the interval inside it. Monthly → yearly on Mar 15: Mar 1, Mar 15
 * (the March run bills Mar 1 → Mar 15), then Jan 1 (the year's run bills Mar 15 → Jan 1); yearly →
 * monthly on Jun 10: Jun 10 (the year's window ends there), Jul 1, Aug 1… A customer who leaves an
 * interval and comes back inside one of its periods has that period's end only, as its run bills
 * it on one invoice.
 *
 * `spans` tile the history over `historyRange(cycle, after, through)` for every (after, through]
 * the answer is asked for; `cycle` is the customer's billing cycle (its interval is ignored: each
 * span says its own).
 *
 * @example
 * historyPeriodEnds({}, [{ from: jan1, to: mar15, interval: "month" }, { from: mar15, to: jan1next, interval: "year" }])(feb10, jan1next)
 * // [Mar 1, Mar 15, Jan 1 next year]
 */
export function historyPeriodEnds(cycle: BillingCycle, spans: readonly IntervalSpan[]): PeriodEnds {
  return (after, through) => {
    const ends = new Set<number>();
    for (const span of spans) {
      if (!(span.to > after && span.from < through)) continue;
      // Each period of the span's interval that the span meets, from the one holding `after` at the earliest.
      const start = span.from > after ? span.from : after;
      for (let period = billingPeriodAt(start, cycle, span.interval); period.from < span.to && period.from < through; period = billingPeriodAt(period.to, cycle, span.interval)) {
        const end = intervalWindow(period, spans, span.interval)?.window.to;
        if (end !== undefined && end > after && end <= through) ends.add(end.getTime());
      }
    }
    return [...ends].sort((a, b) => a - b).map((time) => new Date(time));
  };
}
