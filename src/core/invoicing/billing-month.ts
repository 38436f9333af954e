import { BillingError } from "../errors.ts";
import { billingPeriodAt, type BillingCycle } from "../periods.ts";

/** A calendar month an invoice run is for: its key ("2026-10") and its UTC bounds, [from, to). */
export interface BillingMonth {
  readonly key: string;
  readonly from: Date;
  readonly to: Date;
}

const MONTH_PATTERN = /^(\d{4})-(0[1-9]|1[0-2])$/;

/**
 * Reads a billing month written as `YYYY-MM` (UTC).
 *
 * @example
 * parseBillingMonth("2026-10") // { key: "2026-10", from: 2026-10-01T00:00Z, to: 2026-11-01T00:00Z }
 */
export function parseBillingMonth(input: unknown, field = "period"): BillingMonth {
  const match = typeof input === "string" ? MONTH_PATTERN.exec(input) : null;
  if (match === null) {
    throw new BillingError("VALIDATION_FAILED", `${field} must be a month written YYYY-MM, such as "2026-10"; got ${JSON.stringify(input)}`, { field });
  }
  const year = Number(match[1]);
  const month = Number(match[2]) - 1;
  return { key: input as string, from: new Date(Date.UTC(year, month, 1)), to: new Date(Date.UTC(year, month + 1, 1)) };
}

/**
 * The billing period a run for `month` bills a customer for: the customer's billing period that
 * ends inside the month, in (month.from, month.to]. Without a billing cycle that is the calendar
 * month itself; with one (an anchor or a current period, repeating monthly), the period that
 * closes during the month — a cycle anchored on the 15th is billed Sep 15 → Oct 15 in the October
 * run. Undefined when no period of the cycle ends in the month.
 *
 * @example
 * billingPeriodEndingIn(parseBillingMonth("2026-10"), {}) // { from: 2026-10-01, to: 2026-11-01 }
 * billingPeriodEndingIn(parseBillingMonth("2026-10"), { anchor: new Date("2026-01-15T00:00:00Z") })
 * // { from: 2026-09-15, to: 2026-10-15 }
 */
export function billingPeriodEndingIn(month: BillingMonth, cycle: BillingCycle = {}): { from: Date; to: Date } | undefined {
  const last = billingPeriodAt(new Date(month.to.getTime() - 1), cycle);
  if (last.to <= month.to) return last;
  const previous = billingPeriodAt(new Date(last.from.getTime() - 1), cycle);
  return previous.to > month.from && previous.to <= month.to ? previous : undefined;
}
