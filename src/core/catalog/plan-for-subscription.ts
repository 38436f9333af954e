import { listKeys } from "../errors.ts";
import type { Catalog } from "./define-catalog.ts";

/** Price (or product) metadata naming the plan a price's subscribers are on. */
export const PLAN_METADATA_KEY = "billhub_plan";

/** One price of a subscription, as the provider describes it. */
export interface SubscribedPrice {
  priceId: string;
  /** Stripe lookup key or Flowglad price slug. */
  lookupKey: string | null;
  priceMetadata?: Readonly<Record<string, string>>;
  productMetadata?: Readonly<Record<string, string>>;
}

export type PlanResolution = { plan: string; error: null } | { plan: null; error: string };

/**
 * The plan a subscription puts its customer on. For each price, most specific first: the
 * price's `billhub_plan` metadata, its product's `billhub_plan` metadata, then the catalog plan
 * whose `providerPrices` lists the price's lookup key. Prices that map to nothing (add-ons,
 * metered prices) are fine; no plan at all, or two different plans, is an error that says how to
 * fix the mapping, because guessing would grant the wrong limits.
 *
 * @example
 * planForSubscription(catalog, "stripe", [{ priceId: "price_1", lookupKey: "pro_monthly" }])
 * // { plan: "pro", error: null } when plans.pro.providerPrices.stripe lists "pro_monthly"
 */
export function planForSubscription(catalog: Catalog, provider: string, prices: readonly SubscribedPrice[]): PlanResolution {
  const byLookupKey = new Map<string, string>();
  for (const plan of Object.values(catalog.plans)) {
    const keys = Object.hasOwn(plan.providerPrices, provider) ? plan.providerPrices[provider]! : [];
    for (const key of keys) byLookupKey.set(key, plan.key);
  }

  const found = new Map<string, string[]>();
  for (const price of prices) {
    const name = price.lookupKey ?? price.priceId;
    const named = price.priceMetadata?.[PLAN_METADATA_KEY] ?? price.productMetadata?.[PLAN_METADATA_KEY];
    if (named !== undefined && !Object.hasOwn(catalog.plans, named)) {
      return { plan: null, error: `${provider} price ${name} names plan "${named}" in its ${PLAN_METADATA_KEY} metadata; valid plans: ${listKeys(Object.keys(catalog.plans))}` };
    }
    const plan = named ?? (price.lookupKey === null ? undefined : byLookupKey.get(price.lookupKey));
    if (plan !== undefined) found.set(plan, [...(found.get(plan) ?? []), name]);
  }
  if (found.size === 1) return { plan: [...found.keys()][0]!, error: null };
  if (found.size > 1) {
    const list = [...found.entries()].map(([plan, names]) => `${plan} (${names.join(", ")})`).join(", ");
    return { plan: null, error: `The ${provider} subscription's prices map to several plans: ${list}; one subscription must map to one plan` };
  }
  const names = prices.map((price) => price.lookupKey ?? price.priceId);
  return {
    plan: null,
    error: `None of the ${provider} subscription's prices (${names.join(", ") || "none"}) maps to a plan: list one under plans.<plan>.providerPrices.${provider} in the catalog, or set ${PLAN_METADATA_KEY} metadata on the price`,
  };
}
