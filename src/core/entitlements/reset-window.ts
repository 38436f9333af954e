import type { Feature } from "../catalog/index.ts";
import { windowAt, type BillingCycle, type Window } from "../periods.ts";

/**
 * The usage window a feature's limit applies to at `at`: the reset window of a metered feature
 * (billing period anchored on the customer's cycle, month, week, day, hour, or lifetime), and
 * null for flags and static features, which have no usage window.
 *
 * A billing period is of the cycle's `interval` (the plan the customer holds): a year on a yearly
 * plan. After a change of interval the window at each instant is the held plan's period containing
 * it, usage from before the change included. Unlike invoicing, which cuts the period at the change
 * (`intervalWindow`), a window is never cut there: a cut window would start from zero and give the
 * allowance afresh at every switch (monthly → weekly → monthly would grant a month twice).
 *
 * @example
 * resetWindow({ type: "metered", reset: "day", ... }, new Date("2026-03-10T15:00:00Z"), {})
 * // { from: 2026-03-10T00:00:00Z, to: 2026-03-11T00:00:00Z }
 */
export function resetWindow(feature: Feature, at: Date, cycle: BillingCycle): Window | null {
  return feature.type === "metered" ? windowAt(feature.reset, at, cycle) : null;
}

/** When the window's usage starts again from zero: its end, or null for a lifetime window or none. */
export function resetsAt(window: Window | null): Date | null {
  return window?.to ?? null;
}
