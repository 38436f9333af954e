import { BillingError } from "../errors.ts";
import { utcDate, type BillingInterval } from "../periods.ts";
import { END_OF_SUPPORTED_MS, instantProblem } from "../supported-time.ts";

/**
 * What an invoice run is for: its key and the interval it bills, with its UTC bounds, [from, to).
 * A month ("2026-10") bills the customers on monthly plans, a calendar year ("2026") those on
 * yearly plans, an ISO week ("2026-W45", Monday 00:00 UTC to the next Monday) those on weekly plans.
 */
export interface RunPeriod {
  readonly key: string;
  readonly interval: BillingInterval;
  readonly from: Date;
  readonly to: Date;
}

const YEAR_PATTERN = /^(\d{4})$/;
const MONTH_PATTERN = /^(\d{4})-(0[1-9]|1[0-2])$/;
const WEEK_PATTERN = /^(\d{4})-W(0[1-9]|[1-4]\d|5[0-3])$/;
const DAY_MS = 86_400_000;

const SHAPES = 'must be a run period: a month "2026-10", a year "2026" or an ISO week "2026-W45"';

/** Monday 00:00 UTC of ISO week 1 of `year`: the week that holds January 4th. */
function isoWeekOne(year: number): Date {
  const january4 = utcDate(year, 0, 4);
  return new Date(january4.getTime() - ((january4.getUTCDay() + 6) % 7) * DAY_MS);
}

/** How many ISO weeks `year` has (52 or 53). */
export function isoWeeksIn(year: number): number {
  return Math.round((isoWeekOne(year + 1).getTime() - isoWeekOne(year).getTime()) / (7 * DAY_MS));
}

/** The run period a key names, or why it names none billhub can bill. */
function runPeriodOf(input: unknown): RunPeriod | string {
  if (typeof input !== "string") return `${SHAPES}; got ${JSON.stringify(input)}`;
  let period: RunPeriod;
  const year = YEAR_PATTERN.exec(input);
  const month = MONTH_PATTERN.exec(input);
  const week = WEEK_PATTERN.exec(input);
  if (year !== null) {
    const y = Number(year[1]);
    period = { key: input, interval: "year", from: utcDate(y, 0, 1), to: utcDate(y + 1, 0, 1) };
  } else if (month !== null) {
    const y = Number(month[1]);
    const m = Number(month[2]) - 1;
    period = { key: input, interval: "month", from: utcDate(y, m, 1), to: utcDate(y, m + 1, 1) };
  } else if (week !== null) {
    const y = Number(week[1]);
    const w = Number(week[2]);
    if (w > isoWeeksIn(y)) return `names week ${w} of ${y}, which has ${isoWeeksIn(y)} ISO weeks; got ${JSON.stringify(input)}`;
    const from = new Date(isoWeekOne(y).getTime() + (w - 1) * 7 * DAY_MS);
    period = { key: input, interval: "week", from, to: new Date(from.getTime() + 7 * DAY_MS) };
  } else {
    return `${SHAPES}; got ${JSON.stringify(input)}`;
  }
  // 1970-W01 starts on 1969-12-29; the year 9999 and its last month and weeks end in the year 10000.
  if (instantProblem(period.from) !== undefined || period.to.getTime() >= END_OF_SUPPORTED_MS) {
    return `must be a period that starts in 1970 or later and ends before the year 10000; got ${JSON.stringify(input)}`;
  }
  return period;
}

/**
 * Why `input` is not a run period billhub accepts, or undefined when it is one.
 *
 * @example
 * runPeriodProblem("2026-W53") // undefined (2026 has 53 ISO weeks)
 * runPeriodProblem("2027-W53") // "names week 53 of 2027, which has 52 ISO weeks; ..."
 */
export function runPeriodProblem(input: unknown): string | undefined {
  const period = runPeriodOf(input);
  return typeof period === "string" ? period : undefined;
}

/**
 * Reads a run period key: `YYYY-MM` (a month), `YYYY` (a calendar year) or `YYYY-Www` (an ISO week).
 *
 * @example
 * parseRunPeriod("2026")     // { key: "2026", interval: "year", from: 2026-01-01, to: 2027-01-01 }
 * parseRunPeriod("2026-W53") // { key: "2026-W53", interval: "week", from: 2026-12-28, to: 2027-01-04 }
 */
export function parseRunPeriod(input: unknown, field = "period"): RunPeriod {
  const period = runPeriodOf(input);
  if (typeof period === "string") throw new BillingError("VALIDATION_FAILED", `${field} ${period}`, { field });
  return period;
}
