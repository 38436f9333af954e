import { BillingError } from "./errors.ts";
import { windowAt } from "./periods.ts";

export const BUCKET_UNITS = ["hour", "day", "week", "month"] as const;
export type BucketUnit = (typeof BUCKET_UNITS)[number];

/** One calendar bucket of a window: its calendar start, and its bounds clipped to the window. */
export interface Bucket {
  start: Date;
  from: Date;
  to: Date;
}

/**
 * The UTC calendar buckets (hours, days, Monday-based weeks, months) that cover the half-open
 * window [from, to), the first and last clipped to it. Refuses more than `max` buckets.
 *
 * @example
 * calendarBuckets({ from: new Date("2026-03-10T12:00:00Z"), to: new Date("2026-03-12T00:00:00Z") }, "day")
 * // [{ start: 03-10T00:00, from: 03-10T12:00, to: 03-11T00:00 }, { start: 03-11T00:00, from: 03-11T00:00, to: 03-12T00:00 }]
 */
export function calendarBuckets(window: { from: Date; to: Date }, unit: BucketUnit, max = 5000): Bucket[] {
  const buckets: Bucket[] = [];
  let current = windowAt(unit, window.from) as { from: Date; to: Date };
  while (current.from < window.to) {
    if (buckets.length === max) {
      throw new BillingError("INVALID_USAGE", `the window holds more than ${max} ${unit} buckets; group by a longer unit or shorten the window`, { field: "groupBy" });
    }
    buckets.push({
      start: current.from,
      from: current.from < window.from ? window.from : current.from,
      to: current.to > window.to ? window.to : current.to,
    });
    current = windowAt(unit, current.to) as { from: Date; to: Date };
  }
  return buckets;
}
