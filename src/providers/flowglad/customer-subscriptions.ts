import type { ProviderCustomerSubscriptions } from "../types.ts";
import type { FlowgladCustomerBilling, FlowgladPricingModel } from "./types.ts";

/**
 * A Flowglad customer's billing as their current subscriptions in billhub's terms: each with its
 * prices under their slugs (the catalog's `providerPrices.flowglad` lists slugs), and
 * `cancellation_scheduled` as cancelling at the period's end.
 *
 * @example
 * customerSubscriptions(billing).subscriptions[0] // { id: "sub_1", status: "active", prices: [{ priceId: "price_pro", lookupKey: "pro_monthly" }], ... }
 */
export function customerSubscriptions(billing: FlowgladCustomerBilling): ProviderCustomerSubscriptions {
  const slugs = priceSlugs(billing.pricingModel);
  return {
    subscriptions: billing.currentSubscriptions.map((subscription) => {
      const priceIds = [...new Set([subscription.priceId, ...subscription.items.flatMap((item) => (item.priceId === null ? [] : [item.priceId]))])];
      return {
        id: subscription.id,
        status: subscription.status,
        prices: priceIds.map((priceId) => ({ priceId, lookupKey: slugs.get(priceId) ?? null })),
        currentPeriodStart: subscription.currentBillingPeriodStart,
        currentPeriodEnd: subscription.currentBillingPeriodEnd,
        cancelAtPeriodEnd: subscription.status === "cancellation_scheduled",
        trialEndsAt: subscription.status === "trialing" ? subscription.trialEnd : null,
      };
    }),
  };
}

function priceSlugs(model: FlowgladPricingModel): Map<string, string> {
  const slugs = new Map<string, string>();
  const prices = [...model.products.flatMap((product) => product.prices), ...model.usageMeters.flatMap((meter) => meter.prices)];
  for (const price of prices) if (price.slug !== null) slugs.set(price.id, price.slug);
  return slugs;
}
