import { BillingError } from "../errors.ts";
import { billingPeriodAt, utcDate, type BillingCycle, type BillingInterval } from "../periods.ts";
import { END_OF_SUPPORTED_MS, instantProblem } from "../supported-time.ts";

/** A calendar month an invoice run is for: its key ("2026-10") and its UTC bounds, [from, to). */
export interface BillingMonth {
  readonly key: string;
  readonly from: Date;
  readonly to: Date;
}

const MONTH_PATTERN = /^(\d{4})-(0[1-9]|1[0-2])$/;

/** The bounds of a YYYY-MM key, or why it is not a month billhub can bill. */
function monthBounds(input: unknown): { from: Date; to: Date } | string {
  const match = typeof input === "string" ? MONTH_PATTERN.exec(input) : null;
  if (match === null) return `must be a month written YYYY-MM, such as "2026-10"; got ${JSON.stringify(input)}`;
  const year = Number(match[1]);
  const month = Number(match[2]) - 1;
  const bounds = { from: utcDate(year, month, 1), to: utcDate(year, month + 1, 1) };
  // 9999-12 ends on 10000-01-01, outside the supported range.
  if (instantProblem(bounds.from) !== undefined || bounds.to.getTime() >= END_OF_SUPPORTED_MS) {
    return `must be a month from 1970-01 to 9999-11 (one that ends before the year 10000); got ${JSON.stringify(input)}`;
  }
  return bounds;
}

/**
 * Reads a billing month written as `YYYY-MM` (UTC), from 1970-01 to 9999-11.
 *
 * @example
 * parseBillingMonth("2026-10") // { key: "2026-10", from: 2026-10-01T00:00Z, to: 2026-11-01T00:00Z }
 */
export function parseBillingMonth(input: unknown, field = "period"): BillingMonth {
  const bounds = monthBounds(input);
  if (typeof bounds === "string") throw new BillingError("VALIDATION_FAILED", `${field} ${bounds}`, { field });
  return { key: input as string, ...bounds };
}

/**
 * The billing period a run for `month` bills a customer for: the customer's billing period that
 * ends inside the month, in (month.from, month.to]. Without a billing cycle that is the calendar
 * month itself; with one (an anchor or a current period, repeating monthly), the period that
 * closes during the month — a cycle anchored on the 15th is billed Sep 15 → Oct 15 in the October
 * run. Undefined when no period of the cycle ends in the month. With another `interval`, the same
 * for a run of that interval (`month` is then a year or an ISO week, see `RunPeriod`): the yearly or
 * weekly period of the cycle ending in it.
 *
 * @example
 * billingPeriodEndingIn(parseBillingMonth("2026-10"), {}) // { from: 2026-10-01, to: 2026-11-01 }
 * billingPeriodEndingIn(parseBillingMonth("2026-10"), { anchor: new Date("2026-01-15T00:00:00Z") })
 * // { from: 2026-09-15, to: 2026-10-15 }
 */
export function billingPeriodEndingIn(
  month: { readonly from: Date; readonly to: Date },
  cycle: BillingCycle = {},
  interval: BillingInterval = "month",
): { from: Date; to: Date } | undefined {
  const last = billingPeriodAt(new Date(month.to.getTime() - 1), cycle, interval);
  if (last.to <= month.to) return last;
  const previous = billingPeriodAt(new Date(last.from.getTime() - 1), cycle, interval);
  return previous.to > month.from && previous.to <= month.to ? previous : undefined;
}
