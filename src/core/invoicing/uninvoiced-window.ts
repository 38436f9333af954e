import type { InvoicePeriod } from "./invoice.ts";

/**
 * What is left of a billing window once the periods already invoiced are taken out, so that no
 * usage is ever invoiced twice (a customer's cycle can move between runs: a new anchor, a new
 * subscription). An invoiced period covering the window's start moves the start to its end; one
 * covering the end moves the end to its start. Undefined when nothing is left, or when an invoiced
 * period lies strictly inside the window (the rest would be two pieces; billing either alone would
 * drop the other silently, so the caller reports it instead).
 *
 * @example
 * uninvoicedWindow({ from: oct1, to: nov1 }, [{ from: sep15, to: oct15 }]) // { from: oct15, to: nov1 }
 */
export function uninvoicedWindow(window: InvoicePeriod, invoiced: readonly InvoicePeriod[]): InvoicePeriod | undefined {
  let from = window.from;
  let to = window.to;
  const sorted = [...invoiced].sort((a, b) => a.from.getTime() - b.from.getTime());
  for (const period of sorted) {
    if (!(period.from < to && period.to > from)) continue;
    if (period.from <= from) from = period.to;
    else if (period.to >= to) to = period.from;
    else return undefined;
    if (!(from < to)) return undefined;
  }
  return { from, to };
}
