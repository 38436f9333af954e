import type { ProviderCurrentSubscription, ProviderCustomerSubscriptions } from "../types.ts";
import type { OrbSubscription } from "./client.ts";

/**
 * A customer's current Orb subscriptions in billhub's terms. Orb's statuses are `active`, `ended`
 * and `upcoming` (`Subscription.status`, `resources/subscriptions.d.ts` of orb-billing 6.11):
 * ended ones are left out (a subscription that is not among the current ones has ended), an
 * upcoming one is pending (its plan is not granted before it starts). Each subscription has one
 * plan; it stands as the subscription's one price, keyed by the plan's `external_plan_id` (what
 * the catalog's `providerPrices.orb` lists) with the plan's metadata (`billhub_plan`). An
 * `end_date` on an active subscription is a scheduled end.
 *
 * @example
 * customerSubscriptionsFromOrb([activeProSubscription])
 * // { subscriptions: [{ id: "sub_1", status: "active", prices: [{ priceId: "plan_1", lookupKey: "pro", priceMetadata: {} }], ... }] }
 */
export function customerSubscriptionsFromOrb(subscriptions: readonly OrbSubscription[]): ProviderCustomerSubscriptions {
  return {
    subscriptions: subscriptions
      .filter((subscription) => subscription.status !== "ended")
      .map(
        (subscription): ProviderCurrentSubscription => ({
          id: subscription.id,
          status: subscription.status,
          prices: subscription.plan === null ? [] : [{ priceId: subscription.plan.id, lookupKey: subscription.plan.external_plan_id, priceMetadata: { ...subscription.plan.metadata } }],
          currentPeriodStart: dateOrNull(subscription.current_billing_period_start_date),
          currentPeriodEnd: dateOrNull(subscription.current_billing_period_end_date),
          cancelAtPeriodEnd: subscription.end_date !== null,
        }),
      ),
  };
}

function dateOrNull(value: string | null | undefined): Date | null {
  if (value === null || value === undefined) return null;
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : new Date(at);
}
