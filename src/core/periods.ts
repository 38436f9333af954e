import { BillingError } from "./errors.ts";

/**
 * Time windows for usage: reset windows of metered features and the windows usage is queried
 * over. All calendar arithmetic is in UTC; weeks start on Monday (ISO 8601). A window is
 * half-open, [from, to): an event at exactly `to` belongs to the next window.
 */
export interface Window {
  /** Inclusive start; null = the beginning of time (a lifetime window). */
  from: Date | null;
  /** Exclusive end; null = no end (the window has not closed). */
  to: Date | null;
}

/** A customer's billing cycle: an explicit current period and/or an anchor to repeat periods from. */
export interface BillingCycle {
  /** The provider's (or the operator's) current period, when known. */
  periodStart?: Date | null;
  periodEnd?: Date | null;
  /** Day-and-time the cycle repeats from (Stripe's billing_cycle_anchor). */
  anchor?: Date | null;
  /**
   * The interval of the plan the customer holds: how long its billing period is. Absent = a month
   * (every plan without an interval bills monthly, and a cycle built before plans had intervals).
   */
  interval?: BillingInterval;
}

/**
 * How long a plan's billing period is. `month` steps whole calendar months from the anchor (the
 * calendar month without one), `year` twelve months (the calendar year without an anchor), `week`
 * seven days (the ISO week, Monday 00:00 UTC, without an anchor).
 */
export const BILLING_INTERVALS = ["month", "year", "week"] as const;
export type BillingInterval = (typeof BILLING_INTERVALS)[number];

export const NAMED_WINDOWS = ["billing_period", "month", "week", "day", "hour", "never", "last_30_days", "last_28_days"] as const;
export type NamedWindow = (typeof NAMED_WINDOWS)[number];
export type WindowSpec = NamedWindow | { from: Date; to: Date };

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/**
 * A UTC date from calendar parts, for any year: `Date.UTC` reads years 0–99 as 1900–1999, and
 * this does not.
 *
 * @example
 * utcDate(2026, 9, 1)  // 2026-10-01T00:00:00.000Z
 * utcDate(1, 0, 1)     // 0001-01-01T00:00:00.000Z (Date.UTC(1, 0, 1) is 1901)
 */
export function utcDate(year: number, monthIndex: number, day = 1, hours = 0, minutes = 0, seconds = 0, ms = 0): Date {
  const date = new Date(0);
  date.setUTCFullYear(year, monthIndex, day);
  date.setUTCHours(hours, minutes, seconds, ms);
  return date;
}

function startOfUtcDay(at: Date): Date {
  return utcDate(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate());
}

function daysInMonth(year: number, month: number): number {
  return utcDate(year, month + 1, 0).getUTCDate();
}

/**
 * The anchor moved by `months` calendar months, with the day clamped to the month's length, as
 * Stripe does: an anchor on the 31st bills on Feb 28/29, then on Mar 31 again.
 */
export function addMonthsClamped(anchor: Date, months: number): Date {
  const totalMonths = anchor.getUTCFullYear() * 12 + anchor.getUTCMonth() + months;
  const year = Math.floor(totalMonths / 12);
  const month = totalMonths - year * 12;
  const day = Math.min(anchor.getUTCDate(), daysInMonth(year, month));
  return utcDate(year, month, day, anchor.getUTCHours(), anchor.getUTCMinutes(), anchor.getUTCSeconds(), anchor.getUTCMilliseconds());
}

/**
 * The anchor moved by `steps` periods of the interval. Months and years keep the anchor's day,
 * clamped to the month's length; weeks keep its weekday and time. As Stripe's billing cycle anchor
 * does: "It sets the day of week for week intervals, the day of month for month and year intervals,
 * and the month of year for year intervals" (https://docs.stripe.com/billing/subscriptions/billing-cycle).
 */
export function addIntervals(anchor: Date, interval: BillingInterval, steps: number): Date {
  switch (interval) {
    case "month":
      return addMonthsClamped(anchor, steps);
    case "year":
      return addMonthsClamped(anchor, 12 * steps);
    case "week":
      return new Date(anchor.getTime() + steps * 7 * DAY);
    default: {
      const unknown: never = interval;
      throw new BillingError("VALIDATION_FAILED", `Unknown billing interval ${JSON.stringify(unknown)}; valid intervals: ${BILLING_INTERVALS.join(", ")}`, { field: "interval" });
    }
  }
}

/** Whole periods of the interval between the anchor and `at`, estimated from the calendar (then corrected by the caller). */
function estimateSteps(anchor: Date, at: Date, interval: BillingInterval): number {
  if (interval === "week") return Math.floor((at.getTime() - anchor.getTime()) / (7 * DAY));
  const months = (at.getUTCFullYear() - anchor.getUTCFullYear()) * 12 + (at.getUTCMonth() - anchor.getUTCMonth());
  return interval === "year" ? Math.floor(months / 12) : months;
}

/**
 * The billing period of the interval (default: the cycle's own `interval`, else `month`) that
 * contains `at`. An explicit current
 * period that contains `at` wins (for a year or a week only when it is exactly one such period
 * long: a provider's monthly period says nothing about a yearly plan's); otherwise periods repeat
 * from the anchor (or the explicit period's start); with neither, the calendar month, the
 * calendar year or the ISO week (from Monday 00:00 UTC).
 *
 * @example
 * billingPeriodAt(new Date("2026-03-10T00:00:00Z"), { anchor: new Date("2026-01-31T00:00:00Z") })
 * // { from: 2026-02-28T00:00:00Z, to: 2026-03-31T00:00:00Z }
 * billingPeriodAt(new Date("2026-03-10T00:00:00Z"), { anchor: new Date("2024-02-29T00:00:00Z") }, "year")
 * // { from: 2026-02-28T00:00:00Z, to: 2027-02-28T00:00:00Z }
 */
export function billingPeriodAt(at: Date, cycle: BillingCycle = {}, interval: BillingInterval = cycle.interval ?? "month"): { from: Date; to: Date } {
  const { periodStart, periodEnd } = cycle;
  if (periodStart && periodEnd && periodStart <= at && at < periodEnd) {
    if (interval === "month" || addIntervals(periodStart, interval, 1).getTime() === periodEnd.getTime()) return { from: periodStart, to: periodEnd };
  }
  const anchor = cycle.anchor ?? periodStart ?? null;
  if (!anchor) return calendarPeriod(at, interval);
  // Estimate the number of whole periods between anchor and `at`, then correct by one either way.
  let k = estimateSteps(anchor, at, interval);
  while (addIntervals(anchor, interval, k) > at) k -= 1;
  while (addIntervals(anchor, interval, k + 1) <= at) k += 1;
  return { from: addIntervals(anchor, interval, k), to: addIntervals(anchor, interval, k + 1) };
}

function calendarPeriod(at: Date, interval: BillingInterval): { from: Date; to: Date } {
  if (interval === "year") return { from: utcDate(at.getUTCFullYear(), 0, 1), to: utcDate(at.getUTCFullYear() + 1, 0, 1) };
  if (interval === "week") return isoWeek(at);
  return calendarMonth(at);
}

function calendarMonth(at: Date): { from: Date; to: Date } {
  return {
    from: utcDate(at.getUTCFullYear(), at.getUTCMonth(), 1),
    to: utcDate(at.getUTCFullYear(), at.getUTCMonth() + 1, 1),
  };
}

/** The ISO week (Monday 00:00 UTC to the next Monday) that contains `at`. */
function isoWeek(at: Date): { from: Date; to: Date } {
  const day = startOfUtcDay(at);
  const sinceMonday = (day.getUTCDay() + 6) % 7;
  const from = new Date(day.getTime() - sinceMonday * DAY);
  return { from, to: new Date(from.getTime() + 7 * DAY) };
}

/**
 * The window of `spec` that contains `at`.
 *
 * @example
 * windowAt("week", new Date("2026-11-22T10:00:00Z")) // { from: 2026-11-16 (Mon), to: 2026-11-23 }
 * windowAt("never", anyDate)                           // { from: null, to: null }
 * windowAt("last_30_days", at)                         // { from: at − 30 days, to: null }
 */
export function windowAt(spec: WindowSpec, at: Date, cycle: BillingCycle = {}): Window {
  if (Number.isNaN(at.getTime())) throw new BillingError("VALIDATION_FAILED", "window reference time is not a valid date", { field: "at" });
  if (typeof spec === "object") {
    if (!(spec.from < spec.to)) {
      throw new BillingError("VALIDATION_FAILED", "a custom window needs from < to", { field: "window.from" });
    }
    return { from: spec.from, to: spec.to };
  }
  switch (spec) {
    case "billing_period":
      // The period of the interval of the plan the customer holds (the cycle's), not always a month.
      return billingPeriodAt(at, cycle);
    case "month":
      return calendarMonth(at);
    case "week":
      return isoWeek(at);
    case "day": {
      const from = startOfUtcDay(at);
      return { from, to: new Date(from.getTime() + DAY) };
    }
    case "hour": {
      const from = new Date(Math.floor(at.getTime() / HOUR) * HOUR);
      return { from, to: new Date(from.getTime() + HOUR) };
    }
    case "never":
      return { from: null, to: null };
    case "last_30_days":
      return { from: new Date(at.getTime() - 30 * DAY), to: null };
    case "last_28_days":
      return { from: new Date(at.getTime() - 28 * DAY), to: null };
    default: {
      const unknown: never = spec;
      throw new BillingError("VALIDATION_FAILED", `Unknown window ${JSON.stringify(unknown)}; valid windows: ${NAMED_WINDOWS.join(", ")}`, { field: "window" });
    }
  }
}

/** True when `at` falls in the half-open window. */
export function inWindow(window: Window, at: Date): boolean {
  return (window.from === null || window.from <= at) && (window.to === null || at < window.to);
}
