import type { Feature, Grant } from "../catalog/index.ts";
import { add, max, parseDecimal, ZERO, type Decimal } from "../decimal.ts";
import type { Window } from "../periods.ts";
import { activeAdjustments } from "./active-adjustments.ts";
import type { LimitAdjustment, LimitOverride } from "./types.ts";
import type { OverageRule } from "./overage.ts";

/** Where a limit's base value came from, before adjustments. */
export type LimitSource = "plan" | "variant" | "override";

export interface EffectiveLimit {
  readonly feature: string;
  readonly type: Feature["type"];
  /** Flags: on or off. Metered and static features: whether the plan or an override grants them. */
  readonly granted: boolean;
  /** Exact limit; null = unlimited. A flag that is on is unlimited, a flag that is off is 0. */
  readonly limit: Decimal | null;
  readonly source: LimitSource;
  /** Ids of the adjustments counted in `limit`. */
  readonly adjustments: readonly string[];
  /** What consume does past the limit (metered features): the plan's policy; absent = block. */
  readonly overage?: OverageRule;
}

export interface EffectiveLimitInput {
  feature: Feature;
  /** The plan's grant for the feature. */
  grant: Grant;
  /** The variant in force (the call's, else the customer's); ignored when the grant has none of that name. */
  variant: string | null;
  override: LimitOverride | undefined;
  adjustments: readonly LimitAdjustment[];
  at: Date;
  /** The feature's reset window at `at` (null for flags and static features). */
  window: Window | null;
  /**
   * Prices the feature's meter under the plan's charges, for a `max_spend` overage cap (see
   * `meterSpend`). The plan's overage policy applies whatever set the limit (plan, variant or override).
   */
  spendAt?: (usage: Decimal) => number;
}

/**
 * A customer's limit for one feature at one time:
 * override (else the plan's variant, else the plan's limit) + adjustments active at `at`,
 * never below zero and never below the feature's `minimumLimit`. Unlimited stays unlimited
 * whatever the adjustments say. Flags take no adjustments: they are on or off.
 *
 * @example
 * effectiveLimit({ feature: api, grant: { granted: true, limit: "1000", variants: {} }, variant: null,
 *   override: undefined, adjustments: [{ amount: "500", recurrence: "once", ... }], at, window })
 * // { limit: 1500 (as a Decimal), source: "plan", adjustments: ["bonus-1"], ... }
 */
export function effectiveLimit(input: EffectiveLimitInput): EffectiveLimit {
  const { feature, grant, variant, override } = input;
  if (feature.type === "boolean") {
    const granted = override?.granted ?? grant.granted;
    return { feature: feature.key, type: feature.type, granted, limit: granted ? null : ZERO, source: override ? "override" : "plan", adjustments: [] };
  }
  const variantLimit = variant !== null && Object.hasOwn(grant.variants, variant) ? grant.variants[variant] : undefined;
  const source: LimitSource = override ? "override" : variantLimit !== undefined ? "variant" : "plan";
  const base = override ? override.limit : variantLimit !== undefined ? variantLimit : grant.limit;
  const granted = override ? override.granted : grant.granted;
  if (base === null) return { feature: feature.key, type: feature.type, granted, limit: null, source, adjustments: [] };

  const active = activeAdjustments(input.adjustments, feature.key, input.at, input.window);
  let limit = max(active.reduce((total, adjustment) => add(total, parseDecimal(adjustment.amount)), parseDecimal(base)), ZERO);
  if (feature.minimumLimit !== undefined) limit = max(limit, parseDecimal(feature.minimumLimit));
  const overage: OverageRule = input.spendAt === undefined ? { policy: grant.overage } : { policy: grant.overage, spendAt: input.spendAt };
  return { feature: feature.key, type: feature.type, granted, limit, source, adjustments: active.map((adjustment) => adjustment.id), overage };
}
