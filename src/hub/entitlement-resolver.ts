import { requireFeature, requireVariant, type Catalog, type Feature, type Plan } from "../core/catalog/index.ts";
import { parseDecimal, sign, toDecimalString, ONE, type Decimal } from "../core/decimal.ts";
import { displayNumber, effectiveLimit, meterSpend, resetsAt, resetWindow, type EffectiveLimit, type EntitlementState, type LimitSource } from "../core/entitlements/index.ts";
import { BillingError, listKeys } from "../core/errors.ts";
import type { Window } from "../core/periods.ts";
import { customerNotFound } from "../store/customer-repository.ts";
import { loadCustomerEntitlements, type CustomerEntitlements } from "../store/entitlement-state-repository.ts";
import type { HubContext } from "./context.ts";
import { parseCustomerId } from "./customer-input.ts";
import type { EntitlementCache } from "./entitlement-cache.ts";
import { withPlanInterval } from "./plan-interval.ts";

export interface QueryOptions {
  /** A plan variant for this call ("starter"), instead of the customer's own. */
  variant?: string;
}

/** One feature's limit for a customer right now. */
export interface FeatureEntitlement {
  readonly type: Feature["type"];
  readonly granted: boolean;
  readonly unlimited: boolean;
  /** For display; `exactLimit` is the exact value. null = unlimited. */
  readonly limit: number | null;
  readonly exactLimit: string | null;
  readonly source: LimitSource;
  /** Ids of the adjustments counted in the limit now. */
  readonly adjustments: readonly string[];
  /** End of the current reset window (metered features with a resetting window), else null. */
  readonly resetsAt: Date | null;
}

export interface CustomerEntitlementsView {
  readonly customer: string;
  readonly plan: string;
  readonly variant: string | null;
  readonly features: Readonly<Record<string, FeatureEntitlement>>;
}

/** A feature resolved for a customer at one instant: what checks and consumes decide on. */
export interface Resolved {
  readonly feature: Feature;
  readonly entry: CustomerEntitlements;
  readonly variant: string | null;
  readonly at: Date;
  readonly window: Window | null;
  readonly limit: EffectiveLimit;
}

/** Parses the amount of a check or consume: omitted = 1; negative, non-finite or not a number = INVALID_AMOUNT. */
export function parseAmount(value: unknown, field = "amount"): Decimal {
  if (value === undefined) return ONE;
  const amount = parseDecimal(value, { field, code: "INVALID_AMOUNT" });
  if (sign(amount) < 0) throw new BillingError("INVALID_AMOUNT", `${field} must not be negative, got ${toDecimalString(amount)}`, { field });
  return amount;
}

function planOf(catalog: Catalog, state: EntitlementState): Plan {
  const key = state.assignedPlan ?? catalog.defaultPlan;
  const plan = Object.hasOwn(catalog.plans, key) ? catalog.plans[key] : undefined;
  if (!plan) {
    throw new BillingError("UNKNOWN_PLAN", `Customer "${state.customerId}" is on plan "${key}", which the catalog no longer declares; assign one of: ${listKeys(Object.keys(catalog.plans))}`, {
      field: "customer.plan",
      details: { valid: Object.keys(catalog.plans).sort() },
    });
  }
  return plan;
}

export interface EntitlementResolver {
  /** The customer's cached entitlements, or CUSTOMER_NOT_FOUND. */
  load(customerId: string): Promise<CustomerEntitlements>;
  /** Resolves one feature now; validates the feature and the variant before any I/O. */
  resolve(customerId: unknown, feature: unknown, options?: QueryOptions): Promise<Resolved>;
  /** The same feature and customer state, resolved again at another instant (no I/O). */
  at(resolved: Resolved, at: Date): Resolved;
  /** Another feature of the same customer state and variant, at an instant (no I/O). */
  sibling(resolved: Pick<Resolved, "entry" | "variant">, feature: Feature, at: Date): Resolved;
  /** Every feature's limit now. */
  entitlements(customerId: unknown, options?: QueryOptions): Promise<CustomerEntitlementsView>;
}

/** Turns a customer's stored plan, variant, overrides and adjustments into limits, through the cache. */
export function createEntitlementResolver(ctx: HubContext, cache: EntitlementCache): EntitlementResolver {
  const { catalog, store } = ctx;

  async function load(customerId: string): Promise<CustomerEntitlements> {
    // The cycle carries the held plan's interval: a `billing_period` window is a period of it.
    const entry = await cache.get(customerId, async () => {
      const loaded = await loadCustomerEntitlements(store, customerId, ctx.now());
      return loaded && withPlanInterval(catalog, loaded);
    });
    if (!entry) throw customerNotFound(customerId);
    return entry;
  }

  function variantOf(options: QueryOptions | undefined, state: EntitlementState): string | null {
    if (options?.variant === undefined) return state.variant;
    return requireVariant(catalog, options.variant);
  }

  // One pricer per plan and feature with a spend cap, built on first use.
  const spendPricers = new Map<string, (usage: Decimal) => number>();
  function spendPricer(plan: Plan, feature: Feature): ((usage: Decimal) => number) | undefined {
    if (feature.type !== "metered" || plan.grants[feature.key]!.overage.kind !== "max_spend") return undefined;
    const key = `${plan.key}\u0000${feature.key}`;
    let pricer = spendPricers.get(key);
    if (pricer === undefined) spendPricers.set(key, (pricer = meterSpend(plan.pricing, feature.meter)));
    return pricer;
  }

  function resolveFeature(feature: Feature, entry: CustomerEntitlements, variant: string | null, at: Date): Resolved {
    const { state } = entry;
    const window = resetWindow(feature, at, state.cycle);
    const plan = planOf(catalog, state);
    const spendAt = spendPricer(plan, feature);
    const limit = effectiveLimit({
      feature,
      grant: plan.grants[feature.key]!,
      variant,
      override: state.overrides[feature.key],
      adjustments: state.adjustments,
      at,
      window,
      ...(spendAt === undefined ? {} : { spendAt }),
    });
    return { feature, entry, variant, at, window, limit };
  }

  return {
    load,

    async resolve(customerId, featureKey, options) {
      const id = parseCustomerId(customerId);
      const feature = requireFeature(catalog, featureKey);
      if (options?.variant !== undefined) requireVariant(catalog, options.variant);
      const entry = await load(id);
      return resolveFeature(feature, entry, variantOf(options, entry.state), ctx.now());
    },

    at: (resolved, at) => resolveFeature(resolved.feature, resolved.entry, resolved.variant, at),

    sibling: (resolved, feature, at) => resolveFeature(feature, resolved.entry, resolved.variant, at),

    async entitlements(customerId, options) {
      const id = parseCustomerId(customerId);
      if (options?.variant !== undefined) requireVariant(catalog, options.variant);
      const entry = await load(id);
      const variant = variantOf(options, entry.state);
      const at = ctx.now();
      const features: Record<string, FeatureEntitlement> = {};
      for (const feature of Object.values(catalog.features)) {
        const { limit, window } = resolveFeature(feature, entry, variant, at);
        features[feature.key] = {
          type: feature.type,
          granted: limit.granted,
          unlimited: limit.limit === null,
          limit: limit.limit === null ? null : displayNumber(limit.limit),
          exactLimit: limit.limit === null ? null : toDecimalString(limit.limit),
          source: limit.source,
          adjustments: limit.adjustments,
          resetsAt: resetsAt(window),
        };
      }
      return { customer: id, plan: planOf(catalog, entry.state).key, variant, features };
    },
  };
}
