import type { Catalog } from "../../core/catalog/index.ts";
import { historyPeriodEnds, historyRange } from "../../core/credits/history-period-ends.ts";
import type { PeriodEnds } from "../../core/credits/settle.ts";
import { billingPeriodAt, type BillingCycle } from "../../core/periods.ts";
import { planSpans } from "../../store/plan-change-repository.ts";
import type { Sql } from "../../store/types.ts";
import { intervalOfPlan, onlyMonthly } from "../plan-interval.ts";

/**
 * The ends of a customer's billing periods (their cycle, else calendar months; periods of the
 * cycle's interval): where unit credits roll over while the customer holds plans of one interval.
 *
 * @example
 * periodEndsOf({})(new Date("2026-03-10Z"), new Date("2026-05-01Z")) // [2026-04-01, 2026-05-01]
 */
export function periodEndsOf(cycle: BillingCycle): PeriodEnds {
  return (after, through) => {
    const ends: Date[] = [];
    for (let end = billingPeriodAt(after, cycle).to; end <= through; end = billingPeriodAt(end, cycle).to) ends.push(end);
    return ends;
  };
}

/** A customer's unit credits to settle: its billing cycle, and the stretch (after, through] to settle. */
export interface SettlementStretch {
  readonly customerId: string;
  readonly cycle: BillingCycle;
  /** The earliest instant a grant to settle stands at (its settledThrough, or its effectiveAt when later). */
  readonly after: Date;
  readonly through: Date;
}

/**
 * Each customer's period ends over its stretch, from its plan history: the ends of the periods
 * its invoice runs bill (`historyPeriodEnds`), so a change of interval between two settlements
 * gives each part of the stretch the ends of the plan held then. The history of every customer is
 * read in one statement; a catalog of monthly plans only reads none (every period is a month of
 * the cycle, whatever is held), nor does a stretch held on plans of one interval use more than
 * that interval's ends.
 *
 * @example
 * (await periodEndsFromHistory(tx, catalog, [{ customerId: "acme", cycle: {}, after: feb10, through: now }])).get("acme")!(feb10, now)
 * // acme monthly → yearly on Mar 15: [Mar 1, Mar 15]
 */
export async function periodEndsFromHistory(sql: Sql, catalog: Catalog, stretches: readonly SettlementStretch[]): Promise<Map<string, PeriodEnds>> {
  const bare = (cycle: BillingCycle): BillingCycle => ({ periodStart: cycle.periodStart ?? null, periodEnd: cycle.periodEnd ?? null, anchor: cycle.anchor ?? null });
  if (onlyMonthly(catalog)) return new Map(stretches.map((stretch) => [stretch.customerId, periodEndsOf(bare(stretch.cycle))]));
  const windows = stretches.map((stretch) => ({ customerId: stretch.customerId, ...historyRange(stretch.cycle, stretch.after, stretch.through) }));
  const held = await planSpans(sql, windows);
  const ends = new Map<string, PeriodEnds>();
  for (const stretch of stretches) {
    const spans = held.get(stretch.customerId)!.map((span) => ({ from: span.from, to: span.to, interval: intervalOfPlan(catalog, span.planKey) }));
    const intervals = new Set(spans.map((span) => span.interval));
    ends.set(stretch.customerId, intervals.size === 1 ? periodEndsOf({ ...bare(stretch.cycle), interval: spans[0]!.interval }) : historyPeriodEnds(bare(stretch.cycle), spans));
  }
  return ends;
}

/** One period end, for money credits: the end of the invoiced period, once it is after `after`. */
export function invoicePeriodEnd(to: Date): PeriodEnds {
  return (after, through) => (after < to && to <= through ? [to] : []);
}
