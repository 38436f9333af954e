import type { Catalog } from "../core/catalog/index.ts";
import type { BillingCycle, BillingInterval } from "../core/periods.ts";
import type { CustomerEntitlements } from "../store/entitlement-state-repository.ts";
import { planSpans } from "../store/plan-change-repository.ts";
import type { Sql } from "../store/types.ts";

/** The interval of a plan of the history (null: the default plan); a plan the catalog no longer declares counts as monthly, and its run reports it. */
export function intervalOfPlan(catalog: Catalog, planKey: string | null): BillingInterval {
  const key = planKey ?? catalog.defaultPlan;
  return Object.hasOwn(catalog.plans, key) ? catalog.plans[key]!.interval : "month";
}

/** Whether every plan of the catalog is monthly: then every customer's billing period is a month, whatever it holds. */
export function onlyMonthly(catalog: Catalog): boolean {
  return Object.values(catalog.plans).every((plan) => plan.interval === "month");
}

/** The cycle with the interval set; a month is left unset (the default), so monthly cycles stay as they were. */
function cycleOfInterval(cycle: BillingCycle, interval: BillingInterval): BillingCycle {
  return interval === "month" ? cycle : { ...cycle, interval };
}

/**
 * The customer's entitlement state with its cycle's `interval` set to that of the plan it holds
 * (the plan its limits come from), so `billing_period` windows, spend-alert periods and unit-credit
 * rollovers are periods of that interval: a yearly plan's `billing_period` is a year. After a
 * change of interval, the new plan's period containing the instant, not cut at the change (see
 * `resetWindow`): switching never hands out a fresh allowance.
 *
 * @example
 * withPlanInterval(catalog, entry).state.cycle // { periodStart, periodEnd, interval: "year" } on a yearly plan
 */
export function withPlanInterval(catalog: Catalog, entry: CustomerEntitlements): CustomerEntitlements {
  const interval = intervalOfPlan(catalog, entry.state.assignedPlan);
  if (interval === "month") return entry;
  return { ...entry, state: { ...entry.state, cycle: cycleOfInterval(entry.state.cycle, interval) } };
}

/**
 * Customers' cycles with the interval of the plan each held at `at` (its plan history), for
 * windows resolved at that instant. A catalog of monthly plans only needs no history.
 *
 * @example
 * await cyclesAt(tx, catalog, new Map([["acme", { periodStart: null }]]), at) // Map { "acme" => { periodStart: null, interval: "year" } }
 */
export async function cyclesAt(sql: Sql, catalog: Catalog, cycles: ReadonlyMap<string, BillingCycle>, at: Date): Promise<Map<string, BillingCycle>> {
  if (onlyMonthly(catalog)) return new Map(cycles);
  const instant = { from: at, to: new Date(at.getTime() + 1) };
  const held = await planSpans(sql, [...cycles.keys()].map((customerId) => ({ customerId, ...instant })));
  return new Map([...cycles].map(([id, cycle]) => [id, cycleOfInterval(cycle, intervalOfPlan(catalog, held.get(id)![0]!.planKey))]));
}
