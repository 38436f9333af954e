import type { Window } from "../periods.ts";
import type { LimitAdjustment } from "./types.ts";

/**
 * Whether an adjustment counts at `at`, given the feature's reset window at that time.
 *
 * Every adjustment counts only while active: `startsAt <= at < endsAt`. Beyond that:
 * - `each_period` counts in every reset window while active (a promotion of +1,000 calls a
 *   month for three months; a grandfathered limit with no end);
 * - `once` counts only in the reset window that contains `startsAt` (a one-off bonus of 500
 *   calls does not come back next month). Without a reset window (static features, lifetime
 *   windows) both kinds count for as long as they are active.
 *
 * @example
 * const bonus = { recurrence: "once", startsAt: new Date("2026-03-10T00:00:00Z"), endsAt: null, ... };
 * adjustmentApplies(bonus, new Date("2026-03-20T00:00:00Z"), windowAt("month", march20)) // true
 * adjustmentApplies(bonus, new Date("2026-04-02T00:00:00Z"), windowAt("month", april2))  // false
 */
export function adjustmentApplies(adjustment: LimitAdjustment, at: Date, window: Window | null): boolean {
  if (at < adjustment.startsAt) return false;
  if (adjustment.endsAt !== null && at >= adjustment.endsAt) return false;
  if (adjustment.recurrence === "each_period" || window === null || window.from === null) return true;
  return window.from <= adjustment.startsAt;
}

/** The adjustments of `feature` that count at `at`. */
export function activeAdjustments(adjustments: readonly LimitAdjustment[], feature: string, at: Date, window: Window | null): LimitAdjustment[] {
  return adjustments.filter((adjustment) => adjustment.feature === feature && adjustmentApplies(adjustment, at, window));
}
