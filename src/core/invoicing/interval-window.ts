import type { BillingInterval } from "../periods.ts";
import type { InvoicePeriod } from "./invoice.ts";

/** A part of a period held on plans of one billing interval. */
export interface IntervalSpan {
  readonly from: Date;
  readonly to: Date;
  readonly interval: BillingInterval;
}

/** What a run of one interval bills of a customer's billing period of that interval. */
export interface IntervalWindow {
  /** From the first instant of the period held on a plan of the interval to the last. */
  readonly window: InvoicePeriod;
  /** The stretches held on the interval, in time order: one, unless the customer changed interval and back inside the period. */
  readonly ranges: readonly InvoicePeriod[];
}

/**
 * The part of a customer's billing `period` (of `interval`) that a run of that interval bills: the
 * time in it held on plans of that interval. A change to a plan of another interval cuts the
 * period there (Lago likewise bills an old plan's days up to a mid-cycle change apart from the new
 * plan's: https://getlago.com/docs/guide/subscriptions/upgrades-downgrades): a customer who moves from a monthly to a yearly plan on Mar 15 is billed Mar 1 → Mar 15 by the
 * March run (on the monthly plan) and Mar 15 → Jan 1 by the run of the year (on the yearly plan);
 * each instant is billed by the run of the interval of the plan held then, once. Undefined when
 * none of the period was held on the interval (the customer belongs to other runs then).
 *
 * `spans` tile the period in time order (the plan history cut to it). When the customer left the
 * interval and came back inside the period, the window runs from the first range to the last and
 * the other interval's time inside it is priced on this window's invoice, on the plans held then
 * (the other interval's run then finds it invoiced; see `uninvoicedPieces`).
 *
 * @example
 * intervalWindow({ from: mar1, to: apr1 }, [{ from: mar1, to: mar15, interval: "month" }, { from: mar15, to: apr1, interval: "year" }], "month")
 * // { window: { from: mar1, to: mar15 }, ranges: [{ from: mar1, to: mar15 }] }
 */
export function intervalWindow(period: InvoicePeriod, spans: readonly IntervalSpan[], interval: BillingInterval): IntervalWindow | undefined {
  const ranges: InvoicePeriod[] = [];
  for (const span of spans) {
    const from = span.from > period.from ? span.from : period.from;
    const to = span.to < period.to ? span.to : period.to;
    if (span.interval !== interval || !(from < to)) continue;
    const last = ranges[ranges.length - 1];
    if (last !== undefined && last.to.getTime() === from.getTime()) ranges[ranges.length - 1] = { from: last.from, to };
    else ranges.push({ from, to });
  }
  if (ranges.length === 0) return undefined;
  return { window: { from: ranges[0]!.from, to: ranges[ranges.length - 1]!.to }, ranges };
}

/**
 * The pieces of `window` that no `invoiced` period covers, in time order: the uninvoiced time,
 * however the invoiced periods lie in the window. Empty when they cover all of it.
 *
 * @example
 * uninvoicedPieces({ from: oct1, to: nov1 }, [{ from: oct10, to: oct17 }]) // [{ from: oct1, to: oct10 }, { from: oct17, to: nov1 }]
 */
export function uninvoicedPieces(window: InvoicePeriod, invoiced: readonly InvoicePeriod[]): InvoicePeriod[] {
  const pieces: InvoicePeriod[] = [];
  let from = window.from;
  for (const period of [...invoiced].sort((a, b) => a.from.getTime() - b.from.getTime())) {
    if (!(period.from < window.to && period.to > from)) continue;
    if (period.from > from) pieces.push({ from, to: period.from });
    if (period.to > from) from = period.to;
    if (!(from < window.to)) return pieces;
  }
  pieces.push({ from, to: window.to });
  return pieces;
}
