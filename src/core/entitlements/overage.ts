import type { OveragePolicy } from "../catalog/index.ts";
import { add, cmp, max, parseDecimal, sub, toDecimalString, ZERO, type Decimal } from "../decimal.ts";
import { mapUsageToLineItems } from "../pricing/map-usage-to-line-items.ts";
import type { PreparedPlan } from "../pricing/prepare-plan.ts";

/** A feature's overage policy, with what it needs to price usage when the cap is a spend. */
export interface OverageRule {
  readonly policy: OveragePolicy;
  /** What `usage` units of the feature's meter cost under the plan's charges, in minor units (max_spend only). */
  readonly spendAt?: (usage: Decimal) => number;
}

/**
 * Where a metered feature's usage stands against its limit: `check` and `consume` answer it as
 * `overage` (null for flags, static features and unlimited limits).
 */
export interface OverageState {
  /** The plan's policy for usage past the limit: block, allow, max_units or max_spend. */
  readonly policy: OveragePolicy["kind"];
  /** True when usage is past the limit (used > limit). */
  readonly inOverage: boolean;
  /** Units used past the limit, max(used − limit, 0), as an exact decimal string. */
  readonly units: string;
  /** What those units cost under the plan's charges, in minor units (max_spend only, else null). */
  readonly spend: number | null;
  /** The cap in units past the limit (max_units), else null. */
  readonly maxUnits: string | null;
  /** The cap in minor units (max_spend), else null. */
  readonly maxSpend: number | null;
}

/**
 * A pricer of one meter's usage under a plan's charges: the sum of the lines of every charge on
 * that meter, each rounded once as on the invoice.
 *
 * @example
 * const spendAt = meterSpend(catalog.plans.pro.pricing, "api_calls"); // per_unit at 2 (minor units)
 * spendAt(parseDecimal("150")) // 300
 */
export function meterSpend(pricing: PreparedPlan, meter: string): (usage: Decimal) => number {
  return (usage) => {
    const priced = mapUsageToLineItems(pricing, { [meter]: toDecimalString(usage) });
    let total = 0;
    for (const line of priced.lineItems) if (line.meter === meter) total += line.amount;
    return total;
  };
}

/** What the units past the limit cost at `used`: spend(used) − spend(limit), never below 0. */
function overageSpend(rule: OverageRule, limit: Decimal, used: Decimal): number {
  if (rule.spendAt === undefined || cmp(used, limit) <= 0) return 0;
  return Math.max(0, rule.spendAt(used) - rule.spendAt(limit));
}

/**
 * The overage state of `used` against `limit`.
 *
 * @example
 * overageState({ policy: { kind: "max_units", maxUnits: "50" } }, parseDecimal("100"), parseDecimal("120"))
 * // { policy: "max_units", inOverage: true, units: "20", spend: null, maxUnits: "50", maxSpend: null }
 */
export function overageState(rule: OverageRule, limit: Decimal, used: Decimal): OverageState {
  const { policy } = rule;
  return {
    policy: policy.kind,
    inOverage: cmp(used, limit) > 0,
    units: toDecimalString(max(sub(used, limit), ZERO)),
    spend: policy.kind === "max_spend" ? overageSpend(rule, limit, used) : null,
    maxUnits: policy.kind === "max_units" ? policy.maxUnits : null,
    maxSpend: policy.kind === "max_spend" ? policy.maxSpend : null,
  };
}

/**
 * What stops usage from reaching `total`, which is past the limit: null when the policy lets it
 * through, else what it would exceed ("the limit", or the overage cap).
 *
 * @example
 * overageBarrier({ policy: { kind: "block" } }, parseDecimal("100"), parseDecimal("101"))                      // "the limit"
 * overageBarrier({ policy: { kind: "max_units", maxUnits: "50" } }, parseDecimal("100"), parseDecimal("160")) // "the overage cap of 50 units past the limit"
 */
export function overageBarrier(rule: OverageRule, limit: Decimal, total: Decimal): string | null {
  const { policy } = rule;
  switch (policy.kind) {
    case "block":
      return "the limit";
    case "allow":
      return null;
    case "max_units":
      return cmp(total, add(limit, parseDecimal(policy.maxUnits))) <= 0 ? null : `the overage cap of ${policy.maxUnits} units past the limit`;
    case "max_spend":
      return overageSpend(rule, limit, total) <= policy.maxSpend ? null : `the overage cap of ${policy.maxSpend} minor units of spend past the limit`;
    default: {
      const unknown: never = policy;
      throw new Error(`unknown overage policy ${JSON.stringify(unknown)}`);
    }
  }
}
